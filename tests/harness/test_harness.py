"""The harness's own tests: a broken kernel or a broken test must make the
run fail. The system cases in cases/ run against fake_kernel.py (a console
that misbehaves on request) through tests/run.py, exactly as make test runs
the real ones; the host-tier rules are checked on made-up binary output."""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, TESTS)
import run  # noqa: E402  (tests/run.py)


def run_case(name):
    env = dict(os.environ, QEMU=os.path.join(HERE, "fake_kernel.py"))
    env.pop("PYTEST_XDIST_WORKER", None)
    p = subprocess.run([sys.executable, os.path.join(TESTS, "run.py"), "--system", "-j", "1",
                        "--dir", os.path.join(HERE, "cases", name)],
                       capture_output=True, text=True, timeout=300, env=env)
    m = re.search(r"^(\d+) passed, (\d+) failed$", p.stdout, re.M)
    assert m, "no summary line:\n" + p.stdout[-2000:] + p.stderr[-2000:]
    return int(m.group(1)), int(m.group(2)), p.returncode, p.stdout


@pytest.mark.parametrize("case, passed, failed, why", [
    ("test_healthy.py", 1, 0, None),
    ("test_oops_after_prompt.py", 0, 1, r"oops: \[    1.000000\] Oops: page fault"),
    ("test_dead_between.py", 1, 1, r"the shared guest died between tests|the guest died during the test"),
    ("test_returns_result.py", 0, 1, r"PytestReturnNotNoneWarning"),
    ("test_leaves_event.py", 0, 1, r"the test left 'kprobe_events' changed"),
])
def test_broken_things_fail_the_run(case, passed, failed, why):
    p, f, code, out = run_case(case)
    assert (p, f) == (passed, failed), out[-3000:]
    assert (code != 0) == (failed > 0), "exit status %d with %d failed" % (code, f)
    if why:
        assert re.search(why, out), out[-3000:]


KTAP_OK = "KTAP version 1\nok 1 a\nok 2 b\n1..2\n"


@pytest.mark.parametrize("stdout, code, problem", [
    (KTAP_OK, 0, None),
    ("", 0, "no 'KTAP version 1' header"),
    ("KTAP version 1\nok 1 a\n", 0, "no KTAP plan"),
    ("KTAP version 1\nok 1 a\n1..3\n", 0, "plan says 1..3, 1 results reported"),
    ("KTAP version 1\n1..0\n", 0, "no test results"),
    (KTAP_OK, 1, "exit status 1 although every reported case passed"),
    ("KTAP version 1\nnot ok 1 a\n1..1\n", 0, "exit status 0 although a case failed"),
    ("KTAP version 1\nok 1 a # SKIP no tool\n1..1\n", 1, None),
])
def test_host_binary_rules(stdout, code, problem):
    results = run.check_host_binary("host/x", code, stdout, "")
    verdict = [r for r in results if r[0] == "host/x"]
    if problem is None:
        assert not verdict, verdict
    else:
        assert verdict and not verdict[0][1] and problem in verdict[0][2], results


def test_skip_is_not_a_pass():
    results = run.check_host_binary("host/x", 1, "KTAP version 1\nok 1 a # SKIP no tool\n1..1\n", "")
    assert results[0][:2] == ("host/x: a", False), results
