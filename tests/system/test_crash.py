"""Oops reports: each `crash` kind names the exception and the faulting
function, prints registers and a backtrace, and QEMU exits (never hangs)."""
import re

import pytest

from guest import Guest, OOPS_EXIT, POWEROFF_EXIT, expect

KINDS = {
    "ud2": ("invalid opcode", "crash_ud2"),
    "null": ("page fault", "crash_null"),
    "div0": ("divide error", "crash_div0"),
    "int3": ("int3", "crash_int3"),
    "text": ("page fault", "crash_text"),
    "stack": ("double fault", None),
}


def crash(kind):
    name, fn = KINDS[kind]
    with Guest() as g:
        g.send("crash %s\r" % kind)
        code = g.wait_exit(60)
        out = g.output()
        expect(code == OOPS_EXIT, "exit status %s, expected %s\n%s" % (code, OOPS_EXIT, out[-2000:]))
        m = re.search(r"Oops: (.*?) \(vector (\d+)\)", out)
        expect(m and m.group(1) == name, "oops does not name %r:\n%s" % (name, out[-2000:]))
        if fn:
            expect(re.search(r"^\[.*\] in %s[.\w]*\+0x[0-9a-f]+/0x[0-9a-f]+" % fn, out, re.M),
                   "oops does not name %s:\n%s" % (fn, out[-2000:]))
        for reg in ("RIP:", "RSP:", "RAX:", "R15:", "Call Trace:", "end Kernel stopped"):
            expect(reg in out, "oops lacks %s" % reg)
        return out


@pytest.mark.oops
def test_ud2():
    crash("ud2")


@pytest.mark.oops
def test_null():
    out = crash("null")
    expect("CR2: 0000000000000000 (read from an unmapped address)" in out, out[-1500:])


@pytest.mark.oops
def test_div0():
    crash("div0")


@pytest.mark.oops
def test_stray_int3():
    crash("int3")


@pytest.mark.oops
def test_write_to_text_faults():
    out = crash("text")
    expect("write to a protected address" in out, out[-1500:])


@pytest.mark.oops
def test_stack_overflow_hits_guard():
    out = crash("stack")
    # bug 8 (issue 18): the report must say why, not only "double fault"
    expect("kernel stack overflowed into its guard page" in out, out[-1500:])


def test_bad_crash_kind(guest):
    guest.cmd_err("crash")
    guest.cmd_err("crash sideways")


def test_poweroff():
    with Guest() as g:
        g.send("poweroff\r")
        expect(g.wait_exit(20) == POWEROFF_EXIT, "poweroff exit status")


def test_reboot_resets():
    with Guest() as g:      # -no-reboot: a reset ends QEMU
        g.send("reboot\r")
        code = g.wait_exit(20)
        expect(code == 0, "reboot exit status %s" % code)
