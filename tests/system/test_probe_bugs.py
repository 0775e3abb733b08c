"""Regression tests for probe-engine bugs found by review and a torture run
(issue 18): each drives the console the way the failure was first seen."""
import re

import pytest

from guest import SURVIVED_CALL, Guest, expect


def events(guest, name):
    return [l for l in guest.cmd_ok("trace").splitlines() if re.search(r"\s%s: \(" % name, l)]


def faults(guest, line):
    """The call faults: an oops report, then the command's error: line."""
    out = guest.cmd(line)
    expect(re.search(r"^error: .*faulted", out, re.M), out)
    return out


def cleanup(guest, *names):
    for n in names:
        guest.cmd("disable %s" % n)
        guest.cmd("-:%s" % n)
    guest.cmd_ok("trace clear")


@pytest.mark.guest_log(SURVIVED_CALL)
def test_unwound_kretprobe_instance_is_not_reused(guest):
    """Bug 1: a pending return whose frame a fault unwound fires no handler later."""
    guest.cmd_ok("trace clear")
    guest.cmd_ok("r:ub kp_target_strlen rv=$retval")
    guest.cmd_ok("enable ub")
    try:
        faults(guest, "call kp_target_strlen 16")
        guest.cmd_ok("call kp_target_strlen log_buf")
        expect(len(events(guest, "ub")) == 1, guest.cmd("trace"))
    finally:
        cleanup(guest, "ub")


@pytest.mark.guest_log(SURVIVED_CALL)
def test_unwound_kretprobe_instance_is_freed(guest):
    """Bug 1 with maxactive 1: the leaked instance would make every later call a miss."""
    guest.cmd_ok("trace clear")
    guest.cmd_ok("r1:ub1 kp_target_strlen rv=$retval")
    guest.cmd_ok("enable ub1")
    try:
        faults(guest, "call kp_target_strlen 16")
        guest.cmd_ok("call kp_target_strlen log_buf")
        guest.cmd_ok("call kp_target_strlen log_buf")
        expect(len(events(guest, "ub1")) == 2, guest.cmd("trace"))
        prof = guest.cmd_ok("kprobe_profile")
        row = [l.split() for l in prof.splitlines() if l.split()[:1] == ["ub1"]]
        expect(row and row[0][2] == "0", "misses after an unwound instance:\n" + prof)
    finally:
        cleanup(guest, "ub1")


def test_kretprobe_on_ret_imm16(guest):
    """Bug 3: `ret 8` returning into the trampoline must not panic."""
    guest.cmd_ok("trace clear")
    guest.cmd_ok("r:ri pt_ret_imm_callee rv=$retval")
    guest.cmd_ok("enable ri")
    try:
        out = guest.cmd_ok("call pt_ret_imm 5")
        expect("= 0x5 (5)" in out, out)
        expect(len(events(guest, "ri")) == 1 and "rv=0x5" in events(guest, "ri")[0],
               guest.cmd("trace"))
    finally:
        cleanup(guest, "ri")


@pytest.mark.guest_log(SURVIVED_CALL)
def test_cr2_is_the_faults_own(guest):
    """Bug 6: probes on the oops path whose fetch faults must not change the CR2 reported."""
    for sym in ("printk", "vprintk", "oops_report"):
        guest.cmd_ok("p:cr %s x=@0x30:u64" % sym)
        guest.cmd_ok("enable cr")
        try:
            out = faults(guest, "call kp_target_strlen 0x10")
            expect("CR2: 0000000000000010" in out, "%s:\n%s" % (sym, out))
        finally:
            cleanup(guest, "cr")


@pytest.mark.guest_log(SURVIVED_CALL)
def test_fault_in_boosted_copy_names_the_probed_insn(guest):
    """Bug 7: a fault in a boosted copy is reported at the probed instruction, not the slot."""
    guest.cmd_ok("p:bl pt_load")
    guest.cmd_ok("enable bl")
    try:
        out = faults(guest, "call pt_load 0x10")
        expect(re.search(r"^\[.*\] in pt_load\+0x0/", out, re.M), out)
        expect(re.search(r"^\[.*\] RIP: 0008:[0-9a-f]+ pt_load\+0x0/", out, re.M), out)
        expect("in 0xffffffffc" not in out, out)
    finally:
        cleanup(guest, "bl")


@pytest.mark.guest_log(SURVIVED_CALL)
def test_stack_overflow_under_a_probe():
    """Bug 5: a stack overflow in a probed recursion leaves the engine usable."""
    with Guest() as g:
        g.cmd_ok("p:f kp_target_fib")
        g.cmd_ok("enable f")
        out = g.cmd("call kp_target_fib 100000", timeout=300)
        expect("guard page" in out, out[-2000:])
        g.cmd_ok("disable f")
        g.cmd_ok("-:f")
        out = g.cmd_ok("kprobes")
        expect(out.startswith("0 probes"), out)
        expect("= 0x37 (55)" in g.cmd_ok("call kp_target_fib 10"), "fib after recovery")
        g.cmd_ok("p:f2 kp_target_fib")
        g.cmd_ok("enable f2")
        expect("= 0x37 (55)" in g.cmd_ok("call kp_target_fib 10"), "probed fib after recovery")
        g.cmd_ok("disable f2")
        g.cmd_ok("-:f2")
        expect("Kernel stopped" not in g.output(), g.output()[-2000:])
