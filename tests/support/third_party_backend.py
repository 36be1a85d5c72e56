#!/usr/bin/env python3
"""A backend written independently of healthgap's own demo backends, to test against.

Each --mode reproduces one way a health endpoint and the real API can disagree (or agree):

  honest          health 200, API 200
  shallow         health 200 without checking anything, API 500
  pool            health 200 on its own connection; API waits for a pool slot, then 503
  cached          health 200 served from a stale cache (Age, Cache-Control), API 500
  deadlock        health 200 from a separate thread; API handlers hang far beyond any timeout
  false-negative  health 503 (a dependency the API does not need), API 200
  both-5xx        health 503, API 500: really down
  flapping        health alternates 200 / 503, API 200
  degraded        health 200 but its body reports redis failing, API 200

Health answers on /health, /healthz and /ready; the API on every path under /api/.
Anything else is 404.

Binds 127.0.0.1 on an ephemeral port, prints that port as its first stdout line, and exits on
SIGTERM, SIGINT or when stdin closes (so it never outlives the test that started it).
Python 3 standard library only.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = (
    "honest",
    "shallow",
    "pool",
    "cached",
    "deadlock",
    "false-negative",
    "both-5xx",
    "flapping",
    "degraded",
)
HEALTH_PATHS = ("/health", "/healthz", "/ready")

# Set on shutdown so that handlers parked by the deadlock mode return and threads end.
released = threading.Event()


class Backend:
    def __init__(self, mode, pool_wait_seconds, hang_seconds):
        self.mode = mode
        self.pool_wait_seconds = pool_wait_seconds
        self.hang_seconds = hang_seconds
        self.started = time.time()
        self.lock = threading.Lock()
        self.health_count = 0

    def health(self):
        """Returns (status, headers, body) for a health request."""
        if self.mode in ("false-negative", "both-5xx"):
            return 503, {}, {"status": "unavailable", "checks": {"reporting": "down"}}
        if self.mode == "flapping":
            with self.lock:
                self.health_count += 1
                passing = self.health_count % 2 == 1
            if passing:
                return 200, {}, {"status": "ok"}
            return 503, {}, {"status": "unavailable"}
        if self.mode == "cached":
            # The answer a cache computed an hour ago, served as if it were fresh.
            headers = {"Age": "3600", "Cache-Control": "public, max-age=86400"}
            return 200, headers, {"status": "ok", "checked_at": self.started - 3600}
        if self.mode == "degraded":
            # The reference text's deep check, answering 200 whatever it found.
            return 200, {}, {"database": "ok", "redis": "error: Connection refused"}
        return 200, {}, {"status": "ok"}

    def api(self):
        """Returns (status, headers, body) for an API request, or None after hanging."""
        if self.mode in ("honest", "false-negative", "flapping", "degraded"):
            return 200, {}, {"items": [1, 2, 3]}
        if self.mode == "pool":
            # Waiting for a database connection that never frees up, then giving up.
            time.sleep(self.pool_wait_seconds)
            return 503, {}, {"error": "connection pool exhausted"}
        if self.mode == "deadlock":
            released.wait(self.hang_seconds)
            return None
        return 500, {}, {"error": "Internal Server Error"}


def make_handler(backend):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path in HEALTH_PATHS:
                answer = backend.health()
            elif path.startswith("/api/"):
                answer = backend.api()
            else:
                answer = (404, {}, {"error": "not found"})
            if answer is None:
                self.close_connection = True
                return
            status, headers, body = answer
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_HEAD = do_GET

        def log_message(self, format, *args):  # noqa: A002 (signature is the base class's)
            pass  # Tests read stdout for the port; keep stderr quiet too.

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, default="honest")
    parser.add_argument(
        "--pool-wait-ms", type=int, default=100,
        help="pool mode: how long the API waits for a connection before answering 503")
    parser.add_argument(
        "--hang-seconds", type=float, default=600,
        help="deadlock mode: how long API handlers hang (released early on shutdown)")
    args = parser.parse_args()

    backend = Backend(args.mode, args.pool_wait_ms / 1000.0, args.hang_seconds)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(backend))
    server.daemon_threads = True  # hung handlers must not keep the process alive

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        # Whoever started us is gone or done once stdin closes. Raw reads: a buffered reader
        # would hold its lock at interpreter shutdown and abort the process.
        try:
            while os.read(0, 4096):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    # A short poll interval makes shutdown prompt.
    serving = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    serving.start()

    print(server.server_address[1], flush=True)

    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(0.05):
        pass
    released.set()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
