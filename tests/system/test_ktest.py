"""Tier 2: the in-kernel KTEST suites, run with `test` on the console; each
KTAP case becomes one result here."""
import re

from guest import expect


def test_kernel_suites(guest):
    out = guest.cmd("test", timeout=600)
    expect(out.startswith("KTAP version 1"), "no KTAP header:\n" + out[:500])
    plan = re.search(r"^1\.\.(\d+)$", out, re.M)
    cases, diag = [], []
    for line in out.splitlines():
        m = re.match(r"^(not )?ok \d+ (\S+)", line)
        if m:
            cases.append((m.group(2), m.group(1) is None, "\n".join(diag)))
            diag = []
        elif line.startswith("    #") or line.startswith("["):
            diag.append(line.strip())
    expect(plan and int(plan.group(1)) == len(cases),
           "plan says %s, saw %d results" % (plan and plan.group(1), len(cases)))
    expect(re.search(r"^%d passed, %d failed$" % (sum(c[1] for c in cases),
                                                  sum(not c[1] for c in cases)), out, re.M),
           "summary line missing or wrong")
    return cases


def test_unknown_suite(guest):
    guest.cmd_err("test nosuchsuite")


def test_one_suite(guest):
    out = guest.cmd_ok("test heap")
    expect(re.search(r"^1\.\.6$", out, re.M) and "ok 1 heap." in out and "text_unchanged" in out, out)
