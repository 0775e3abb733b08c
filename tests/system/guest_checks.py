"""A pytest plugin (tests/run.py loads it with -p guest_checks): the shared
guest, and the checks made after every test so that a pass means the kernel
was healthy throughout. tests/harness/ proves that these checks fail a test.

A test that takes the `guest` fixture shares one booted guest with the rest
of its module (a module may define make_guest() to boot it differently).
After the test, that guest must still be alive and answering, must have
printed nothing that shows a kernel defect (an oops, a panic, a probe
disabled because it faulted, a heap or frame corruption report), and must
hold exactly the probes, events and XDP program it held before. Guests a
test boots itself (Guest(...)) are checked for the same log lines.

A test that means to provoke one of these says so:
  @pytest.mark.oops                    its own guests must oops (and may)
  @pytest.mark.guest_log(REGEX, ...)   these lines are expected in the logs
"""
import re

import pytest

from guest import OOPS, Guest, GuestError, defects

# What a test must leave as it found it: console commands, and the part of
# their answer that is state rather than a counter.
STATE = {
    "kprobe_events": lambda out: out,
    "kprobes": lambda out: "\n".join(_probe_state(l) for l in out.splitlines()),
    "xdp status": lambda out: "\n".join(l for l in out.splitlines() if l[:1].strip()),
}
STATE_CMDS = tuple(STATE)


def _probe_state(line):
    """A `kprobes` line without its counters: the summary keeps how many
    probes, addresses and slots; a probe row keeps address, symbol and mode."""
    m = re.match(r"(\d+ probes at \d+ addresses); table \d+ buckets; (\d+ slots);", line)
    if m:
        return "%s; %s" % m.groups()
    return " ".join(line.split()[:3])

_shared = {}            # module name -> its shared Guest


def guest_state(g):
    return {c: STATE[c](g.cmd(c, timeout=60)) for c in STATE_CMDS}


def _allowed(item):
    return [a for m in item.iter_markers("guest_log") for a in m.args]


def _drop_shared(name):
    g = _shared.pop(name, None)
    if g is not None:
        g.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    out = yield
    rep = out.get_result()
    if rep.when == "call":
        item.call_failed = rep.failed



@pytest.fixture(scope="module", autouse=True)
def _module_guest_owner(request):
    yield
    _drop_shared(request.module.__name__)


@pytest.fixture
def guest(request):
    """The module's shared guest, checked after the test."""
    name = request.module.__name__
    g = _shared.get(name)
    if g is not None and g.proc.poll() is not None:
        _drop_shared(name)
        pytest.fail("the shared guest died between tests (exit status %s); last output:\n%s"
                    % (g.proc.returncode, g.output()[-2000:]))
    start = len(g.output()) if g is not None else 0     # a new guest: its boot counts too
    if g is None:
        g = _shared[name] = getattr(request.module, "make_guest", Guest)()
        g.healthy_state = guest_state(g)
    yield g
    problems = []
    if g.proc.poll() is not None:
        problems.append("the guest died during the test (exit status %s)" % g.proc.returncode)
    elif not getattr(request.node, "call_failed", False):
        try:
            after = guest_state(g)
            for c in STATE_CMDS:
                if after[c] != g.healthy_state[c]:
                    problems.append("the test left '%s' changed:\nbefore:\n%s\nafter:\n%s"
                                    % (c, g.healthy_state[c], after[c]))
        except GuestError as e:
            problems.append("the guest no longer answers the console: %s" % e)
    problems += defects(g.output()[start:], _allowed(request.node))
    if problems or getattr(request.node, "call_failed", False):
        _drop_shared(name)      # a failed test may leave it wedged: next test boots afresh
    if problems:
        pytest.fail("after the test:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _own_guests_checked(request):
    """The logs of the guests this test booted itself."""
    first = len(Guest.made)
    yield
    mine = [g for g in Guest.made[first:] if g not in _shared.values()]
    del Guest.made[first:]
    for g in mine:
        g.close()
    expect_oops = request.node.get_closest_marker("oops") is not None
    allowed = _allowed(request.node) + ([OOPS.pattern] if expect_oops else [])
    problems = []
    for g in mine:
        text = g.output()
        problems += defects(text, allowed)
    if expect_oops and not any(OOPS.search(g.output()) for g in mine):
        problems.append("the test is marked oops but none of its guests oopsed")
    if problems:
        pytest.fail("in the guests the test booted:\n" + "\n".join(problems), pytrace=False)
