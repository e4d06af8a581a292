#!/usr/bin/env python3
"""A scripted RFC 6455 WebSocket client (standard library only) for the example tests.

Usage: ws_client.py HOST PORT COMMAND [ARG] ...

Commands, run in order; the first failure exits with status 1 and says why:
  open PATH               handshake (checks 101 and Sec-WebSocket-Accept)
  send-text TEXT          one text message
  send-text-size N        a text message of N pattern bytes
  send-binary-size N      a binary message of N pattern bytes
  expect-text TEXT        the next data message is this text
  expect-text-contains S  the next data message is text containing S
  expect-echo             the next data message equals the last one sent (type and bytes)
  expect-binary-size N    the next data message is binary, N bytes
  recv                    prints the next data message: "text <text>" or "binary <size>"
  drain SECONDS           prints every data message arriving in that time
  ping DATA               sends a ping and expects the matching pong
  close CODE              sends a close frame, expects the server's, prints "closed <code>"
  expect-close [CODE]     the server closes (with CODE); prints "closed <code>"
  sleep SECONDS
Prints one line per event. Server pings are answered; fragmented messages are joined.
"""
import base64
import hashlib
import os
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Failure(Exception):
    pass


def pattern(n):
    return bytes((i * 31 + 7) % 95 + 32 for i in range(n))


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=15)
        self.buf = b""
        self.host = host
        self.last_sent = None

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Failure("connection closed by the server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def handshake(self, path):
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Failure("closed during the handshake: %r" % self.buf)
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise Failure("handshake answered: " + lines[0])
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
                   for l in lines[1:] if ":" in l}
        want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != want:
            raise Failure("bad Sec-WebSocket-Accept: %r" % headers.get("sec-websocket-accept"))

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 4096 else \
            (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")
             ).to_bytes(n, "big")
        self.sock.sendall(head + mask + masked)

    def read_frame(self):
        b0, b1 = self.read_exact(2)
        if b1 & 0x80:
            raise Failure("the server masked a frame")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self.read_exact(n)

    def next_message(self):
        """(opcode, payload) of the next data message, or (8, payload) for a close."""
        parts, first = [], None
        while True:
            fin, op, payload = self.read_frame()
            if op == 9:
                self.send_frame(10, payload)
                continue
            if op == 10:
                print("pong", payload.decode("latin-1"), flush=True)
                continue
            if op == 8:
                return 8, payload
            if op != 0:
                first = op
            parts.append(payload)
            if fin:
                return first, b"".join(parts)


def code_of(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


def main(argv):
    c = Client(argv[0], int(argv[1]))
    args = argv[2:]
    i = 0

    def arg():
        nonlocal i
        i += 1
        return args[i - 1]

    while i < len(args):
        cmd = arg()
        if cmd == "open":
            c.handshake(arg())
            print("open", flush=True)
        elif cmd == "send-text":
            c.last_sent = (1, arg().encode())
            c.send_frame(*c.last_sent)
        elif cmd == "send-text-size":
            c.last_sent = (1, pattern(int(arg())))
            c.send_frame(*c.last_sent)
        elif cmd == "send-binary-size":
            c.last_sent = (2, pattern(int(arg())))
            c.send_frame(*c.last_sent)
        elif cmd in ("expect-text", "expect-text-contains", "expect-echo", "expect-binary-size",
                     "recv"):
            op, data = c.next_message()
            if op == 8:
                raise Failure("%s: the server closed (%d)" % (cmd, code_of(data)))
            if cmd == "recv":
                print("text " + data.decode() if op == 1 else "binary %d" % len(data), flush=True)
            elif cmd == "expect-text":
                want = arg()
                if op != 1 or data.decode() != want:
                    raise Failure("expected text %r, got op %d %r" % (want, op, data[:200]))
            elif cmd == "expect-text-contains":
                want = arg()
                if op != 1 or want not in data.decode():
                    raise Failure("expected text containing %r, got op %d %r" % (want, op, data[:200]))
            elif cmd == "expect-binary-size":
                want = int(arg())
                if op != 2 or len(data) != want:
                    raise Failure("expected %d binary bytes, got op %d, %d bytes" % (want, op, len(data)))
            else:
                if (op, data) != c.last_sent:
                    raise Failure("no echo: sent op %d %d bytes, got op %d %d bytes" %
                                  (c.last_sent[0], len(c.last_sent[1]), op, len(data)))
            if cmd != "recv":
                print("ok " + cmd, flush=True)
        elif cmd == "drain":
            end = time.time() + float(arg())
            while time.time() < end:
                c.sock.settimeout(max(0.01, end - time.time()))
                try:
                    op, data = c.next_message()
                except socket.timeout:
                    break
                if op == 8:
                    print("closed %d" % code_of(data), flush=True)
                    return 0
                print("text " + data.decode() if op == 1 else "binary %d" % len(data), flush=True)
            c.sock.settimeout(15)
        elif cmd == "ping":
            data = arg().encode()
            c.send_frame(9, data)
            while True:
                fin, op, payload = c.read_frame()
                if op == 10:
                    if payload != data:
                        raise Failure("pong %r for ping %r" % (payload, data))
                    print("pong", data.decode(), flush=True)
                    break
                if op == 8:
                    raise Failure("closed while waiting for a pong")
        elif cmd == "close":
            code = int(arg())
            c.send_frame(8, struct.pack("!H", code))
            while True:
                op, data = c.next_message()
                if op == 8:
                    print("closed %d" % code_of(data), flush=True)
                    break
        elif cmd == "expect-close":
            want = int(args[i]) if i < len(args) and args[i].isdigit() else None
            if want is not None:
                i += 1
            op, data = c.next_message()
            if op != 8:
                raise Failure("expected a close, got op %d" % op)
            if want is not None and code_of(data) != want:
                raise Failure("close code %d, expected %d" % (code_of(data), want))
            print("closed %d" % code_of(data), flush=True)
        elif cmd == "sleep":
            time.sleep(float(arg()))
        else:
            raise Failure("unknown command " + cmd)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (Failure, OSError) as e:
        print("FAILED:", e, flush=True)
        sys.exit(1)
