"""GDB knows module symbols: after insmod, the gdb script's kp-modules
loads NAME.ko at the sections' load addresses (add-symbol-file -s), so a
breakpoint on a module's function stops there with its source line and
arguments, through QEMU's gdbstub (Debian's gdb in batch mode, as in
test_gdb.py)."""
import os
import re
import time

from guest import Guest, ROOT, expect, free_port
from test_gdb import Gdb

MOD_ISO = os.path.join(ROOT, "build", "kprobe64-modules.iso")
MODDIR = os.path.join(ROOT, "build", "samples", "modules")


def make_guest():
    g = Guest(iso=MOD_ISO, extra=["-gdb", "tcp:127.0.0.1:%d" % free_port()])
    g.gdb_port = int(re.search(r"tcp:127.0.0.1:(\d+)", " ".join(g.args)).group(1))
    return g


def test_break_on_module_function(guest, monkeypatch):
    import test_gdb
    # the modules ISO's kernel is the build's ELF (test_gdb snapshots the plain ISO's)
    monkeypatch.setattr(test_gdb, "elf", lambda: os.path.join(ROOT, "build", "kprobe64.elf"))
    out = guest.cmd_ok("insmod boot:kprobe_example.ko")
    base = int(re.search(r"loaded at (0x[0-9a-f]+)", out).group(1), 16)
    handler = int(re.search(r"^(0x[0-9a-f]+) t kprobe_handler", guest.cmd_ok("ksym kprobe_handler"),
                            re.M).group(1), 16)
    try:
        d = Gdb(["target remote 127.0.0.1:%d" % guest.gdb_port, "kp-modules " + MODDIR,
                 "info address kprobe_handler", "break kprobe_handler", "echo READY\\n",
                 "continue", "bt 5", "info args", "delete", "detach"])
        try:
            d.wait_for("READY", 60)
            time.sleep(0.5)      # continue is on its way; the call waits for it anyway
            guest.send("call kp_target_add 4 5\r")
            gout = d.finish(60)
        finally:
            d.kill()
        guest.read_until("kp> ", 30)
        expect(re.search(r"kp-modules: kprobe_example: .*kprobe_example\.ko, \.text at %#x"
                         % base, gout), gout)
        expect("symbols of 1 module loaded" in gout, gout)
        expect(re.search(r"Symbol \"kprobe_handler\" is a function at address %#x" % handler,
                         gout), "GDB's address differs from ksym's:\n" + gout)
        expect(re.search(r"Breakpoint 1, kprobe_handler \(p=0x[0-9a-f]+ <kp>, regs=0x[0-9a-f]+"
                         r"(?: <[^>]*>)?\) at .*samples/modules/kprobe_example\.c:\d+\n\d+\s+"
                         r"printk\(KERN_INFO \"Kprobe triggered!", gout), gout)
        # from the module's handler back into the kernel: through the probe
        # engine (an optimized probe's detour, which has no symbol; or the
        # int3 path's asm fast path or C and the trap entry) to the probed function, where
        # kp_unwind.py's registers from pt_regs put it (GDB names a caller's
        # frame by pc - 1, which for a probe on the first instruction is the
        # padding before it: ??), and on to the guarded call `call` made
        target = int(re.search(r"^(0x[0-9a-f]+) [tT] kp_target_add",
                               guest.cmd_ok("ksym kp_target_add"), re.M).group(1), 16)
        expect(re.search(r"^#1 .* in (kprobe_int3_fast\S*|run_pre_handlers|\?\?) ", gout, re.M) and
               re.search(r"^#[23]\s+%#018x in " % target, gout, re.M) and
               re.search(r"^#[34] .* in guarded_call ", gout, re.M), "backtrace:\n" + gout)
        out = guest.cmd_ok("lsmod")
        expect("kprobe_example" in out, out)
    finally:
        out = guest.cmd_ok("rmmod kprobe_example")
    expect("Kprobe unregistered" in out, out)
