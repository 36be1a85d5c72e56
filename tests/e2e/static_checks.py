#!/usr/bin/env python3
"""Static checks of rules/, deploy/ and docker-compose.yml with the real tools.

    python3 tests/e2e/static_checks.py rules        # promtool check rules + annotation/runbook/test coverage
    python3 tests/e2e/static_checks.py rule-tests   # promtool test rules rules/tests/*.yml
    python3 tests/e2e/static_checks.py deploy       # docker-compose config, promtool check config, amtool check-config
    python3 tests/e2e/static_checks.py doc-tests    # every test docs/security.md names exists
    python3 tests/e2e/static_checks.py layers       # no file under src/ includes a layer above its own

A missing tool is a FAILURE (exit 1), never a skip: install it (scripts/install-deps.sh).
"""
import glob
import os
import re
import shutil
import subprocess
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url")


class Failures(list):
    def add(self, msg):
        self.append(msg)
        print("FAIL", msg)


def tool(name, fails):
    path = shutil.which(name)
    if not path:
        fails.add(f"required tool `{name}` not found in PATH (Debian 12: scripts/install-deps.sh)")
    return path


def run(cmd, fails, cwd=REPO):
    print("+", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    sys.stdout.write(r.stderr)
    if r.returncode != 0:
        fails.add(f"{' '.join(cmd)} exited {r.returncode}")
    return r


def alert_blocks(text):
    """(name, block text) for each `- alert:` rule of a rule file (files written in our style:
    one rule per `- alert:`/`- record:` item)."""
    parts = re.split(r"^(?=\s*-\s*(?:alert|record):)", text, flags=re.M)
    for part in parts:
        m = re.match(r"\s*-\s*alert:\s*(\S+)", part)
        if m:
            yield m.group(1), part


def check_rules(fails):
    promtool = tool("promtool", fails)
    files = sorted(glob.glob(os.path.join(REPO, "rules", "*.yml")))
    if not files:
        fails.add("no rules/*.yml")
    if promtool and files:
        run([promtool, "check", "rules", *files], fails)
    tests_text = ""
    for t in glob.glob(os.path.join(REPO, "rules", "tests", "*.yml")):
        with open(t, encoding="utf-8") as f:
            tests_text += f.read() + "\n"
    alerts = set()
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name, block in alert_blocks(text):
            alerts.add(name)
            where = f"{os.path.basename(path)}: {name}"
            if not re.search(r"^\s*severity:\s*(critical|warning|info)\s*$", block, re.M):
                fails.add(f"{where}: no severity label (critical|warning|info)")
            for key in REQUIRED_ANNOTATIONS:
                if not re.search(rf"^\s*{key}:", block, re.M):
                    fails.add(f"{where}: no {key} annotation")
            if "{{" not in (re.search(r"description:(.*?)(?:\n\s*\w+:|\Z)", block, re.S) or
                            [None, ""])[1]:
                fails.add(f"{where}: description is not templated")
            m = re.search(r"runbook_url:\s*\"?(\S+?)\"?\s*$", block, re.M)
            if m:
                rb = re.search(r"(docs/runbooks/[A-Za-z]+\.md)$", m.group(1))
                if not rb or rb.group(1) != f"docs/runbooks/{name}.md":
                    fails.add(f"{where}: runbook_url must end in docs/runbooks/{name}.md")
                elif not os.path.exists(os.path.join(REPO, rb.group(1))):
                    fails.add(f"{where}: {rb.group(1)} does not exist")
    # Every alert has at least one firing and one silent case in rules/tests/.
    for name in sorted(alerts):
        cases = re.findall(rf"alertname:\s*{re.escape(name)}\s*\n\s*exp_alerts:\s*(\[\])?",
                           tests_text)
        if not any(c == "[]" for c in cases):
            fails.add(f"{name}: no silent case (exp_alerts: []) in rules/tests/")
        if not any(c == "" for c in cases):
            fails.add(f"{name}: no firing case in rules/tests/")
    print(f"rules: {len(files)} files, {len(alerts)} alerts checked")


def check_rule_tests(fails):
    promtool = tool("promtool", fails)
    files = sorted(glob.glob(os.path.join(REPO, "rules", "tests", "*.yml")))
    if not files:
        fails.add("no rules/tests/*.yml")
    if promtool and files:
        run([promtool, "test", "rules", *files], fails)


def check_deploy(fails):
    compose = tool("docker-compose", fails)
    promtool = tool("promtool", fails)
    amtool = tool("amtool", fails)
    if compose:
        run([compose, "-f", "docker-compose.yml", "config", "-q"], fails)
        # Every file or folder the stack mounts exists in the repo.
        r = subprocess.run([compose, "-f", "docker-compose.yml", "config"], cwd=REPO,
                           capture_output=True, text=True)
        for src in re.findall(r"^\s*source:\s*(/\S+)\s*$", r.stdout, re.M):
            if src.startswith(REPO) and not os.path.exists(src):
                fails.add(f"docker-compose.yml mounts {src}, which does not exist")
    if promtool:
        # rule_files resolve relative to the config: deploy/prometheus/rules -> ../../rules.
        run([promtool, "check", "config", "deploy/prometheus/prometheus.yml"], fails)
    if amtool:
        run([amtool, "check-config", "deploy/alertmanager/alertmanager.yml"], fails)
    for path in ("deploy/grafana/provisioning/datasources/prometheus.yml",
                 "deploy/grafana/provisioning/dashboards/healthgap.yml", "Dockerfile"):
        if not os.path.exists(os.path.join(REPO, path)):
            fails.add(f"{path} missing")
    with open(os.path.join(REPO, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read()
    for frm in re.findall(r"^FROM\s+(\S+)", dockerfile, re.M):
        if not re.fullmatch(r"debian:12(-slim)?", frm):
            fails.add(f"Dockerfile: base image {frm} is not Debian 12")
    if "scripts/install-deps.sh" not in dockerfile:
        fails.add("Dockerfile does not build with scripts/install-deps.sh")


def check_doc_tests(fails):
    """docs/security.md says which tests hold each promise: each named test must exist."""
    sources = ""
    for path in glob.glob(os.path.join(REPO, "tests", "**", "*.cc"), recursive=True):
        with open(path, encoding="utf-8") as f:
            sources += f.read()
    with open(os.path.join(REPO, "docs", "security.md"), encoding="utf-8") as f:
        doc = f.read()
    names = re.findall(r"`([A-Z][A-Za-z0-9]*)\.([A-Z][A-Za-z0-9]*|\*)`", doc)
    if not names:
        fails.add("docs/security.md names no tests")
    for suite, name in names:
        # TEST(Suite, Name), TEST_F(Suite, Name) or TEST_P(Suite, Name); "*" any test of Suite.
        pattern = rf"TEST(_F|_P)?\(\s*{suite},\s*" + (r"\w+" if name == "*" else rf"{name}\b")
        if not re.search(pattern, sources):
            fails.add(f"docs/security.md names {suite}.{name}, which is not a test")
    print(f"{len(names)} test names checked")


# Which layers each layer's files may include (src/CMakeLists.txt, README's layout). One way
# only: common <- {config, probe, eval, sources} <- engine <- metrics <- server <- cli; config,
# probe, eval and sources know nothing of each other; the demo backends only common; audit
# only common and config (its YAML reader), and only app uses it.
LAYERS = {
    "common": {"common"},
    "config": {"common", "config"},
    "probe": {"common", "probe"},
    "eval": {"common", "eval"},
    "sources": {"common", "sources"},
    "engine": {"common", "config", "probe", "eval", "sources", "engine"},
    "metrics": {"common", "config", "probe", "eval", "sources", "engine", "metrics"},
    "server": {"common", "config", "probe", "eval", "sources", "engine", "metrics", "server"},
    "demo": {"common", "demo"},
    "audit": {"common", "config", "audit"},
    "chaos": {"common", "config", "eval", "chaos"},
    "app": {"common", "config", "probe", "eval", "sources", "engine", "metrics", "server", "demo",
            "audit", "chaos", "app"},
    "cli": {"common", "config", "probe", "eval", "sources", "engine", "metrics", "server", "demo",
            "audit", "chaos", "app", "cli"},
}
# Includes that break the rule, each to be removed; the check fails on any include not listed
# here, and on a listed one that is gone (so the list only shrinks). Empty: the rule holds.
KNOWN_LAYER_VIOLATIONS = set()
MAX_SOURCE_LINES = 600


def check_layers(fails):
    src = os.path.join(REPO, "src")
    seen = set()
    files = 0
    for path in sorted(glob.glob(os.path.join(src, "**", "*.[ch]*"), recursive=True)):
        rel = os.path.relpath(path, src)
        layer = rel.split(os.sep)[0]
        if layer not in LAYERS:
            fails.add(f"src/{rel}: layer {layer!r} is not in the rule (tests/e2e/static_checks.py)")
            continue
        files += 1
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        # A file that grows past this has more than one job; split it by responsibility.
        if len(lines) > MAX_SOURCE_LINES:
            fails.add(f"src/{rel}: {len(lines)} lines, more than {MAX_SOURCE_LINES}")
        for number, line in enumerate(lines, 1):
            m = re.match(r'\s*#\s*include\s+"([a-z_]+)/([^"]+)"', line)
            if not m:
                continue
            target = f"{m.group(1)}/{m.group(2)}"
            if m.group(1) in LAYERS[layer]:
                continue
            if (rel, target) in KNOWN_LAYER_VIOLATIONS:
                seen.add((rel, target))
                continue
            fails.add(f"src/{rel}:{number}: {layer} may not include {target} "
                      f"(allowed: {', '.join(sorted(LAYERS[layer]))})")
    for rel, target in sorted(KNOWN_LAYER_VIOLATIONS - seen):
        fails.add(f"src/{rel} no longer includes {target}: drop it from KNOWN_LAYER_VIOLATIONS")
    print(f"{files} files checked, {len(KNOWN_LAYER_VIOLATIONS)} known violations left")


def main(argv):
    checks = {"rules": check_rules, "rule-tests": check_rule_tests, "deploy": check_deploy,
              "doc-tests": check_doc_tests, "layers": check_layers}
    if len(argv) != 1 or argv[0] not in checks:
        print(__doc__, file=sys.stderr)
        return 2
    fails = Failures()
    checks[argv[0]](fails)
    print(f"{argv[0]}: {len(fails)} problems")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
