#!/usr/bin/env python3
"""Static checks of deploy/kubernetes/ against the real binary, promtool and rules/.

    python3 tests/e2e/k8s_manifests_test.py --healthgap build/src/cli/healthgap [--repo DIR]

Checks:
  1. every YAML file of deploy/kubernetes/ parses and holds exactly the expected kinds and
     apiVersions (a new file must be added here); kustomization.yaml lists existing files;
  2. the objects refer to each other correctly: selectors match labels, named ports exist, the
     --config path is the mounted ConfigMap key, the probes hit /-/healthy and /-/ready, the
     pod runs as non-root with a read-only root filesystem, the Probe's prober is the Service;
  3. container args use only flags that `healthgap <subcommand> --help` lists;
  4. the ConfigMap's embedded config passes `healthgap check-config`;
  5. prometheusrule.yaml is what deploy/kubernetes/generate.py writes, byte for byte (and the
     generator does flag a stale file), its spec.groups equal the groups of rules/*.rules.yml
     after parsing, and `promtool check rules` accepts them;
  6. every ```yaml block of docs/kubernetes.md parses; its StatefulSet (sharding) example uses
     real flags and --shard I/N with N equal to its replicas.
Needs python3-yaml (PyYAML) and promtool; a missing one is a FAILURE, never a skip.
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

try:
    import yaml
except ImportError:  # reported as a failure in main()
    yaml = None

EXPECTED = {
    "configmap.yaml": [("v1", "ConfigMap")],
    "deployment.yaml": [("apps/v1", "Deployment")],
    "service.yaml": [("v1", "Service")],
    "servicemonitor.yaml": [("monitoring.coreos.com/v1", "ServiceMonitor")],
    "prometheusrule.yaml": [("monitoring.coreos.com/v1", "PrometheusRule")],
    "probe.yaml": [("monitoring.coreos.com/v1", "Probe")],
    "kustomization.yaml": [("kustomize.config.k8s.io/v1beta1", "Kustomization")],
}


class Failures(list):
    def add(self, msg):
        self.append(msg)
        print("FAIL", msg, flush=True)

    def expect(self, condition, msg):
        if not condition:
            self.add(msg)
        return condition


def load_manifests(kdir, fails):
    docs = {}
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(kdir, "*.y*ml")))
    for name in files:
        if name not in EXPECTED:
            fails.add(f"{name}: not known to this test; add its expected kinds to EXPECTED")
            continue
        try:
            with open(os.path.join(kdir, name), encoding="utf-8") as f:
                loaded = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as ex:
            fails.add(f"{name}: not valid YAML: {ex}")
            continue
        kinds = [(d.get("apiVersion"), d.get("kind")) if isinstance(d, dict) else None
                 for d in loaded]
        if fails.expect(kinds == EXPECTED[name], f"{name}: kinds {kinds}, expected "
                                                 f"{EXPECTED[name]}"):
            docs[name] = loaded[0]
    for name in EXPECTED:
        fails.expect(name in files, f"{name}: missing from deploy/kubernetes/")
    print(f"parsed {len(docs)} manifests: {', '.join(sorted(docs))}")
    return docs


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_references(docs, fails):
    kust = docs["kustomization.yaml"]
    for res in kust.get("resources", []):
        fails.expect(res in docs, f"kustomization.yaml: resource {res} is not a checked manifest")
    fails.expect("prometheusrule.yaml" in kust.get("resources", []),
                 "kustomization.yaml: does not deploy the PrometheusRule")

    cm, dep, svc = docs["configmap.yaml"], docs["deployment.yaml"], docs["service.yaml"]
    smon, probe = docs["servicemonitor.yaml"], docs["probe.yaml"]
    pod = dep["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    fails.expect(matches(dep["spec"]["selector"]["matchLabels"], pod_labels),
                 "Deployment selector does not match its pod template labels")
    fails.expect(matches(svc["spec"]["selector"], pod_labels),
                 "Service selector does not match the pod labels")
    fails.expect(matches(smon["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]),
                 "ServiceMonitor selector does not match the Service labels")
    namespaces = {d["metadata"].get("namespace") for n, d in docs.items()
                  if n != "kustomization.yaml"}
    fails.expect(len(namespaces) == 1, f"objects in several namespaces: {namespaces}")

    [container] = pod["spec"]["containers"]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    svc_ports = {p["name"]: p for p in svc["spec"]["ports"]}
    for p in svc_ports.values():
        fails.expect(p["targetPort"] in port_names,
                     f"Service port {p['name']}: targetPort {p['targetPort']} is no container port")
    for ep in smon["spec"]["endpoints"]:
        fails.expect(ep.get("port") in svc_ports, f"ServiceMonitor port {ep.get('port')} is no "
                                                  "Service port name")
        fails.expect(ep.get("path") == "/metrics", "ServiceMonitor does not scrape /metrics")
    # HealthgapExporterDown watches up{job="healthgap"}; the operator's job is the Service name.
    fails.expect(svc["metadata"]["name"] == "healthgap" and "jobLabel" not in smon["spec"],
                 "the scrape job would not be `healthgap` (rules: HealthgapExporterDown)")

    for kind, path in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
        get = container.get(kind, {}).get("httpGet", {})
        fails.expect(get.get("path") == path, f"{kind} does not GET {path}")
        fails.expect(get.get("port") in port_names, f"{kind} port is no container port")

    args = container["args"]
    flags = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
    listen = flags.get("web.listen-address", "")
    fails.expect(listen.rsplit(":", 1)[-1] == str(port_names.get("http-metrics")),
                 f"--web.listen-address {listen!r} is not the http-metrics container port")
    config_path = flags.get("config", "")
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    config_volumes = [n for n, v in volumes.items()
                      if v.get("configMap", {}).get("name") == cm["metadata"]["name"]]
    fails.expect(len(config_volumes) == 1, "no volume of the ConfigMap")
    if config_volumes:
        mount = mounts.get(config_volumes[0], {})
        fails.expect("subPath" not in mount, "config mounted with subPath: never updated")
        fails.expect(mount.get("readOnly") is True, "config mount is not read-only")
        fails.expect(os.path.dirname(config_path) == mount.get("mountPath")
                     and os.path.basename(config_path) in cm["data"],
                     f"--config {config_path} is not a key of the mounted ConfigMap")

    pod_sc, sc = pod["spec"].get("securityContext", {}), container.get("securityContext", {})
    fails.expect(pod_sc.get("runAsNonRoot") is True and pod_sc.get("runAsUser", 0) != 0,
                 "pod does not run as non-root")
    fails.expect(sc.get("readOnlyRootFilesystem") is True, "root filesystem is writable")
    fails.expect(sc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed")
    fails.expect(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities not dropped")
    res = container.get("resources", {})
    fails.expect(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")
                 and res.get("limits", {}).get("memory"), "resources: requests/limits missing")

    prober = probe["spec"]["prober"]
    ns = svc["metadata"]["namespace"]
    svc_port = svc_ports["http-metrics"]["port"]
    fails.expect(prober.get("url") == f"{svc['metadata']['name']}.{ns}.svc:{svc_port}",
                 f"Probe prober.url {prober.get('url')} is not the Service")
    fails.expect(prober.get("path") == "/probe", "Probe does not use /probe")
    fails.expect(bool(probe["spec"].get("module")), "Probe names no module")
    static = probe["spec"].get("targets", {}).get("staticConfig", {}).get("static", [])
    fails.expect(static and all(re.match(r"https?://", t) for t in static),
                 "Probe: static targets must be URLs")
    fails.expect(probe["spec"].get("jobName") not in (None, "healthgap"),
                 "Probe job must not be `healthgap` (the exporter's own job)")
    print("cross-references checked")


def check_flags(healthgap, docs, fails):
    container = docs["deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    subcommand = args[0]
    r = subprocess.run([healthgap, subcommand, "--help"], capture_output=True, text=True,
                       timeout=30)
    if not fails.expect(r.returncode == 0, f"healthgap {subcommand} --help exited "
                                           f"{r.returncode}: {r.stderr}"):
        return
    known = set(re.findall(r"(--[A-Za-z0-9][A-Za-z0-9._-]*)", r.stdout))
    used = [a.split("=", 1)[0] for a in args[1:] if a.startswith("--")]
    fails.expect(used, "no flags in the container args")
    unknown = [flag for flag in used if flag not in known]
    if fails.expect(not unknown, f"container args {unknown} are not flags of `healthgap "
                                 f"{subcommand}` (--help lists {sorted(known)})"):
        print(f"flags {used} are all in `healthgap {subcommand} --help`")


def check_config(healthgap, docs, tmp, fails):
    for key, text in docs["configmap.yaml"]["data"].items():
        path = os.path.join(tmp, key)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = subprocess.run([healthgap, "check-config", path], capture_output=True, text=True,
                           timeout=30)
        fails.expect(r.returncode == 0, f"configmap.yaml {key}: check-config exited "
                                        f"{r.returncode}: {r.stdout}{r.stderr}")
        print(f"check-config {key}: exit {r.returncode}")


def rule_groups(repo):
    groups = []
    for path in sorted(glob.glob(os.path.join(repo, "rules", "*.rules.yml"))):
        with open(path, encoding="utf-8") as f:
            groups += yaml.safe_load(f)["groups"]
    return groups


def check_prometheusrule(repo, docs, tmp, fails):
    generator = os.path.join(repo, "deploy", "kubernetes", "generate.py")
    r = subprocess.run([sys.executable, generator, "--check"], capture_output=True, text=True,
                       timeout=60)
    fails.expect(r.returncode == 0, f"generate.py --check exited {r.returncode}: {r.stderr}")

    # The check must be able to fail: a copy with one rule file changed is stale.
    copy = os.path.join(tmp, "repo")
    shutil.copytree(os.path.join(repo, "rules"), os.path.join(copy, "rules"))
    shutil.copytree(os.path.join(repo, "deploy", "kubernetes"),
                    os.path.join(copy, "deploy", "kubernetes"))
    rules_copy = sorted(glob.glob(os.path.join(copy, "rules", "*.rules.yml")))[0]
    with open(rules_copy, "a", encoding="utf-8") as f:
        f.write("  - name: added-after-generation\n    rules: []\n")
    r = subprocess.run([sys.executable, os.path.join(copy, "deploy", "kubernetes", "generate.py"),
                        "--check"], capture_output=True, text=True, timeout=60)
    fails.expect(r.returncode == 1 and "stale" in r.stderr,
                 f"generate.py --check did not flag a stale copy (exit {r.returncode})")

    expected = rule_groups(repo)
    actual = docs["prometheusrule.yaml"]["spec"]["groups"]
    fails.expect(expected, "no rule groups under rules/")
    if actual != expected:
        differing = [e.get("name") for a, e in zip(actual, expected) if a != e]
        fails.add("prometheusrule.yaml spec.groups differ from rules/*.rules.yml: "
                  f"{len(actual)} vs {len(expected)} groups; differing: {differing}")
    else:
        print(f"spec.groups equal rules/: {len(actual)} groups, "
              f"{sum(len(g['rules']) for g in actual)} rules")

    promtool = shutil.which("promtool")
    if not fails.expect(promtool, "promtool not found in PATH (scripts/install-deps.sh)"):
        return
    extracted = os.path.join(tmp, "prometheusrule-groups.json")
    with open(extracted, "w", encoding="utf-8") as f:
        json.dump({"groups": actual}, f)
    r = subprocess.run([promtool, "check", "rules", extracted], capture_output=True, text=True,
                       timeout=60)
    fails.expect(r.returncode == 0, f"promtool check rules on spec.groups exited "
                                    f"{r.returncode}: {r.stdout}{r.stderr}")


def serve_flags(healthgap, fails):
    r = subprocess.run([healthgap, "serve", "--help"], capture_output=True, text=True, timeout=30)
    fails.expect(r.returncode == 0, f"healthgap serve --help exited {r.returncode}")
    return set(re.findall(r"(--[A-Za-z0-9][A-Za-z0-9._-]*)", r.stdout))


def check_docs(repo, healthgap, fails):
    path = os.path.join(repo, "docs", "kubernetes.md")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as ex:
        fails.add(f"docs/kubernetes.md: {ex}")
        return
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)
    fails.expect(blocks, "docs/kubernetes.md has no ```yaml blocks")
    statefulsets = []
    for i, block in enumerate(blocks):
        try:
            docs = [d for d in yaml.safe_load_all(block) if isinstance(d, dict)]
        except yaml.YAMLError as ex:
            fails.add(f"docs/kubernetes.md yaml block {i + 1}: {ex}")
            continue
        statefulsets += [d for d in docs if d.get("kind") == "StatefulSet"]
    print(f"docs/kubernetes.md: {len(blocks)} yaml blocks parse")
    # The sharding example: real flags, and N in --shard I/N equal to the replicas.
    if not fails.expect(len(statefulsets) == 1, "docs/kubernetes.md: no StatefulSet example"):
        return
    sts = statefulsets[0]
    args = sts["spec"]["template"]["spec"]["containers"][0]["args"]
    known = serve_flags(healthgap, fails)
    unknown = [a.split("=", 1)[0] for a in args[1:]
               if a.startswith("--") and a.split("=", 1)[0] not in known]
    fails.expect(args[0] == "serve" and not unknown,
                 f"docs StatefulSet: args {unknown} are not flags of `healthgap serve`")
    shard = [a for a in args if a.startswith("--shard=")]
    m = re.fullmatch(r"--shard=\$\(SHARD_INDEX\)/(\d+)", shard[0]) if shard else None
    fails.expect(m and int(m.group(1)) == sts["spec"]["replicas"],
                 f"docs StatefulSet: --shard {shard} does not split into `replicas` shards")
    print(f"docs StatefulSet: args {args[1:]} are real flags, {sts['spec']['replicas']} shards")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--healthgap", required=True, help="path to the healthgap binary")
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    args = ap.parse_args()
    fails = Failures()
    if yaml is None:
        print("FAIL python3 module `yaml` missing (Debian 12: python3-yaml, "
              "scripts/install-deps.sh)")
        return 1
    if not os.access(args.healthgap, os.X_OK):
        print(f"FAIL healthgap binary not executable: {args.healthgap}")
        return 1
    docs = load_manifests(os.path.join(args.repo, "deploy", "kubernetes"), fails)
    with tempfile.TemporaryDirectory(prefix="healthgap-k8s-") as tmp:
        if len(docs) == len(EXPECTED):
            checks = [lambda: check_references(docs, fails),
                      lambda: check_flags(args.healthgap, docs, fails),
                      lambda: check_config(args.healthgap, docs, tmp, fails),
                      lambda: check_prometheusrule(args.repo, docs, tmp, fails)]
            for check in checks:
                try:
                    check()
                except (KeyError, TypeError, ValueError, AttributeError) as ex:
                    fails.add(f"manifest shape: {type(ex).__name__}: {ex}")
        check_docs(args.repo, args.healthgap, fails)
    if fails:
        print(f"\n{len(fails)} failure(s)")
        return 1
    print("\nall Kubernetes manifest checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
