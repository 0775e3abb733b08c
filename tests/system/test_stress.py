"""`stress probes`: the probe engine under real concurrency (issue 11). The
module's guest has 4 CPUs on multi-threaded TCG. The command checks its own
invariants (calls counted by each function against calls made, anchors'
hits + misses, handler runs against hits, heap, text) and prints an
`error:` line for each one broken; the test asserts there are none and
that the churn really happened."""
import re

from guest import Guest

SMP = 4


def make_guest():
    return Guest(smp=SMP, extra=("-accel", "tcg,thread=multi"), boot_timeout=120)


SUMMARY = re.compile(r"stress probes: (\d+) s on (\d+) cpus: (\d+) calls per function \((.*)\), "
                     r"(\d+) operations: (\d+) kprobe registrations, (\d+) unregistrations, "
                     r"(\d+) enables, (\d+) disables, (\d+) kretprobe registrations, (\d+) events")


def run_stress(guest, seconds, cpus, timeout):
    out = guest.cmd("stress probes %d %d" % (seconds, cpus), timeout=timeout)
    assert "error:" not in out, out
    assert "stress probes: all checks passed" in out, out
    m = SUMMARY.search(out)
    assert m, out
    per_cpu = [int(x) for x in re.findall(r"cpu\d+ (\d+)", m.group(4))]
    assert len(per_cpu) == cpus, out
    return m, per_cpu, out


def test_stress_probes_on_4_cpus(guest):
    # the full minute issue 11 asks for (a grace period that ended while a
    # handler waited on a lock once broke such runs: KTEST smp_probes.grace_
    # period_waits_for_handler_on_a_lock); the run ends on the guest's clock,
    # the wait is generous for a loaded host
    m, per_cpu, out = run_stress(guest, 60, SMP, timeout=900)
    # every CPU called the functions, and CPU 0 churned probes of every kind
    assert all(c > 0 for c in per_cpu), out
    assert int(m.group(6)) > 0 and int(m.group(6)) == int(m.group(7)), out
    assert int(m.group(8)) > 0 and int(m.group(9)) > 0, out
    assert int(m.group(10)) > 0 and int(m.group(11)) > 0, out
    guest.cmd_ok("trace clear")


def test_stress_probes_on_one_cpu(guest):
    m, per_cpu, out = run_stress(guest, 3, 1, timeout=300)
    assert int(m.group(6)) > 0, out
    guest.cmd_ok("trace clear")


def test_stress_probes_bad_input(guest):
    for line in ("stress", "stress probes", "stress probes 0", "stress probes x",
                 "stress probes 5 0", "stress probes 5 %d" % (SMP + 1), "stress net",
                 "stress probes 5 2 3"):
        guest.cmd_err(line)
