#!/usr/bin/env python3
"""Generates the Grafana dashboards in this folder (python3 stdlib only).

    python3 dashboards/generate.py          # rewrite dashboards/*.json
    python3 dashboards/generate.py --check  # exit 1 if a committed JSON differs (CI)

Edit this file, not the JSON. Conventions (checked by tests/e2e/dashboards_lint.py):
stable `uid` equal to the file name, a `datasource` variable of type datasource and no
hard-coded datasource uid anywhere, `$__rate_interval` in every range selector, a unit and a
description on every panel, a `target` variable used by every per-target query.
Metric names: src/metrics/names.h.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}

# Verdicts and LB states encoded as numbers so one stat/state-timeline panel can colour them.
VERDICT_CODES = [("unknown", 0, "text"), ("healthy", 1, "green"), ("mismatch", 2, "red"),
                 ("down", 3, "orange"), ("false-negative", 4, "yellow"), ("degraded", 5, "purple")]
# Component status from deep health bodies (healthgap_health_component_status).
COMPONENT_CODES = [("pass", 0, "green"), ("warn", 1, "yellow"), ("fail", 2, "red")]
LB_CODES = [("unknown", 0, "text"), ("healthy", 1, "green"), ("unhealthy", 2, "orange")]


def encoded(metric, label, codes, selector):
    """max by (target) of a one-hot gauge, as one number per target (see *_CODES)."""
    terms = [f'max by (target) ({metric}{{{selector}, {label}="{name}"}}) * {code}'
             for name, code, _ in codes if code != 0]
    return "\n+ ".join(terms)


def mappings(codes, texts=None):
    texts = texts or {}
    return [{"type": "value", "options": {
        str(code): {"text": texts.get(name, name), "color": color, "index": i}}}
        for i, (name, code, color) in enumerate(codes)]


def error_ratio(selector, by="target"):
    return (f"sum by ({by}) (rate(healthgap_api_request_failures_total{{{selector}}}[$__rate_interval]))\n"
            f"/\nsum by ({by}) (rate(healthgap_api_requests_total{{{selector}}}[$__rate_interval]))")


def health_success(selector):
    return f"avg by (target) (avg_over_time(probe_success{{{selector}}}[$__rate_interval]))"


class Builder:
    def __init__(self):
        self.panels = []
        self.next_id = 1
        self.y = 0

    def row(self, title):
        self.panels.append({"type": "row", "title": title, "id": self._id(), "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.y += 1

    def panel(self, kind, title, description, unit, targets, x, w, h, *, newline=False,
              mappings_=None, thresholds=None, minmax=None, options=None, custom=None,
              links=None):
        defaults = {"unit": unit}
        if mappings_:
            defaults["mappings"] = mappings_
        defaults["thresholds"] = thresholds or {"mode": "absolute", "steps": [
            {"color": "green", "value": None}]}
        if minmax:
            defaults["min"], defaults["max"] = minmax
        if custom:
            defaults["custom"] = custom
        if links:
            defaults["links"] = links
        p = {
            "type": kind, "title": title, "description": description, "id": self._id(),
            "datasource": DS,
            "gridPos": {"x": x, "y": self.y, "w": w, "h": h},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options or {},
            "targets": [dict({"datasource": DS, "refId": chr(ord("A") + i), "expr": expr,
                              "legendFormat": legend, "range": True, "instant": False},
                             **extra)
                        for i, (expr, legend, *rest) in enumerate(targets)
                        for extra in [rest[0] if rest else {}]],
        }
        self.panels.append(p)
        if newline:
            self.y += h
        return p

    def _id(self):
        self.next_id += 1
        return self.next_id - 1


def templating(target_multi):
    target_var = {
        "name": "target", "label": "Target", "type": "query", "datasource": DS,
        "definition": "label_values(healthgap_verdict, target)",
        "query": {"query": "label_values(healthgap_verdict, target)", "refId": "target"},
        "refresh": 2, "sort": 1, "regex": "", "hide": 0,
        "multi": target_multi, "includeAll": target_multi, "current": {}, "options": [],
    }
    if target_multi:
        target_var["allValue"] = ".*"
    return {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource",
         "query": "prometheus", "regex": "", "hide": 0, "refresh": 1, "current": {},
         "options": []},
        target_var,
    ]}


def dashboard(uid, title, description, panels, target_multi, links):
    return {
        "uid": uid, "title": title, "description": description, "id": None,
        "tags": ["healthgap"], "timezone": "", "editable": True, "graphTooltip": 1,
        "schemaVersion": 38, "version": 1, "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
        "annotations": {"list": [{
            "name": "Mismatch alerts", "datasource": DS, "enable": True, "iconColor": "red",
            "expr": 'ALERTS{alertname="HealthCheckVsErrorRateMismatch", alertstate="firing", target=~"$target"}',
            "titleFormat": "HealthCheckVsErrorRateMismatch", "textFormat": "{{target}}",
            "step": "30s", "useValueForTime": False,
        }]},
        "templating": templating(target_multi),
        "links": links,
        "panels": panels,
    }


PERCENT_01 = (0, 1)
STAT_OPTS = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
             "colorMode": "background", "graphMode": "none", "textMode": "value_and_name",
             "justifyMode": "auto", "orientation": "auto"}
TS_OPTS = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull"],
                      "showLegend": True},
           "tooltip": {"mode": "multi", "sort": "desc"}}
LINE = {"drawStyle": "line", "lineWidth": 2, "fillOpacity": 0, "showPoints": "never",
        "spanNulls": False}
DRILL_LINK = [{"title": "Drill down: ${__field.labels.target}",
               "url": "/d/healthgap-target/healthgap-target?var-target=${__field.labels.target}&${datasource:queryparam}&${__url_time_range}"}]


def fleet():
    b = Builder()
    sel = 'target=~"$target"'
    b.row("Verdict")
    b.panel("stat", "Targets in mismatch",
            "Targets whose health check passes while their API fails (verdict `mismatch`): "
            "the load balancer is sending users to a broken backend. Should be 0.",
            "none", [(f'count(healthgap_verdict{{{sel}, verdict="mismatch"}} == 1) or vector(0)',
                      "mismatch")], 0, 4, 5,
            thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                      {"color": "red", "value": 1}]},
            options=dict(STAT_OPTS, textMode="value"))
    b.panel("stat", "Verdict per target",
            "The exporter's current verdict for each target: healthy, mismatch (health passes, "
            "API fails), down (both fail, the LB knows), false-negative (health fails, API "
            "works), unknown (not enough data yet). Click a target to drill down.",
            "none", [(encoded("healthgap_verdict", "verdict", VERDICT_CODES, sel),
                      "{{target}}")], 4, 20, 5, newline=True,
            mappings_=mappings(VERDICT_CODES), options=STAT_OPTS, links=DRILL_LINK)
    b.panel("state-timeline", "Verdict over time",
            "Verdict per target over time: how long each target has been lying to its load "
            "balancer, and when it started.",
            "none", [(encoded("healthgap_verdict", "verdict", VERDICT_CODES, sel),
                      "{{target}}")], 0, 24, 7, newline=True,
            mappings_=mappings(VERDICT_CODES),
            options={"showValue": "never", "mergeValues": True, "rowHeight": 0.8,
                     "legend": {"showLegend": True, "displayMode": "list",
                                "placement": "bottom"}})
    b.row("LB view vs user view")
    b.panel("timeseries", "Health success vs API error ratio",
            "The discrepancy as a picture. Health success: fraction of health checks that "
            "passed (what the load balancer sees). API error ratio: fraction of sampled API "
            "requests that failed (what users see). Both near 100% at once is the mismatch.",
            "percentunit", [(health_success(sel), "{{target}} health success"),
                            (error_ratio(sel), "{{target}} API error ratio")],
            0, 12, 9, minmax=PERCENT_01, options=TS_OPTS, custom=LINE)
    b.panel("timeseries", "The gap: health success minus API success",
            "Health check success ratio minus API success ratio, per target. 0: both views "
            "agree. Towards +100%: the health check claims health the API does not deliver "
            "(mismatch). Towards -100%: the health check fails a working API (false negative).",
            "percentunit",
            [(f"{health_success(sel)}\n- on (target)\n(1 - ({error_ratio(sel)}))",
              "{{target}}")],
            12, 12, 9, newline=True, minmax=(-1, 1), options=TS_OPTS, custom=LINE,
            thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                      {"color": "red", "value": 0.2}]})
    b.panel("timeseries", "LB in rotation vs users served",
            "LB view: 1 while the emulated load balancer keeps the target in rotation "
            "(consecutive-threshold state machine). User view: fraction of sampled API "
            "requests that succeeded. In rotation while users fail is the mismatch.",
            "percentunit",
            [(f"max by (target) (healthgap_lb_healthy{{{sel}}})", "{{target}} LB in rotation"),
             (f"1 - ({error_ratio(sel)})", "{{target}} users served")],
            0, 12, 8, minmax=PERCENT_01, options=TS_OPTS, custom=LINE)
    b.panel("timeseries", "API error ratio in the exporter's window",
            "The exporter's own sliding-window error ratio (evaluation.window, default 2m), "
            "the input of its verdict; compare with the threshold evaluation.max_error_ratio "
            "(default 20%).",
            "percentunit",
            [(f"max by (target) (healthgap_api_error_ratio{{{sel}}})", "{{target}}")],
            12, 12, 8, newline=True, minmax=PERCENT_01, options=TS_OPTS, custom=LINE)
    b.row("Exporter")
    b.panel("timeseries", "Probes sent",
            "Requests the exporter sends per second, health checks and API samples.",
            "reqps", [("sum by (kind) (rate(healthgap_probes_sent_total[$__rate_interval]))",
                       "{{kind}}")], 0, 8, 7, options=TS_OPTS, custom=LINE)
    b.panel("timeseries", "Scheduling lag p99",
            "How late probes start against their schedule (p99). Above ~1s the exporter is "
            "overloaded and its timings and verdicts lag (alert HealthgapProbesLagging).",
            "s", [("histogram_quantile(0.99, sum by (instance, le) "
                   "(rate(healthgap_scheduling_lag_seconds_bucket[$__rate_interval])))",
                   "{{instance}}")], 8, 8, 7, options=TS_OPTS, custom=LINE)
    b.panel("stat", "Config reload",
            "Whether each exporter's last configuration (re)load succeeded. A failed reload "
            "keeps the previous configuration (alert HealthgapConfigReloadFailed).",
            "none", [("healthgap_config_last_reload_successful", "{{instance}}")], 16, 8, 7,
            newline=True,
            mappings_=[{"type": "value", "options": {
                "1": {"text": "OK", "color": "green", "index": 0},
                "0": {"text": "FAILED", "color": "red", "index": 1}}}],
            options=STAT_OPTS)
    return dashboard(
        "healthgap-fleet", "healthgap / Fleet",
        "Every target at a glance: what the load balancer's health check says against what "
        "users get from the API.", b.panels, True,
        [{"title": "Target drill-down", "type": "link", "icon": "dashboard",
          "url": "/d/healthgap-target/healthgap-target", "keepTime": True,
          "includeVars": False, "tags": []}])


def target():
    b = Builder()
    sel = 'target="$target"'
    b.row("Now")
    b.panel("stat", "Verdict",
            "The exporter's current verdict for this target (see docs/metrics.md).",
            "none", [(encoded("healthgap_verdict", "verdict", VERDICT_CODES, sel), "verdict")],
            0, 6, 5, mappings_=mappings(VERDICT_CODES), options=dict(STAT_OPTS, textMode="value"))
    b.panel("stat", "LB view",
            "What the emulated load balancer does with this target: in rotation (healthy), out "
            "of rotation (unhealthy), or undecided (unknown, thresholds not reached yet).",
            "none", [(encoded("healthgap_lb_state", "state", LB_CODES, sel), "LB")],
            6, 6, 5, mappings_=mappings(LB_CODES, {"healthy": "in rotation",
                                                    "unhealthy": "out of rotation"}),
            options=dict(STAT_OPTS, textMode="value"))
    b.panel("stat", "API error ratio (window)",
            "Failed / total API samples in the exporter's sliding window, with the number of "
            "samples in it (below evaluation.min_samples the verdict is unknown).",
            "percentunit", [(f"max(healthgap_api_error_ratio{{{sel}}})", "error ratio")],
            12, 6, 5, options=dict(STAT_OPTS, textMode="value"),
            thresholds={"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                      {"color": "red", "value": 0.2}]})
    b.panel("stat", "Last health check status",
            "HTTP status code of the last health check (0: no response).",
            "none", [(f"max(probe_http_status_code{{{sel}}})", "status")], 18, 6, 5,
            newline=True, options=dict(STAT_OPTS, colorMode="value", textMode="value"))
    b.row("Health check vs API")
    b.panel("timeseries", "Health success vs API error ratio",
            "The discrepancy as a picture: fraction of health checks that passed against "
            "fraction of sampled API requests that failed. Both high at once is the mismatch.",
            "percentunit", [(health_success(sel), "health success"),
                            (error_ratio(sel), "API error ratio")],
            0, 12, 9, minmax=PERCENT_01, options=TS_OPTS, custom=LINE)
    b.panel("timeseries", "Latency: health check vs API",
            "p50 and p99 of the health check against each API sample. A health endpoint that "
            "answers in 1 ms while the API takes seconds does not exercise the API's path.",
            "s", [
                ("histogram_quantile(0.5, sum by (le) (rate(healthgap_health_probe_duration_seconds_bucket"
                 f"{{{sel}}}[$__rate_interval])))", "health p50"),
                ("histogram_quantile(0.99, sum by (le) (rate(healthgap_health_probe_duration_seconds_bucket"
                 f"{{{sel}}}[$__rate_interval])))", "health p99"),
                ("histogram_quantile(0.5, sum by (sample, le) (rate(healthgap_api_request_duration_seconds_bucket"
                 f"{{{sel}}}[$__rate_interval])))", "API {{sample}} p50"),
                ("histogram_quantile(0.99, sum by (sample, le) (rate(healthgap_api_request_duration_seconds_bucket"
                 f"{{{sel}}}[$__rate_interval])))", "API {{sample}} p99"),
            ], 12, 12, 9, newline=True, options=TS_OPTS, custom=LINE)
    b.panel("state-timeline", "LB view over time",
            "The emulated load balancer's state over time, and each health check's result.",
            "none", [(encoded("healthgap_lb_state", "state", LB_CODES, sel), "LB"),
                     (f"max(probe_success{{{sel}}})", "last probe ok")],
            0, 24, 5, newline=True,
            mappings_=mappings(LB_CODES, {"healthy": "in rotation",
                                          "unhealthy": "out of rotation"}),
            options={"showValue": "never", "mergeValues": True, "rowHeight": 0.8,
                     "legend": {"showLegend": True, "displayMode": "list",
                                "placement": "bottom"}})
    b.row("What the health check gives away")
    b.panel("stat", "Verdict cause",
            "The bounded cause behind the verdict (healthgap_verdict_info): shallow_check, "
            "detached_health, pool_exhaustion, cached_health, degraded_body, health_failing, "
            "both_failing, waiting or none. See docs/detection.md.",
            "none", [(f"max by (cause) (healthgap_verdict_info{{{sel}}})", "{{cause}}")],
            0, 6, 6, options=dict(STAT_OPTS, textMode="name"))
    b.panel("state-timeline", "Health body components",
            "Status of each component the health body reports, per component: pass, warn, "
            "fail. A fail while the health check passes is the degraded verdict.",
            "none", [("max by (component) (healthgap_health_component_status"
                      f"{{{sel}, status=\"warn\"}})\n+ 2 * max by (component) "
                      "(healthgap_health_component_status"
                      f"{{{sel}, status=\"fail\"}})", "{{component}}")],
            6, 12, 6, mappings_=mappings(COMPONENT_CODES),
            options={"showValue": "never", "mergeValues": True, "rowHeight": 0.8,
                     "legend": {"showLegend": True, "displayMode": "list",
                                "placement": "bottom"}})
    b.panel("timeseries", "Cached health and API/health latency ratio",
            "healthgap_health_cached per check (1: answers come from a cache) and the API p50 "
            "over health p50 latency ratio (high with a failing API: detached health check).",
            "none", [(f"max by (check) (healthgap_health_cached{{{sel}}})", "cached {{check}}"),
                     (f"max(healthgap_health_api_latency_ratio{{{sel}}})", "latency ratio")],
            18, 6, 6, newline=True, options=TS_OPTS, custom=LINE)
    b.row("Why it fails")
    bars = dict(LINE, drawStyle="bars", fillOpacity=80, stacking={"mode": "normal", "group": "A"})
    b.panel("timeseries", "API failures by reason",
            "Failed API samples per second by reason: status (unexpected status code), slow "
            "(over latency budget), timeout, connection_refused, connection_reset, dns, tls, "
            "too_large, bad_response, redirect_loop, body_mismatch, header_mismatch, other.",
            "reqps", [("sum by (reason) (rate(healthgap_api_request_failures_total"
                       f"{{{sel}}}[$__rate_interval]))", "{{reason}}")],
            0, 12, 8, options=TS_OPTS, custom=bars)
    b.panel("timeseries", "Health check failures by reason",
            "Failed health checks per second by reason (same reasons as the API).",
            "reqps", [("sum by (reason) (rate(healthgap_health_probe_failures_total"
                       f"{{{sel}}}[$__rate_interval]))", "{{reason}}")],
            12, 12, 8, newline=True, options=TS_OPTS, custom=bars)
    b.panel("timeseries", "Health check status code",
            "HTTP status code of each health check over time (0: no response). API responses "
            "are counted by failure reason (`status` above), not by code.",
            "none", [(f"max(probe_http_status_code{{{sel}}})", "health status")],
            0, 8, 8, options=TS_OPTS, custom=dict(LINE, drawStyle="points", showPoints="always"))
    b.panel("timeseries", "Health check phases (last probe)",
            "Where the last health check spent its time: resolve (DNS), connect (TCP), tls, "
            "processing (until the first byte), transfer.",
            "s", [(f"max by (phase) (probe_http_duration_seconds{{{sel}}})", "{{phase}}")],
            8, 8, 8, options=TS_OPTS,
            custom=dict(LINE, fillOpacity=60, stacking={"mode": "normal", "group": "A"}))
    b.panel("timeseries", "API samples per second",
            "API requests the exporter completes per second for this target, per sample, "
            "with the failed ones.",
            "reqps", [("sum by (sample) (rate(healthgap_api_requests_total"
                       f"{{{sel}}}[$__rate_interval]))", "{{sample}} total"),
                      ("sum by (sample) (rate(healthgap_api_request_failures_total"
                       f"{{{sel}}}[$__rate_interval]))", "{{sample}} failed")],
            16, 8, 8, newline=True, options=TS_OPTS, custom=LINE)
    return dashboard(
        "healthgap-target", "healthgap / Target",
        "One target in depth: health check against API, latency, failure reasons, status "
        "codes and phases.", b.panels, False,
        [{"title": "Fleet", "type": "link", "icon": "dashboard",
          "url": "/d/healthgap-fleet/healthgap-fleet", "keepTime": True,
          "includeVars": False, "tags": []}])


def render(d):
    return json.dumps(d, indent=2, sort_keys=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for d in (fleet(), target()):
        path = os.path.join(HERE, d["uid"] + ".json")
        text = render(d)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("dashboards out of date (run python3 dashboards/generate.py):", *stale,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
