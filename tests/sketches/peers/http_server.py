#!/usr/bin/env python3
"""HTTP/1.1 server for the HttpClient sketch test.

GET of any path answers 200 with a body of BODY_BYTES deterministic bytes and a
Content-Length. Prints "ready" once listening and, for each request, its request line
and headers as "request: ..." / "header: ..." lines (flushed).
"""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body_bytes = 0

    def do_GET(self):
        print(f"request: {self.requestline}", flush=True)
        for name, value in self.headers.items():
            print(f"header: {name}: {value}", flush=True)
        body = bytes(ord("a") + i % 26 for i in range(self.body_bytes))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port, Handler.body_bytes = int(sys.argv[1]), int(sys.argv[2])
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


main()
