#!/usr/bin/env python3
"""Lints the Grafana dashboards in dashboards/ (python3 stdlib + promtool).

    python3 tests/e2e/dashboards_lint.py [--repo DIR] [--promtool PATH]

Checks, for every dashboards/*.json:
  - valid JSON; `uid` present, equal to the file name (stable across regenerations), unique;
  - a `datasource` template variable of type datasource (prometheus), and no hard-coded
    datasource anywhere: every `datasource` field references ${datasource};
  - a `target` template variable, used by every query on a per-target metric;
  - every panel (rows excepted) has a title, a description, a unit, at least one query, unique
    refIds, a gridPos; panel ids unique;
  - every range selector is [$__rate_interval];
  - every metric name exists in src/metrics/names.h (histogram suffixes allowed), every
    recording rule name in rules/*.yml;
  - at least one panel shows health success and API error ratio together;
  - every query parses as PromQL (variables substituted, checked with `promtool check rules`);
  - the JSON is what dashboards/generate.py produces (no hand edits that drift).
Exits 1 with one line per problem. A missing promtool is a failure, not a skip.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DS_REFS = {"$datasource", "${datasource}"}
SELF_METRICS = {  # exporter self-metrics: no `target` label
    "healthgap_probes_sent_total", "healthgap_probes_in_flight",
    "healthgap_scheduling_lag_seconds", "healthgap_targets", "healthgap_build_info",
    "healthgap_config_last_reload_successful",
    "healthgap_config_last_reload_success_timestamp_seconds",
}
HIST_SUFFIXES = ("_bucket", "_sum", "_count")


def load_metric_names(repo):
    with open(os.path.join(repo, "src/metrics/names.h"), encoding="utf-8") as f:
        return set(re.findall(r'constexpr\s+char\s+\w+\[\]\s*=\s*"([a-z_:]+)"', f.read()))


def load_recording_rules(repo):
    names = set()
    for path in glob.glob(os.path.join(repo, "rules", "*.yml")):
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r"^\s*-\s*record:\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", f.read(), re.M))
    return names


def iter_panels(panels):
    for p in panels:
        yield p
        yield from iter_panels(p.get("panels", []))


def queries(dashboard):
    """(where, expr) for every panel query and annotation query of a dashboard."""
    out = []
    for p in iter_panels(dashboard.get("panels", [])):
        for t in p.get("targets", []):
            out.append((f'panel "{p.get("title")}" {t.get("refId")}', t.get("expr", "")))
    for a in dashboard.get("annotations", {}).get("list", []):
        if a.get("expr"):
            out.append((f'annotation "{a.get("name")}"', a["expr"]))
    return out


def substitute(expr, target, rate_interval="1m"):
    """Grafana's variables as Prometheus needs them: $target -> a real target (works for = and
    =~), $__rate_interval and friends -> a duration."""
    expr = expr.replace("${target}", target).replace("$target", target)
    for var in ("$__rate_interval", "$__interval", "$__range"):
        expr = expr.replace(var, rate_interval)
    return expr


def walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + "/" + k, k, v
            yield from walk(v, path + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def lint_dashboard(path, d, metrics, records):
    errs = []
    name = os.path.splitext(os.path.basename(path))[0]
    e = lambda msg: errs.append(f"{os.path.basename(path)}: {msg}")  # noqa: E731
    if d.get("uid") != name:
        e(f'uid {d.get("uid")!r} must equal the file name {name!r} (stable uid)')
    if not d.get("title"):
        e("no title")
    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    dsvar = variables.get("datasource")
    if not dsvar or dsvar.get("type") != "datasource" or dsvar.get("query") != "prometheus":
        e("needs a template variable `datasource` of type datasource, query prometheus")
    tvar = variables.get("target")
    if not tvar:
        e("needs a template variable `target`")
    for where, key, value in walk(d):
        if key != "datasource":
            continue
        uid = value.get("uid") if isinstance(value, dict) else value
        if uid not in DS_REFS:
            e(f"hard-coded datasource {value!r} at {where}")
    ids = set()
    has_picture = False
    for p in iter_panels(d.get("panels", [])):
        title = p.get("title") or "<untitled>"
        if p.get("id") in ids:
            e(f'duplicate panel id {p.get("id")}')
        ids.add(p.get("id"))
        if not all(k in p.get("gridPos", {}) for k in ("x", "y", "w", "h")):
            e(f'panel "{title}": gridPos incomplete')
        if p.get("type") == "row":
            continue
        if not p.get("title"):
            e("panel without title")
        if not (p.get("description") or "").strip():
            e(f'panel "{title}": no description')
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            e(f'panel "{title}": no unit')
        targets = p.get("targets") or []
        if not targets:
            e(f'panel "{title}": no queries')
        refids = [t.get("refId") for t in targets]
        if len(set(refids)) != len(refids):
            e(f'panel "{title}": duplicate refId')
        exprs = " ".join(t.get("expr", "") for t in targets)
        if "probe_success" in exprs and "healthgap_api_request_failures_total" in exprs:
            has_picture = True
    for where, expr in queries(d):
        if not expr.strip():
            e(f"{where}: empty expr")
            continue
        for rng in re.findall(r"\[([^\]]*)\]", expr):
            if rng != "$__rate_interval":
                e(f"{where}: range [{rng}] must be [$__rate_interval]")
        words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r'"[^"]*"', '""', expr)))
        per_target = False
        for w in words:
            if ":" in w and w.startswith("healthgap"):
                if w not in records:
                    e(f"{where}: recording rule {w} not defined in rules/")
                per_target = True
            elif w.startswith("healthgap_") or w.startswith("probe_"):
                base = w
                for s in HIST_SUFFIXES:
                    if w.endswith(s) and w[: -len(s)] in metrics:
                        base = w[: -len(s)]
                if base not in metrics:
                    e(f"{where}: unknown metric {w} (not in src/metrics/names.h)")
                if base not in SELF_METRICS:
                    per_target = True
        if per_target and "$target" not in expr:
            e(f"{where}: per-target query does not use $target")
    return errs, has_picture


def promql_parse_check(promtool, exprs):
    """Parses every expression with promtool by wrapping them in a throwaway rule file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboards.rules.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("groups:\n  - name: dashboard-queries\n    rules:\n")
            for i, (_, expr) in enumerate(exprs):
                f.write(f"      - record: dashboard:query_{i}:check\n")
                f.write(f"        expr: {json.dumps(expr)}\n")
        r = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        if r.returncode != 0:
            return [f"promtool rejects a dashboard query:\n{r.stdout}{r.stderr}\n" +
                    "\n".join(f"  query_{i}: {w}: {x}" for i, (w, x) in enumerate(exprs))]
    return []


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--promtool", default="promtool")
    args = ap.parse_args()
    promtool = shutil.which(args.promtool)
    errs = []
    if not promtool:
        errs.append(f"promtool not found ({args.promtool}): install the Debian package prometheus")
    metrics = load_metric_names(args.repo)
    records = load_recording_rules(args.repo)
    if not metrics:
        errs.append("no metric names found in src/metrics/names.h")
    files = sorted(glob.glob(os.path.join(args.repo, "dashboards", "*.json")))
    if not files:
        errs.append("no dashboards/*.json")
    uids, all_exprs, picture = {}, [], False
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as ex:
            errs.append(f"{path}: {ex}")
            continue
        if d.get("uid") in uids:
            errs.append(f"{path}: uid {d.get('uid')} also used by {uids[d.get('uid')]}")
        uids[d.get("uid")] = path
        e, has_picture = lint_dashboard(path, d, metrics, records)
        errs += e
        picture |= has_picture
        all_exprs += [(f"{os.path.basename(path)} {w}", substitute(x, "example"))
                      for w, x in queries(d)]
    if files and not picture:
        errs.append("no panel shows health success (probe_success) and API error ratio "
                    "(healthgap_api_request_failures_total) together")
    if promtool and all_exprs:
        errs += promql_parse_check(promtool, all_exprs)
    gen = os.path.join(args.repo, "dashboards", "generate.py")
    if os.path.exists(gen):
        r = subprocess.run([sys.executable, gen, "--check"], capture_output=True, text=True)
        if r.returncode != 0:
            errs.append(r.stderr.strip() or "dashboards/generate.py --check failed")
    for err in errs:
        print("FAIL", err)
    print(f"dashboards_lint: {len(files)} dashboards, {len(all_exprs)} queries, "
          f"{len(errs)} problems")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
