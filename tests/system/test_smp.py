"""SMP: every CPU the MADT lists comes up and stays up (the in-kernel
suites run with four CPUs too: test_ktest.py). The module's guest has 4
CPUs; the other CPU counts boot guests of their own."""
import re

from guest import Guest

SMP = 4


def make_guest():
    # real parallel vCPUs: round-robin TCG lets a spinning vCPU hold the
    # host thread for a whole time slice, which makes lock hand-offs crawl
    return Guest(smp=SMP, extra=("-accel", "tcg,thread=multi"))


def cpu_rows(out):
    return [m.groups() for m in re.finditer(
        r"^\s*(\d+)\s+(\d+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+$", out, re.M)]


def check_all_online(guest, n):
    out = guest.cmd_ok("cpus")
    rows = cpu_rows(out)
    assert [int(r[0]) for r in rows] == list(range(n)), out
    assert all(r[2] == "online" for r in rows), out
    assert len({r[1] for r in rows}) == n, "APIC ids not distinct:\n" + out
    assert "%d of %d cpus online" % (n, n) in out, out
    return rows


def test_cpus_all_online(guest):
    check_all_online(guest, SMP)
    assert "smp: %d cpus online" % SMP in guest.cmd_ok("dmesg")
    guest.cmd_err("cpus extra")


def test_every_cpu_takes_timer_interrupts(guest):
    before = [int(r[3]) for r in check_all_online(guest, SMP)]
    # wait on evidence: poll until every CPU's count has moved
    for _ in range(200):
        after = [int(r[3]) for r in check_all_online(guest, SMP)]
        if all(a > b for a, b in zip(after, before)):
            break
    assert all(a > b for a, b in zip(after, before)), (before, after)


def test_boot_1_2_8_cpus():
    for n in (1, 2, 8):
        with Guest(smp=n, boot_timeout=180) as g:
            check_all_online(g, n)
            assert "oops" not in g.output().lower()
