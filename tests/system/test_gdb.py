"""GDB against kprobe64, both ways (docs/gdb.md), with Debian's gdb in batch mode.

QEMU's gdbstub: `break kmain` / `hbreak` from the very first instruction;
a breakpoint on a function the console's `call` runs, its arguments and
backtrace, and the kp-probes / kp-trace helpers against the console.

The in-kernel stub on COM2 (a TCP socket here): enter with `kgdb`, break,
backtrace, variables, stepi checked against the decoder's instruction
lengths (`insns`), continue, detach; a kprobe and a GDB breakpoint on one
address both fire; stepping onto another kprobe's address; hardware
breakpoints; raw-socket garbage, bad checksums and a debugger that vanishes
mid-session never hurt the kernel; `kgdb on-oops`; the `kgdbwait` boot flag.

Every wait is bounded: GDB runs under a pty with a deadline and is killed
if it overruns; the console waits are the guest's own bounded reads.
"""
import atexit
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import guest as guestmod
from guest import Guest, OOPS_EXIT, PROMPT, expect, free_port
from qemu import qemu_args

ROOT = guestmod.ROOT
GDBINIT = os.path.join(ROOT, "scripts", "gdb", "gdbinit")


_build = None


def build():
    """(iso, elf): a private copy of the ISO and the very ELF inside it.

    QEMU and GDB must see the same build, and build/ may be rebuilt while the
    tests run (the ELF GDB loads would then no longer match the running
    kernel), so both come from one snapshot, taken once per run.
    """
    global _build
    if _build is None:
        tmp = tempfile.mkdtemp(prefix="kp-gdb-")
        atexit.register(shutil.rmtree, tmp, True)
        iso, elf_path = os.path.join(tmp, "kprobe64.iso"), os.path.join(tmp, "kprobe64.elf")
        shutil.copy(guestmod.ISO, iso)
        r = subprocess.run(["xorriso", "-osirrox", "on", "-indev", iso, "-extract",
                            "/boot/kprobe64.elf", elf_path], capture_output=True, timeout=60)
        if r.returncode or not os.path.exists(elf_path):
            shutil.copy(os.path.join(os.path.dirname(guestmod.ISO), "kprobe64.elf"), elf_path)
        _build = (iso, elf_path)
    return _build


def elf():
    return build()[1]


class Gdb:
    """gdb -batch on a pty (unbuffered output), with every wait bounded."""

    def __init__(self, cmds, with_helpers=True):
        args = ["gdb", "-batch", "-nx"]
        if with_helpers:
            args += ["-x", GDBINIT]
        for c in cmds:
            args += ["-ex", c]
        args.append(elf())
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, cwd=ROOT)
        os.close(slave)
        self.out = ""

    def _fill(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.out += data.decode("utf-8", "replace").replace("\r", "")
        return True

    def wait_for(self, pattern, timeout):
        end = time.time() + timeout
        while not re.search(pattern, self.out):
            if time.time() > end or (self.proc.poll() is not None and not self._fill(0)):
                self.kill()
                raise AssertionError("gdb: no %r within %ss; its output:\n%s"
                                     % (pattern, timeout, self.out[-3000:]))
            self._fill(0.2)

    def finish(self, timeout):
        end = time.time() + timeout
        while self.proc.poll() is None and time.time() < end:
            self._fill(0.2)
        while self._fill(0.05):
            pass
        if self.proc.poll() is None:
            self.kill()
            raise AssertionError("gdb did not finish within %ss; its output:\n%s"
                                 % (timeout, self.out[-3000:]))
        self.kill()
        return self.out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None


class BootingGuest(Guest):
    """A Guest on a given ISO that does not wait for the prompt (kgdbwait stops before it)."""

    def __init__(self, iso, extra):
        super().__init__(iso=iso, extra=extra, wait_prompt=False)


class SnapshotGuest(BootingGuest):
    """A Guest booted from the snapshot ISO (see build()), up to the prompt."""

    def __init__(self, extra):
        super().__init__(build()[0], extra)
        t0 = time.time()
        try:
            self.read_until(PROMPT, 60, what="the first prompt")
        except Exception:
            self.close()
            raise
        self.boot_seconds = time.time() - t0


def make_guest():
    """One guest for the module: QEMU's gdbstub and COM2 on free local ports."""
    gport, kport = free_port(), free_port()
    g = SnapshotGuest(["-gdb", "tcp:127.0.0.1:%d" % gport,
                       "-serial", "tcp:127.0.0.1:%d,server,nowait" % kport])
    g.gdb_port, g.kgdb_port = gport, kport
    g.cmd_ok("kgdb timeout 20")     # a broken test never freezes the guest for long
    return g


def sym_addr(g, name):
    m = re.search(r"^(0x[0-9a-f]+) ", g.cmd_ok("ksym %s" % name), re.M)
    expect(m, "ksym %s" % name)
    return int(m.group(1), 16)


def insn_lengths(g, name):
    """{offset: length} from the console's decoder listing."""
    out = g.cmd_ok("insns %s" % name)
    return {int(m.group(1), 16): int(m.group(2))
            for m in re.finditer(r"^\+0x([0-9a-f]+)\s+(\d+)\s", out, re.M)}


def console_probes(g):
    """(address, symbol, mode, hits, missed) per line of `kprobes`."""
    out = g.cmd_ok("kprobes")
    return [m.groups() for m in re.finditer(
        r"^([0-9a-f]{16})\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)", out, re.M)]


def gdb_probes(out):
    return [m.groups() for m in re.finditer(
        r"^([0-9a-f]{16})\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+pre=", out, re.M)]


def kgdb_enter(g):
    """Type `kgdb`: the stub takes the CPU and the console freezes."""
    g.send("kgdb\r")
    g.read_until("the console is frozen", 60, what="the stub to take the CPU")


def kgdb_session_end(g, d):
    """GDB is in `continue`: break in from the console so it can finish (detach)."""
    g.send("kgdb\r")
    g.read_until("kgdb: resumed", 40, what="GDB to detach")
    g.read_until("kp> ", 10)
    return d.finish(30)


def target(g):
    return "target remote 127.0.0.1:%d" % g.kgdb_port


def healthy(g):
    """The kernel runs and answers, and the stub left nothing behind."""
    out = g.cmd_ok("call kp_target_add 20 22")
    expect("= 0x2a (42)" in out, "kernel not healthy:\n%s" % out)
    st = g.cmd_ok("kgdb status")
    expect("no breakpoints" in st, "stub breakpoints left behind:\n%s" % st)
    # this module's tests remove their events, so no probe at all may remain
    probes = g.cmd_ok("kprobes")
    expect(re.match(r"0 probes", probes), "probes left registered:\n%s" % probes)


# ---- QEMU's gdbstub ----

def test_qemu_gdbstub_break_kmain_from_first_insn():
    port = free_port()
    qemu = subprocess.Popen(qemu_args(iso=build()[0], serial="null",
                                      extra=["-gdb", "tcp:127.0.0.1:%d" % port, "-S"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        d = Gdb(["target remote 127.0.0.1:%d" % port, "p/x $pc",
                 "break kmain", "continue", "p/x $pc", "p $cs",
                 "hbreak run_initcalls", "continue", "bt 2", "kill"])
        out = d.finish(60)
    finally:
        qemu.kill()
        qemu.wait()
    # the first stop is QEMU's reset vector, long before long mode
    expect(re.search(r"^\$1 = 0xfff0$", out, re.M), "not stopped at the reset vector:\n" + out)
    expect(re.search(r"Breakpoint 1, kmain \(", out), "break kmain did not stop:\n" + out)
    expect(re.search(r"^\$2 = 0xffffffff8[0-9a-f]{7}$", out, re.M), "pc at kmain:\n" + out)
    expect(re.search(r"^\$3 = 8$", out, re.M), "not in the 64-bit code segment:\n" + out)
    expect(re.search(r"Breakpoint 2, run_initcalls \(", out), "hbreak did not stop:\n" + out)
    expect(re.search(r"#1 .* in kmain \(", out), "backtrace from run_initcalls:\n" + out)


def test_qemu_gdbstub_break_args_backtrace_helpers(guest):
    g = guest
    g.cmd_ok("p:gdbq kp_target_add a=%di b=%si:u64")
    g.cmd_ok("enable gdbq")
    g.cmd_ok("call kp_target_add 7 8")
    before = console_probes(g)
    profile = g.cmd_ok("kprobe_profile gdbq")
    d = Gdb(["target remote 127.0.0.1:%d" % g.gdb_port, "break kp_target_add",
             "echo READY\\n", "continue", "bt", "info args", "kp-probes", "kp-trace",
             "kp-dmesg", "delete", "detach"])
    try:
        d.wait_for("READY", 30)
        # QEMU holds the guest until GDB continues: the line waits in the UART
        g.send("call kp_target_add 2 3\r")
        out = d.finish(60)
    finally:
        d.kill()
    g.read_until("kp> ", 20)
    try:
        expect(re.search(r"Breakpoint 1, kp_target_add \(a=2, b=3\)", out), out)
        expect(re.search(r"^#1 .* in guarded_call", out, re.M) and
               re.search(r"^#\d .* in cmd_call \(", out, re.M) and
               re.search(r"^#\d .* in shell_run \(", out, re.M), "backtrace:\n" + out)
        expect(re.search(r"^a = 2\nb = 3$", out, re.M), "info args:\n" + out)
        # QEMU stops before the probe's int3 runs: the table is as before
        got = gdb_probes(out)
        expect(got == before and len(got) == 1, "kp-probes %s != kprobes %s\n%s" % (got, before, out))
        expect(re.search(r"kp_target_add\+0x0/0x\w+ .* pre=kevent_pre_handler post=-", out), out)
        hits = re.search(r"gdbq\s+(\d+)\s+(\d+)", profile)
        expect(hits and got[0][3] == hits.group(1) and got[0][4] == hits.group(2),
               "kp-probes hits/misses %s vs kprobe_profile:\n%s" % (got, profile))
        expect(re.search(r"kp-shell-1 .*: gdbq: \(kp_target_add\+0x0/0x\w+\) a=0x7 b=8", out),
               "kp-trace:\n" + out)
        expect(re.search(r"^\[\s*\d+\.\d{6}\] kprobe64 .* booting", out, re.M), "kp-dmesg:\n" + out)
        # the call finished once GDB let go, and the probe counted it
        expect(console_probes(g)[0][3] == str(int(before[0][3]) + 1), g.cmd_ok("kprobes"))
    finally:
        g.cmd("disable gdbq")
        g.cmd("-:gdbq")


# ---- the in-kernel stub ----

def test_kgdb_break_backtrace_stepi_continue_detach(guest):
    g = guest
    fn = "kp_target_add_indirect"
    base = sym_addr(g, fn)
    lens = insn_lengths(g, fn)
    callee = sym_addr(g, "kp_target_add")
    kgdb_enter(g)
    d = Gdb([target(g), "break *%s" % fn, "continue",
             "bt", "p a", "p b", "p/x $pc",
             "stepi", "p/x $pc", "stepi", "p/x $pc", "stepi", "p/x $pc", "stepi", "p/x $pc",
             "info registers rdi rsi",
             # back out: the caller's return address is a probe-able one; its
             # caller (guarded_call) is not, and the stub uses a debug register
             "finish", "finish", "continue", "delete", "detach"])
    try:
        g.read_until("kgdb: resumed", 40, what="GDB to connect, set the breakpoint, continue")
        g.read_until("kp> ", 60)
        g.send("call %s 2 3\r" % fn)
        g.read_until(re.compile(r"%s\+0x0/0x\w+ = 0x6 \(6\)" % fn), 60, what="the call to finish")
        g.read_until("kp> ", 60)
        out = kgdb_session_end(g, d)
    finally:
        d.kill()
    expect(re.search(r"Breakpoint 1, %s \(a=2, b=3\)" % fn, out), out)
    expect(re.search(r"^#\d .* in cmd_call \(", out, re.M), "backtrace:\n" + out)
    expect(re.search(r"^\$1 = 2\n\$2 = 3$", out, re.M), "variables:\n" + out)
    pcs = [int(x, 16) for x in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)]
    expect(len(pcs) == 5, "pc values:\n" + out)
    # three steps move by the decoder's lengths; the fourth is the call
    want, off = [base], 0
    for _ in range(3):
        off += lens[off]
        want.append(base + off)
    want.append(callee)
    expect(pcs == want, "pcs %s, decoder says %s\n%s" % ([hex(p) for p in pcs],
                                                       [hex(p) for p in want], out))
    expect(re.search(r"^rdi\s+0x2\s", out, re.M), out)
    expect(re.search(r"Value returned is \$\d+ = 5\n", out), "finish from kp_target_add:\n" + out)
    expect(re.search(r"guarded_call \(\) at [^\n]*\n(.*\n)?Value returned is \$\d+ = 6\n", out),
           "finish into guarded_call:\n" + out)
    expect("[Inferior 1 (Remote target) detached]" in out, out)
    healthy(g)


def test_kgdb_and_kprobe_share_an_address(guest):
    g = guest
    g.cmd_ok("p:shared kp_target_add a=%di b=%si")
    g.cmd_ok("enable shared")
    g.cmd_ok("trace clear")
    add = sym_addr(g, "kp_target_add")
    try:
        kgdb_enter(g)
        # 1: a GDB breakpoint where the event's probe is; 2: step onto that
        # probe's address from elsewhere, then over it
        d = Gdb([target(g), "break *kp_target_add", "continue",
                 "kp-probes", "p a", "delete",
                 "break *kp_target_add_indirect", "continue",
                 "stepi", "stepi", "stepi", "stepi", "p/x $pc", "stepi", "p/x $pc",
                 "delete", "continue", "detach"])
        g.read_until("kgdb: resumed", 40, what="GDB to continue")
        g.read_until("kp> ", 60)
        g.send("call kp_target_add 4 5\r")
        g.read_until(re.compile(r"kp_target_add\+0x0/0x\w+ = 0x9 \(9\)"), 60, what="the first call")
        g.read_until("kp> ", 60)
        g.send("call kp_target_add_indirect 6 7\r")
        g.read_until(re.compile(r"kp_target_add_indirect\+0x0/0x\w+ = 0xe \(14\)"), 60, what="the second call")
        g.read_until("kp> ", 60)
        out = kgdb_session_end(g, d)
        d.kill()
        expect(re.search(r"Breakpoint 1, kp_target_add \(a=4, b=5\)", out), out)
        probes = re.findall(r"^%016x\s+kp_target_add\+0x0/\S+\s+\S+\s+\d+\s+\d+\s+pre=(\w+)" % add,
                            out, re.M)
        expect(sorted(probes) == ["kevent_pre_handler", "kgdb_pre"],
               "kp-probes does not show both probes at kp_target_add:\n" + out)
        pcs = [int(x, 16) for x in re.findall(r"^\$\d+ = (0x[0-9a-f]+)$", out, re.M)]
        expect(pcs == [add, add + insn_lengths(g, "kp_target_add")[0]],
               "stepping onto and over the probed address: %s\n%s" % ([hex(p) for p in pcs], out))
        trace = g.cmd_ok("trace")
        expect(re.search(r"shared: \(kp_target_add\+0x0/0x\w+\) a=0x4 b=0x5", trace) and
               re.search(r"shared: \(kp_target_add\+0x0/0x\w+\) a=0x6 b=0x7", trace),
               "the kprobe did not fire along with GDB:\n" + trace)
        expect(len(re.findall(r"shared: ", trace)) == 2, "each call fires the event once:\n" + trace)
        expect(re.search(r"shared\s+2\s+0", g.cmd_ok("kprobe_profile shared")), "profile")
    finally:
        g.cmd("disable shared")
        g.cmd("-:shared")
    healthy(g)


def test_kgdb_hardware_breakpoint(guest):
    g = guest
    kgdb_enter(g)
    # and a software breakpoint on an instruction probes refuse (ud2): a debug register takes it
    # then a write watchpoint (DR, Z2) on the stub's own timeout setting
    d = Gdb([target(g), "hbreak kp_target_fib", "break *crash_ud2", "continue", "bt 1", "p n",
             "delete", "watch timeout_s", "continue", "bt 2", "delete", "continue", "detach"])
    try:
        g.read_until("kgdb: resumed", 40, what="GDB to continue")
        g.read_until("kp> ", 60)
        g.send("call kp_target_fib 10\r")
        g.read_until(re.compile(r"kp_target_fib\+0x0/0x\w+ = 0x37 \(55\)"), 60, what="the call")
        g.read_until("kp> ", 60)
        g.send("kgdb timeout 21\r")
        g.read_until("kgdb: timeout 21 s", 60, what="the watched write to finish")
        g.read_until("kp> ", 60)
        out = kgdb_session_end(g, d)
    finally:
        d.kill()
    expect("Hardware assisted breakpoint 1 at " in out and
           re.search(r"^Breakpoint 1, kp_target_fib \(n=10\)", out, re.M), out)
    expect(re.search(r"^\$1 = 10$", out, re.M), out)
    expect("Cannot insert" not in out and "Could not insert" not in out, out)
    expect(re.search(r"Hardware watchpoint \d: timeout_s\n\nOld value = 20\nNew value = 21", out),
           "the watchpoint did not report the write:\n" + out)
    expect(re.search(r"^#0 .* in cmd_kgdb \(", out, re.M), "watchpoint backtrace:\n" + out)
    g.cmd_ok("kgdb timeout 20")
    healthy(g)


def rsp(payload):
    return b"$%s#%02x" % (payload, sum(payload) & 0xFF)


def read_sock(s, timeout, until=None):
    data, end = b"", time.time() + timeout
    while time.time() < end and not (until and re.search(until, data)):
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def test_kgdb_garbage_bad_packets_and_vanishing_debugger(guest):
    g = guest
    add = sym_addr(g, "kp_target_fib")
    s = socket.create_connection(("127.0.0.1", g.kgdb_port), timeout=5)
    try:
        # 1. garbage while no stub listens: the kernel never notices
        s.sendall(bytes(range(256)) * 8 + b"$g#67$Z0,0,1#00\x03")
        expect("= 0x2a (42)" in g.cmd_ok("call kp_target_add 20 22"), "garbage hurt the kernel")
        g.cmd_ok("kgdb timeout 3")
        kgdb_enter(g)
        # whatever the stale bytes caused is answered before this (a lone $
        # first ends a stale packet that still waits for checksum digits)
        s.sendall(b"$" + rsp(b"qC"))
        expect(re.search(rb"\$QC1#", read_sock(s, 30, rb"\$QC1#..")), "the stub does not answer")
        s.sendall(b"+")
        # 2. bad checksums are refused; a good packet is acked and answered
        s.sendall(b"$?#00")
        expect(b"-" in read_sock(s, 30, rb"-"), "no nack for a bad checksum")
        s.sendall(b"noise" + rsp(b"?"))
        r = read_sock(s, 30, rb"\$T05[^#]*#..")
        expect(re.search(rb"\+.*\$T05[^#]*#[0-9a-f]{2}", r, re.S), "no stop reply: %r" % r)
        s.sendall(b"+" + rsp(b"m0,8"))
        r = read_sock(s, 30, rb"\$E[^#]*#..")
        expect(b"$E0e#" in r, "reading address 0 must fail cleanly: %r" % r)
        s.sendall(b"+" + rsp(b"M%x,1:90" % add))     # text is never written by M
        expect(b"$E01#" in read_sock(s, 30, rb"\$E[^#]*#.."), "a text write was not refused")
        s.sendall(b"+" + rsp(b"X" * 5000))           # too long for the stub
        expect(re.search(rb"\$E[0-9a-f]{2}#", read_sock(s, 30, rb"\$E..#..")), "too long")
        # 3. a breakpoint, resume, and the debugger vanishes
        s.sendall(b"+" + rsp(b"Z0,%x,1" % add))
        expect(b"$OK#9a" in read_sock(s, 30, rb"\$OK#9a"), "Z0 refused")
        s.sendall(b"+" + rsp(b"c"))
        read_sock(s, 0.5)
    finally:
        s.close()
    g.read_until("kgdb: resumed", 60, what="the stub to let go after 'c'")
    g.read_until("kp> ", 60)
    expect("kp_target_fib" in g.cmd_ok("kgdb status"), "the breakpoint is not there")
    # the breakpoint hits with nobody listening: the stop reply goes unacked,
    # the stub forgets the debugger and the kernel runs on
    out = g.cmd_ok("call kp_target_fib 4", timeout=120)
    expect("= 0x3 (3)" in out, out)
    # 4. a debugger that disappears in the middle of a packet while the stub
    # holds the CPU: after `kgdb timeout` seconds of silence the kernel runs on
    s = socket.create_connection(("127.0.0.1", g.kgdb_port), timeout=5)
    try:
        kgdb_enter(g)
        s.sendall(rsp(b"qSupported:swbreak+") + b"$m ffffffff8010")
        read_sock(s, 1)
    finally:
        s.close()
    g.read_until("kgdb: resumed", 120, what="the idle timeout")
    g.read_until("kp> ", 60)
    g.cmd_ok("kgdb timeout 20")
    healthy(g)


def test_kgdb_kill_packet_lets_the_kernel_run_on(guest):
    """`k` is detach without a reply (docs/gdb.md): the stub forgets the
    debugger and its breakpoints, and the kernel runs on."""
    g = guest
    fib = sym_addr(g, "kp_target_fib")
    s = socket.create_connection(("127.0.0.1", g.kgdb_port), timeout=5)
    try:
        kgdb_enter(g)
        s.sendall(rsp(b"?"))
        r = read_sock(s, 30, rb"\$T05[^#]*#..")
        expect(re.search(rb"\$T05[^#]*#[0-9a-f]{2}", r), "no stop reply: %r" % r)
        s.sendall(b"+" + rsp(b"Z0,%x,1" % fib))
        expect(b"$OK#9a" in read_sock(s, 30, rb"\$OK#9a"), "Z0 refused")
        s.sendall(b"+" + rsp(b"k"))
        g.read_until("kgdb: resumed", 60, what="the stub to let go after 'k'")
        g.read_until(PROMPT, 30)
        # COM2 bytes reach the socket as the stub writes them, so anything it
        # answered before it resumed is there by now
        s.setblocking(False)
        try:
            after = s.recv(65536)
        except BlockingIOError:
            after = b""
        expect(after in (b"", b"+"), "the stub answered 'k': %r" % after)
    finally:
        s.close()
    st = g.cmd_ok("kgdb status")
    expect("no breakpoints" in st, "'k' left the breakpoint:\n%s" % st)
    expect("= 0x3 (3)" in g.cmd_ok("call kp_target_fib 4", timeout=60), "kernel did not run on")
    # and a new debugger is served as the first was
    s = socket.create_connection(("127.0.0.1", g.kgdb_port), timeout=5)
    try:
        kgdb_enter(g)
        s.sendall(rsp(b"?"))
        expect(re.search(rb"\$T05", read_sock(s, 30, rb"\$T05[^#]*#..")), "no stop reply")
        s.sendall(b"+" + rsp(b"D"))
        expect(b"$OK#9a" in read_sock(s, 30, rb"\$OK#9a"), "D not answered OK")
        g.read_until("kgdb: resumed", 60, what="the stub to let go after 'D'")
        g.read_until(PROMPT, 30)
    finally:
        s.close()
    healthy(g)


def test_kgdb_console_errors(guest):
    g = guest
    for bad in ("kgdb frob", "kgdb timeout x", "kgdb timeout 99999999", "kgdb on-oops maybe",
                "kgdb break nosuchsym", "kgdb break do_trap", "kgdb delete kp_target_add",
                "kgdb break kp_target_add+1", "kgdb break"):
        g.cmd_err(bad)
    expect("on-oops off" in g.cmd_ok("kgdb on-oops"), "on-oops default")
    out = g.cmd_ok("kgdb break kp_target_strlen")
    expect("waits there for GDB" in out, out)
    expect(re.search(r"kp_target_strlen\+0x0/\S+\s+console", g.cmd_ok("kgdb status")), "status")
    g.cmd_ok("kgdb delete all")
    expect("no breakpoints" in g.cmd_ok("kgdb status"), "delete all")


@pytest.mark.oops
def test_kgdb_on_oops():
    port = free_port()
    with SnapshotGuest(["-serial", "tcp:127.0.0.1:%d,server,nowait" % port]) as g:
        g.cmd_ok("kgdb timeout 30")
        expect("on-oops on" in g.cmd_ok("kgdb on-oops on"), "on-oops")
        g.send("crash null\r")
        g.read_until("kgdb: waiting for GDB", 20, what="the oops to reach the stub")
        d = Gdb(["target remote 127.0.0.1:%d" % port, "info program", "bt 3", "detach"])
        try:
            out = d.finish(60)
        finally:
            d.kill()
        expect("SIGSEGV" in out, "the stop is not reported as SIGSEGV:\n" + out)
        expect(re.search(r"^#0 .*crash_null", out, re.M), "oops backtrace:\n" + out)
        code = g.wait_exit(30)
        expect(code == OOPS_EXIT, "after detach the oops stops the kernel (exit %s)" % code)


def test_kgdbwait_boot_flag():
    """A second ISO whose GRUB entry passes `kgdbwait`: the kernel waits in the stub at boot."""
    tmp = tempfile.mkdtemp(prefix="kp-kgdbwait-")
    try:
        iso_dir = os.path.join(tmp, "iso")
        os.makedirs(os.path.join(iso_dir, "boot", "grub"))
        shutil.copy(elf(), os.path.join(iso_dir, "boot", "kprobe64.elf"))
        with open(os.path.join(ROOT, "boot", "grub.cfg")) as f:
            cfg = f.read()
        cfg = re.sub(r"(multiboot2 /boot/kprobe64\.elf)", r"\1 kgdbwait", cfg)
        expect("kgdbwait" in cfg, "grub.cfg has no multiboot2 line to extend")
        with open(os.path.join(iso_dir, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(cfg)
        iso = os.path.join(tmp, "kgdbwait.iso")
        r = subprocess.run(["grub-mkrescue", "-o", iso, iso_dir], capture_output=True, timeout=120)
        expect(r.returncode == 0, "grub-mkrescue: %s" % r.stderr[-1000:])
        port = free_port()
        g = BootingGuest(iso, ["-serial", "tcp:127.0.0.1:%d,server,nowait" % port])
        try:
            g.read_until("kgdbwait: waiting for GDB on COM2", 60, what="kgdbwait")
            d = Gdb(["target remote 127.0.0.1:%d" % port, "bt", "detach"])
            try:
                out = d.finish(60)
            finally:
                d.kill()
            expect(re.search(r"in kgdb_boot_wait \(", out) and re.search(r"in kmain \(", out),
                   "backtrace at boot:\n" + out)
            g.read_until("kp> ", 30, what="the prompt after detach")
            expect("= 0x2a (42)" in g.cmd_ok("call kp_target_add 20 22"), "healthy")
        finally:
            g.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
