#!/usr/bin/python3
"""The application chaos_e2e.py breaks: an HTTP API over a real PostgreSQL and a real Redis,
reached through healthgap's fault proxies. Debian's psycopg2 and redis clients, each call
bounded by a 1 s timeout as a production app's would be.

    chaos_app.py --port P --pg-port PG --redis-port R [--deep]

GET /health      the readiness check: Redis PING only (the reference's shallow check), or with
                 --deep also `SELECT 1` on PostgreSQL (the reference's fix); 200 or 503
GET /api/items   a PostgreSQL query and a Redis read, as a real endpoint; 200 or 500
GET /api/count   a PostgreSQL query only; 200 or 500
"""
import argparse
import http.server
import json

import psycopg2
import redis

TIMEOUT_S = 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pg-port", type=int, required=True)
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--deep", action="store_true")
    args = parser.parse_args()

    def postgres(query):
        # A fresh connection per request: what a pool re-creates after a reset, and no state
        # that outlives a fault.
        conn = psycopg2.connect(host="127.0.0.1", port=args.pg_port, user="healthgap",
                                dbname="postgres", connect_timeout=TIMEOUT_S,
                                options=f"-c statement_timeout={TIMEOUT_S * 1000}")
        try:
            with conn.cursor() as cur:
                cur.execute(query)
                return cur.fetchone()[0]
        finally:
            conn.close()

    def cache():
        return redis.Redis(host="127.0.0.1", port=args.redis_port, socket_timeout=TIMEOUT_S,
                           socket_connect_timeout=TIMEOUT_S)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_GET(self):
            try:
                if self.path == "/health":
                    cache().ping()
                    if args.deep:
                        postgres("SELECT 1")
                    self.reply(200, {"status": "ok"})
                elif self.path == "/api/items":
                    items = postgres("SELECT count(*) FROM generate_series(1, 10)")
                    hits = cache().incr("hits")
                    self.reply(200, {"items": items, "hits": hits})
                elif self.path == "/api/count":
                    self.reply(200, {"count": postgres("SELECT 42")})
                else:
                    self.reply(404, {"error": "no such path"})
            except (psycopg2.Error, redis.RedisError, OSError) as ex:
                failing = 503 if self.path == "/health" else 500
                self.reply(failing, {"error": type(ex).__name__})

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
