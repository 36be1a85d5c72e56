#!/usr/bin/env python3
"""End-to-end: healthgap demo -> real Prometheus (shipped rules) -> real Alertmanager.

    python3 tests/e2e/alerting_e2e.py --healthgap build/src/cli/healthgap [--repo DIR]

Starts, on 127.0.0.1 with free ports (bind port 0, read, close) and a temp dir:
  - `healthgap demo --web.listen-address 127.0.0.1:P` (one demo backend per failure mode);
  - `prometheus` with deploy/prometheus/prometheus.yml and rules/*.rules.yml;
  - `prometheus-alertmanager` with deploy/alertmanager/alertmanager.yml.

What the test changes in the shipped files, and nothing else:
  - prometheus.yml: the three addresses (healthgap:9310, alertmanager:9093, localhost:9090 ->
    the loopback ports) and the two intervals (scrape_interval / evaluation_interval 15s -> 1s);
  - rules: every `for:` -> 5s, so alerts fire within seconds instead of minutes;
  - alertmanager.yml: unchanged (the listen address and `--cluster.listen-address=` are
    command-line flags).

Asserts:
  1. every rule group loads and every rule evaluates without error against real data;
  2. through Alertmanager's API (/api/v2/alerts), within a bounded wait:
     HealthCheckVsErrorRateMismatch is active for shallow-health, pool-exhaustion,
     cached-health, deadlock, detached, tcp-checked and grpc-checked; HealthCheckFalseNegative for false-negative;
     HealthCheckReportsDegradedDependency for degraded; at no point is any alert active for
     `honest`, `flaky` or `slow`, nor a mismatch for `false-negative`; then no other alert
     is active (HealthgapProbesLagging only reported) and none is even pending for the
     silent three;
  3. every PromQL query of every dashboard panel (and annotation) returns data from that
     Prometheus ($__rate_interval -> 1m; $target -> shallow-health, or for panels about what
     a lying shallow check lacks, such as body components, the degraded target).
Every wait polls with a deadline; no sleeps waiting for things. Children are killed on exit,
failure included (and by the kernel if this script dies: PR_SET_PDEATHSIG); on failure their
logs are printed.
"""
import argparse
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboards_lint  # noqa: E402  (queries(), substitute())

LYING = ["shallow-health", "pool-exhaustion", "cached-health", "deadlock", "detached", "tcp-checked",
         "grpc-checked"]
HONEST = "honest"
FALSE_NEGATIVE = "false-negative"
DEGRADED = "degraded"
# Demo targets that must stay silent: the honest one, and two whose API is fine
# (1% errors within budget; slow but within its latency budget).
SILENT = [HONEST, "flaky", "slow"]
TEST_FOR = "5s"
TEST_INTERVAL = "1s"
POLL = 0.5  # seconds between polls


class E2EFailure(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Children:
    """The processes this test started; all are stopped by stop_all()."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []  # (name, Popen, log path)

    def start(self, name, argv):
        log = os.path.join(self.tmp, f"{name}.log")
        print(f"starting {name}: {' '.join(argv)}", flush=True)
        f = open(log, "wb")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             preexec_fn=_die_with_parent, cwd=self.tmp)
        f.close()
        self.procs.append((name, p, log))
        return p

    def check_alive(self):
        for name, p, _ in self.procs:
            if p.poll() is not None:
                raise E2EFailure(f"{name} exited early with status {p.returncode}")

    def stop_all(self):
        for _, p, _ in self.procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 10
        for _, p, _ in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)

    def print_logs(self, lines=80):
        for name, _, log in self.procs:
            print(f"\n===== {name} log (last {lines} lines): {log} =====")
            try:
                with open(log, encoding="utf-8", errors="replace") as f:
                    print("".join(f.readlines()[-lines:]), end="")
            except OSError as ex:
                print(f"(cannot read: {ex})")


def e2e_session(prefix):
    """A temp dir and the Children that will live in it. SIGTERM and SIGINT become E2EFailure,
    so the caller's `finally` still stops every child and prints their logs."""
    def on_signal(signum, _frame):
        raise E2EFailure(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tmp = tempfile.mkdtemp(prefix=prefix)
    return tmp, Children(tmp)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", errors="replace")


def wait_for(what, predicate, deadline_s, children):
    """Polls predicate() (truthy = done) until it holds or deadline_s runs out."""
    deadline = time.monotonic() + deadline_s
    last = None
    while True:
        children.check_alive()
        try:
            result = predicate()
            if result:
                return result
        except (urllib.error.URLError, OSError, ValueError) as ex:
            last = ex
        if time.monotonic() >= deadline:
            raise E2EFailure(f"timed out after {deadline_s}s waiting for {what}"
                             + (f" (last error: {last})" if last else ""))
        time.sleep(POLL)


def replace_once(text, old, new, what):
    if text.count(old) != 1:
        raise E2EFailure(f"{what}: expected exactly one {old!r} to template, found "
                         f"{text.count(old)}; keep the shipped config and this test in sync")
    return text.replace(old, new)


def prepare_prometheus(repo, tmp, ports):
    """Copies the shipped Prometheus config and rules, templating only what the docstring says."""
    pdir = os.path.join(tmp, "prometheus")
    os.makedirs(os.path.join(pdir, "rules"))
    with open(os.path.join(repo, "deploy/prometheus/prometheus.yml"), encoding="utf-8") as f:
        cfg = f.read()
    cfg = replace_once(cfg, "healthgap:9310", f"127.0.0.1:{ports['healthgap']}", "prometheus.yml")
    cfg = replace_once(cfg, "alertmanager:9093", f"127.0.0.1:{ports['alertmanager']}",
                       "prometheus.yml")
    cfg = replace_once(cfg, "localhost:9090", f"127.0.0.1:{ports['prometheus']}", "prometheus.yml")
    cfg = replace_once(cfg, "scrape_interval: 15s", f"scrape_interval: {TEST_INTERVAL}",
                       "prometheus.yml")
    cfg = replace_once(cfg, "evaluation_interval: 15s", f"evaluation_interval: {TEST_INTERVAL}",
                       "prometheus.yml")
    with open(os.path.join(pdir, "prometheus.yml"), "w", encoding="utf-8") as f:
        f.write(cfg)
    rule_files = sorted(glob.glob(os.path.join(repo, "rules", "*.rules.yml")))
    if not rule_files:
        raise E2EFailure("no rules/*.rules.yml")
    alerts = []
    for path in rule_files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        n_alerts = len(re.findall(r"^\s*-\s*alert:", text, re.M))
        alerts += re.findall(r"^\s*-\s*alert:\s*(\S+)", text, re.M)
        text, n_for = re.subn(r"^(\s*)for:\s*\S+\s*$", rf"\g<1>for: {TEST_FOR}", text, flags=re.M)
        if n_for != n_alerts:
            raise E2EFailure(f"{path}: {n_alerts} alerts but {n_for} `for:` lines overridden")
        with open(os.path.join(pdir, "rules", os.path.basename(path)), "w",
                  encoding="utf-8") as f:
            f.write(text)
    return pdir, set(alerts)


def am_alerts(am):
    _, body = http_get(f"{am}/api/v2/alerts?active=true&silenced=true&inhibited=true")
    return json.loads(body)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--healthgap", required=True, help="path to the healthgap binary")
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--alertmanager", default="prometheus-alertmanager")
    ap.add_argument("--alert-deadline", type=float, default=150)
    ap.add_argument("--query-deadline", type=float, default=60)
    args = ap.parse_args()

    missing = [t for t in (args.healthgap, args.prometheus, args.alertmanager)
               if not shutil.which(t)]
    if missing:
        print(f"FAIL: required programs not found: {missing} "
              "(Debian 12: scripts/install-deps.sh; build target healthgap)")
        return 1

    tmp, children = e2e_session("healthgap-e2e-")
    ok = False
    try:
        ports = {k: free_port() for k in ("healthgap", "prometheus", "alertmanager")}
        hg = f"http://127.0.0.1:{ports['healthgap']}"
        prom = f"http://127.0.0.1:{ports['prometheus']}"
        am = f"http://127.0.0.1:{ports['alertmanager']}"
        pdir, alert_names = prepare_prometheus(args.repo, tmp, ports)

        amdir = os.path.join(tmp, "alertmanager")
        os.makedirs(amdir)
        children.start("alertmanager", [
            shutil.which(args.alertmanager),
            f"--config.file={os.path.join(args.repo, 'deploy/alertmanager/alertmanager.yml')}",
            f"--storage.path={amdir}",
            f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
            "--cluster.listen-address=",
        ])
        children.start("healthgap", [
            os.path.abspath(shutil.which(args.healthgap)), "demo",
            "--web.listen-address", f"127.0.0.1:{ports['healthgap']}",
        ])
        children.start("prometheus", [
            shutil.which(args.prometheus),
            f"--config.file={os.path.join(pdir, 'prometheus.yml')}",
            f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
        ])

        wait_for("alertmanager ready", lambda: http_get(f"{am}/-/ready")[0] == 200, 30, children)
        wait_for("healthgap /metrics",
                 lambda: "healthgap_verdict" in http_get(f"{hg}/metrics")[1], 30, children)
        wait_for("prometheus ready", lambda: http_get(f"{prom}/-/ready")[0] == 200, 30, children)
        print(f"all up: healthgap {hg}, prometheus {prom}, alertmanager {am}", flush=True)

        # 1. Rules load and evaluate cleanly.
        def rules_evaluated():
            data = json.loads(http_get(f"{prom}/api/v1/rules")[1])["data"]["groups"]
            rules = [r for g in data for r in g["rules"]]
            if any(r.get("lastEvaluation", "").startswith("0001") for r in rules):
                return None  # some rule not evaluated yet
            return rules
        rules = wait_for("every rule evaluated once", rules_evaluated, 30, children)
        loaded_alerts = {r["name"] for r in rules if r["type"] == "alerting"}
        if loaded_alerts != alert_names:
            raise E2EFailure(f"Prometheus loaded alerts {sorted(loaded_alerts)}, "
                             f"rule files define {sorted(alert_names)}")
        print(f"rules loaded: {len(rules)} rules, alerts {sorted(loaded_alerts)}")

        # 2. Alerts, as Alertmanager sees them.
        def alerts_as_expected():
            alerts = am_alerts(am)
            by_name = {}
            for a in alerts:
                lab = a.get("labels", {})
                by_name.setdefault(lab.get("alertname"), set()).add(lab.get("target"))
                if lab.get("target") in SILENT:
                    raise E2EFailure(f"alert active for {lab.get('target')}: {lab}")
                if (lab.get("target") == FALSE_NEGATIVE and
                        lab.get("alertname") == "HealthCheckVsErrorRateMismatch"):
                    raise E2EFailure(f"mismatch alert for {FALSE_NEGATIVE}: {lab}")
            mismatch = by_name.get("HealthCheckVsErrorRateMismatch", set())
            fn = by_name.get("HealthCheckFalseNegative", set())
            degraded = by_name.get("HealthCheckReportsDegradedDependency", set())
            print(f"  alertmanager: mismatch={sorted(t for t in mismatch if t)} "
                  f"false-negative={sorted(t for t in fn if t)} "
                  f"degraded={sorted(t for t in degraded if t)}", flush=True)
            return (set(LYING) <= mismatch and FALSE_NEGATIVE in fn and DEGRADED in degraded
                    and alerts)
        t0 = time.monotonic()
        alerts = wait_for("HealthCheckVsErrorRateMismatch for every lying target in "
                          "Alertmanager", alerts_as_expected, args.alert_deadline, children)
        print(f"alerts as expected after {time.monotonic() - t0:.0f}s")
        for a in alerts:
            lab, ann = a["labels"], a.get("annotations", {})
            if lab["alertname"] == "HealthCheckVsErrorRateMismatch" and lab.get("target") in LYING:
                for key in ("summary", "description", "runbook_url"):
                    if not ann.get(key):
                        raise E2EFailure(f"alert {lab} has no {key} annotation")
                if lab.get("severity") != "critical":
                    raise E2EFailure(f"alert {lab} is not critical")
                print(f"  {lab['target']}: {ann['description']}")
        # Nothing else fires: per-target alerts only where expected, and the exporter is up
        # with its config loaded. (HealthgapProbesLagging is reported, not failed on: a machine
        # shared with parallel builds can delay probes for real.)
        expected = {("HealthCheckVsErrorRateMismatch", t) for t in LYING}
        expected.add(("HealthCheckFalseNegative", FALSE_NEGATIVE))
        expected.add(("HealthCheckReportsDegradedDependency", DEGRADED))
        for a in am_alerts(am):
            key = (a["labels"].get("alertname"), a["labels"].get("target"))
            if key[0] == "HealthgapProbesLagging":
                print(f"  note: {a['labels']} active (machine under load?)")
            elif key not in expected:
                raise E2EFailure(f"unexpected alert in Alertmanager: {a['labels']}")
        # Not even pending for the silent ones, in Prometheus' own view.
        for target in SILENT:
            body = json.loads(http_get(f"{prom}/api/v1/query?" + urllib.parse.urlencode(
                {"query": f'ALERTS{{target="{target}"}}'}))[1])
            if body["data"]["result"]:
                raise E2EFailure(f"alerts pending or firing for {target}: "
                                 f"{body['data']['result']}")
        # No rule failed to evaluate against real data (e.g. many-to-many matching).
        data = json.loads(http_get(f"{prom}/api/v1/rules")[1])["data"]["groups"]
        broken = [(r["name"], r.get("lastError")) for g in data for r in g["rules"]
                  if r.get("health") != "ok"]
        if broken:
            raise E2EFailure(f"rules failing to evaluate: {broken}")

        # 3. Every dashboard query returns data.
        queries = []
        for path in sorted(glob.glob(os.path.join(args.repo, "dashboards", "*.json"))):
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            for where, expr in dashboard_queries(d):
                queries.append((f"{os.path.basename(path)} {where}",
                                [dashboards_lint.substitute(expr, t, "1m")
                                 for t in (LYING[0], DEGRADED)]))
        if not queries:
            raise E2EFailure("no dashboard queries found")
        pending = dict(queries)
        errors = {}

        def all_queries_have_data():
            for where, exprs in list(pending.items()):
                for expr in exprs:
                    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
                    try:
                        body = json.loads(http_get(url)[1])
                    except urllib.error.HTTPError as ex:
                        errors[where] = f"HTTP {ex.code}: {ex.read().decode(errors='replace')}"
                        continue
                    if body.get("status") == "success" and body["data"]["result"]:
                        del pending[where]
                        errors.pop(where, None)
                        break
            return not pending
        try:
            wait_for("every dashboard query to return data", all_queries_have_data,
                     args.query_deadline, children)
        except E2EFailure:
            for where in pending:
                print(f"FAIL no data: {where}\n    {pending[where]}\n    {errors.get(where, '')}")
            raise
        print(f"dashboard queries: {len(queries)} of {len(queries)} return data")
        ok = True
    except E2EFailure as ex:
        print(f"FAIL: {ex}")
    finally:
        children.stop_all()
        if not ok:
            children.print_logs()
        shutil.rmtree(tmp, ignore_errors=True)
    print("alerting_e2e:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def dashboard_queries(d):
    return dashboards_lint.queries(d)


if __name__ == "__main__":
    sys.exit(main())
