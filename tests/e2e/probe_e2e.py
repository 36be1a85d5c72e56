#!/usr/bin/env python3
"""End-to-end: real Prometheus scraping healthgap's /probe through the documented relabel config.

    python3 tests/e2e/probe_e2e.py --healthgap build/src/cli/healthgap [--repo DIR]

Starts on 127.0.0.1 (free ports, temp dir): two demo backends (`shallow-health`, whose health
check lies, and `honest`), `healthgap serve` with a config holding only a module and the
probe.allow rule for loopback, and `prometheus` whose scrape config is the block between the
probe-scrape-config markers of docs/probe.md, used verbatim except: the target list and the
healthgap address (-> loopback ports), and scrape_interval/scrape_timeout (15s/10s -> 1s/1s). The
shipped rules are loaded with `for:` -> 5s.

Asserts, polling with deadlines:
  1. Prometheus has the paired metrics for both targets (probe_success, API counters that
     increase across scrapes);
  2. the verdict is mismatch for shallow-health and healthy for honest;
  3. the shipped HealthCheckVsErrorRateMismatch alert fires for shallow-health and for no
     other target: the rules work in /probe mode.
"""
import argparse
import json
import os
import re
import shutil
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alerting_e2e import (E2EFailure, e2e_session, free_port, http_get,  # noqa: E402
                          replace_once, wait_for)

HEALTHGAP_CONFIG = """\
modules:
  api:
    health: {path: /health, timeout: 1s, healthy_threshold: 2, unhealthy_threshold: 2}
    samples:
      - {name: data, path: /api/data, timeout: 1s}
      - {name: orders, path: /api/orders, timeout: 1s}
    evaluation: {window: 1m, min_samples: 4}
probe:
  allow:
    - cidr: 127.0.0.0/8
"""


def documented_scrape_config(repo):
    with open(os.path.join(repo, "docs/probe.md"), encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"<!-- probe-scrape-config:start -->\n```yaml\n(.*?)```\n"
                      r"<!-- probe-scrape-config:end -->", text, re.S)
    if not match:
        raise E2EFailure("docs/probe.md: no probe-scrape-config block")
    return match.group(1)


def query(prom, expr):
    _, body = http_get(f"{prom}/api/v1/query?query={urllib.parse.quote(expr)}")
    return json.loads(body)["data"]["result"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--healthgap", required=True)
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--prometheus", default="prometheus")
    ap.add_argument("--deadline", type=float, default=120)
    args = ap.parse_args()
    missing = [t for t in (args.healthgap, args.prometheus) if not shutil.which(t)]
    if missing:
        print(f"FAIL: required programs not found: {missing}")
        return 1
    healthgap = os.path.abspath(shutil.which(args.healthgap))

    tmp, children = e2e_session("healthgap-probe-e2e-")
    ok = False
    try:
        ports = {k: free_port() for k in ("lying", "honest", "healthgap", "prometheus")}
        lying = f"127.0.0.1:{ports['lying']}"
        honest = f"127.0.0.1:{ports['honest']}"
        hg = f"http://127.0.0.1:{ports['healthgap']}"
        prom = f"http://127.0.0.1:{ports['prometheus']}"

        children.start("lying", [healthgap, "demo-backend", "--mode", "shallow-health",
                                 "--listen", lying])
        children.start("honest", [healthgap, "demo-backend", "--mode", "honest",
                                  "--listen", honest])
        config = os.path.join(tmp, "healthgap.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(HEALTHGAP_CONFIG)
        children.start("healthgap", [healthgap, "serve", "--config", config,
                                     "--web.listen-address", f"127.0.0.1:{ports['healthgap']}"])

        scrape = documented_scrape_config(args.repo)
        scrape = replace_once(scrape, "- 10.0.1.7:8080", f"- {lying}\n          - {honest}",
                              "docs/probe.md")
        scrape = replace_once(scrape, "healthgap:9310", f"127.0.0.1:{ports['healthgap']}",
                              "docs/probe.md")
        scrape = replace_once(scrape, "scrape_interval: 15s", "scrape_interval: 1s",
                              "docs/probe.md")
        scrape = replace_once(scrape, "scrape_timeout: 10s", "scrape_timeout: 1s",
                              "docs/probe.md")
        pdir = os.path.join(tmp, "prometheus")
        os.makedirs(pdir)
        rule_files = []
        for name in sorted(os.listdir(os.path.join(args.repo, "rules"))):
            if not name.endswith(".rules.yml"):
                continue
            with open(os.path.join(args.repo, "rules", name), encoding="utf-8") as f:
                text = re.sub(r"^(\s*)for:\s*\S+\s*$", r"\g<1>for: 5s", f.read(), flags=re.M)
            path = os.path.join(pdir, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            rule_files.append(path)
        with open(os.path.join(pdir, "prometheus.yml"), "w", encoding="utf-8") as f:
            f.write("global:\n  evaluation_interval: 1s\nrule_files:\n"
                    + "".join(f"  - {p}\n" for p in rule_files) + scrape)
        children.start("prometheus", [
            shutil.which(args.prometheus),
            f"--config.file={os.path.join(pdir, 'prometheus.yml')}",
            f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
        ])
        wait_for("healthgap ready", lambda: http_get(f"{hg}/-/ready")[0] == 200, 30, children)
        wait_for("prometheus ready", lambda: http_get(f"{prom}/-/ready")[0] == 200, 30,
                 children)

        # 1. Paired metrics for both targets, counters counting across scrapes.
        for target in (lying, honest):
            wait_for(f"probe_success for {target}",
                     lambda t=target: query(prom, f'probe_success{{target="{t}"}} == 1'),
                     args.deadline, children)
            wait_for(f"API requests counting for {target}",
                     lambda t=target: query(
                         prom, f'increase(healthgap_api_requests_total{{target="{t}"}}[30s]) > 0'),
                     args.deadline, children)
        # 2. Verdicts.
        wait_for("mismatch verdict for shallow-health",
                 lambda: query(prom, f'healthgap_verdict{{target="{lying}",verdict="mismatch"}}'
                                     ' == 1'), args.deadline, children)
        wait_for("healthy verdict for honest",
                 lambda: query(prom, f'healthgap_verdict{{target="{honest}",verdict="healthy"}}'
                                     ' == 1'), args.deadline, children)

        # 3. The shipped alert, through Prometheus' own alert state.
        def firing():
            _, body = http_get(f"{prom}/api/v1/alerts")
            alerts = json.loads(body)["data"]["alerts"]
            mismatch = [a for a in alerts if a["labels"].get("alertname") ==
                        "HealthCheckVsErrorRateMismatch" and a["state"] == "firing"]
            targets = {a["labels"].get("target") for a in mismatch}
            if targets - {lying}:
                raise E2EFailure(f"mismatch alert for unexpected targets: {targets - {lying}}")
            return lying in targets
        wait_for("HealthCheckVsErrorRateMismatch firing for shallow-health", firing,
                 args.deadline, children)
        print("PASS: /probe through the documented relabel config: paired metrics, verdicts "
              "and the shipped mismatch alert", flush=True)
        ok = True
        return 0
    except E2EFailure as ex:
        print(f"FAIL: {ex}", flush=True)
        return 1
    finally:
        children.stop_all()
        if not ok:
            children.print_logs()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
