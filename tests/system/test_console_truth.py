"""What the console says is what the kernel does: `insns` reports the mode
the engine really runs each instruction in, `ksym` names the function at
every function start (not a label that shares its address), and `test`
runs correctly beside a user's probe-everything, leaving it as it was."""
import os
import re
import subprocess

import pytest

from guest import ROOT
from test_ktest import CASES, EXPECTED

ALL_EXPECTED = [r for rs in EXPECTED.values() for r in rs]

ELF = os.path.join(ROOT, "build", "kprobe64.elf")
KERNEL_VMA = 0xffffffff80000000     # below it: the boot stub, not in kallsyms
INSN_LINE = re.compile(r"^\+0x([0-9a-f]{4}) +(\d+)  ((?:[0-9a-f]{2} )*[0-9a-f]{2}) +(\S.*)$")


def functions():
    """(address, size, name) of every sized text symbol, from nm."""
    out = subprocess.run(["nm", "-S", ELF], capture_output=True, text=True, check=True).stdout
    funcs = []
    for line in out.splitlines():
        parts = line.split()
        if (len(parts) == 4 and parts[2] in "tT" and int(parts[1], 16)
                and int(parts[0], 16) >= KERNEL_VMA):
            funcs.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    return funcs


def test_ksym_names_every_function_start(guest):
    funcs = functions()
    names = {}
    for addr, size, name in funcs:
        names.setdefault(addr, set()).add((name, size))
    assert len(names) > 1000
    wrong = []
    for addr in sorted(names):
        out = guest.cmd_ok("ksym %#x" % addr).strip()
        m = re.match(r"^(\S+)\+0x0/0x([0-9a-f]+)$", out)
        if not m or (m.group(1), int(m.group(2), 16)) not in names[addr]:
            wrong.append("%#x: %r, want one of %s" % (addr, out, sorted(names[addr])))
    assert not wrong, "\n".join(wrong[:20])
    out = guest.cmd_ok("ksym fixup_exception")
    assert re.match(r"^0x[0-9a-f]+ t fixup_exception\+0x0/0x[0-9a-f]+$", out.strip()), out


def insns(guest, sym):
    rows = []
    for line in guest.cmd_ok("insns %s" % sym).strip().splitlines():
        m = INSN_LINE.match(line)
        assert m, "bad insns line: %r" % line
        rows.append((int(m.group(1), 16), int(m.group(2)), m.group(4)))
    return rows


def test_insns_ends_at_the_function_end(guest):
    size = {name: size for _, size, name in functions()}
    for sym in ("fixup_exception", "kgdb_breakpoint", "kp_target_add", "pt_fault_load"):
        rows = insns(guest, sym)
        assert rows[-1][0] + rows[-1][1] == size[sym], (sym, rows)


def test_insns_mode_is_the_engines_mode(guest):
    """Every instruction of the probe targets: what insns says, a probe there runs as."""
    targets = sorted({name for _, _, name in functions()
                      if name.startswith("pt_") or name.startswith("kp_target_")})
    expected = {}
    for sym in targets:
        for off, _, mode in insns(guest, sym):
            if not mode.startswith("refuse"):
                expected["%s+0x%x" % (sym, off)] = mode
    assert expected.get("pt_fault_load+0x0") == "step", "an exception-table entry is stepped"
    assert len(expected) > 100
    try:
        for i, where in enumerate(sorted(expected)):
            guest.cmd_ok("p:modes/i%d %s" % (i, where))
        listing = guest.cmd_ok("kprobes")
    finally:
        guest.cmd_ok("-:modes/*")
    seen = {}
    for line in listing.splitlines():
        m = re.match(r"^[0-9a-f]{16}  (\S+?)/0x[0-9a-f]+ +(\S+) ", line)
        if m:
            seen[m.group(1)] = m.group(2)
    wrong = ["%s: insns %s, engine %s" % (w, expected[w], seen.get(w)) for w in sorted(expected)
             if seen.get(w) != expected[w]]
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.timeout(600)
@pytest.mark.guest_log(*ALL_EXPECTED)
def test_suites_pass_beside_probe_everything(guest):
    # int3 probes only: the idle optimizer would change the text between the
    # two sums, and the suites check the modes of the sites they share
    guest.cmd_ok("kprobes optimization off")
    guest.cmd_ok("p:all/ *", timeout=300)
    try:
        guest.cmd_ok("enable all/*", timeout=300)
        events, text = guest.cmd_ok("kprobe_events"), guest.cmd_ok("textsum")
        # every suite but the optprobe ones and kretprobe_paths: their cases
        # switch the optimizer on and check the text is bit-identical after
        # each of their probes goes,
        # which cannot hold while it also rewrites the user's probes that
        # share those functions (int3 at first, a jmp once optimized)
        suites = sorted(set(c.split(".")[0] for c in CASES) - {"optprobe", "optprobe_paths",
                                                                "kretprobe_paths"})
        out = guest.cmd("test " + " ".join(suites), timeout=400)
        assert re.search(r"^\d+ passed, 0 failed$", out, re.M), \
            "\n".join(l for l in out.splitlines() if not l.startswith("ok "))[-3000:]
        assert guest.cmd_ok("kprobe_events") == events
        assert guest.cmd_ok("textsum") == text
    finally:
        guest.cmd_ok("disable all/*", timeout=300)
        guest.cmd_ok("-:all/*", timeout=300)
        guest.cmd_ok("kprobes optimization on")
    assert guest.cmd_ok("kprobe_events").strip() == ""


@pytest.mark.guest_log(*EXPECTED["kprobes.fault_in_handler_is_survived"])
def test_oops_in_a_handler_traces_through_the_trapped_frames(guest):
    out = guest.cmd("test kprobes", timeout=300)
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M), out[-2000:]
    oops = out[out.index("Oops: page fault"):]
    trace = oops[oops.index("Call Trace:"):].splitlines()
    frames = [re.sub(r"^\[[ 0-9.]+\]\s+", "", l) for l in trace[1:12]]
    names = [re.sub(r".*\] (\S+?)\+.*", r"\1", f) for f in frames]
    # the int3 entry (its asm fast path, or the C hook it falls back to), the
    # probed instruction it trapped at, then who called it
    i = next(j for j, n in enumerate(names) if n.startswith(("kprobe_int3_fast", "trap_int3")))
    assert frames[i + 1].startswith("<trap>") and names[i + 1] == "kp_target_add", frames
    assert names[i + 2] == "ktest_kprobes_fault_in_handler_is_survived", frames
    assert names[i + 3] == "cmd_test", frames


@pytest.mark.guest_log(*EXPECTED["optprobe_paths.fault_in_an_optimized_handler_is_survived"])
def test_oops_in_an_optimized_handler_traces_through_the_detour(guest):
    out = guest.cmd("test optprobe_paths", timeout=300)
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M), out[-2000:]
    oops = out[out.index("Oops: page fault"):]
    trace = oops[oops.index("Call Trace:"):].splitlines()
    frames = [re.sub(r"^\[[ 0-9.]+\]\s+", "", l) for l in trace[1:12]]
    names = [re.sub(r".*\] (\S+?)\+.*", r"\1", f) for f in frames]
    # the handler (a leaf: no frame) returns into the detour, which has no
    # symbol; after it the probed function as a trapped frame, then its caller
    i = next(n for n, f in enumerate(frames) if f.startswith("<trap>"))
    assert i >= 1 and re.match(r"\[<(ffffffff[0-9a-f]{8})>\] 0x\1$", frames[i - 1]), frames
    assert names[i] == "kp_target_add", frames
    assert names[i + 1] == "ktest_optprobe_paths_fault_in_an_optimized_handler_is_survived", frames
    assert names[i + 2] == "cmd_test", frames


def mem_use(guest):
    """(bytes in use, pages held) by the heap."""
    m = re.search(r"^heap: \d+ objects, (\d+) bytes in use, (\d+) pages$", guest.cmd_ok("mem"), re.M)
    assert m
    return int(m.group(1)), int(m.group(2))


def test_probe_everything_gives_its_memory_back(guest):
    used, pages = mem_use(guest)
    buckets = re.search(r"table (\d+) buckets", guest.cmd_ok("kprobes")).group(1)
    guest.cmd_ok("p:all/ *", timeout=300)
    try:
        assert mem_use(guest)[1] > pages + 100
    finally:
        guest.cmd_ok("-:all/*", timeout=300)
    # the event array and the probe table shrank back, the heap's pages went back
    used_after, pages_after = mem_use(guest)
    assert used_after <= used + 4096, (used, used_after)
    assert pages_after <= pages + 8, (pages, pages_after)
    assert re.search(r"table (\d+) buckets", guest.cmd_ok("kprobes")).group(1) == buckets
    assert re.search(r"^heap: \d+ free blocks \(\d+ KiB\) cached", guest.cmd_ok("mem"), re.M)
