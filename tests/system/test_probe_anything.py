"""Probe (almost) anything (issue 18): the blacklist is small and says why;
every instruction of the routines probe handlers themselves use can carry a
probe while the console, tracing and networking keep working (hits from
inside a handler counted as misses); every function with entry and return
probes at once leaves the kernel healthy; the text comes back bit-identical."""
import re

import pytest

from guest import SURVIVED_CALL, Guest, expect
from test_net_lib import wired_guest

HOT = ("strlen", "memcpy", "memset", "vsnprintf", "glob_match", "uptime_ns")
RANGE = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16})\t(\S+)\t\((.+)\)$")


def make_guest():
    g, make_guest.wire = wired_guest()
    return g


def test_blacklist_lists_ranges_with_reasons(guest):
    out = guest.cmd_ok("kprobes blacklist").strip().splitlines()
    rows = [RANGE.match(l) for l in out[:-1]]
    expect(all(rows), "bad lines: %s" % [l for l, m in zip(out, rows) if not m])
    names = {m.group(3): m.group(4) for m in rows}
    for must in ("kprobe_int3", "kprobe_debug", "kprobe_fault", "do_trap", "text_poke",
                 "trap_common", "trap_int3", "kretprobe_trampoline", "kretprobe_trampoline_handler"):
        expect(must in names, "%s not blacklisted:\n%s" % (must, "\n".join(out)))
    for free in HOT + ("printk", "fetch_args", "kevent_pre_handler", "trace_ring_write",
                       "copy_from_kernel_nofault", "fixup_exception", "site_insert"):
        expect(free not in names, "%s is blacklisted" % free)
    expect(all(int(m.group(1), 16) < int(m.group(2), 16) for m in rows), "empty range")
    m = re.match(r"^# (\d+) of (\d+) functions, (\d+) of (\d+) text bytes \((\d+)\.(\d+)%\) "
                 r"blacklisted$", out[-1])
    expect(m and int(m.group(3)) * 100 <= 3 * int(m.group(4)), out[-1])
    guest.cmd_err("kprobes blacklist x")
    guest.cmd_err("kprobes x")


def test_section_boundaries_are_not_functions(guest):
    guest.cmd_err("ksym __noprobe_text_end")
    out = guest.cmd_err("p:bnd/ __noprobe_*")
    expect("no function matches" in out, out)


def boundaries(guest, fn):
    rows = []
    for line in guest.cmd_ok("insns %s" % fn).strip().splitlines():
        m = re.match(r"^\+0x([0-9a-f]+) +\d+ .*  (\S+)", line)
        expect(m, line)
        if "refuse" not in line:
            rows.append(int(m.group(1), 16))
    return rows


def test_every_instruction_of_handler_routines(guest):
    wire = make_guest.wire
    text = guest.cmd_ok("textsum")
    n = 0
    for fn in HOT:
        offs = boundaries(guest, fn)
        expect(offs and offs[0] == 0, "%s: %s" % (fn, offs))
        for off in offs:
            guest.cmd_ok("p:hot/%s_%x %s+0x%x" % (fn, off, fn, off))
            n += 1
        guest.cmd_ok("r:hotr/%s %s rv=$retval" % (fn, fn))
    # an event whose own hit path (string fetch, glob filter, timestamp) calls them
    guest.cmd_ok("p:hotc/caller kp_target_strlen s=+0(%di):string")
    guest.cmd_ok("filter hotc/caller 's ~ \"*kprobe64*\"'")
    # a small ring: printing each entry runs vsnprintf, every instruction a hit
    size = re.search(r"buffer_size_kb: (\d+)", guest.cmd_ok("trace size")).group(1)
    guest.cmd_ok("trace size 16")
    try:
        guest.cmd_ok("enable hot/*", timeout=120)
        guest.cmd_ok("enable hotr/*", timeout=120)
        guest.cmd_ok("enable hotc/caller")
        guest.cmd_ok("trace clear")
        # the console (vsnprintf, strlen, memcpy) still answers right
        out = guest.cmd_ok("call kp_target_fib 10")
        expect("= 0x37 (55)" in out, out)
        expect(guest.cmd_ok("version").startswith("kprobe64"), "version")
        expect("strlen" in guest.cmd_ok("ksym strlen") + guest.cmd_ok("ksym memcpy+1"), "ksym")
        out = guest.cmd_ok("call kp_target_strlen log_buf")
        got = int(re.search(r"\((\d+)\)", out).group(1))
        expect(got > 0, out)
        # networking: echo requests are answered, the checked reply comes back
        for seq in range(1, 4):
            expect(wire.ping(0x4b50, seq, timeout=20) is not None, "no echo reply %d" % seq)
        # tracing: every kind fired (the ring wraps quickly: counts from the profile)
        prof = dict((l.split()[0], l.split()[1:]) for l in
                    guest.cmd_ok("kprobe_profile", timeout=120).splitlines())
        for ev in ("caller", "strlen_0", "memcpy_0", "memset_0", "vsnprintf_0",
                   "glob_match_0", "uptime_ns_0", "strlen", "vsnprintf", "glob_match"):
            expect(ev in prof and int(prof[ev][0]) + int(prof[ev][1]) > 0,
                   "%s: %s" % (ev, prof.get(ev)))
        # the clock is read only by handlers (event timestamps): all reentries
        expect(int(prof["uptime_ns_0"][1]) > 0, prof["uptime_ns_0"])
        tr = guest.cmd_ok("trace", timeout=120)
        expect(re.search(r" vsnprintf: \(\S+ <- vsnprintf\) rv=0x[0-9a-f]+$", tr, re.M),
               tr[-1500:])
        # reentries from inside handlers are counted
        # every line printed runs probed vsnprintf: slow, more so on a loaded host
        st = guest.cmd_ok("kprobes", timeout=300).splitlines()[0]
        missed = int(re.search(r"(\d+) missed", st).group(1))
        expect(missed > 0, st)
        prof = guest.cmd_ok("kprobe_profile hot/strlen_0").split()
        expect(prof[0] == "strlen_0" and int(prof[1]) > 0, prof)
    finally:
        guest.cmd("disable hot/*", timeout=120)
        guest.cmd("disable hotr/*", timeout=120)
        guest.cmd("disable hotc/caller")
        guest.cmd_ok("-:hot/*", timeout=120)
        guest.cmd_ok("-:hotr/*", timeout=120)
        guest.cmd_ok("-:hotc/*")
        guest.cmd_ok("trace size " + size)
    expect(n > 100, "only %d boundaries" % n)
    expect(guest.cmd_ok("textsum") == text, "kernel text is not bit-identical afterwards")
    expect(guest.cmd_ok("kprobes").startswith("0 probes at 0 addresses"), "probes left")
    expect("Kernel stopped" not in guest.output(), guest.output()[-2000:])


@pytest.mark.guest_log(SURVIVED_CALL)
def test_every_function_entry_and_return_at_once():
    """Bug 4: every function probed, entry and return, all enabled at once."""
    with Guest() as g:
        text = g.cmd_ok("textsum")
        heap0 = re.search(r"(\d+) corruptions caught", g.cmd_ok("mem")).group(1)
        g.cmd_ok("p:all/ *", timeout=600)
        g.cmd_ok("r:allr/ *", timeout=600)
        g.cmd_ok("enable all/*", timeout=600)
        g.cmd_ok("enable allr/*", timeout=600)
        expect("= 0x37 (55)" in g.cmd_ok("call kp_target_fib 10", timeout=300), "fib")
        out = g.cmd("call kp_target_strlen 16", timeout=300)    # a fault, unwound
        expect(re.search(r"^error: .*faulted", out, re.M), out[-1500:])
        out = g.cmd_ok("call kp_target_strlen log_buf", timeout=300)
        expect(re.search(r"\(\d+\)", out), out)
        for c in ("help", "version", "uptime", "ksym kmain", "peek kmain 32", "kprobes blacklist"):
            g.cmd_ok(c, timeout=300)
        out = g.cmd("call pt_ret_imm 5", timeout=300)
        expect("= 0x5 (5)" in out, out[-1500:])
        # the suite that exercises every instruction class (ret imm16 among
        # them) panicked here before; whether each case passes with every
        # function probed is the suites' business, the engine must survive
        out = g.cmd("test kprobe_classes", timeout=900)
        expect(re.search(r"^\d+ passed, \d+ failed$", out, re.M), out[-1500:])
        g.cmd_ok("disable allr/*", timeout=600)
        g.cmd_ok("disable all/*", timeout=600)
        g.cmd_ok("-:allr/*", timeout=600)
        g.cmd_ok("-:all/*", timeout=600)
        expect(g.cmd_ok("textsum") == text, "text not bit-identical")
        out = g.cmd_ok("mem")
        expect(re.search(r"(\d+) corruptions caught", out).group(1) == heap0, out)
        expect(g.cmd_ok("kprobes").startswith("0 probes at 0 addresses"), "probes left")
        expect("Kernel panic" not in g.output() and "Kernel stopped" not in g.output(),
               g.output()[-2000:])
