#!/usr/bin/env python3
"""Run kprobe64's test tiers and end with one line: N passed, N failed.

  tests/run.py --host BIN...   host unit-test binaries (KTAP on stdout)
  tests/run.py --system        tests/system/test_*.py: each test_* function
                               boots QEMU (or shares one guest per module) and
                               drives the console; in-kernel KTEST suites run
                               through the console from there
Options: -k PATTERN runs only tests whose name contains PATTERN; -j N workers.
"""
import argparse
import concurrent.futures
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "system"))
KTAP_LINE = re.compile(r"^(not )?ok (\d+) (.*?)(?: # (SKIP.*))?$")


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
    """Top-level KTAP result lines -> [(name, ok, preceding diagnostics)]."""
    out, diag = [], []
    for line in text.splitlines():
        m = KTAP_LINE.match(line)
        if m:
            out.append((m.group(3), m.group(1) is None, "\n".join(diag)))
            diag = []
        elif line.startswith("    #") or line.startswith("#"):
            diag.append(line.strip())
    return out


def run_host(bins, res, pattern):
    for b in bins:
        name = os.path.basename(b).replace("test_", "host/")
        try:
            p = subprocess.run([b], capture_output=True, text=True, timeout=600,
                               cwd=os.path.dirname(HERE))
        except subprocess.TimeoutExpired:
            res.add(name, False, "timed out after 600 s")
            continue
        cases = parse_ktap(p.stdout)
        for case, ok, diag in cases:
            if pattern in "%s: %s" % (name, case):
                res.add("%s: %s" % (name, case), ok, diag)
        for line in p.stdout.splitlines():
            if line.startswith("# ") and "passed" not in line:
                print("    " + line)
        if p.returncode != 0 and all(ok for _, ok, _ in cases):
            res.add(name, False, "exit status %d\n%s" % (p.returncode, (p.stdout + p.stderr)[-3000:]))


def load_modules():
    mods = []
    sysdir = os.path.join(HERE, "system")
    for fn in sorted(os.listdir(sysdir)):
        if fn.startswith("test_") and fn.endswith(".py"):
            spec = importlib.util.spec_from_file_location(fn[:-3], os.path.join(sysdir, fn))
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            mods.append(mod)
    return mods


def run_module(mod, pattern):
    """Run one module's tests; returns [(name, ok, detail)]. Tests taking a
    'guest' argument share one booted guest (rebooted if a test kills it)."""
    from guest import Guest
    results = []
    shared = None
    make_guest = getattr(mod, "make_guest", lambda: Guest())
    try:
        for fname, fn in inspect.getmembers(mod, inspect.isfunction):
            if not fname.startswith("test_") or fn.__module__ != mod.__name__:
                continue
            name = "%s: %s" % (mod.__name__[5:], fname[5:])
            if pattern not in name:
                continue
            t0 = time.time()
            try:
                if "guest" in inspect.signature(fn).parameters:
                    if shared is None or shared.proc.poll() is not None:
                        if shared:
                            shared.close()
                        shared = make_guest()
                    r = fn(shared)
                else:
                    r = fn()
                if isinstance(r, list):     # several named results (e.g. KTAP)
                    for sub, ok, detail in r:
                        results.append(("%s: %s" % (name, sub), ok, detail))
                else:
                    results.append((name, True, ""))
            except Exception as e:
                detail = "%s: %s" % (type(e).__name__, e)
                if not isinstance(e, AssertionError):
                    detail += "\n" + traceback.format_exc()
                results.append((name, False, detail))
                if shared is not None:      # a failed test may leave it wedged
                    shared.close()
                    shared = None
            if time.time() - t0 > 60:
                print("    # %s took %.0f s" % (name, time.time() - t0))
    finally:
        if shared is not None:
            shared.close()
    return results


def run_system(res, pattern, jobs):
    iso = os.path.join(os.path.dirname(HERE), "build", "kprobe64.iso")
    if not os.path.exists(iso):
        res.add("system: ISO exists", False, "no %s; run 'make iso'" % iso)
        return
    mods = load_modules()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [ex.submit(run_module, m, pattern) for m in mods]
        for f in futs:
            for name, ok, detail in f.result():
                res.add(name, ok, detail)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", nargs="*", default=None)
    ap.add_argument("--system", action="store_true")
    ap.add_argument("-k", default="")
    ap.add_argument("-j", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    a = ap.parse_args()
    res = Results()
    t0 = time.time()
    if a.host is not None:
        run_host(a.host, res, a.k)
    if a.system:
        run_system(res, a.k, a.j)
    print("# %.0f s" % (time.time() - t0))
    print("%d passed, %d failed" % (res.passed, res.failed))
    sys.exit(1 if res.failed or not res.passed else 0)


if __name__ == "__main__":
    main()
