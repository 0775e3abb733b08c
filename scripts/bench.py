#!/usr/bin/env python3
"""make bench: kprobe64's benchmarks, one table and one machine line each.

  scripts/bench.py [--accel tcg|kvm] [--update-doc docs/performance.md] HOST_BENCH...

Boots build/kprobe64.bin with QEMU's own multiboot loader (-kernel) under
`-icount shift=0,sleep=off`, where the guest TSC counts guest instructions,
so every per-hit and per-packet figure repeats exactly (SeaBIOS + GRUB hang
under fixed-shift icount in QEMU 7.2, hence no ISO). --accel kvm runs
`-accel kvm -cpu host` instead: TSC ticks are then real cycles.

On the console it runs each `bench NAME` (probe costs, probes/bench.c), then
the XDP measurements (scripts/bench_xdp.py: `xdp bench`, net/xdp_bench.c) with frames from this
script over a `-netdev socket` wire, then each host benchmark binary given.
It prints a human table and every machine line `bench: NAME=VALUE UNIT`,
then the project's performance goals, held or missed; all of it
also goes to build/bench.txt, and a markdown table to build/bench.md.
--update-doc FILE replaces the text between the markers
`<!-- bench:begin -->` and `<!-- bench:end -->` in FILE with that table.

Every wait is bounded; if QEMU dies or stops answering, this says so and
exits 1. Standard library only.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))

from guest import Guest, GuestError  # noqa: E402
import test_net_lib as net  # noqa: E402
from bench_xdp import run_xdp  # noqa: E402
from qemu import QEMU  # noqa: E402  (the binary both kernels run on)

PROBE_BENCHES = ("hits", "event", "scaling", "register", "attach", "blacklist", "nohit", "bpf",
                 "optimized")
MACHINE = re.compile(r"^bench: (\w+)=(-?\d+(?:\.\d+)?) (\S+)\s*$")
ROW = re.compile(r"^(\w+)\s+(-?\d+)\s+(\S+)\s+(.*?)\s*$")
BOOT_TIMEOUT = 300
CMD_TIMEOUT = 900         # the slowest console bench (attach) takes seconds under TCG


class BenchGuest(Guest):
    """Guest (tests/system/guest.py) booted from the flat image with -kernel."""

    def __init__(self, kernel, accel, extra=(), smp=1):
        super().__init__(kernel=kernel, accel="kvm" if accel == "kvm" else "tcg-icount",
                         net=list(extra), boot_timeout=BOOT_TIMEOUT, smp=smp)

    FATAL = re.compile(r"KVM internal error|emulation failure|^qemu-system-\S+: .*(?:error|fail)",
                       re.M | re.I)

    def _fill(self, timeout):
        """As Guest's, but a hypervisor error QEMU prints (the vCPU then stops
        for good) ends the run at once instead of at the next timeout."""
        got = super()._fill(timeout)
        if got and self.FATAL.search(self.log[-1]):
            while super()._fill(0.5):
                pass
            tail = "".join(self.log)[-1500:]
            raise GuestError("QEMU reported a fatal error; last output:\n" + tail)
        return got


class Results:
    """Metrics in order: name -> (value, unit, what)."""

    def __init__(self):
        self.rows = {}
        self.notes = []

    def add(self, name, value, unit, what=""):
        self.rows[name] = (value, unit, what)

    def get(self, name):
        r = self.rows.get(name)
        return r[0] if r else None


def say(*a):
    print(*a)
    sys.stdout.flush()


# ---- the console's bench ----

def parse_bench(out, res, seen_baseline):
    """Rows and machine lines of one `bench NAME`: the human row gives the
    description, the machine line the value (they must agree)."""
    whats = {}
    for line in out.splitlines():
        m = ROW.match(line)
        if m and not line.startswith("bench:"):
            whats[m.group(1)] = m.group(4)
    for line in out.splitlines():
        m = MACHINE.match(line)
        if not m:
            continue
        name, value, unit = m.group(1), int(m.group(2)), m.group(3)
        if name == "baseline_call" and seen_baseline:
            if res.get(name) != value:     # each bench NAME re-measures it
                res.notes.append("baseline_call differed between runs: %s vs %d"
                                 % (res.get(name), value))
            continue
        res.add(name, value, unit, whats.get(name, ""))
    for line in out.splitlines():
        if line.startswith("error:") and "bench/two" not in line:
            res.notes.append("console: " + line.strip())


SMP_CPUS = 4    # issue 11: per-hit costs with 4 CPUs hitting at once


def run_smp_benches(kernel, accel, res, log):
    """`bench smp` on a guest of SMP_CPUS CPUs: the smp_* rows (per-hit with
    every CPU hitting at once; registration and attach-all)."""
    g = BenchGuest(kernel, accel, smp=SMP_CPUS)
    try:
        cpus = g.cmd_ok("cpus", 30)
        if "%d of %d cpus online" % (SMP_CPUS, SMP_CPUS) not in cpus:
            raise GuestError("the SMP bench guest did not bring up %d CPUs:\n%s" % (SMP_CPUS, cpus))
        t0 = time.time()
        out = g.cmd("bench smp", CMD_TIMEOUT)
        log.append(("bench smp (%d cpus)" % SMP_CPUS, out))
        if not any(MACHINE.match(line) for line in out.splitlines()):
            raise GuestError("'bench smp' printed no bench: lines:\n%s" % out[-2000:])
        parse_bench(out, res, True)
        say("  bench smp      %5.1f s" % (time.time() - t0))
    finally:
        g.close()


def run_probe_benches(g, res, log):
    for i, name in enumerate(PROBE_BENCHES):
        t0 = time.time()
        if name == "bpf":       # the sample the row runs (an -initrd module)
            g.cmd_ok("bpf load boot:kprobe_hist.o", CMD_TIMEOUT)
        out = g.cmd("bench " + name, CMD_TIMEOUT)
        log.append(("bench " + name, out))
        if not any(MACHINE.match(line) for line in out.splitlines()):
            raise GuestError("'bench %s' printed no bench: lines:\n%s" % (name, out[-2000:]))
        parse_bench(out, res, i > 0)
        if name == "bpf":
            g.cmd_ok("bpf unload kprobe_hist", CMD_TIMEOUT)
        say("  bench %-9s %5.1f s" % (name, time.time() - t0))
        if name == "event" and "bench/two" in g.cmd("kprobe_events", 30):
            # it would stay armed on kp_target_add and inflate every later figure
            raise GuestError("'bench event' left its event bench/two registered")


# ---- host ----

HOST_RUNS = 3


def run_host(bins, res, log):
    """Each binary HOST_RUNS times; the best of each rate (a shared host only
    ever slows a run down)."""
    for b in bins:
        t0 = time.time()
        best = {}
        for _ in range(HOST_RUNS):
            try:
                p = subprocess.run([b], capture_output=True, text=True, timeout=600, cwd=ROOT)
            except subprocess.TimeoutExpired:
                raise GuestError("%s timed out after 600 s" % b)
            log.append((b, p.stdout + p.stderr))
            if p.returncode:
                raise GuestError("%s exited %d:\n%s" % (b, p.returncode,
                                                       (p.stdout + p.stderr)[-2000:]))
            for line in p.stdout.splitlines():
                m = MACHINE.match(line)
                if m:
                    v = float(m.group(2))
                    name, unit = m.group(1), m.group(3)
                    if name not in best or v > best[name][0]:
                        best[name] = (v, unit)
        if not best:
            raise GuestError("%s printed no bench: line" % b)
        for name, (v, unit) in best.items():
            res.add(name, int(v) if v.is_integer() else v, unit,
                    "host: %s, best of %d (real time, this machine)"
                    % (os.path.basename(b), HOST_RUNS))
        say("  %-15s %5.1f s" % (os.path.basename(b), time.time() - t0))


# ---- goals ----

def goals(res):
    """[(goal, verdict, detail)] for the project's performance goals."""
    out = []
    g = res.get

    def pct(a, b):
        return 100.0 * (a - b) / b

    scal = [g("kprobe_boost_with_%d" % n) for n in (0, 1000, 10000, 50000)]
    if None not in scal:
        spread = pct(max(scal), min(scal))
        out.append(("hit cost flat (within 5%) from 1 to 50,000 probes",
                    "holds" if spread <= 5 else "misses",
                    "%s tsc/hit: spread %.1f%%" % (" / ".join(map(str, scal)), spread)))
    a, b = g("nohit_workload_0"), g("nohit_workload_10000")
    if a is not None and b is not None:
        out.append(("no cost to code that hits no probe", "holds" if a == b else "misses",
                    "a fixed workload: %d tsc with no probes, %d with 10,000 elsewhere" % (a, b)))
    st, bo, em = g("kprobe_step"), g("kprobe_boost"), g("kprobe_emulate")
    if None not in (st, bo, em):
        worst = max(bo, em)
        out.append(("boosted or emulated <= half of single-stepped",
                    "holds" if worst * 2 <= st else "misses",
                    "boost %d, emulate %d vs step %d: half is %d, %s by %.0f%%"
                    % (bo, em, st, st // 2, "worst under" if worst * 2 <= st else "worst over",
                       abs(pct(worst, st / 2)))))
    hits = [(n, g(n), g("smp_" + n)) for n in ("kprobe_step", "kprobe_step_post", "kprobe_boost",
                                              "kprobe_emulate", "kretprobe")]
    hits = [h for h in hits if h[1] is not None and h[2] is not None]
    if hits:
        worst = max(hits, key=lambda h: abs(pct(h[2], h[1])))
        out.append(("per-hit cost with %d CPUs hitting at once = 1 CPU (within 5%%)" % SMP_CPUS,
                    "holds" if abs(pct(worst[2], worst[1])) <= 5 else "misses",
                    ", ".join("%s %d vs %d" % (n.replace("kprobe_", ""), m, one)
                              for n, one, m in hits)))
    regs = [(n, g(n), g("smp_" + n)) for n in ("register_arm", "attach_all_functions")]
    regs = [r for r in regs if r[1] and r[2] is not None]
    if regs:
        worst = max(r[2] / r[1] for r in regs)
        out.append(("registration and attach-all on %d CPUs within 2x of 1 CPU" % SMP_CPUS,
                    "holds" if worst <= 2 else "misses",
                    ", ".join("%s %d vs %d (%.2fx)" % (n, m, one, m / one) for n, one, m in regs)))
    x, s, si = g("xdp_drop"), g("stack_drop"), g("stack_drop_icmp")
    if x and s:
        out.append(("XDP drop >= 5x cheaper per packet than the stack drop",
                    "holds" if s >= 5 * x else "misses",
                    "%d vs %d tsc/pkt: %.1fx (%.1fx when the stack also sends its ICMP error)"
                    % (x, s, s / x, (si or 0) / x)))
    e = g("xdp_ebpf_drop")
    if x and e:
        out.append(("goal: eBPF drop interpreted <= 1.5x the native drop",
                    "holds" if e * 2 <= x * 3 else "misses",
                    "%d vs %d tsc/pkt: %.2fx" % (e, x, e / x)))
    for name, limit, label in (("kprobe_step", 250, "int3 path (single-stepped) <= 250"),
                               ("kretprobe", 380, "kretprobe <= 380"),
                               ("kprobe_boost", 150, "boosted <= 150"),
                               ("kprobe_emulate", 150, "emulated <= 150")):
        v = g(name)
        if v is not None:
            out.append(("goal: " + label, "holds" if v <= limit else "misses",
                        "%d: %s by %d (%.0f%%)" % (v, "under" if v <= limit else "over",
                                                     abs(limit - v), abs(pct(v, limit)))))
    bl, bf = g("blacklist_text"), g("blacklist_functions")
    if bl is not None:
        out.append(("goal: blacklist <= 3% of kernel text", "holds" if bl <= 300 else "misses",
                    "%d.%02d%% of kernel text, %s functions" % (bl // 100, bl % 100, bf)))
    for name, limit, label in (("kprobe_optimized", 50, "optimized (jump) probe <= 50"),
                               ("kretprobe_optimized", 170, "optimized kretprobe <= 170")):
        v = g(name)
        if v is not None:
            out.append(("goal: " + label, "holds" if v <= limit else "misses",
                        "%d: %s by %d (%.0f%%); Linux 6.1: %d"
                        % (v, "under" if v <= limit else "over", abs(limit - v),
                           abs(pct(v, limit)), 100 if limit == 50 else 334)))
    cov = g("opt_coverage")
    if cov is not None:
        why = ", ".join("%s %d" % (n[len("opt_refused_"):], g(n)) for n in sorted(res.rows)
                        if n.startswith("opt_refused_") and g(n))
        out.append(("goal: trapless on >= 99% of probe-able boundaries",
                    "holds" if cov >= 9900 else "misses",
                    "%d.%02d%% of %s boundaries; not: %s"
                    % (cov // 100, cov % 100, g("opt_boundaries"), why)))
    return out


# ---- output ----

def fmt_value(v):
    return "%d" % v if isinstance(v, int) else "%.3g" % v


def human_table(res):
    lines = ["%-28s %12s %-10s %s" % ("metric", "value", "unit", "what")]
    for name, (v, unit, what) in res.rows.items():
        lines.append("%-28s %12s %-10s %s" % (name, fmt_value(v), unit, what))
    return lines


def markdown(res, header, goal_rows):
    md = ["<!-- generated by scripts/bench.py (make bench DOC=1); edit the text around "
          "the markers, not this -->",
          "", "Run: " + header, "",
          "| metric | value | unit | what |", "|---|---:|---|---|"]
    for name, (v, unit, what) in res.rows.items():
        md.append("| `%s` | %s | %s | %s |" % (name, fmt_value(v), unit, what.replace("|", "/")))
    md += [""] + linux_comparison(res)
    md += ["", "| goal | verdict | measured |", "|---|---|---|"]
    for goal, verdict, detail in goal_rows:
        md.append("| %s | **%s** | %s |" % (goal, verdict, detail))
    for n in res.notes:
        md.append("")
        md.append("Note: " + n)
    return md


# Figures Linux documents, for the side-by-side table: other hardware, other units.
KPROBES_RST_US = {"kprobe": 0.99, "kprobe_boost": 0.43, "kprobe_opt": 0.06,
                  "kretprobe": 1.24, "kretprobe_boost": 0.68, "kretprobe_opt": 0.30}
E5410_GHZ = 2.33


def mpps(v):
    return "-" if v is None else "%.2f" % (v / 1e6)


def linux_comparison(res):
    def ours(name):
        v = res.get(name)
        return "-" if v is None else fmt_value(v)

    def rst(key):
        us = KPROBES_RST_US[key]
        return "%.2f µs (≈%d cycles)" % (us, round(us * E5410_GHZ * 1000))

    rows = [
        ("kprobe, int3 + single-step", rst("kprobe"), ours("kprobe_step") + " (`kprobe_step`)"),
        ("... with a post_handler", "", ours("kprobe_step_post") + " (`kprobe_step_post`)"),
        ("kprobe, boosted", rst("kprobe_boost"), ours("kprobe_boost") + " (`kprobe_boost`)"),
        ("kprobe, emulated", "", ours("kprobe_emulate") + " (`kprobe_emulate`)"),
        ("kprobe, jump-optimized", rst("kprobe_opt"),
         ours("kprobe_optimized") + " (`kprobe_optimized`)"),
        ("kretprobe", rst("kretprobe"), ours("kretprobe") + " (`kretprobe`)"),
        ("kretprobe, boosted entry", rst("kretprobe_boost"), ""),
        ("kretprobe, optimized entry", rst("kretprobe_opt"),
         ours("kretprobe_optimized") + " (`kretprobe_optimized`)"),
    ]
    # Linux under the same QEMU is `make bench PEER=linux`'s table (scripts/bench_linux.py)
    md = ["| per hit | Linux, Documentation/trace/kprobes.rst: Xeon E5410 2.33 GHz, "
          "real time (cycles derived) | kprobe64, this run, tsc ticks |", "|---|---|---|"]
    md += ["| %s | %s | %s |" % r for r in rows]
    x, s, xf, sf = (res.get(n) for n in ("xdp_drop", "stack_drop", "xdp_drop_flood",
                                          "stack_drop_flood"))
    md += ["", "| drop | XDP paper (CoNEXT 2018), one core, real hardware | "
           "kprobe64, this run |", "|---|---|---|",
           "| XDP `drop` | 24 Mpps (≈42 ns/packet) | %s tsc/packet; %s Mpps of busy time |"
           % (ours("xdp_drop"), mpps(xf)),
           "| in the stack | 4.8 Mpps (≈208 ns/packet), iptables raw table | "
           "%s tsc/packet (ICMP error rate-limited), %s with the error; %s Mpps of busy time |"
           % (ours("stack_drop"), ours("stack_drop_icmp"), mpps(sf)),
           "| ratio | 5.0x | %s per packet; %s under the flood |"
           % ("%.1fx" % (s / x) if x and s else "-",
              "%.1fx" % (xf / sf) if xf and sf else "-")]
    return md


def update_doc(path, md):
    text = open(path).read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        raise SystemExit("bench: %s has no %s ... %s markers" % (path, begin, end))
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(head + begin + "\n" + "\n".join(md) + "\n" + end + tail)


def git_rev():
    try:
        return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accel", choices=("tcg", "kvm"), default="tcg")
    ap.add_argument("--kernel", default=os.path.join(ROOT, "build", "kprobe64.bin"))
    ap.add_argument("--bpf-object", default=os.path.join(ROOT, "build", "samples", "bpf", "xdp_drop.o"),
                    help="the eBPF drop-all object, given to the guest as a module")
    ap.add_argument("--kprobe-object",
                    default=os.path.join(ROOT, "build", "samples", "bpf", "kprobe_hist.o"),
                    help="the kprobe program of the kprobe_bpf_hash row, a module too")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench.txt"))
    ap.add_argument("--markdown", default=os.path.join(ROOT, "build", "bench.md"))
    ap.add_argument("--update-doc", metavar="FILE")
    ap.add_argument("--skip", default="", help="comma list of probes,xdp,host to leave out")
    ap.add_argument("--peer", choices=("linux",), help="also run Linux (scripts/bench_linux.py)")
    ap.add_argument("host_bench", nargs="*")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))

    if a.peer and a.accel != "tcg":
        # the Linux peer boots under TCG_ICOUNT only: a ratio of KVM cycles
        # to guest instructions would compare nothing
        raise SystemExit("bench: PEER=linux needs ACCEL=tcg (Linux is measured under "
                         "-icount shift=0,sleep=off, as kprobe64 is there)")
    if a.accel == "kvm" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise SystemExit("bench: ACCEL=kvm needs a usable /dev/kvm")
    if not os.path.exists(a.kernel):
        raise SystemExit("bench: no %s (make %s)" % (a.kernel, os.path.relpath(a.kernel, ROOT)))
    qemu = subprocess.run([QEMU, "--version"], capture_output=True,
                          text=True, timeout=30).stdout.splitlines()[0]
    mode = ("QEMU TCG -icount shift=0,sleep=off: 1 tsc tick = 1 guest instruction; "
            "pps in guest time" if a.accel == "tcg" else
            "KVM -cpu host: tsc ticks are CPU cycles at the TSC rate; pps in real time")
    header = "%s, kprobe64 %s, %s, %s" % (datetime.date.today().isoformat(), git_rev(),
                                           qemu, mode)
    say("make bench: " + header)

    res, log = Results(), []
    t_start = time.time()
    wire = net.Wire()
    g = None
    try:
        if not ({"probes", "xdp"} <= skip):
            g = BenchGuest(a.kernel, a.accel, wire.qemu_args() +
                           ["-initrd", "%s,%s" % (a.bpf_object, a.kprobe_object)])
            say("  boot           %5.1f s" % g.boot_seconds)
        if "probes" not in skip:
            run_probe_benches(g, res, log)
        if "xdp" not in skip:
            t0 = time.time()
            net.settle(g, wire)
            run_xdp(g, wire, res, log)
            say("  xdp            %5.1f s" % (time.time() - t0))
            if not g.cmd_ok("version", 30).startswith("kprobe64"):
                raise GuestError("the console stopped answering after the XDP benches")
        if g:
            # an idle guest under sleep=off spins a host CPU: stop it before
            # timing anything on the host
            g.close()
        if "probes" not in skip:
            run_smp_benches(a.kernel, a.accel, res, log)
        if "host" not in skip:
            run_host(a.host_bench, res, log)
    except GuestError as e:
        say("make bench: FAILED: %s" % e)
        if g and g.proc.poll() is not None and g.proc.returncode not in (0, -9):
            say("make bench: QEMU exited with status %s" % g.proc.returncode)
        sys.exit(1)
    finally:
        if g:
            g.close()
    peer = None
    if a.peer:
        import bench_linux
        try:
            peer = bench_linux.run_peer()
        except bench_linux.PeerError as e:
            say("error: bench-linux: %s" % e)
            sys.exit(1)
    elapsed = time.time() - t_start

    goal_rows = goals(res)
    lines = ["", "kprobe64 benchmarks: " + header, ""] + human_table(res) + [""]
    lines += ["%-60s %-13s %s" % ("goal", "verdict", "measured")]
    lines += ["%-60s %-13s %s" % r for r in goal_rows]
    lines += ["note: " + n for n in res.notes]
    lines += [""] + ["bench: %s=%s %s" % (k, fmt_value(v[0]), v[1]) for k, v in res.rows.items()]
    if peer:
        import bench_linux
        lines += ["", "Linux %s beside kprobe64 (ratio: Linux / kprobe64)" % peer[1]["uname"]]
        lines += bench_linux.side_by_side(peer[0], res.rows)
        lines += ["note: " + n for n in bench_linux.reproduction(peer[0])]
        lines += [""] + ["bench: %s=%d %s" % r[:3] for r in peer[0]]
    lines += ["", "make bench took %.0f s" % elapsed]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)

    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
        f.write("\n---- console and host output ----\n")
        for what, out in log:
            f.write("\n$ %s\n%s" % (what, out if out.endswith("\n") else out + "\n"))
    md = markdown(res, header, goal_rows)
    if peer:
        import bench_linux
        md += ["", "### Linux, measured in the same run", ""]
        md += bench_linux.markdown(peer[0], res.rows, peer[1])
    with open(a.markdown, "w") as f:
        f.write("\n".join(md) + "\n")
    say("wrote %s and %s" % (os.path.relpath(a.out), os.path.relpath(a.markdown)))
    if a.update_doc:
        update_doc(a.update_doc, md)
        say("updated the table in %s" % a.update_doc)


if __name__ == "__main__":
    main()
