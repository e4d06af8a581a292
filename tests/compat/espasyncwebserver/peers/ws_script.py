#!/usr/bin/env python3
"""A WebSocket client for examples that also broadcast on their own (timers, other clients).

Usage: ws_script.py HOST PORT [--clients N] [--timeout SECONDS] [--sync PATH PREFIX]
                    COMMAND [ARG] ...

The RFC 6455 framing is ws_client.py's (same folder). Unlike ws_client.py, whose "expect"
commands take the very next message, the "await" commands here skip unrelated messages
(an example's periodic "now: ..." or "kp:..." broadcasts) until the awaited one arrives,
or fail after the timeout (default 15 s, for each await).

With --clients N the same script runs on N connections at once (one thread each); "{i}"
in an argument is replaced by the client's index (0 .. N-1), and "barrier" waits until
every client still running has reached it. Output lines are then prefixed "[i] ".
With --sync, the script starts once a first connection to PATH has received a text
starting with PREFIX, and closed 100 ms later (not at once: that close would meet the
example's broadcast still under way): soon after a periodic broadcast of the example.

Commands, run in order; the first failure ends that client and says why (exit status 1):
  open PATH                   handshake (101 and Sec-WebSocket-Accept checked)
  open-refused PATH CODE      handshake answered with HTTP status CODE (no upgrade);
                              prints "refused CODE <body>"
  send-text TEXT              one text message
  send-text-size N            a text message of N pattern bytes
  send-binary-size N          a binary message of N pattern bytes
  await-text TEXT             skips messages until this text
  await-text-prefix P         skips messages until a text starting with P; prints it
                              (cut to 200 characters)
  await-texts PREFIX COUNT    skips messages until COUNT distinct texts starting with
                              PREFIX have arrived; prints them sorted on one line
  await-echo                  skips messages until one equals the last sent (type, bytes)
  await-echo-bytes            same, of either type (an example answering text for binary)
  await-binary-total N        skips text; joins binary messages until N bytes arrived,
                              which must equal the last message sent (an example echoing
                              each received piece as a message of its own)
  await-binary HEX            skips messages until a binary one with these bytes
  await-binary-joined S       skips text; joins binary messages until they hold S
  await-binary-prefix P N     skips messages until a binary one of N bytes starting with
                              the ASCII text P
  await-close [CODE]          skips data until the server's close (with CODE); answers it;
                              prints "closed <code> <reason>"
  count-text-prefix P SECONDS counts texts starting with P for that long; prints "count N"
  ping DATA                   sends a ping; skips data until the matching pong
  close CODE                  sends a close; skips data until the server's close; prints
                              "closed <code>"
  barrier                     waits for the other clients (with --clients)
  sleep SECONDS
Server pings are answered. Prints "done" when the script completed.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_client import Client, Failure, code_of, pattern  # noqa: E402

_print_lock = threading.Lock()


def say(prefix, text):
    with _print_lock:
        print(prefix + text, flush=True)


class Session:
    def __init__(self, host, port, index, prefix, timeout, barrier):
        self.host, self.port = host, port
        self.index, self.prefix = index, prefix
        self.timeout = timeout
        self.barrier = barrier
        self.c = None

    def out(self, text):
        say(self.prefix, text)

    def connect(self):
        self.c = Client(self.host, self.port)

    def message(self, deadline, what):
        """The next data message (opcode, payload), or (8, payload) for a close."""
        left = deadline - time.time()
        if left <= 0:
            raise Failure("timed out awaiting " + what)
        self.c.sock.settimeout(left)
        try:
            return self.c.next_message()
        except socket.timeout:
            raise Failure("timed out awaiting " + what)
        finally:
            self.c.sock.settimeout(15)

    def data(self, deadline, what):
        op, payload = self.message(deadline, what)
        if op == 8:
            raise Failure("the server closed (%d %r) while awaiting %s" %
                          (code_of(payload), payload[2:80], what))
        return op, payload

    def open_refused(self, path, want):
        self.c.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n" % (path, self.host)).encode())
        data = b""
        self.c.sock.settimeout(self.timeout)
        while True:
            chunk = self.c.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        status_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ")
        if len(parts) < 2 or parts[1] != want:
            raise Failure("handshake answered %r, expected status %s" % (status_line, want))
        body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
        self.out("refused %s %s" % (want, body.decode("latin-1")))

    def run(self, args):
        i = 0

        def arg():
            nonlocal i
            i += 1
            return args[i - 1].replace("{i}", str(self.index))

        self.connect()
        while i < len(args):
            cmd = arg()
            deadline = time.time() + self.timeout
            if cmd == "open":
                self.open(arg())
            elif cmd == "open-refused":
                path = arg()
                self.open_refused(path, arg())
            elif cmd == "send-text":
                self.c.last_sent = (1, arg().encode())
                self.c.send_frame(*self.c.last_sent)
            elif cmd == "send-text-size":
                self.c.last_sent = (1, pattern(int(arg())))
                self.c.send_frame(*self.c.last_sent)
            elif cmd == "send-binary-size":
                self.c.last_sent = (2, pattern(int(arg())))
                self.c.send_frame(*self.c.last_sent)
            elif cmd == "await-text":
                want = arg().encode()
                while self.data(deadline, "text %r" % want) != (1, want):
                    pass
                self.out("ok await-text")
            elif cmd == "await-text-prefix":
                want = arg().encode()
                while True:
                    op, payload = self.data(deadline, "a text starting with %r" % want)
                    if op == 1 and payload.startswith(want):
                        self.out("text " + payload[:200].decode("latin-1").replace("\n", "\\n"))
                        break
            elif cmd == "await-texts":
                want = arg().encode()
                count = int(arg())
                seen = set()
                while len(seen) < count:
                    op, payload = self.data(deadline, "%d texts starting with %r (have %d)" %
                                            (count, want, len(seen)))
                    if op == 1 and payload.startswith(want):
                        seen.add(payload)
                self.out("texts " + " ".join(sorted(p.decode("latin-1") for p in seen)))
            elif cmd in ("await-echo", "await-echo-bytes"):
                op0, want = self.c.last_sent
                while True:
                    op, payload = self.data(deadline, "the echo of %d bytes" % len(want))
                    if payload == want and (op == op0 or cmd == "await-echo-bytes"):
                        break
                self.out("ok %s %d" % (cmd, len(want)))
            elif cmd == "await-binary-total":
                total = int(arg())
                got = []
                have = 0
                while have < total:
                    op, payload = self.data(deadline, "%d binary bytes (have %d)" % (total, have))
                    if op == 2:
                        got.append(payload)
                        have += len(payload)
                joined = b"".join(got)
                if joined != self.c.last_sent[1][:total] or have != total:
                    raise Failure("binary echo differs: %d bytes in %d messages" % (have, len(got)))
                self.out("ok binary %d in %d message(s)" % (total, len(got)))
            elif cmd == "await-binary":
                want = bytes.fromhex(arg())
                while self.data(deadline, "binary %s" % want.hex()) != (2, want):
                    pass
                self.out("ok binary " + want.hex())
            elif cmd == "await-binary-joined":
                want = arg().encode()
                joined = b""
                while want not in joined:
                    op, payload = self.data(deadline, "binary messages holding %r" % want)
                    if op == 2:
                        joined += payload
                self.out("ok joined %d" % len(joined))
            elif cmd == "await-binary-prefix":
                want = arg().encode()
                size = int(arg())
                while True:
                    op, payload = self.data(deadline, "binary %r (%d bytes)" % (want, size))
                    if op == 2 and payload.startswith(want) and len(payload) == size:
                        break
                self.out("ok binary %d" % size)
            elif cmd == "await-close":
                want = int(args[i]) if i < len(args) and args[i].isdigit() else None
                if want is not None:
                    i += 1
                while True:
                    op, payload = self.message(deadline, "the server's close")
                    if op == 8:
                        break
                code = code_of(payload)
                if want is not None and code != want:
                    raise Failure("close code %d, expected %d" % (code, want))
                try:
                    self.c.send_frame(8, payload[:2])
                except OSError:
                    pass
                self.out("closed %d %s" % (code, payload[2:].decode("latin-1")))
            elif cmd == "count-text-prefix":
                want = arg().encode()
                end = time.time() + float(arg())
                count = 0
                while True:
                    try:
                        op, payload = self.data(end, "")
                    except Failure as e:
                        if str(e).startswith("timed out"):
                            break
                        raise
                    if op == 1 and payload.startswith(want):
                        count += 1
                self.out("count %d" % count)
            elif cmd == "ping":
                data = arg().encode()
                self.c.send_frame(9, data)
                self.await_pong(data, deadline)
            elif cmd == "close":
                code = int(arg())
                self.c.send_frame(8, struct.pack("!H", code))
                while True:
                    op, payload = self.message(deadline, "the server's close")
                    if op == 8:
                        self.out("closed %d" % code_of(payload))
                        break
            elif cmd == "barrier":
                self.barrier.wait(timeout=self.timeout)
            elif cmd == "sleep":
                time.sleep(float(arg()))
            else:
                raise Failure("unknown command " + cmd)
        self.out("done")

    def open(self, path):
        self.c.handshake(path)
        self.out("open")

    def await_pong(self, data, deadline):
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise Failure("timed out awaiting the pong")
            self.c.sock.settimeout(left)
            try:
                fin, op, payload = self.c.read_frame()
            except socket.timeout:
                raise Failure("timed out awaiting the pong")
            finally:
                self.c.sock.settimeout(15)
            if op == 9:
                self.c.send_frame(10, payload)
            elif op == 10 and payload == data:
                self.out("pong " + data.decode("latin-1"))
                return
            elif op == 8:
                raise Failure("closed while awaiting the pong")


def main(argv):
    host, port = argv[0], int(argv[1])
    args = argv[2:]
    clients, timeout, sync = 1, 15.0, None
    while args and args[0].startswith("--"):
        if args[0] == "--clients":
            clients = int(args[1])
        elif args[0] == "--sync":
            sync = (args[1], args[2])
            args = args[1:]
        elif args[0] == "--timeout":
            timeout = float(args[1])
        else:
            raise SystemExit("unknown option " + args[0])
        args = args[2:]
    if sync:
        # Waits for a broadcast that follows a periodic action of the example (e.g. its
        # cleanupClients()), so the script starts right after it: one connection, closed.
        try:
            Session(host, port, 0, "sync: ", timeout, None).run(
                ["open", sync[0], "await-text-prefix", sync[1], "sleep", "0.1", "close", "1000"])
        except (Failure, OSError) as e:
            print("FAILED: sync:", e, flush=True)
            return 1
    if clients == 1:
        try:
            Session(host, port, 0, "", timeout, None).run(args)
        except (Failure, OSError, threading.BrokenBarrierError) as e:
            print("FAILED:", e, flush=True)
            return 1
        return 0

    barrier = threading.Barrier(clients)
    failed = []

    def client(index):
        s = Session(host, port, index, "[%d] " % index, timeout, barrier)
        try:
            s.run(args)
        except (Failure, OSError, threading.BrokenBarrierError) as e:
            say(s.prefix, "FAILED: %s" % e)
            failed.append(index)
            barrier.abort()  # the others must not wait for this one

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    say("", "clients %d failed %d" % (clients, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
