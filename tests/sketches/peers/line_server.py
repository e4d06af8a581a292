#!/usr/bin/env python3
"""Line server for the ClientPool sketch test.

Replies "echo <line>" to every line. With --close-after N it closes a connection once it
has sent N replies. Prints one event per line on stdout (flushed) for the test to check:
  ready
  open <id> <open connections now>
  line <id> <text>
  closed <id>
"""
import argparse
import asyncio
import itertools
import sys

ids = itertools.count()
open_now = 0


def event(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def serve(reader, writer, close_after):
    global open_now
    conn = next(ids)
    open_now += 1
    event(f"open {conn} {open_now}")
    replies = 0
    try:
        while close_after == 0 or replies < close_after:
            line = await reader.readline()
            if not line:
                break
            text = line.decode(errors="replace").rstrip("\r\n")
            event(f"line {conn} {text}")
            writer.write(f"echo {text}\n".encode())
            await writer.drain()
            replies += 1
    except ConnectionError:
        pass
    open_now -= 1
    event(f"closed {conn}")
    writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--close-after", type=int, default=0)
    args = parser.parse_args()
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, args.close_after), "127.0.0.1", args.port)
    event("ready")
    async with server:
        await server.serve_forever()


asyncio.run(main())
