#!/usr/bin/env python3
"""End-to-end: `healthgap chaos` against an application using a real PostgreSQL and a real
Redis (Debian's postgresql and redis-server, started here with their own configs) through
healthgap's fault proxies.

    python3 tests/e2e/chaos_e2e.py --healthgap build/src/cli/healthgap [--repo DIR]

Starts, on 127.0.0.1 with free ports and a temp dir: `postgres` (initdb, trust auth, as the
postgres user when run as root: PostgreSQL refuses root), `redis-server`, and chaos_app.py
configured to reach both at the proxies' listen ports.

Asserts:
  1. /health checks Redis only: with both dependencies blackholed in turn (fault `timeout`),
     Redis is `covered` (noticed, LB out, recovered) and PostgreSQL `not_covered`, its API
     failures counted (all of them while the backend stayed in rotation); exit code 1;
  2. the app restarted with the deep /health (Redis and PostgreSQL): both `covered`; exit 0;
  3. with PostgreSQL no longer proxied the deep /health fails before any fault: the table says
     no_steady_state (exit 3); a non-loopback listen address is refused (exit 2);
  4. SIGINT during an experiment ends it with the fault lifted and exit 130.
"""
import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alerting_e2e import E2EFailure, e2e_session, free_port, wait_for  # noqa: E402

# Debian's python3 holds the Debian client libraries (python3-psycopg2, python3-redis),
# whatever python3 runs this script.
APP_PYTHON = "/usr/bin/python3"
PG_BIN = "/usr/lib/postgresql/15/bin"


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def as_postgres_user(argv):
    """PostgreSQL refuses to run as root: drop to the postgres user the package creates."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--"] + argv


def start_postgres(tmp, children):
    data = os.path.join(tmp, "pgdata")
    if os.geteuid() == 0:
        os.chmod(tmp, 0o755)
        os.makedirs(data, mode=0o700)
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
    initdb = subprocess.run(as_postgres_user([f"{PG_BIN}/initdb", "-D", data, "-A", "trust",
                                              "-U", "healthgap", "--no-sync"]),
                            capture_output=True, text=True, timeout=120)
    if initdb.returncode != 0:
        raise E2EFailure(f"initdb failed: {initdb.stdout}{initdb.stderr}")
    port = free_port()
    children.start("postgres", as_postgres_user([
        f"{PG_BIN}/postgres", "-D", data, "-p", str(port), "-k", data,
        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"]))
    wait_for("postgres to accept connections", lambda: port_open(port), 60, children)
    return port


def start_redis(tmp, children):
    port = free_port()
    children.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", tmp])
    wait_for("redis to accept connections", lambda: port_open(port), 30, children)
    return port


def start_app(repo, children, name, pg_proxy, redis_proxy, deep):
    port = free_port()
    argv = [APP_PYTHON, os.path.join(repo, "tests/e2e/chaos_app.py"), "--port", str(port),
            "--pg-port", str(pg_proxy), "--redis-port", str(redis_proxy)]
    proc = children.start(name, argv + (["--deep"] if deep else []))
    wait_for(f"{name} to listen", lambda: port_open(port), 30, children)
    return port, proc


def run_chaos(healthgap, app_port, routes, fmt="json"):
    argv = [healthgap, "chaos", f"http://127.0.0.1:{app_port}", "--health", "/health",
            "--sample", "/api/items", "--sample", "/api/count", "--timeout", "1s",
            "--interval", "300ms", "--sample-interval", "300ms", "--steady", "1s",
            "--fault-duration", "6s", "--recovery", "15s", "--max-ejection", "6s",
            "--fault", "timeout", "--format", fmt]
    for route in routes:
        argv += ["--dependency", route]
    print("running:", " ".join(argv), flush=True)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240)
    print(done.stderr, end="", flush=True)
    return done


def by_dependency(report):
    return {e["dependency"]: e for e in report["experiments"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--healthgap", required=True)
    parser.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()
    repo = os.path.abspath(args.repo)
    for tool in ["redis-server", f"{PG_BIN}/postgres", APP_PYTHON]:
        if not shutil.which(tool):
            raise E2EFailure(f"{tool} is not installed (scripts/install-deps.sh installs it)")

    tmp, children = e2e_session("healthgap-chaos-")
    try:
        pg_port = start_postgres(tmp, children)
        redis_port = start_redis(tmp, children)
        pg_proxy, redis_proxy = free_port(), free_port()
        routes = [f"postgres=127.0.0.1:{pg_proxy}->127.0.0.1:{pg_port}",
                  f"redis=127.0.0.1:{redis_proxy}->127.0.0.1:{redis_port}"]

        # 1. The shallow check: Redis only.
        app_port, app = start_app(repo, children, "app-shallow", pg_proxy, redis_proxy, False)
        done = run_chaos(args.healthgap, app_port, routes)
        report = json.loads(done.stdout)
        print(json.dumps(report, indent=2))
        found = by_dependency(report)
        pg, rd = found["postgres"], found["redis"]
        if rd["verdict"] != "covered" or not rd["recovered"]:
            raise E2EFailure(f"redis with a /health that pings it: {rd}")
        if pg["verdict"] != "not_covered":
            raise E2EFailure(f"postgres behind a redis-only /health: {pg}")
        if pg["health_failures"] != 0 or pg["health_rounds"] < 10 or pg["api_failures"] < 5:
            raise E2EFailure(f"postgres: health must pass throughout and the API fail: {pg}")
        if pg["api_failures_in_rotation"] != pg["api_failures"]:
            raise E2EFailure(f"postgres: every failure reached users in rotation: {pg}")
        if pg["ejected_after_seconds"] is not None or not pg["recovered"]:
            raise E2EFailure(f"postgres: never ejected, then recovered: {pg}")
        if done.returncode != 1:
            raise E2EFailure(f"a not_covered dependency must exit 1, got {done.returncode}")
        app.terminate()
        app.wait(timeout=10)
        children.procs = [c for c in children.procs if c[1] is not app]  # stopped on purpose

        # 2. The deep check (the reference's pattern): both covered.
        app_port, _ = start_app(repo, children, "app-deep", pg_proxy, redis_proxy, True)
        done = run_chaos(args.healthgap, app_port, routes)
        report = json.loads(done.stdout)
        print(json.dumps(report, indent=2))
        for name, e in by_dependency(report).items():
            if e["verdict"] != "covered" or not e["recovered"]:
                raise E2EFailure(f"{name} with a deep /health: {e}")
            if e["ejected_after_seconds"] is None or e["health_failures"] == 0:
                raise E2EFailure(f"{name}: noticed and ejected: {e}")
        if done.returncode != 0:
            raise E2EFailure(f"every dependency covered must exit 0, got {done.returncode}")

        # 3. The table, for a run that cannot start: PostgreSQL is not proxied now, so the deep
        # /health fails before any fault; and the loopback rule.
        done = run_chaos(args.healthgap, app_port, routes[1:], fmt="table")
        print(done.stdout)
        if ("no_steady_state" not in done.stdout or "the health check failed" not in done.stdout
                or done.returncode != 3):
            raise E2EFailure(f"table run: exit {done.returncode}\n{done.stdout}")
        refused = subprocess.run(
            [args.healthgap, "chaos", f"http://127.0.0.1:{app_port}", "--sample", "/api/count",
             "--dependency", f"redis=0.0.0.0:{free_port()}->127.0.0.1:{redis_port}"],
            capture_output=True, text=True, timeout=60)
        if refused.returncode != 2 or "not a loopback address" not in refused.stderr:
            raise E2EFailure(f"a 0.0.0.0 listener must be refused: {refused.returncode} "
                             f"{refused.stderr}")
        # 4. Ctrl-C during an experiment: the run ends between rounds, every fault lifted, the
        # partial report printed, exit 130.
        interrupted = subprocess.Popen(
            [args.healthgap, "chaos", f"http://127.0.0.1:{app_port}", "--sample", "/api/count",
             "--interval", "300ms", "--sample-interval", "300ms", "--steady", "1s",
             "--fault-duration", "60s", "--dependency", routes[0], "--dependency", routes[1]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = interrupted.stderr.readline()
        if "steady state" not in first:
            raise E2EFailure(f"chaos did not start its first experiment: {first!r}")
        interrupted.send_signal(signal.SIGINT)
        out, err = interrupted.communicate(timeout=60)
        print(out, err)
        if interrupted.returncode != 130 or "interrupted; the fault was lifted" not in out:
            raise E2EFailure(f"SIGINT: exit {interrupted.returncode}\n{out}{err}")
        print("chaos_e2e: OK")
        return 0
    except E2EFailure as ex:
        print(f"FAIL: {ex}")
        children.print_logs()
        return 1
    finally:
        children.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
