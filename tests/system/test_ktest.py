"""Tier 2: the in-kernel KTEST suites, run with `test` on the console.

The cases are read from the kernel image itself (the KTEST table between
__ktests_start and __ktests_end), so each becomes its own pytest test and a
case that the run never reports fails instead of vanishing."""
import os
import re

import pytest
from elftools.elf.elffile import ELFFile

from guest import ROOT, defects

ELF = os.path.join(ROOT, "build", "kprobe64.elf")
RESULT = re.compile(r"^(not )?ok (\d+) (\S+)$")


def ktest_cases(path=ELF):
    """['suite.name', ...] in table order, from struct ktest { suite, name, fn }."""
    with open(path, "rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()
                if s["st_info"]["type"] != "STT_FILE"}

        def read(addr, n):
            for seg in elf.iter_segments():
                if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= addr < seg["p_vaddr"] + seg["p_filesz"]:
                    f.seek(seg["p_offset"] + addr - seg["p_vaddr"])
                    return f.read(n)
            raise ValueError("address %#x is not in the image" % addr)

        def cstr(addr):
            return read(addr, 64).split(b"\0")[0].decode()

        # each entry is a symbol of its own (KTEST's static struct), in table order
        lo, hi = syms["__ktests_start"], syms["__ktests_end"]
        out = []
        for a in sorted(v for n, v in syms.items() if n.startswith("__ktest_") and lo <= v < hi):
            entry = read(a, 16)
            suite, name = (int.from_bytes(entry[i:i + 8], "little") for i in (0, 8))
            out.append("%s.%s" % (cstr(suite), cstr(name)))
        return out


CASES = ktest_cases() if os.path.exists(ELF) else []

# Cases that provoke a defect report on purpose, and the lines they expect;
# the same lines from any other case fail it.
SURVIVED = r"Oops: page fault \(vector 14\), error code 0: in a %s; the kernel goes on"
EXPECTED = {
    "heap.detects_overrun": [r"heap: overrun past the 40 bytes of .* \(from ktest_heap_detects_overrun"],
    "heap.detects_double_free": [r"heap: double free of .* \(from ktest_heap_detects_double_free"],
    "kprobes.fault_in_handler_is_survived": [
        SURVIVED % "kprobe handler",
        r"kprobe at kp_target_add\+0x0/0x5: pre_handler faulted; probe disabled"],
    "kretprobes.faulting_handlers_are_survived": [
        SURVIVED % "kretprobe handler", SURVIVED % "guarded call",
        r"kprobe at kp_target_add\+0x0/0x5: (kretprobe handler|entry_handler) faulted; probe disabled"],
    "kretprobe_paths.fault_in_the_return_handler_is_survived": [
        SURVIVED % "kretprobe handler",
        r"kprobe at kp_target_add\+0x0/0x5: kretprobe handler faulted; probe disabled"],
    "optprobe_paths.fault_in_an_optimized_handler_is_survived": [
        SURVIVED % "kprobe handler",
        r"kprobe at kp_target_add\+0x0/0x5: pre_handler faulted; probe disabled"],
    "reentry.fault_handler_calls_probed_function": [
        SURVIVED % "kprobe handler",
        r"kprobe at kp_target_add\+0x0/0x5: pre_handler faulted; probe disabled"],
    "reentry.entry_handler_fault_keeps_interrupts_off": [
        SURVIVED % "guarded call",
        r"kprobe at kp_target_add\+0x0/0x5: entry_handler faulted; probe disabled"],
}


def parse_run(out):
    """One `test` run's KTAP -> (plan, {case: (ok, text printed while it ran)})."""
    plan = re.search(r"^1\.\.(\d+)$", out, re.M)
    results, seg = {}, []
    for line in out.splitlines():
        m = RESULT.match(line)
        if m:
            results[m.group(3)] = (m.group(1) is None, "\n".join(seg))
            seg = []
        else:
            seg.append(line)
    return (int(plan.group(1)) if plan else None), results


@pytest.fixture(scope="module", params=[1, 4], ids=["smp1", "smp4"])
def run(request):
    """One run of every suite on a guest of its own (1 CPU, then 4), shared
    by the cases."""
    from guest import Guest
    # with several CPUs, real parallel vCPUs: round-robin TCG lets a spinning
    # vCPU hold the host thread for a whole time slice
    extra = ("-accel", "tcg,thread=multi") if request.param > 1 else ()
    g = Guest(smp=request.param, extra=extra, boot_timeout=180)
    request.addfinalizer(g.close)
    out = g.cmd("test", timeout=900)
    return out, parse_run(out), g.output()


def test_image_has_cases():
    assert len(CASES) > 40, "KTEST table in %s: %s" % (ELF, CASES)


@pytest.mark.parametrize("case", CASES)
def test_case(run, case):
    out, (plan, results), _ = run
    assert case in results, "the run did not report %s:\n%s" % (case, out[-3000:])
    ok, text = results[case]
    assert ok, "%s failed:\n%s" % (case, text)
    bad = defects(text, EXPECTED.get(case, ()))
    assert not bad, "%s: the kernel printed:\n%s" % (case, "\n".join(bad))


def test_run_is_complete_ktap(run):
    out, (plan, results), log = run
    assert out.startswith("KTAP version 1"), "no KTAP header:\n" + out[:500]
    assert plan == len(CASES) + 1 == len(results), \
        "plan %s, %d cases in the image, %d results" % (plan, len(CASES), len(results))
    assert results.get("text_unchanged", (False,))[0], "kernel text changed during the run"
    boot = log[:log.find("KTAP version 1")]
    assert not defects(boot), "the guest printed, booting:\n" + "\n".join(defects(boot))
    passed = sum(ok for ok, _ in results.values())
    assert re.search(r"^%d passed, %d failed$" % (passed, len(results) - passed), out, re.M), \
        "summary line missing or wrong"


def test_unknown_suite(guest):
    guest.cmd_err("test nosuchsuite")


@pytest.mark.guest_log(*EXPECTED["heap.detects_overrun"], *EXPECTED["heap.detects_double_free"])
def test_one_suite(guest):
    out = guest.cmd_ok("test heap")
    heap = [c for c in CASES if c.startswith("heap.")]
    plan, results = parse_run(out)
    assert plan == len(heap) + 1, out
    assert sorted(results) == sorted(heap + ["text_unchanged"]), out
    assert all(ok for ok, _ in results.values()), out
