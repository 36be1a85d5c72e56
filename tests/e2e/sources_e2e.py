#!/usr/bin/env python3
"""End-to-end: the `prometheus` source, for the LB view and for real traffic, with a real
Prometheus, a real HAProxy 2.6 (its built-in Prometheus exporter) and the shipped rules.

    python3 tests/e2e/sources_e2e.py --healthgap build/src/cli/healthgap [--repo DIR]

Starts, on 127.0.0.1 with free ports and a temp dir:
  - an application (in this script) whose /health is switchable (200 or 302), whose /api/data
    is switchable (200 or 500), and whose /metrics exports its own http_requests_total{code};
  - users (a thread in this script) sending GET /api/data to it, bounded in count and time;
  - `haproxy` checking it (`http-check expect status 200`) with its Prometheus exporter on;
  - `prometheus` scraping the application, HAProxy and healthgap every second, with
    rules/*.rules.yml (every `for:` -> 5s);
  - `healthgap serve` with two prometheus sources: haproxy_server_status as the target's
    lb_source, the application's own counters as its traffic_source.

Asserts, each within a bounded wait:
  1. healthy, with both views decided by Prometheus (healthgap_view_source);
  2. the API fails while /health passes: the verdict is mismatch from the users' requests
     (view api=prometheus) and HealthCheckVsErrorRateMismatch fires in Prometheus;
  3. the API recovers and /health answers 302: HAProxy takes the server out, the haproxy
     preset's 200-399 keeps it in: healthgap_lb_emulation_drift is 1 and
     HealthgapLbEmulationDrift fires.
"""
import argparse
import glob
import http.server
import json
import os
import re
import shutil
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alerting_e2e import (E2EFailure, e2e_session, free_port, http_get,  # noqa: E402
                          wait_for)

TEST_FOR = "5s"


class App:
    """The application: switchable health and API, and its own request counters."""

    def __init__(self):
        self.health_status = 200
        self.api_status = 200
        self.counts = {}
        self.lock = threading.Lock()
        app = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/metrics":
                    with app.lock:
                        lines = [f'http_requests_total{{code="{c}"}} {n}'
                                 for c, n in sorted(app.counts.items())]
                    self.reply(200, "# TYPE http_requests_total counter\n" + "\n".join(lines)
                               + "\n", "text/plain; version=0.0.4")
                elif self.path == "/health":
                    status = app.health_status
                    self.reply(status, "ok\n", "text/plain",
                               {"Location": "/elsewhere"} if status == 302 else {})
                elif self.path == "/api/data":
                    status = app.api_status
                    with app.lock:
                        app.counts[status] = app.counts.get(status, 0) + 1
                    self.reply(status, "x\n", "text/plain")
                else:
                    self.reply(404, "no\n", "text/plain")

            def reply(self, status, body, ctype, headers=None):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # HAProxy ends its checks with a reset: not worth a traceback

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class Users:
    """Users of the API: at most 20,000 requests, for at most 180 s."""

    def __init__(self, port):
        self.stopping = False
        self.sent = 0
        url = f"http://127.0.0.1:{port}/api/data"

        def run():
            deadline = time.monotonic() + 180
            while not self.stopping and self.sent < 20000 and time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(url, timeout=2).read()
                except OSError:
                    pass  # a 500 raises HTTPError: the app counted it
                self.sent += 1
                time.sleep(0.02)  # pacing the load, not waiting for something
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=10)


def metric_value(text, name, labels):
    """The value of the sample `name{labels...}` (labels a dict, matched as a subset)."""
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


def firing(prom, alertname, target):
    data = json.loads(http_get(f"{prom}/api/v1/alerts")[1])["data"]["alerts"]
    return any(a["labels"].get("alertname") == alertname and a["labels"].get("target") == target
               and a["state"] == "firing" for a in data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--healthgap", required=True)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--haproxy", default="haproxy")
    args = ap.parse_args()
    for tool in (args.healthgap, args.prometheus, args.haproxy):
        if not shutil.which(tool):
            raise E2EFailure(f"{tool} not found")
    tmp, children = e2e_session("healthgap-sources-e2e-")
    app = App()
    users = None
    ok = False
    try:
        ports = {k: free_port() for k in ("healthgap", "prometheus", "haproxy_metrics")}
        prom = f"http://127.0.0.1:{ports['prometheus']}"
        hg = f"http://127.0.0.1:{ports['healthgap']}"

        with open(os.path.join(tmp, "haproxy.cfg"), "w", encoding="utf-8") as f:
            f.write(f"""global
  stats socket {tmp}/admin.sock mode 600 level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend metrics
  bind 127.0.0.1:{ports['haproxy_metrics']}
  http-request use-service prometheus-exporter if {{ path /metrics }}
backend app
  option httpchk GET /health
  http-check expect status 200
  server s1 127.0.0.1:{app.port} check inter 500ms rise 1 fall 1
""")
        children.start("haproxy", [shutil.which(args.haproxy), "-f",
                                   os.path.join(tmp, "haproxy.cfg"), "-db"])

        pdir = os.path.join(tmp, "prometheus")
        os.makedirs(os.path.join(pdir, "rules"))
        for path in sorted(glob.glob(os.path.join(args.repo, "rules", "*.rules.yml"))):
            with open(path, encoding="utf-8") as f:
                text = re.sub(r"^(\s*)for:\s*\S+\s*$", rf"\g<1>for: {TEST_FOR}", f.read(),
                              flags=re.M)
            with open(os.path.join(pdir, "rules", os.path.basename(path)), "w",
                      encoding="utf-8") as f:
                f.write(text)
        with open(os.path.join(pdir, "prometheus.yml"), "w", encoding="utf-8") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["{pdir}/rules/*.rules.yml"]
scrape_configs:
  - job_name: app
    static_configs: [{{targets: ["127.0.0.1:{app.port}"]}}]
  - job_name: haproxy
    static_configs: [{{targets: ["127.0.0.1:{ports['haproxy_metrics']}"]}}]
  - job_name: healthgap
    static_configs: [{{targets: ["127.0.0.1:{ports['healthgap']}"]}}]
""")
        children.start("prometheus", [
            shutil.which(args.prometheus),
            f"--config.file={os.path.join(pdir, 'prometheus.yml')}",
            f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
        ])

        config = os.path.join(tmp, "healthgap.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f"""sources:
  - name: prom-lb
    type: prometheus
    url: {prom}
    target_label: server
    lb_query: 'haproxy_server_status{{proxy="app",state="UP"}}'
    interval: 1s
  - name: prom-app
    type: prometheus
    url: {prom}
    requests_query: 'sum by (instance) (http_requests_total{{job="app"}})'
    failures_query: 'sum by (instance) (http_requests_total{{job="app",code=~"5.."}})'
    interval: 1s
targets:
  - name: shop
    url: http://127.0.0.1:{app.port}
    lb: haproxy
    lb_source: {{source: prom-lb, server: s1}}
    traffic_source: {{source: prom-app}}
    health: {{path: /health, interval: 500ms, timeout: 400ms}}
    samples: [{{path: /api/data, interval: 5s, timeout: 1s}}]
    evaluation: {{window: 30s}}
""")
        children.start("healthgap", [os.path.abspath(shutil.which(args.healthgap)), "serve",
                                     "--config", config,
                                     "--web.listen-address", f"127.0.0.1:{ports['healthgap']}"])
        wait_for("prometheus ready", lambda: http_get(f"{prom}/-/ready")[0] == 200, 30, children)
        wait_for("healthgap /metrics", lambda: "healthgap_verdict" in http_get(f"{hg}/metrics")[1],
                 30, children)
        users = Users(app.port)

        def views(lb, api, verdict):
            text = http_get(f"{hg}/metrics")[1]
            return (metric_value(text, "healthgap_view_source",
                                 {"target": "shop", "view": "lb", "source": lb}) == 1 and
                    metric_value(text, "healthgap_view_source",
                                 {"target": "shop", "view": "api", "source": api}) == 1 and
                    metric_value(text, "healthgap_verdict",
                                 {"target": "shop", "verdict": verdict}) == 1)

        # 1. Healthy, both views from Prometheus.
        wait_for("shop healthy with both views from prometheus",
                 lambda: views("prometheus", "prometheus", "healthy"), 60, children)
        print("1. healthy: lb and api views decided by the prometheus sources", flush=True)

        # 2. The API fails; /health still passes, HAProxy keeps s1 UP.
        app.api_status = 500
        start = time.monotonic()
        wait_for("mismatch from users' requests",
                 lambda: views("prometheus", "prometheus", "mismatch"), 60, children)
        print(f"2. mismatch from the app's own counters after {time.monotonic() - start:.1f} s",
              flush=True)
        wait_for("HealthCheckVsErrorRateMismatch firing",
                 lambda: firing(prom, "HealthCheckVsErrorRateMismatch", "shop"), 60, children)
        print("   HealthCheckVsErrorRateMismatch fires", flush=True)

        # 3. The API recovers; /health answers 302: HAProxy (expect 200) takes s1 out, the
        # haproxy preset (200-399) keeps it in.
        app.api_status = 200
        app.health_status = 302

        def drift():
            text = http_get(f"{hg}/metrics")[1]
            return metric_value(text, "healthgap_lb_emulation_drift",
                                {"target": "shop", "source": "prom-lb"}) == 1
        wait_for("healthgap_lb_emulation_drift 1", drift, 60, children)
        wait_for("HealthgapLbEmulationDrift firing",
                 lambda: firing(prom, "HealthgapLbEmulationDrift", "shop"), 60, children)
        print("3. the 302: drift 1, HealthgapLbEmulationDrift fires", flush=True)
        ok = True
    finally:
        if users:
            users.stop()
        children.stop_all()
        app.stop()
        if not ok:
            children.print_logs()
        shutil.rmtree(tmp, ignore_errors=True)
    print("sources e2e: OK")


if __name__ == "__main__":
    try:
        main()
    except E2EFailure as ex:
        print(f"FAIL: {ex}", file=sys.stderr)
        sys.exit(1)
