#!/usr/bin/env python3
"""healthgap performance harness: one run, side by side (issue 6).

    python3 bench/bench.py --healthgap build-bench/src/cli/healthgap [--smoke] [--docs docs]

Everything runs on 127.0.0.1 on free ports picked at run time, inside a temp dir:

  a. /probe throughput. One nginx (one worker) serves /health and /api/data. The same load
     generator (`wrk`, one thread, same connection count, same duration) drives in turn:
       - nginx directly, keep-alive              (the loopback limit)
       - nginx directly, a new connection each   (the limit for fresh-connection probes)
       - prometheus-blackbox-exporter /probe     (http module: GET /health, 1 request/probe),
         as Debian runs it and again with GOMAXPROCS=1 (a second instance)
       - healthgap /probe, the paired module     (GET /health + GET /api/data, 2 requests/probe)
     Each /probe row rotates over 1,000 distinct targets (paths /t0 .. /t999 on the same nginx),
     as Prometheus scraping many targets would (healthgap keeps per-(module, target) state, so
     hammering a handful of targets would grow each one's window far beyond real use).
     Figures: probes/s, requests/s to the target, p50/p99 latency (wrk's own histogram),
     exporter CPU seconds per 1,000 probes and per 1,000 target requests (utime+stime from
     /proc/PID/stat around the measured run).
  b. Background engine scale: `healthgap serve` with N generated targets (each a 10 s health
     check and one API sample every 5 s, i.e. 0.3 requests/s per target) spread over 8 nginx
     ports. After a warm-up of one health interval: probes/s, exporter CPU per 1,000 probes,
     RSS (and per target over an idle exporter), scheduling-lag p50/p99 from the deltas of
     healthgap_scheduling_lag_seconds over the window, /metrics scrape time and size.
  c. Measurement accuracy: while the engine at N targets runs, sequential /probe requests to a
     server that holds every request 100 ms (bench/delay_server.cc). Each probe names a fresh
     target path, so the server's own record of how long it held that path is matched with the
     duration healthgap reported for it: error = reported - held (and reported - 100 ms).
  d. Start-up: `healthgap serve` with N targets in its config, then with N from a file_sd file:
     time from exec to the first answered /-/ready, RSS then, the target count it logged.

Prints every table and the ratios, writes results.json into --out, and with --docs writes
<docs>/benchmarks.md and <docs>/benchmarks-scale.png (gnuplot). --smoke runs every step for a
second or two with small target counts: it checks the harness completes, its figures mean
nothing. No figure is asserted. Stdlib only.
"""
import argparse
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

HEALTH_INTERVAL_S = 10
SAMPLE_INTERVAL_S = 5
TARGET_PORTS = 32
PROBE_TARGETS = 1000


class BenchError(Exception):
    pass


def log(*parts):
    print(*parts, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count):
    """`count` distinct free ports: the kernel may hand the same one to consecutive binds."""
    ports = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def http_get(url, timeout=30.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def wait_for(what, predicate, deadline_s=20.0, interval=0.05):
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        try:
            if predicate():
                return
        except (OSError, urllib.error.URLError) as exc:
            last = exc
        time.sleep(interval)
    raise BenchError(f"timed out waiting for {what}" + (f": {last}" if last else ""))


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) * 1024


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class Children:
    """Processes this run started; stopped by their own pid, last started first."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []

    def start(self, name, argv, **kwargs):
        out = open(os.path.join(self.tmp, name + ".log"), "wb")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, **kwargs)
        proc.bench_name = name
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc in self.procs:
            self.procs.remove(proc)

    def alive_or_fail(self, proc):
        if proc.poll() is not None:
            path = os.path.join(self.tmp, proc.bench_name + ".log")
            with open(path, errors="replace") as f:
                tail = f.read()[-2000:]
            raise BenchError(f"{proc.bench_name} exited with {proc.returncode}:\n{tail}")

    def stop_all(self):
        for proc in reversed(list(self.procs)):
            self.stop(proc)


# ---------------------------------------------------------------------------------------------
# The loopback targets

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/nginx-body;
  proxy_temp_path {tmp}/nginx-proxy;
  fastcgi_temp_path {tmp}/nginx-fastcgi;
  uwsgi_temp_path {tmp}/nginx-uwsgi;
  scgi_temp_path {tmp}/nginx-scgi;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {{
{listens}
    location / {{ default_type text/plain; return 200 "ok\\n"; }}
    location ~ /api/ {{ default_type application/json; return 200 '{{"items":[1,2,3]}}\\n'; }}
  }}
}}
"""


def start_nginx(children, tmp, nginx):
    ports = free_ports(TARGET_PORTS)
    listens = "\n".join(f"    listen 127.0.0.1:{p} backlog=4096;" for p in ports)
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, listens=listens))
    proc = children.start("nginx", [nginx, "-p", tmp, "-c", conf, "-e", f"{tmp}/nginx-error.log"])

    def ready():
        children.alive_or_fail(proc)
        return http_get(f"http://127.0.0.1:{ports[0]}/health")[0] == 200

    wait_for("nginx", ready)
    return proc, ports


def start_delay_server(children, tmp, delay_server, delay_ms):
    port_file = os.path.join(tmp, "delay.port")
    proc = children.start("delay-server", [delay_server, "--port-file", port_file,
                                           "--delay-ms", str(delay_ms)])
    wait_for("delay server port", lambda: os.path.exists(port_file))
    with open(port_file) as f:
        port = int(f.read())
    wait_for("delay server", lambda: http_get(f"http://127.0.0.1:{port}/__holds")[0] == 200)
    return proc, port


# ---------------------------------------------------------------------------------------------
# The exporters

PROBE_MODULES = """\
modules:
  paired:
    health: {path: /health, timeout: 5s}
    samples:
      - {name: data, path: /api/data, timeout: 5s}
probe:
  allow:
    - cidr: 127.0.0.0/8
"""


# `serve` flags for every exporter started (--engine-flags), e.g. "--probe.io-loops 1".
ENGINE_FLAGS = []


def start_healthgap(children, tmp, healthgap, name, config_text):
    config = os.path.join(tmp, name + ".yml")
    with open(config, "w") as f:
        f.write(config_text)
    port = free_port()
    proc = children.start(name, [healthgap, "serve", "--config", config,
                                 "--web.listen-address", f"127.0.0.1:{port}",
                                 *ENGINE_FLAGS])
    base = f"http://127.0.0.1:{port}"

    def ready():
        children.alive_or_fail(proc)
        return http_get(base + "/-/ready", timeout=5)[0] == 200

    wait_for(name, ready, deadline_s=60)
    return proc, base


def start_blackbox(children, tmp, blackbox, name="blackbox", gomaxprocs=None):
    """gomaxprocs: the Go runtime's GOMAXPROCS (default: one per CPU, as Debian's unit runs it)."""
    config = os.path.join(tmp, name + ".yml")
    with open(config, "w") as f:
        f.write("modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"
                "    http:\n      preferred_ip_protocol: ip4\n")
    port = free_port()
    env = dict(os.environ)
    env.pop("GOMAXPROCS", None)
    if gomaxprocs:
        env["GOMAXPROCS"] = str(gomaxprocs)
    proc = children.start(name, [blackbox, f"--config.file={config}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                          env=env)
    base = f"http://127.0.0.1:{port}"
    wait_for(name, lambda: http_get(base + "/-/healthy", timeout=5)[0] == 200)
    return proc, base


# ---------------------------------------------------------------------------------------------
# a. /probe throughput

def run_wrk(wrk, url, seconds, connections, paths_file=None, headers=()):
    env = dict(os.environ)
    env["WRK_PATHS"] = paths_file or ""
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", os.path.join(HERE, "wrk_report.lua")]
    for header in headers:
        argv += ["-H", header]
    argv.append(url)
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=seconds + 60, check=False)
    match = re.search(r"^WRK_JSON (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or not match:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    result = json.loads(match.group(1))
    result["errors"] = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors",
                                               "status_errors", "timeouts"))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def measure_row(wrk, label, url, seconds, connections, pid=None, paths_file=None, headers=(),
                requests_per_probe=1, warmup_s=1):
    if warmup_s:
        run_wrk(wrk, url, warmup_s, connections, paths_file, headers)
    cpu_before = cpu_seconds(pid) if pid else None
    result = run_wrk(wrk, url, seconds, connections, paths_file, headers)
    cpu = cpu_seconds(pid) - cpu_before if pid else None
    row = {
        "row": label,
        "probes_per_s": result["rate"],
        "requests_per_probe": requests_per_probe,
        "target_requests_per_s": result["rate"] * requests_per_probe,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "errors": result["errors"],
        "count": result["requests"],
        "load": load_average(),
    }
    if cpu is not None and result["requests"]:
        row["cpu_s"] = cpu
        row["cpu_s_per_1k_probes"] = cpu / result["requests"] * 1000
        row["cpu_s_per_1k_requests"] = cpu / (result["requests"] * requests_per_probe) * 1000
        row["cpu_cores"] = cpu / (result["duration_us"] / 1e6)
    log(f"  {label:<40} {row['probes_per_s']:9.0f}/s  p50 {row['p50_ms']:7.2f} ms  "
        f"p99 {row['p99_ms']:7.2f} ms  errors {row['errors']}"
        + (f"  cpu/1k {row['cpu_s_per_1k_probes']:.3f} s" if "cpu_s_per_1k_probes" in row else ""))
    if row["errors"]:
        log(f"  WARNING: {row['errors']} errors in row {label!r}")
    return row


def probe_throughput(args, children, tmp, nginx_ports, healthgap_pid, healthgap_base,
                     blackboxes):
    """blackboxes: {"blackbox": (pid, base), "blackbox_gomaxprocs1": (pid, base)}."""
    seconds, conns = args.seconds, args.connections
    port = nginx_ports[0]
    hg_paths = os.path.join(tmp, "paths-healthgap.txt")
    bb_paths = os.path.join(tmp, "paths-blackbox.txt")
    with open(hg_paths, "w") as f:
        for i in range(PROBE_TARGETS):
            f.write(f"/probe?module=paired&target=http://127.0.0.1:{port}/t{i}\n")
    with open(bb_paths, "w") as f:
        for i in range(PROBE_TARGETS):
            f.write(f"/probe?module=http_2xx&target=http://127.0.0.1:{port}/t{i}/health\n")
    # Every /probe row must really probe: check one answer of each before loading them.
    _, body = http_get(f"{healthgap_base}/probe?module=paired&target=http://127.0.0.1:{port}/t0")
    if b"probe_success" not in body or not re.search(rb"^probe_success\{[^}]*\} 1$", body, re.M):
        raise BenchError("healthgap /probe does not answer probe_success 1:\n" + body.decode())
    for _, blackbox_base in blackboxes.values():
        _, body = http_get(f"{blackbox_base}/probe?module=http_2xx&target=http://127.0.0.1:"
                           f"{port}/t0/health")
        if not re.search(rb"^probe_success 1$", body, re.M):
            raise BenchError("blackbox /probe does not answer probe_success 1:\n" + body.decode())

    log(f"\n== a. /probe throughput (wrk -t1 -c{conns} -d{seconds}s)")
    rows = {}
    rows["wrk_keepalive"] = measure_row(args.wrk, "wrk -> nginx /health (keep-alive)",
                                        f"http://127.0.0.1:{port}/health", seconds, conns)
    rows["wrk_close"] = measure_row(args.wrk, "wrk -> nginx /health (new connection)",
                                    f"http://127.0.0.1:{port}/health", seconds, conns,
                                    headers=("Connection: close",))
    # The exporters alternate, round after round: a round's rows ran under the same load, so
    # its ratios are comparable even when the box's speed drifts between rounds (it does, by
    # 10-30%, on a shared VM).
    labels = {"blackbox": "blackbox /probe (http, 1 request)",
              "blackbox_gomaxprocs1": "blackbox /probe, GOMAXPROCS=1"}
    runs = {key: [] for key in (*blackboxes, "healthgap")}
    for _ in range(args.repeat):
        for key, (pid, base) in blackboxes.items():
            runs[key].append(measure_row(args.wrk, labels[key], base + "/", seconds, conns,
                                         pid=pid, paths_file=bb_paths))
        runs["healthgap"].append(measure_row(
            args.wrk, "healthgap /probe (paired, 2 requests)", healthgap_base + "/", seconds,
            conns, pid=healthgap_pid, paths_file=hg_paths, requests_per_probe=2))
    for key, key_runs in runs.items():
        rows[key] = median_row(key_runs)
    rows["rounds"] = []
    for i, hg in enumerate(runs["healthgap"]):
        bb = runs["blackbox"][i]
        round_row = {"rate_ratio": ratio(hg["probes_per_s"], bb["probes_per_s"]),
                     "cpu_ratio": ratio(hg["cpu_s_per_1k_probes"], bb["cpu_s_per_1k_probes"]),
                     "blackbox_probes_per_s": bb["probes_per_s"],
                     "healthgap_probes_per_s": hg["probes_per_s"], "load": hg["load"]}
        if "blackbox_gomaxprocs1" in runs:
            tuned = runs["blackbox_gomaxprocs1"][i]
            round_row["rate_ratio_gomaxprocs1"] = ratio(hg["probes_per_s"], tuned["probes_per_s"])
            round_row["cpu_ratio_gomaxprocs1"] = ratio(hg["cpu_s_per_1k_probes"],
                                                       tuned["cpu_s_per_1k_probes"])
        rows["rounds"].append(round_row)
    return rows


def median_row(runs):
    """One row from several runs of it: the median of every figure (errors summed)."""
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            row[key] = statistics.median(r[key] for r in runs)
    row["errors"] = sum(r["errors"] for r in runs)
    row["runs"] = len(runs)
    return row


def round_ratios(rows):
    """Median, min and max over the rounds of the per-round ratios (see probe_throughput)."""
    out = {}
    for key in ("rate_ratio", "cpu_ratio", "rate_ratio_gomaxprocs1", "cpu_ratio_gomaxprocs1"):
        values = [r[key] for r in rows["rounds"] if key in r]
        if values:
            out[key] = (statistics.median(values), min(values), max(values))
    return out


# ---------------------------------------------------------------------------------------------
# b. background engine scale

def scale_config(n, nginx_ports, delay_port=None):
    lines = [PROBE_MODULES.rstrip("\n")]
    lines.append("defaults:")
    lines.append(f"  health: {{path: /health, interval: {HEALTH_INTERVAL_S}s, timeout: 5s}}")
    lines.append(f"  sample: {{interval: {SAMPLE_INTERVAL_S}s, timeout: 5s}}")
    lines.append("targets:")
    for i in range(n):
        port = nginx_ports[i % len(nginx_ports)]
        lines.append(f"  - {{name: t{i}, url: http://127.0.0.1:{port}/t{i}, "
                     "samples: [{path: /api/data}]}")
    return "\n".join(lines) + "\n"


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def parse_metrics(text, wanted):
    """{(name, labels): value} for the metric names in `wanted` (exporter self-metrics only)."""
    values = {}
    for line in text.splitlines():
        if not line.startswith(wanted):
            continue
        match = METRIC_LINE.match(line)
        if match and match.group(1).startswith(wanted):
            values[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return values


FAILURES = ("healthgap_health_probe_failures_total", "healthgap_api_request_failures_total")
SELF_METRICS = ("healthgap_probes_sent_total", "healthgap_scheduling_lag_seconds",
                "healthgap_probes_in_flight")


def scrape(base):
    start = time.perf_counter()
    _, body = http_get(base + "/metrics", timeout=180)
    elapsed = time.perf_counter() - start
    return body.decode(), elapsed, len(body)


def lag_buckets(values):
    buckets = []
    for (name, labels), value in values.items():
        if name == "healthgap_scheduling_lag_seconds_bucket":
            le = re.search(r'le="([^"]+)"', labels).group(1)
            buckets.append((math.inf if le == "+Inf" else float(le), value))
    return sorted(buckets)


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile over cumulative (le, count) pairs."""
    if not buckets or buckets[-1][1] <= 0:
        return float("nan")
    rank = q * buckets[-1][1]
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return prev_le
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return buckets[-2][0] if len(buckets) > 1 else float("nan")


def bucket_bound(q, buckets):
    """The upper bound of the bucket holding quantile q: 'p99 <= this' is exact."""
    if not buckets or buckets[-1][1] <= 0:
        return float("nan")
    rank = q * buckets[-1][1]
    for le, count in buckets:
        if count >= rank:
            return le
    return math.inf


def engine_scale(args, children, tmp, nginx_ports, delay_port, n, idle_rss, accuracy_probes,
                 steady=False):
    expected = n * (1 / HEALTH_INTERVAL_S + 1 / SAMPLE_INTERVAL_S)
    log(f"\n== b. engine scale: {n} targets ({expected:.0f} requests/s scheduled)")
    proc, base = start_healthgap(children, tmp, args.healthgap, f"healthgap-{n}",
                                 scale_config(n, nginx_ports))
    started = time.monotonic()
    try:
        time.sleep(args.warmup)
        children.alive_or_fail(proc)
        # Counters come from the scrapes (read as a scrape starts), CPU from /proc between them,
        # so the CPU of serving the two scrapes is not charged to the probes.
        rss_before_scrape = rss_bytes(proc.pid)
        s0 = time.monotonic()
        text0, _, _ = scrape(base)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(args.window)
        cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
        s1 = time.monotonic()
        text1, _, _ = scrape(base)
        rss = rss_bytes(proc.pid)
        m0, m1 = parse_metrics(text0, SELF_METRICS), parse_metrics(text1, SELF_METRICS)
        f0, f1 = parse_metrics(text0, FAILURES), parse_metrics(text1, FAILURES)
        failed = sum(v - f0.get(k, 0) for k, v in f1.items())
        in_flight = m1.get(("healthgap_probes_in_flight", ""), float("nan"))
        del text0, text1, f0, f1
        sent = sum(v - m0.get(k, 0) for k, v in m1.items()
                   if k[0] == "healthgap_probes_sent_total")
        b0, b1 = dict(lag_buckets(m0)), lag_buckets(m1)
        delta = [(le, count - b0.get(le, 0)) for le, count in b1]
        elapsed = t1 - t0
        rate = sent / (s1 - s0)
        timings, size = [], 0
        for _ in range(args.scrapes):
            _, seconds, size = scrape(base)
            timings.append(seconds)
        peak_rss = peak_rss_bytes(proc.pid)  # the scrapes above included
        row = {
            "targets": n,
            "scheduled_per_s": expected,
            "probes_per_s": rate,
            "cpu_cores": (cpu1 - cpu0) / elapsed,
            "cpu_s_per_1k_probes": (cpu1 - cpu0) / elapsed / rate * 1000 if rate else float("nan"),
            "failed": failed,
            "in_flight": in_flight,
            "window_s": s1 - s0,
            "rss_before_scrape_mb": rss_before_scrape / 2**20,
            "rss_mb": rss / 2**20,
            "peak_rss_mb": peak_rss / 2**20,
            "rss_kb_per_target": (rss_before_scrape - idle_rss) / n / 1024,
            "lag_p50_ms": histogram_quantile(0.5, delta) * 1000,
            "lag_p99_ms": histogram_quantile(0.99, delta) * 1000,
            "lag_p99_bucket_ms": bucket_bound(0.99, delta) * 1000,
            "lag_count": delta[-1][1] if delta else 0,
            "scrape_s": statistics.median(timings),
            "scrape_max_s": max(timings),
            "metrics_bytes": size,
            "load": load_average(),
        }
        log(f"  {row['probes_per_s']:.0f} probes/s of {expected:.0f} scheduled, "
            f"cpu {row['cpu_cores']:.3f} cores = {row['cpu_s_per_1k_probes']:.3f} s/1k probes, "
            f"RSS {row['rss_before_scrape_mb']:.1f} MB before any scrape "
            f"({row['rss_kb_per_target']:.1f} KiB/target), {row['rss_mb']:.1f} MB after, peak "
            f"{row['peak_rss_mb']:.0f} MB, {row['failed']:.0f} failed, "
            f"lag p50 {row['lag_p50_ms']:.2f} ms p99 {row['lag_p99_ms']:.2f} ms "
            f"(bucket <= {row['lag_p99_bucket_ms']:g} ms), /metrics {row['scrape_s']*1000:.0f} ms "
            f"{row['metrics_bytes']/2**20:.1f} MiB, load {row['load'][0]:.2f}")
        if accuracy_probes:
            row["accuracy"] = accuracy(base, delay_port, accuracy_probes, n)
        if steady:
            # Memory grows until every per-target history is full: the API window (120 s),
            # health latencies (20 checks: 200 s), recent probes. Scraped every 10 s meanwhile,
            # as Prometheus would.
            while time.monotonic() - started < args.steady_seconds:
                time.sleep(10)
                scrape(base)
            row["steady_s"] = time.monotonic() - started
            row["steady_rss_mb"] = rss_bytes(proc.pid) / 2**20
            row["steady_peak_rss_mb"] = peak_rss_bytes(proc.pid) / 2**20
            log(f"  steady state after {row['steady_s']:.0f} s (scraped every 10 s): RSS "
                f"{row['steady_rss_mb']:.1f} MB, peak {row['steady_peak_rss_mb']:.0f} MB")
        children.alive_or_fail(proc)
        return row
    finally:
        children.stop(proc)


# ---------------------------------------------------------------------------------------------
# d. start-up with many targets

def file_sd_config(n, nginx_ports, tmp):
    """The config and file_sd file for n discovered targets, each its own group named by a
    `name` label (an address with a path needs one)."""
    path = os.path.join(tmp, f"file-sd-{n}.json")
    groups = [{"targets": [f"http://127.0.0.1:{nginx_ports[i % len(nginx_ports)]}/t{i}"],
               "labels": {"name": f"t{i}"}} for i in range(n)]
    with open(path, "w") as f:
        json.dump(groups, f)
    return PROBE_MODULES + f"file_sd_configs:\n  - files: [{path}]\n    module: paired\n"


def startup(args, children, tmp, nginx_ports, n, idle_rss, discovered):
    """Time from exec to a served /-/ready with n targets from the config or from file_sd,
    the RSS then, and the target count the exporter logged."""
    how = "file_sd" if discovered else "config"
    log(f"\n== d. start-up: {n} targets from {how}")
    text = file_sd_config(n, nginx_ports, tmp) if discovered else scale_config(n, nginx_ports)
    name = f"healthgap-startup-{how}-{n}"
    started = time.monotonic()
    proc, _ = start_healthgap(children, tmp, args.healthgap, name, text)
    ready_s = time.monotonic() - started
    try:
        rss = rss_bytes(proc.pid)
        with open(os.path.join(tmp, name + ".log")) as f:
            logged = re.search(r'msg="healthgap serving".* targets=(\d+)', f.read())
        row = {"targets": n, "source": how, "ready_s": ready_s, "rss_mb": rss / 2**20,
               "rss_kb_per_target": (rss - idle_rss) / n / 1024,
               "logged_targets": int(logged.group(1)) if logged else None,
               "config_mb": len(text) / 2**20, "load": load_average()}
        if discovered:
            row["config_mb"] = os.path.getsize(os.path.join(tmp, f"file-sd-{n}.json")) / 2**20
        log(f"  ready after {ready_s:.2f} s ({row['config_mb']:.1f} MB of {how}), RSS "
            f"{row['rss_mb']:.0f} MB ({row['rss_kb_per_target']:.1f} KiB/target), logged "
            f"{row['logged_targets']} targets, load {row['load'][0]:.2f}")
        children.alive_or_fail(proc)
        return row
    finally:
        children.stop(proc)


def startup_table(rows):
    lines = ["| targets | from | file MB | ready after s | RSS at ready MB | RSS KiB / target | "
             "targets logged | load 1m |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['targets']:,} | {r['source']} | {fmt(r['config_mb'], 1)} | "
                     f"{fmt(r['ready_s'])} | {fmt(r['rss_mb'], 0)} | "
                     f"{fmt(r['rss_kb_per_target'], 1)} | {r['logged_targets']} | "
                     f"{fmt(r['load'][0])} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# c. measurement accuracy

def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]


def metric_value(body, name, label_filter=""):
    for line in body.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if label_filter in line:
                return float(line.rsplit(" ", 1)[1])
    raise BenchError(f"{name} not found in /probe answer:\n{body[:2000]}")


def accuracy(base, delay_port, count, n):
    delay_base = f"http://127.0.0.1:{delay_port}"
    http_get(delay_base + "/__holds")  # clear
    reported = {}
    tag = f"n{n}"
    for k in range(count):
        target = f"{delay_base}/{tag}p{k}"
        _, body = http_get(f"{base}/probe?module=paired&target={target}", timeout=30)
        text = body.decode()
        reported[f"/{tag}p{k}/health"] = metric_value(text, "probe_duration_seconds")
        reported[f"/{tag}p{k}/api/data"] = metric_value(
            text, "healthgap_api_request_duration_seconds_sum")
    _, body = http_get(delay_base + "/__holds")
    held = {path: seconds for path, seconds in json.loads(body)}
    errors = [reported[p] - held[p] for p in reported if p in held]
    vs_nominal = [v - 0.100 for v in reported.values()]
    holds = [held[p] for p in reported if p in held]
    result = {
        "probes": count,
        "requests": len(errors),
        "error_p50_ms": percentile(errors, 0.5) * 1000,
        "error_p99_ms": percentile(errors, 0.99) * 1000,
        "error_max_ms": max(errors) * 1000 if errors else float("nan"),
        "vs_100ms_p50_ms": percentile(vs_nominal, 0.5) * 1000,
        "vs_100ms_p99_ms": percentile(vs_nominal, 0.99) * 1000,
        "server_hold_p50_ms": percentile(holds, 0.5) * 1000,
        "server_hold_p99_ms": percentile(holds, 0.99) * 1000,
        "load": load_average(),
    }
    log(f"  c. accuracy, {count} /probe to a 100 ms target while {n} targets run: "
        f"reported - held p50 {result['error_p50_ms']:.3f} ms p99 {result['error_p99_ms']:.3f} ms; "
        f"reported - 100 ms p50 {result['vs_100ms_p50_ms']:.3f} ms "
        f"p99 {result['vs_100ms_p99_ms']:.3f} ms; server held p99 "
        f"{result['server_hold_p99_ms']:.3f} ms")
    if len(errors) != 2 * count:
        raise BenchError(f"accuracy: matched {len(errors)} of {2 * count} requests")
    return result


# ---------------------------------------------------------------------------------------------
# Report

def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gib": round(mem_kb / 2**20, 1),
            "kernel": platform.release()}


def ratio(a, b):
    return a / b if b else float("nan")


def fmt(value, digits=2):
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def probe_table(rows):
    hg, bb = rows["healthgap"], rows["blackbox"]
    lines = [
        "| row | probes/s | target requests/s | p50 ms | p99 ms | exporter CPU s / 1k probes "
        "| exporter CPU s / 1k requests | exporter CPU cores | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in ("wrk_keepalive", "wrk_close", "blackbox", "blackbox_gomaxprocs1", "healthgap"):
        if key not in rows:  # results of a run before that row existed
            continue
        r = rows[key]
        lines.append(
            f"| {r['row']} | {fmt(r['probes_per_s'], 0)} | {fmt(r['target_requests_per_s'], 0)} "
            f"| {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} "
            f"| {fmt(r.get('cpu_s_per_1k_probes', float('nan')), 3)} "
            f"| {fmt(r.get('cpu_s_per_1k_requests', float('nan')), 3)} "
            f"| {fmt(r.get('cpu_cores', float('nan')))} | {r['errors']} |")
    per_round = round_ratios(rows)
    rate, cpu = per_round["rate_ratio"], per_round["cpu_ratio"]
    ratios = [
        "| ratio | per probe | per target request | per probe, each round |",
        "|---|---:|---:|---|",
        f"| healthgap / blackbox, probes/s (higher is better) "
        f"| {fmt(rate[0])} | {fmt(2 * rate[0])} "
        f"| {', '.join(fmt(r['rate_ratio']) for r in rows['rounds'])} |",
        f"| healthgap / blackbox, CPU per probe (lower is better) "
        f"| {fmt(cpu[0])} | {fmt(cpu[0] / 2)} "
        f"| {', '.join(fmt(r['cpu_ratio']) for r in rows['rounds'])} |",
    ]
    if "rate_ratio_gomaxprocs1" in per_round:
        rate1, cpu1 = per_round["rate_ratio_gomaxprocs1"], per_round["cpu_ratio_gomaxprocs1"]
        ratios += [
            f"| healthgap / blackbox with GOMAXPROCS=1, probes/s "
            f"| {fmt(rate1[0])} | {fmt(2 * rate1[0])} "
            f"| {', '.join(fmt(r['rate_ratio_gomaxprocs1']) for r in rows['rounds'])} |",
            f"| healthgap / blackbox with GOMAXPROCS=1, CPU per probe "
            f"| {fmt(cpu1[0])} | {fmt(cpu1[0] / 2)} "
            f"| {', '.join(fmt(r['cpu_ratio_gomaxprocs1']) for r in rows['rounds'])} |",
        ]
    ratios += [
        f"| healthgap / blackbox, p50 latency | {fmt(ratio(hg['p50_ms'], bb['p50_ms']))} | | |",
        f"| healthgap / blackbox, p99 latency | {fmt(ratio(hg['p99_ms'], bb['p99_ms']))} | | |",
        f"| healthgap / wrk limit (keep-alive), rate "
        f"| {fmt(ratio(hg['probes_per_s'], rows['wrk_keepalive']['probes_per_s']))} "
        f"| {fmt(ratio(hg['target_requests_per_s'], rows['wrk_keepalive']['probes_per_s']))} | |",
        f"| healthgap / wrk limit (new connection), rate "
        f"| {fmt(ratio(hg['probes_per_s'], rows['wrk_close']['probes_per_s']))} "
        f"| {fmt(ratio(hg['target_requests_per_s'], rows['wrk_close']['probes_per_s']))} | |",
        f"| blackbox / wrk limit (new connection), rate "
        f"| {fmt(ratio(bb['probes_per_s'], rows['wrk_close']['probes_per_s']))} | | |",
    ]
    return "\n".join(lines), "\n".join(ratios)


def scale_table(rows):
    lines = [
        "| targets | scheduled req/s | sent probes/s | exporter CPU cores | CPU s / 1k probes "
        "| failed / in flight at end | RSS MB | RSS KiB / target | RSS after scrapes MB "
        "| peak RSS MB | lag p50 ms "
        "| lag p99 ms | lag p99 bucket | /metrics s | /metrics MiB | load 1m |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['targets']:,} | {fmt(r['scheduled_per_s'], 0)} | not sustained: "
                         f"{r['error']} |" + " |" * 13)
            continue
        lines.append(
            f"| {r['targets']:,} | {fmt(r['scheduled_per_s'], 0)} | {fmt(r['probes_per_s'], 0)} "
            f"| {fmt(r['cpu_cores'], 3)} | {fmt(r['cpu_s_per_1k_probes'], 3)} "
            f"| {r['failed']:.0f} / {r['in_flight']:.0f} | {fmt(r['rss_before_scrape_mb'], 1)} "
            f"| {fmt(r['rss_kb_per_target'], 1)} | {fmt(r['rss_mb'], 1)} "
            f"| {fmt(r['peak_rss_mb'], 0)} "
            f"| {fmt(r['lag_p50_ms'])} | {fmt(r['lag_p99_ms'])} | <= {r['lag_p99_bucket_ms']:g} ms "
            f"| {fmt(r['scrape_s'], 3)} | {fmt(r['metrics_bytes'] / 2**20, 1)} "
            f"| {fmt(r['load'][0])} |")
    return "\n".join(lines)


def steady_lines(rows):
    lines = []
    for r in rows:
        if "steady_rss_mb" in r:
            lines.append(
                f"Steady state at {r['targets']:,} targets: once every per-target history is "
                f"full ({fmt(r['steady_s'], 0)} s after start: the API window holds 120 s, the "
                f"health latencies 20 checks), scraped every 10 s meanwhile, RSS "
                f"{fmt(r['steady_rss_mb'], 1)} MB, peak {fmt(r['steady_peak_rss_mb'], 0)} MB.")
    return "\n\n".join(lines)


def accuracy_table(rows):
    lines = [
        "| engine load | requests | reported - held p50 ms | reported - held p99 ms | max ms "
        "| reported - 100 ms p50 | reported - 100 ms p99 | server held p99 ms | load 1m |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a = r.get("accuracy")
        if not a:
            continue
        lines.append(
            f"| {r['targets']:,} targets | {a['requests']} | {fmt(a['error_p50_ms'], 3)} "
            f"| {fmt(a['error_p99_ms'], 3)} | {fmt(a['error_max_ms'], 3)} "
            f"| {fmt(a['vs_100ms_p50_ms'], 3)} | {fmt(a['vs_100ms_p99_ms'], 3)} "
            f"| {fmt(a['server_hold_p99_ms'], 3)} | {fmt(a['load'][0])} |")
    return "\n".join(lines)


def plot(scale_rows, png, tmp, gnuplot):
    data = os.path.join(tmp, "scale.dat")
    with open(data, "w") as f:
        for r in (r for r in scale_rows if sustained_ok(r)):
            f.write(f"{r['targets']} {r['scheduled_per_s']:.1f} {r['probes_per_s']:.1f} "
                    f"{r['cpu_cores'] * 100:.2f} {r['cpu_s_per_1k_probes'] * 1000:.2f}\n")
    script = f"""
set terminal pngcairo size 900,420 font "DejaVu Sans,10"
set output "{png}"
set multiplot layout 1,2 title "healthgap serve: N targets x (10 s health + 5 s API sample)"
set logscale x
set xlabel "targets"
set grid
set key top left
set ylabel "requests/s"
set logscale y
plot "{data}" using 1:2 with lines dt 2 lw 2 title "scheduled", \\
     "{data}" using 1:3 with linespoints lw 2 pt 7 title "sent"
unset logscale y
set ylabel "exporter CPU, % of one core"
set y2label "exporter CPU ms per 1,000 probes"
set yrange [0:*]
set y2range [0:*]
set key top left
set y2tics
set ytics nomirror
plot "{data}" using 1:4 with linespoints lw 2 pt 7 title "% of one core", \\
     "{data}" using 1:5 axes x1y2 with linespoints lw 2 pt 5 title "ms per 1,000 probes (right)"
unset multiplot
"""
    subprocess.run([gnuplot], input=script, text=True, check=True, timeout=60)


def write_docs(docs, results, command):
    # The hand-written part (what bounds the rates, what was optimised): bench/benchmarks-notes.md.
    with open(os.path.join(HERE, "benchmarks-notes.md")) as f:
        notes = f.read()
    m = results["machine"]
    probe, ratios = probe_table(results["probe"])
    text = f"""# Benchmarks

Generated by `bench/bench.py` (issue 6); do not edit by hand, re-run instead:

```sh
cmake -S . -B build-bench-t -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build-bench-t --target healthgap delay_server metrics_bench -j2
{command}
```

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB memory, Linux {m['kernel']}.
Build: `{results.get('healthgap_version', 'healthgap (version not recorded)')}`, Release.
Load average when the run started: {' / '.join(fmt(x) for x in results['load_start'])},
when it ended: {' / '.join(fmt(x) for x in results['load_end'])} (1 / 5 / 15 min; every row
below also carries the 1-minute load at its end). Everything runs on this one machine: the
exporters, their loopback targets (nginx, one worker) and the load generator (`wrk`, one
thread) share its CPUs, so these are figures for a small box probing itself, not for a fleet.

## a. `/probe` throughput: healthgap vs blackbox_exporter vs the loopback limit

`wrk -t1 -c{results['connections']} -d{results['seconds']}s`, each `/probe` row rotating over
{PROBE_TARGETS:,} distinct targets on the same nginx. blackbox_exporter
({results['blackbox_version']}) runs its `http` prober (one `GET /health` per probe on a new
connection). healthgap runs its paired module: per probe a `GET /health` on a new connection,
as load balancers probe, plus one API sample `GET /api/data` (keep-alive), then the verdict
and the per-target families; that is **2 target requests per probe against blackbox's 1**, so
the table shows both per probe and per target request. (A health-only healthgap module does
not exist: a module must list at least one API sample, that is the point of the tool; the
per-request columns are the like-for-like comparison.) blackbox_exporter runs twice: as
Debian's service runs it (the Go runtime's default GOMAXPROCS, one per CPU), and a second
instance with `GOMAXPROCS=1`, which on a box this small costs Go much less CPU per probe (its
idle scheduler threads stop spinning for work) at about the same rate: the targets below are
judged against the first, as users run it, and the second shows what a tuned blackbox costs.
Exporter CPU is utime+stime of its process over the measured run. The exporters' rows
alternate for {results['probe']['blackbox']['runs']}
rounds, and the table shows each figure's median; the ratios are the medians of the
per-round ratios (a round's rows ran under the same load; the box's speed drifts between
rounds), with every round's ratio beside them.

{probe}

{ratios}

## b. Background engine: 1,000 to {max(r['targets'] for r in results['scale']):,} targets

`healthgap serve` with N generated targets, each a health check every {HEALTH_INTERVAL_S} s
(new connection) and one API sample every {SAMPLE_INTERVAL_S} s (keep-alive), spread over
{TARGET_PORTS} nginx ports, so N targets schedule 0.3 x N requests/s. Measured over a
{results['window']} s window after a {results['warmup']} s warm-up: probes sent (from
`healthgap_probes_sent_total`), failed probes (health and API failures of every target over
the window: must stay 0 on a healthy loopback), exporter CPU, resident memory (before the first
scrape, per target over an idle exporter's {fmt(results['idle_rss_mb'], 1)} MB; between
scrapes, once `/metrics` was served {results['scrapes'] + 2} times; and the peak, the process's
high-water mark, reached while a scrape holds the engine snapshot; all three while the
per-target histories are still filling, see the steady state below the table),
scheduling lag (how late a probe starts
against its schedule, from the deltas of `healthgap_scheduling_lag_seconds`; p50/p99
interpolated inside the histogram's buckets as `histogram_quantile` does, and the bucket that
holds p99, which is exact; the lowest bucket is 1 ms, so a row whose lag is all in it shows the
interpolated 0.50 / 0.99 ms, which only says "under 1 ms"), and `/metrics` (median of
{results['scrapes']} scrapes, full
response read by the client).

{scale_table(results['scale'])}

{steady_lines(results['scale'])}

![throughput and CPU against target count](benchmarks-scale.png)

The plot shows the sustained rows only (see the last line of the targets table below for the
criteria); a row that was not sustained is in the table with its backlog.

## c. Measurement accuracy under load

While the engine ran N targets, {results['accuracy_probes']} sequential `/probe` requests
to a server that holds every request 100 ms (`bench/delay_server.cc`). `/probe` goes through
the same HTTP client and I/O thread as the background probes. Each probe names a fresh target
path, and the server records how long it held each path (from accepting the connection, or for
a keep-alive request from reading it, to handing the response to the kernel), so every
reported duration (`probe_duration_seconds` for the health request,
`healthgap_api_request_duration_seconds_sum` for the sample) is matched with what the server
really did: *reported - held* is the measurement error, connection set-up and loopback transfer
included. *reported - 100 ms* includes the server's own timer overshoot too. No scrape ran
during these probes (see "Left alone" below for what a concurrent scrape does).

{accuracy_table(results['scale'])}

## d. Start-up with many targets

From exec to the first answered `/-/ready` (polled every 50 ms), with N targets in the config
file (as part b writes it) and then with the same N discovered from one file_sd JSON file
(each target its own group, named by a `name` label); RSS when ready, per target over the idle
exporter, and the target count the exporter logged as it began serving.

{startup_table(results.get('startup', []))}

## Targets (issue 6, and issue 19 where marked)

{results['verdicts']}

{notes}"""
    with open(os.path.join(docs, "benchmarks.md"), "w") as f:
        f.write(text)


def sustained_ok(r):
    """Sent >= 97% of the schedule, lag p99 < 100 ms, failures < 0.1% of what was sent, and
    fewer requests in flight at the end than one second's worth (no backlog building up)."""
    return ("error" not in r and r["probes_per_s"] >= 0.97 * r["scheduled_per_s"]
            and r["lag_p99_ms"] < 100
            and r["failed"] <= 0.001 * r["probes_per_s"] * r["window_s"]
            and r["in_flight"] < r["scheduled_per_s"])


def verdicts(results):
    probe = results["probe"]
    hg, bb = probe["healthgap"], probe["blackbox"]
    by_n = {r["targets"]: r for r in results["scale"] if "error" not in r}
    lines = ["| target | measured | met |", "|---|---|---|"]

    def add(what, measured, met):
        lines.append(f"| {what} | {measured} | {'yes' if met else '**no**'} |")

    per_round = round_ratios(probe)
    (r, r_min, r_max), (c, c_min, c_max) = per_round["rate_ratio"], per_round["cpu_ratio"]
    rounds = len(probe["rounds"])
    add("/probe >= 3x blackbox probes/s", f"{fmt(r)}x per probe (median of {rounds} rounds, "
        f"{fmt(r_min)}-{fmt(r_max)}), {fmt(2 * r)}x per request", r >= 3)
    add("/probe CPU per probe <= 1/3 of blackbox", f"{fmt(c, 3)} per probe (median of {rounds} "
        f"rounds, {fmt(c_min, 3)}-{fmt(c_max, 3)}), {fmt(c / 2, 3)} per request", c <= 1 / 3)
    if "cpu_ratio_gomaxprocs1" in per_round:
        r1, c1 = per_round["rate_ratio_gomaxprocs1"][0], per_round["cpu_ratio_gomaxprocs1"][0]
        lines.append(f"| (context) the same against blackbox with GOMAXPROCS=1 | {fmt(r1)}x "
                     f"probes/s, {fmt(c1)} of its CPU per probe ({fmt(2 * r1)}x and "
                     f"{fmt(c1 / 2)} per request) | not a target |")
    if 10000 in by_n:
        r10 = by_n[10000]
        ok = sustained_ok(r10)
        add("10,000 targets, 3,000 req/s sustained, lag p99 < 100 ms",
            f"{fmt(r10['probes_per_s'], 0)}/s, lag p99 {fmt(r10['lag_p99_ms'])} ms", ok)
        add("/metrics at 10,000 targets < 1 s", f"{fmt(r10['scrape_s'], 3)} s",
            r10["scrape_s"] < 1)
        if "steady_rss_mb" in r10:
            add("RSS at 10,000 targets < 200 MB",
                f"{fmt(r10['steady_rss_mb'], 1)} MB in steady state (after "
                f"{fmt(r10['steady_s'], 0)} s, every history full), "
                f"{fmt(r10['steady_peak_rss_mb'], 0)} MB peak (serving scrapes included)",
                r10["steady_rss_mb"] < 200 and r10["steady_peak_rss_mb"] < 200)
        else:
            add("RSS at 10,000 targets < 200 MB",
                f"{fmt(r10['rss_mb'], 1)} MB between scrapes (histories still filling), "
                f"{fmt(r10['peak_rss_mb'], 0)} MB peak", r10["rss_mb"] < 200)
    if 10000 in by_n:
        add("(issue 19) 10,000 targets at 3,000 req/s: lag p99 < 1 ms",
            f"{fmt(by_n[10000]['lag_p99_ms'])} ms", by_n[10000]["lag_p99_ms"] < 1)
    if 40000 in by_n:
        r40 = by_n[40000]
        add("(issue 19) 40,000 targets: peak RSS with scrapes < 400 MB, /metrics < 1 s",
            f"peak {fmt(r40['peak_rss_mb'], 0)} MB, /metrics {fmt(r40['scrape_s'], 2)} s",
            r40["peak_rss_mb"] < 400 and r40["scrape_s"] < 1)
    if 1000 in by_n:
        add("1,000 targets lag p99 < 50 ms", f"{fmt(by_n[1000]['lag_p99_ms'])} ms",
            by_n[1000]["lag_p99_ms"] < 50)
    for n, row in sorted(by_n.items()):
        if "accuracy" in row:
            a = row["accuracy"]
            add(f"duration error p99 < 1 ms, 100 ms target, {n:,} targets loaded",
                f"{fmt(a['error_p99_ms'], 3)} ms (vs 100 ms: {fmt(a['vs_100ms_p99_ms'], 3)} ms)",
                abs(a["error_p99_ms"]) < 1)
    for r in results.get("startup", []):
        if r["targets"] >= 100000:
            add(f"(issue 19) {r['targets']:,} targets from {r['source']} start in < 10 s",
                f"{fmt(r['ready_s'])} s, {fmt(r['rss_kb_per_target'], 1)} KiB/target at ready",
                r["ready_s"] < 10 and r["logged_targets"] == r["targets"])
    sustained = [r for r in results["scale"] if sustained_ok(r)]
    if sustained:
        best = max(sustained, key=lambda r: r["scheduled_per_s"])
        # Issue 19: 30,000/s, or within 10% of what wrk opens against nginx in this run, on
        # new connections (a health check's), whichever is lower.
        limit = probe.get("wrk_close", {}).get("probes_per_s")
        goal = min(30000, 0.9 * limit) if limit else 30000
        add("(issue 19) highest sustained engine rate >= 30,000/s or within 10% of the loopback "
            "new-connection limit (wrk -> nginx, part a), whichever is lower",
            f"{fmt(best['probes_per_s'], 0)}/s at {best['targets']:,} targets; the limit "
            f"{fmt(limit, 0) if limit else 'not measured'}/s, so the goal is {fmt(goal, 0)}/s",
            best["probes_per_s"] >= goal)
        for factor in (2, 4):
            over = [r for r in results["scale"] if "error" not in r
                    and r["scheduled_per_s"] >= 0.95 * factor * best["scheduled_per_s"]]
            if not over:
                continue
            r = min(over, key=lambda r: r["scheduled_per_s"])
            add(f"(issue 19) {factor}x the highest sustained schedule: sent within 10% of its rate, "
                "nothing failed",
                f"{fmt(r['probes_per_s'], 0)}/s of {fmt(r['scheduled_per_s'], 0)}/s scheduled at "
                f"{r['targets']:,} targets, {r['failed']:.0f} failed, lag p99 "
                f"{fmt(r['lag_p99_ms'])} ms, /metrics {fmt(r['scrape_s'], 2)} s",
                r["probes_per_s"] >= 0.9 * best["probes_per_s"]
                and r["failed"] <= 0.001 * r["probes_per_s"] * r["window_s"])
        lines.append("")
        lines.append(f"Highest sustained rate measured (sent >= 97% of scheduled, lag p99 < "
                     f"100 ms, failures < 0.1%, no backlog in flight): "
                     f"{fmt(best['probes_per_s'], 0)} requests/s at "
                     f"{best['targets']:,} targets.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--healthgap", required=True)
    ap.add_argument("--delay-server", help="bench/delay_server.cc built (default: next to "
                    "--healthgap in the same build tree, bench/delay_server)")
    ap.add_argument("--blackbox", default="prometheus-blackbox-exporter")
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--nginx", default="nginx")
    ap.add_argument("--gnuplot", default="gnuplot")
    ap.add_argument("--smoke", action="store_true",
                    help="every step for a second or two; checks completion only")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each wrk row")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds of the two /probe rows, alternating (their medians are shown)")
    ap.add_argument("--scales", default="1000,2500,5000,10000,20000,30000,40000")
    ap.add_argument("--accuracy-at", default="1000,10000")
    ap.add_argument("--steady-at", default="10000",
                    help="target counts whose memory is also measured once every per-target "
                    "history is full (--steady-seconds after start)")
    ap.add_argument("--steady-seconds", type=float, default=230)
    ap.add_argument("--accuracy-probes", type=int, default=100)
    ap.add_argument("--warmup", type=float, default=HEALTH_INTERVAL_S + 2)
    ap.add_argument("--window", type=float, default=30)
    ap.add_argument("--scrapes", type=int, default=3)
    ap.add_argument("--engine-flags", default="",
                    help="extra `healthgap serve` flags, space-separated (e.g. "
                         "\"--probe.max-in-flight 2000\")")
    ap.add_argument("--startup-at", default="100000",
                    help="target counts whose start-up (config, then file_sd) part s times")
    ap.add_argument("--parts", default="abs", help="a: /probe throughput, b: engine scale "
                    "(with c, accuracy), s: start-up (d); a partial run prints its tables but "
                    "writes no docs")
    ap.add_argument("--out", help="directory for results.json and logs (default: a temp dir)")
    ap.add_argument("--docs", help="write benchmarks.md and benchmarks-scale.png here")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only write --docs from a results.json of an earlier run")
    args = ap.parse_args()
    ENGINE_FLAGS.extend(args.engine_flags.split())
    if args.render:
        with open(args.render) as f:
            results = json.load(f)
        results["verdicts"] = verdicts(results)
        plot(results["scale"], os.path.join(os.path.abspath(args.docs), "benchmarks-scale.png"),
             tempfile.mkdtemp(prefix="healthgap-bench-"), args.gnuplot)
        write_docs(args.docs, results, results.get("command", "python3 bench/bench.py ..."))
        return 0
    if args.smoke:
        args.seconds, args.scales, args.accuracy_at = 1, "200,500", "500"
        args.steady_at, args.steady_seconds = "500", 20
        args.startup_at = "500"
        args.accuracy_probes, args.warmup, args.window, args.scrapes = 5, 2, 2, 1
        args.repeat = 1

    if not args.delay_server:
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
            shutil.which(args.healthgap) or args.healthgap))))
        args.delay_server = os.path.join(build, "bench", "delay_server")
    tools = {"healthgap": args.healthgap, "delay_server": args.delay_server,
             "blackbox": args.blackbox, "wrk": args.wrk, "nginx": args.nginx}
    if args.docs:
        tools["gnuplot"] = args.gnuplot
    missing = [f"{k} ({v})" for k, v in tools.items() if not shutil.which(v)]
    if missing:
        # Never a skip: CI installs them (scripts/install-deps.sh).
        print(f"FAIL: required programs not found: {', '.join(missing)}")
        return 1
    for key in tools:
        setattr(args, key, os.path.abspath(shutil.which(getattr(args, key))))

    tmp = tempfile.mkdtemp(prefix="healthgap-bench-")
    out = args.out or tmp
    os.makedirs(out, exist_ok=True)
    children = Children(tmp)
    results = {"machine": machine(), "load_start": load_average(), "smoke": args.smoke,
               "seconds": args.seconds, "connections": args.connections,
               "warmup": args.warmup, "window": args.window, "scrapes": args.scrapes,
               "accuracy_probes": args.accuracy_probes}
    ok = False
    try:
        bb_version = subprocess.run([args.blackbox, "--version"], capture_output=True,
                                    text=True, timeout=30)
        results["blackbox_version"] = (bb_version.stdout + bb_version.stderr).split("\n")[0]
        # "healthgap 0.1.0 (jemalloc 5.3.0-...)": the build's malloc is part of its figures.
        results["healthgap_version"] = subprocess.run(
            [args.healthgap, "version"], capture_output=True, text=True, timeout=30,
            check=True).stdout.strip()
        log(f"machine: {results['machine']}, load {results['load_start']}, tmp {tmp}")
        _, nginx_ports = start_nginx(children, tmp, args.nginx)
        _, delay_port = start_delay_server(children, tmp, args.delay_server, 100)

        hg, hg_base = start_healthgap(children, tmp, args.healthgap, "healthgap-probe",
                                      PROBE_MODULES)
        time.sleep(0.5)
        idle_rss = rss_bytes(hg.pid)
        results["idle_rss_mb"] = idle_rss / 2**20
        # As Debian runs it (GOMAXPROCS = CPUs), and tuned: with one P, Go's scheduler stops
        # spinning for work that, on a box this small, rarely comes.
        blackboxes = {}
        for key, gomaxprocs in (("blackbox", None), ("blackbox_gomaxprocs1", 1)):
            proc, base = start_blackbox(children, tmp, args.blackbox, key, gomaxprocs)
            blackboxes[key] = (proc, base)
        if "a" in args.parts:
            results["probe"] = probe_throughput(
                args, children, tmp, nginx_ports, hg.pid, hg_base,
                {key: (proc.pid, base) for key, (proc, base) in blackboxes.items()})
        for proc in (hg, *(proc for proc, _ in blackboxes.values())):
            children.alive_or_fail(proc)
            children.stop(proc)

        accuracy_at = {int(x) for x in args.accuracy_at.split(",") if x}
        steady_at = {int(x) for x in args.steady_at.split(",") if x}
        results["scale"] = []
        for n in (int(x) for x in args.scales.split(",") if x and "b" in args.parts):
            try:
                results["scale"].append(engine_scale(
                    args, children, tmp, nginx_ports, delay_port, n, idle_rss,
                    args.accuracy_probes if n in accuracy_at else 0,
                    steady=n in steady_at))
            except (OSError, urllib.error.URLError) as exc:  # a scrape timed out: overloaded
                log(f"  {n} targets: not sustained: {exc}")
                results["scale"].append({"targets": n, "error": f"a /metrics scrape failed ({exc})",
                                         "scheduled_per_s": n * (1 / HEALTH_INTERVAL_S
                                                                 + 1 / SAMPLE_INTERVAL_S)})

        results["startup"] = []
        for n in (int(x) for x in args.startup_at.split(",") if x and "s" in args.parts):
            for discovered in (False, True):
                results["startup"].append(startup(args, children, tmp, nginx_ports, n,
                                                  idle_rss, discovered))

        results["load_end"] = load_average()
        shown = []
        for a in sys.argv[1:]:
            if a.startswith(REPO + "/"):
                a = os.path.relpath(a, REPO)
            shown.append(a)
        results["command"] = "python3 bench/bench.py " + " ".join(shown)
        log("\n== results\n")
        if "probe" in results:
            log("\n\n".join(probe_table(results["probe"])) + "\n")
        if results["scale"]:
            log(scale_table(results["scale"]) + "\n\n" + accuracy_table(results["scale"]) + "\n")
        if results["startup"]:
            log(startup_table(results["startup"]) + "\n")
        complete = "probe" in results and results["scale"]
        if complete:
            results["verdicts"] = verdicts(results)
            log(results["verdicts"])
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        if args.docs and complete:
            os.makedirs(args.docs, exist_ok=True)
            plot(results["scale"], os.path.join(os.path.abspath(args.docs),
                                                "benchmarks-scale.png"), tmp, args.gnuplot)
            write_docs(args.docs, results, results["command"])
            log(f"wrote {args.docs}/benchmarks.md and benchmarks-scale.png")
        log(f"results: {os.path.join(out, 'results.json')}")
        ok = True
    except BenchError as exc:
        print(f"FAIL: {exc}")
    finally:
        children.stop_all()
        if ok and not args.out:
            shutil.rmtree(tmp, ignore_errors=True)
        elif not ok:
            print(f"logs kept in {tmp}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
