#!/usr/bin/env python3
"""Run kprobe64's test tiers and end with one line: N passed, N failed.

  tests/run.py --host BIN...   host unit-test binaries; each must print KTAP
                               with a plan whose count matches its results
  tests/run.py --system [-k EXPR] [-j N] [--dir PATH] [PYTEST-ARGS...]
                               tests/system/ and tests/harness/ through pytest
                               (the in-kernel KTEST suites run from there, one
                               result per case)

A result is one host KTAP case or one pytest test. A pytest test fails when
any of its phases fails, including the guest checks made after it
(tests/system/conftest.py); a skipped test counts as failed, because nothing
in this suite may stop checking silently.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KTAP_RESULT = re.compile(r"^(not )?ok (\d+) (.*?)(?: # (SKIP.*))?$")
KTAP_PLAN = re.compile(r"^1\.\.(\d+)$")


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def add(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok - %s" % name)
        else:
            self.failed += 1
            print("not ok - %s" % name)
            for line in detail.rstrip().splitlines()[-40:]:
                print("    # " + line)
        sys.stdout.flush()


def parse_ktap(text):
    """Top-level KTAP -> (plan or None, [(name, ok, diagnostics before it)]).
    A SKIP directive is not a pass."""
    plan, out, diag = None, [], []
    for line in text.splitlines():
        m = KTAP_RESULT.match(line)
        p = KTAP_PLAN.match(line)
        if m:
            ok = m.group(1) is None and not m.group(4)
            if m.group(4):
                diag.append("skipped: " + m.group(4))
            out.append((m.group(3), ok, "\n".join(diag)))
            diag = []
        elif p:
            plan = int(p.group(1))
        elif line.startswith("    #") or line.startswith("#"):
            diag.append(line.strip())
    return plan, out


def check_host_binary(name, returncode, stdout, stderr):
    """Every result a host binary reports, plus one failure for anything that
    makes its report untrustworthy: no KTAP header, no plan, a plan that does
    not match, or an exit status that disagrees with the results."""
    plan, cases = parse_ktap(stdout)
    results = [("%s: %s" % (name, c), ok, d) for c, ok, d in cases]
    problems = []
    if not any(l.strip() == "KTAP version 1" for l in stdout.splitlines()):
        problems.append("no 'KTAP version 1' header")
    if plan is None:
        problems.append("no KTAP plan (1..N)")
    elif plan != len(cases):
        problems.append("plan says 1..%d, %d results reported" % (plan, len(cases)))
    if plan == 0 or not cases:
        problems.append("no test results")
    all_ok = all(ok for _, ok, _ in cases)
    if returncode != 0 and all_ok:
        problems.append("exit status %d although every reported case passed" % returncode)
    if returncode == 0 and not all_ok:
        problems.append("exit status 0 although a case failed")
    if problems:
        results.append((name, False, "; ".join(problems) + "\n" + (stdout + stderr)[-3000:]))
    return results


def run_host(bins, res, pattern):
    for b in bins:
        name = os.path.basename(b).replace("test_", "host/")
        try:
            p = subprocess.run([b], capture_output=True, text=True, timeout=600, cwd=ROOT)
        except subprocess.TimeoutExpired:
            res.add(name, False, "timed out after 600 s")
            continue
        for line in p.stdout.splitlines():
            if line.startswith("# ") and "passed" not in line:
                print("    " + line)
        for rname, ok, detail in check_host_binary(name, p.returncode, p.stdout, p.stderr):
            if pattern in rname or not ok:
                res.add(rname, ok, detail)


class PytestCounter:
    """A pytest plugin: one result per test id, failed if any phase failed."""

    def __init__(self, res):
        self.res = res
        self.state = {}         # nodeid -> [ok, detail]

    def pytest_runtest_logreport(self, report):
        st = self.state.setdefault(report.nodeid, [True, ""])
        if report.failed or report.skipped:
            st[0] = False
            what = "skipped" if report.skipped else "failed in %s" % report.when
            st[1] += "%s:\n%s\n" % (what, report.longreprtext)
        if report.when == "teardown":
            ok, detail = self.state.pop(report.nodeid)
            self.res.add(report.nodeid.replace("tests/system/", ""), ok, detail)

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report, config):
        return report.outcome, "", ""   # our own lines replace pytest's progress dots

    def pytest_collectreport(self, report):
        if report.failed:
            self.res.add("collect %s" % report.nodeid, False, report.longreprtext)


def run_system(res, pattern, jobs, extra, paths):
    iso = os.path.join(ROOT, "build", "kprobe64.iso")
    if not os.path.exists(iso):
        res.add("system: ISO exists", False, "no %s; run 'make iso'" % iso)
        return
    sys.path.insert(0, os.path.join(HERE, "system"))   # guest.py and the guest_checks plugin
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(HERE, "system"),
                                                             os.environ.get("PYTHONPATH")]))
    args = ["-c", os.path.join(HERE, "system", "pytest.ini"), "-p", "guest_checks",
            "-p", "no:cacheprovider", "-qq", "--no-header", "--no-summary", "--tb=short",
            "-o", "console_output_style=classic", "--rootdir", ROOT] + paths
    if pattern:
        args += ["-k", pattern]
    if jobs > 1:
        args += ["-n", str(jobs), "--dist", "loadfile"]
    code = pytest.main(args + extra, plugins=[PytestCounter(res)])
    if code not in (0, 1, 5):   # 1: tests failed (counted); 5: none selected
        res.add("system: pytest", False, "pytest exited with status %d" % code)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", nargs="*", default=None)
    ap.add_argument("--system", action="store_true")
    ap.add_argument("-k", default="")
    ap.add_argument("-j", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--dir", action="append", help="system tests to run instead of "
                    "tests/system and the harness's own tests")
    a, extra = ap.parse_known_args()
    res = Results()
    t0 = time.time()
    if a.host is not None:
        run_host(a.host, res, a.k)
    if a.system:
        run_system(res, a.k, a.j, extra, a.dir or [os.path.join(HERE, "system"),
                                                  os.path.join(HERE, "harness", "test_harness.py")])
    print("# %.0f s" % (time.time() - t0))
    print("%d passed, %d failed" % (res.passed, res.failed))
    sys.exit(1 if res.failed or not res.passed else 0)


if __name__ == "__main__":
    main()
