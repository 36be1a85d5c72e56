#!/usr/bin/env python3
"""The status page `/` in real headless Chromium (Debian's `chromium`).

    python3 tests/e2e/status_page_chromium.py --healthgap build/src/cli/healthgap \
        --out-dir build/tests/e2e

Starts `healthgap demo --web.listen-address 127.0.0.1:P` (P free, picked at run time), polls
/api/v1/status until every demo target shows its expected verdict and has recent probes
(bounded wait), then:
  1. `chromium --headless --dump-dom` on http://127.0.0.1:P/: the rendered DOM has every target
     in the targets table with its verdict (as text, and as the row's class), summary counts
     that add up to the table, links to /metrics and /api/v1/status (which answer 200), no
     script, and a recent-probes table per target whose rows read as probes (time, what,
     result, status or error, duration), the lie visible for shallow-health (health ok, samples
     failed: status) and none failed for honest;
  2. `chromium --headless --screenshot` into --out-dir/status_page.png: it exists, is a PNG of
     the window size, and is not blank (its pixel data varies).
Children are killed on exit, failure included; on failure their logs are printed. A missing
program is a FAILURE, never a skip.
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import urllib.error
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alerting_e2e import E2EFailure, e2e_session, free_port, http_get, wait_for  # noqa: E402

# The demo's targets and the verdicts it expects of them (its EXPECTED column).
EXPECTED_VERDICTS = {
    "honest": "healthy",
    "shallow-health": "mismatch",
    "pool-exhaustion": "mismatch",
    "cached-health": "mismatch",
    "deadlock": "mismatch",
    "false-negative": "false-negative",
    "degraded": "degraded",
    "flaky": "healthy",
    "slow": "healthy",
    "detached": "mismatch",
}
WINDOW = (1400, 1500)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CHROMIUM_DEADLINE = 90  # seconds for one Chromium run


class StatusDom(html.parser.HTMLParser):
    """What the test needs from the rendered DOM: the summary counts, the targets table, the
    recent-probes tables, links, and whether any script is present."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.counts = {}         # verdict or "total" -> int
        self.target_rows = []    # (row class, [cell texts])
        self.recent = {}         # h3 text -> [[cell texts]]
        self.links = []
        self.has_script = False
        self._section = None
        self._li_id = None
        self._row = None
        self._row_class = None
        self._cell = None
        self._h3 = None
        self._recent_target = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.has_script = True
        elif tag == "title":
            self._in_title = True
        elif tag == "section":
            self._section = a.get("id")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "li" and (a.get("id") or "").startswith("count-"):
            self._li_id = a["id"][len("count-"):]
            self._cell = ""
        elif tag == "h3" and self._section == "recent-probes":
            self._h3 = ""
        elif tag == "tr":
            self._row, self._row_class = [], a.get("class", "")
        elif tag == "td" and self._row is not None:
            self._cell = ""
        elif tag in ("div", "br") and self._cell is not None:
            self._cell += " "  # a new line on screen: the target's URL below its name

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "li" and self._li_id is not None:
            m = re.match(r"\s*(\d+)", self._cell or "")
            self.counts[self._li_id] = int(m.group(1)) if m else None
            self._li_id, self._cell = None, None
        elif tag == "h3" and self._h3 is not None:
            self._recent_target = self._h3.strip()
            self.recent[self._recent_target] = []
            self._h3 = None
        elif tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:  # header rows have th only
                if self._section == "targets":
                    self.target_rows.append((self._row_class, self._row))
                elif self._section == "recent-probes" and self._recent_target is not None:
                    self.recent[self._recent_target].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell += data
        if self._h3 is not None:
            self._h3 += data


def run_chromium(chromium, args, tmp, name):
    """Runs Chromium to completion in its own process group (killed whole on timeout)."""
    profile = tempfile.mkdtemp(prefix=f"chromium-{name}-", dir=tmp)
    log = os.path.join(tmp, f"chromium-{name}.log")
    argv = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    print("+", " ".join(argv), flush=True)
    with open(log, "wb") as err:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                             start_new_session=True, cwd=tmp)
        try:
            out, _ = p.communicate(timeout=CHROMIUM_DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise E2EFailure(f"chromium {name} did not finish within {CHROMIUM_DEADLINE}s "
                             f"(log: {log})")
        finally:
            try:  # helpers (zygote, renderer) that outlived the browser process
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if p.returncode != 0:
        raise E2EFailure(f"chromium {name} exited {p.returncode} (log: {log})")
    return out.decode("utf-8", errors="replace")


def check_dom(dom_text, base):
    dom = StatusDom()
    dom.feed(dom_text)
    problems = []
    if dom.title.strip() != "healthgap status":
        problems.append(f"title is {dom.title!r}")
    if dom.has_script:
        problems.append("the page contains a <script>")

    rows = {}
    for row_class, cells in dom.target_rows:
        if len(cells) != 8:
            problems.append(f"targets row with {len(cells)} cells, expected 8: {cells}")
            continue
        name = cells[0].split(" ")[0]  # the name, then the URL below it
        rows[name] = (row_class, cells)
    for target, verdict in EXPECTED_VERDICTS.items():
        if target not in rows:
            problems.append(f"target {target} missing from the targets table")
            continue
        row_class, cells = rows[target]
        if cells[1] != verdict:
            problems.append(f"{target}: verdict cell {cells[1]!r}, expected {verdict!r}")
        if row_class != f"verdict-{verdict}":
            problems.append(f"{target}: row class {row_class!r}, expected verdict-{verdict}")
        if not re.match(r"(healthy|unhealthy|unknown) \(", cells[2]):
            problems.append(f"{target}: LB view cell {cells[2]!r}")
        if not re.fullmatch(r"\d+ ok / \d+ failed", cells[4]):
            problems.append(f"{target}: user view cell {cells[4]!r}")
        if verdict != "healthy" and not cells[7]:
            problems.append(f"{target}: no reason shown for {verdict}")
    # The summary has one count per verdict the exporter knows, plus the total.
    verdicts = [v for v in dom.counts if v != "total"]
    for expected in set(EXPECTED_VERDICTS.values()) | {"unknown", "down"}:
        if expected not in verdicts:
            problems.append(f"the summary has no count for {expected}")
    for name, (_, cells) in rows.items():
        if cells[1] not in verdicts:
            problems.append(f"{name}: verdict cell {cells[1]!r} is no verdict")

    table_counts = {v: sum(1 for _, c in rows.values() if c[1] == v) for v in verdicts}
    for verdict in verdicts:
        if dom.counts.get(verdict) != table_counts[verdict]:
            problems.append(f"summary says {dom.counts.get(verdict)} {verdict}, the table has "
                            f"{table_counts[verdict]}")
    if dom.counts.get("total") != len(rows):
        problems.append(f"summary total {dom.counts.get('total')}, table rows {len(rows)}")

    for link in ("/metrics", "/api/v1/status"):
        if link not in dom.links:
            problems.append(f"no link to {link}")
        else:
            status, _ = http_get(base + link)
            if status != 200:
                problems.append(f"{link} answered {status}")

    time_re = re.compile(r"\d\d:\d\d:\d\d\.\d{3}")
    for target in EXPECTED_VERDICTS:
        probes = dom.recent.get(target)
        if not probes:
            problems.append(f"no recent probes shown for {target}")
            continue
        for cells in probes:
            if (len(cells) != 5 or not time_re.fullmatch(cells[0]) or not cells[1]
                    or not re.fullmatch(r"ok|failed: [a-z_]+", cells[2])
                    or not re.fullmatch(r"\d{3}|[a-z_]+", cells[3])
                    or not re.fullmatch(r"[\d.]+ m?s", cells[4])):
                problems.append(f"{target}: recent probe row does not read as a probe: {cells}")
                break
    lying = dom.recent.get("shallow-health") or []
    if not any(c[1] == "health" and c[2] == "ok" for c in lying):
        problems.append("shallow-health: no passing health probe among the recent probes")
    if not any(c[1] != "health" and c[2] == "failed: status" for c in lying):
        problems.append("shallow-health: no failed API sample among the recent probes")
    if any(c[2] != "ok" for c in dom.recent.get("honest") or []):
        problems.append("honest: a failed recent probe")
    return dom, problems


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 20_000:
        return f"{path}: only {len(data)} bytes"
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return f"{path}: no PNG signature"
    width, height = struct.unpack(">II", data[16:24])
    if (width, height) != WINDOW:
        return f"{path}: {width}x{height}, expected the window size {WINDOW[0]}x{WINDOW[1]}"
    # A blank page compresses to a handful of distinct (filtered) byte values.
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    distinct = len(set(zlib.decompress(idat)))
    if distinct < 64:
        return f"{path}: only {distinct} distinct byte values in the pixel data (blank page?)"
    print(f"screenshot {path}: {len(data)} bytes, {width}x{height}, {distinct} distinct bytes")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--healthgap", required=True, help="path to the healthgap binary")
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--out-dir", required=True, help="where status_page.png is written")
    ap.add_argument("--verdict-deadline", type=float, default=120)
    args = ap.parse_args()

    chromium = shutil.which(args.chromium)
    if not chromium or not os.access(args.healthgap, os.X_OK):
        print(f"FAIL: required programs not found: chromium={chromium}, "
              f"healthgap={args.healthgap} (Debian 12: scripts/install-deps.sh)")
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    screenshot = os.path.join(os.path.abspath(args.out_dir), "status_page.png")
    if os.path.exists(screenshot):
        os.remove(screenshot)  # a stale file must not pass for this run's

    tmp, children = e2e_session("healthgap-chromium-")
    ok = False
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        children.start("healthgap", [os.path.abspath(args.healthgap), "demo",
                                     "--web.listen-address", f"127.0.0.1:{port}"])

        def settled():
            status = json.loads(http_get(f"{base}/api/v1/status")[1])
            seen = {t["target"]: t for t in status["targets"]}
            print("  verdicts: " + " ".join(f"{n}={t['verdict']}" for n, t in seen.items()),
                  flush=True)
            return all(n in seen and seen[n]["verdict"] == v and seen[n]["recent"]
                       for n, v in EXPECTED_VERDICTS.items())
        wait_for("every demo target at its expected verdict with recent probes", settled,
                 args.verdict_deadline, children)

        dom_text = run_chromium(chromium, [f"--window-size={WINDOW[0]},{WINDOW[1]}",
                                           "--dump-dom", f"{base}/"], tmp, "dump-dom")
        dom, problems = check_dom(dom_text, base)
        if problems:
            print("\n".join(f"FAIL {p}" for p in problems))
            with open(os.path.join(tmp, "dom.html"), "w", encoding="utf-8") as f:
                f.write(dom_text)
            raise E2EFailure(f"{len(problems)} problem(s) in the rendered page "
                             f"(DOM saved in {tmp}/dom.html)")
        print(f"DOM: {len(dom.target_rows)} targets, counts {dom.counts}, recent probes "
              f"{ {t: len(r) for t, r in dom.recent.items()} }")

        run_chromium(chromium, [f"--window-size={WINDOW[0]},{WINDOW[1]}",
                                f"--screenshot={screenshot}", f"{base}/"], tmp, "screenshot")
        if not os.path.exists(screenshot):
            raise E2EFailure(f"chromium wrote no screenshot at {screenshot}")
        problem = check_png(screenshot)
        if problem:
            raise E2EFailure(problem)
        children.check_alive()
        ok = True
        print("status page OK in headless Chromium")
        return 0
    except (E2EFailure, OSError, urllib.error.URLError) as ex:
        print(f"\nFAIL: {ex}")
        return 1
    finally:
        children.stop_all()
        if not ok:
            children.print_logs()
            for name in ("dump-dom", "screenshot"):
                log = os.path.join(tmp, f"chromium-{name}.log")
                if os.path.exists(log):
                    with open(log, encoding="utf-8", errors="replace") as f:
                        print(f"\n===== chromium {name} log =====\n" + "".join(f.readlines()[-40:]))
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
