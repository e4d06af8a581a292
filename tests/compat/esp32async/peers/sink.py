#!/usr/bin/env python3
"""TCP sink for the AsyncSend example test: listens on HOST PORT, reads everything each
connection sends and prints, flushed, one line per event:
  ready
  open <id>
  bytes <id> <total so far> <ok|bad>   (after each 8 KiB block: '[' 8190 '.' ']' expected)
  closed <id> <total>
"""
import socket
import sys
import threading

BLOCK = b"[" + b"." * (8 * 1024 - 2) + b"]"


def event(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def serve(conn, cid):
    total, pending = 0, b""
    while True:
        data = conn.recv(65536)
        if not data:
            break
        total += len(data)
        pending += data
        while len(pending) >= len(BLOCK):
            block, pending = pending[:len(BLOCK)], pending[len(BLOCK):]
            event("bytes %d %d %s" % (cid, total, "ok" if block == BLOCK else "bad"))
    event("closed %d %d" % (cid, total))


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen(8)
    event("ready")
    cid = 0
    while True:
        conn, _ = s.accept()
        event("open %d" % cid)
        threading.Thread(target=serve, args=(conn, cid), daemon=True).start()
        cid += 1


main()
