"""Hist triggers and multi-probe events with four CPUs hitting at once: each
CPU counts in its own part of the table, and every `hist` read is a snapshot
whose lines and Totals agree, however the other CPUs keep hitting."""
import re

from guest import Guest, expect

SMP = 4


def make_guest():
    # real parallel vCPUs, as test_smp.py: every CPU takes its own timer ticks
    return Guest(smp=SMP, extra=("-accel", "tcg,thread=multi"))


LINE = re.compile(r"^\{ common_pid: kp-shell        \[         1\], common_cpu: +(\d+) \} hitcount: +(\d+)$")


def snapshot(guest):
    """(hitcount per cpu, Hits, Entries, Dropped) of one hist read, checked for consistency."""
    out = guest.cmd_ok("hist tick").splitlines()
    rows = [LINE.match(l) for l in out if l.startswith("{")]
    expect(all(rows), out)
    per_cpu = {int(m.group(1)): int(m.group(2)) for m in rows}
    expect(len(per_cpu) == len(rows), "a key printed twice: %s" % out)
    hits, entries, dropped = (int(re.search(r"^    %s: (\d+)$" % w, "\n".join(out), re.M).group(1))
                              for w in ("Hits", "Entries", "Dropped"))
    expect(sum(per_cpu.values()) == hits and entries == len(rows) and dropped == 0, out)
    return per_cpu, hits


def test_hist_snapshot_while_every_cpu_hits(guest):
    guest.cmd_ok("p:tick lapic_timer_tick")
    guest.cmd_ok("trigger tick 'hist:keys=common_pid.execname,cpu:sort=cpu'")
    last, seen = {}, set()
    # wait on evidence: read until every CPU has hit, each read consistent and
    # no CPU's count ever going back
    for _ in range(200):
        per_cpu, hits = snapshot(guest)
        for c, n in per_cpu.items():
            expect(n >= last.get(c, 0), (c, n, last))
        last = per_cpu
        seen |= set(per_cpu)
        if len(seen) == SMP and min(per_cpu.values()) >= 3:
            break
    expect(seen == set(range(SMP)), "not every CPU hit: %s" % last)
    # sort=cpu: the lines come in CPU order
    out = [l for l in guest.cmd_ok("hist tick").splitlines() if l.startswith("{")]
    expect([int(LINE.match(l).group(1)) for l in out] == list(range(SMP)), out)
    guest.cmd_ok("trigger tick 'hist:keys=common_pid.execname,cpu:clear'")
    per_cpu, hits = snapshot(guest)
    expect(hits < sum(last.values()), (hits, last))     # cleared, counting again
    guest.cmd_ok("trigger tick '!hist:keys=common_pid.execname,cpu'")
    guest.cmd_ok("-:tick")


def test_multiprobe_event_on_every_cpu(guest):
    guest.cmd_ok("p:both lapic_timer_tick")
    guest.cmd_ok("p:both kp_target_add")
    guest.cmd_ok("enable both")
    for _ in range(200):
        prof = [l.split() for l in guest.cmd_ok("kprobe_profile both").splitlines()]
        if int(prof[0][1]) >= 2 * SMP:
            break
    guest.cmd_ok("call kp_target_add 1 2")
    prof = [l.split() for l in guest.cmd_ok("kprobe_profile both").splitlines()]
    expect(len(prof) == 2 and prof[1][:2] == ["both", "1"] and int(prof[0][1]) >= 2 * SMP, prof)
    guest.cmd_ok("disable both")
    cpus = set(re.findall(r"\[00(\d)\] .* both: \(lapic_timer_tick", guest.cmd_ok("trace", timeout=60)))
    expect(len(cpus) >= 2, "ticks from one CPU only: %s" % cpus)
    guest.cmd_ok("-:both")
    guest.cmd_ok("trace clear")
