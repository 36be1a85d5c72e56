#!/usr/bin/env python3
"""A loopback HTTP/1.1 server that answers every request after a fixed delay.

Usage: delay_server.py --port-file FILE [--delay-ms 100]

Binds 127.0.0.1 on a free port and writes the port to FILE. Every request is answered 200 after
--delay-ms. The server records, per request, how long it held the request: from the moment the
request head was read to the moment the response was handed to the kernel. GET /__holds returns
and clears that record as JSON ([[path, seconds], ...] in arrival order), so a benchmark can
match each reported duration with what the server actually did. Stdlib only.
"""
import argparse
import os
import json
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    holds = []
    lock = threading.Lock()
    delay = 0.1

    def log_message(self, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self, body):
        start = time.perf_counter()
        if self.path != "/__holds":
            # Sleep in slices so an overshoot of the OS timer is corrected, not accumulated.
            deadline = start + self.delay
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                time.sleep(left if left < 0.002 else left - 0.001)
        else:
            with Handler.lock:
                body = json.dumps(Handler.holds).encode()
                Handler.holds = []
        # One write, TCP_NODELAY set in setup(): no Nagle/delayed-ACK stall inflates a duration.
        head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.wfile.write(head + body)
        self.wfile.flush()
        if self.path != "/__holds":
            held = time.perf_counter() - start
            with Handler.lock:
                Handler.holds.append([self.path, held])

    def do_GET(self):
        self._answer(b"ok\n")

    def do_HEAD(self):
        self._answer(b"")


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--delay-ms", type=float, default=100.0)
    args = parser.parse_args()
    Handler.delay = args.delay_ms / 1000.0
    server = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever(poll_interval=0.5)


if __name__ == "__main__":
    main()
