"""What the probe-event tests (test_events*.py) share: a reset to no events
and an empty buffer around each test, and parsers for what `trace` prints."""
import re

import pytest

from guest import expect

ENTRY = re.compile(r"^\s+kp-shell-1\s+\[(\d{3})\] (\S{5})\s+(\d+\.\d{6}): (\w+): \((.*?)\)(.*)$")


def reset(guest):
    guest.cmd("disable all")
    guest.cmd_ok("trace on")
    guest.cmd_ok("kprobe_events clear")
    expect(guest.cmd_ok("trace clear").strip() == "trace buffer cleared", "trace clear")
    expect(guest.cmd_ok("kprobe_events") == "", "events left over")


def entries(guest, cmd="trace"):
    """(flags, event, where, args) of every entry `trace` prints."""
    out = guest.cmd_ok(cmd, timeout=60)
    res = []
    for line in out.splitlines():
        m = ENTRY.match(line)
        if m:
            res.append((m.group(2), m.group(4), m.group(5), m.group(6).strip()))
        else:
            expect(line.startswith("#") or re.match(r"CPU:\d+ \[LOST ", line),
                   "unexpected trace line %r in:\n%s" % (line, out))
    return res


def ncpus(guest):
    return int(re.search(r"(\d+) of \d+ cpus online", guest.cmd_ok("cpus")).group(1))


def args_of(argtext):
    """' a=0x1 s="x y" v={1,2}' -> dict (values as printed)."""
    return dict(re.findall(r'(\w+)=("[^"]*"|\{[^}]*\}|\S+)', argtext))


def call(guest, line):
    out = guest.cmd_ok("call " + line)
    expect(" = 0x" in out, out)
    return int(re.search(r"= 0x([0-9a-f]+)", out).group(1), 16)


def addr_of(guest, sym):
    return int(guest.cmd_ok("ksym " + sym).split()[0], 16)


def code_bytes(guest, sym, n):
    return bytes(int(b, 16) for b in guest.cmd_ok("peek %s %d" % (sym, n)).split(":")[1].split("|")[0].split())


@pytest.fixture(autouse=True)
def fresh(guest):
    """Each test starts from no events and an empty buffer, and leaves none."""
    reset(guest)
    yield
    reset(guest)
