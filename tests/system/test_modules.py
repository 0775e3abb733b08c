"""Loadable modules (docs/modules.md): every sample and test module is on
build/kprobe64-modules.iso (make test builds it); each test loads what it
needs with insmod boot:NAME.ko, exercises it with `call`, and removes it."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from guest import Guest, ROOT, expect

MOD_ISO = os.path.join(ROOT, "build", "kprobe64-modules.iso")
SEED = "/work/shared/seed/000_94305300dca141ab.txt"


def make_guest():
    return Guest(iso=MOD_ISO)


def clean(guest):
    """Nothing of any module may stay behind a test."""
    out = guest.cmd_ok("lsmod")
    expect(out.strip().splitlines()[1:] == [], "modules left loaded:\n" + out)
    expect(re.match(r"0 probes", guest.cmd_ok("kprobes")), "probes left behind")
    expect(guest.cmd_ok("kprobe_events").strip() == "", "events left behind")


def insmod_err(guest, line):
    """insmod may print the module's own messages, then one error: line."""
    out = guest.cmd(line)
    errs = [l for l in out.splitlines() if l.startswith("error:")]
    expect(len(errs) == 1 and out.rstrip().splitlines()[-1] == errs[0],
           "%r: expected one error: line last, got:\n%s" % (line, out))
    return errs[0]


def test_seed_kprobe_example(guest):
    out = guest.cmd_ok("insmod boot:kprobe_example.ko")
    expect("Kprobe registered successfully" in out and "kprobe_example loaded at 0xffffffffa" in out, out)
    expect(re.search(r"^kprobe_example\s+\d+\s+0\s+Live", guest.cmd_ok("lsmod"), re.M), "lsmod")
    for i in range(3):
        out = guest.cmd_ok("call kp_target_add %d 1" % i)
        expect(out.count("Kprobe triggered! Process ID: 1") == 1, out)
        expect("= %#x" % (i + 1) in out, out)
    expect(guest.cmd_ok("dmesg").count("Kprobe triggered!") >= 3, "printk reaches dmesg")
    out = guest.cmd_ok("ksym kprobe_handler")
    expect(re.search(r"0xffffffffa\w+ t kprobe_handler\+0x0/0x\w+ \[kprobe_example\]", out), out)
    expect("Kprobe unregistered" in guest.cmd_ok("rmmod kprobe_example"), "exit ran")
    out = guest.cmd_ok("call kp_target_add 1 1")
    expect("Kprobe triggered" not in out, "probe gone with the module")
    guest.cmd_err("ksym kprobe_handler")
    clean(guest)


def test_kretprobe_example(guest):
    out = guest.cmd_ok("insmod boot:kretprobe_example.ko func=kp_target_add")
    expect("timing kp_target_add" in out, out)
    out = guest.cmd_ok("call kp_target_add 40 2")
    expect(re.search(r"kp_target_add returned 42 after \d+ ns", out), out)
    expect("0 returns missed" in guest.cmd_ok("rmmod kretprobe_example"), "exit")
    clean(guest)


def test_jprobe_example(guest):
    guest.cmd_ok("insmod boot:jprobe_example.ko")
    out = guest.cmd_ok("call kp_target_add 5 6")
    expect("kp_target_add(a=5, b=6) on cpu 0 by kp-shell" in out, out)
    expect("= 0xb (11)" in out, "the function still ran with its arguments:\n" + out)
    out = guest.cmd_ok("call kp_target_fib 10")
    expect("= 0x37 (55)" in out, out)
    guest.cmd_ok("rmmod jprobe_example")
    clean(guest)


def test_exporter_and_prober(guest):
    err = insmod_err(guest, "insmod boot:prober.ko")
    expect("undefined symbol 'exporter_work'" in err, err)
    guest.cmd_ok("insmod boot:exporter.ko")
    out = guest.cmd_ok("insmod boot:prober.ko n=2")
    expect(out.count("prober: exporter:exporter_work(") == 2 and "exporter_work(1) = 4" in out, out)
    expect(re.search(r"^exporter\s+\d+\s+1\s+Live", guest.cmd_ok("lsmod"), re.M), "use count")
    expect("in use" in guest.cmd_err("rmmod exporter"), "refused while in use")
    # the decoder walks the module function: instruction lengths add up to
    # its size (as kallsyms has it) and the last one is its ret
    size = int(re.search(r"exporter_work\+0x0/(0x[0-9a-f]+) \[exporter\]",
                         guest.cmd_ok("ksym exporter_work")).group(1), 16)
    rows = re.findall(r"^\+0x([0-9a-f]{4})\s+(\d+)\s+((?:[0-9a-f]{2} )*[0-9a-f]{2})",
                      guest.cmd_ok("insns exporter:exporter_work"), re.M)
    expect(rows and rows[0][0] == "0000" and rows[-1][2] == "c3", "insns: %s" % rows)
    expect(all(int(o, 16) + int(n) == (int(rows[i + 1][0], 16) if i + 1 < len(rows) else size)
               for i, (o, n, _) in enumerate(rows)), "lengths do not tile %#x bytes: %s" % (size, rows))
    guest.cmd_ok("p:modev exporter:exporter_work x=%di")
    guest.cmd_ok("enable modev")
    # the event fires in module code, beside prober's kprobe at the same address
    out = guest.cmd_ok("call exporter_work 3")
    expect("prober: exporter:exporter_work(3) hit" in out and "= 0xa (10)" in out, out)
    expect(re.search(r"modev: \(exporter_work\+0x0/0x\w+\) x=0x3$", guest.cmd_ok("trace"), re.M),
           "no modev hit in the trace")
    guest.cmd_ok("rmmod prober")
    out = guest.cmd_ok("rmmod exporter")
    # a MOD:SYM point stays defined, pending, as in Linux (test_pending_module_probe)
    expect("event kprobes/modev waits for it to load again" in out, out)
    expect(re.match(r"0 probes", guest.cmd_ok("kprobes")), "modev's probe stayed")
    guest.cmd_ok("disable modev")
    guest.cmd_ok("-:modev")
    clean(guest)


def test_probe_on_a_going_modules_code(guest):
    """Another module's kretprobe on exporter's code (by MOD:SYM, no use of
    its exports, so nothing holds exporter): rmmod exporter removes that
    probe, and the other module's own unregister later is harmless."""
    guest.cmd_ok("insmod boot:exporter.ko")
    guest.cmd_ok("insmod boot:kretprobe_example.ko func=exporter:exporter_work")
    out = guest.cmd_ok("call exporter_work 2")
    expect(re.search(r"exporter:exporter_work returned 7 after \d+ ns", out), out)
    out = guest.cmd_ok("rmmod exporter")
    expect("module exporter: removing its probe at exporter_work+0x0/" in out, out)
    expect(re.match(r"0 probes", guest.cmd_ok("kprobes")), "the probe stayed")
    expect("0 returns missed" in guest.cmd_ok("rmmod kretprobe_example"), "exit")
    guest.cmd_ok("insmod boot:exporter.ko")     # at the same address again: no stale probe there
    out = guest.cmd_ok("call exporter_work 2")
    expect("returned" not in out and "= 0x7 (7)" in out, out)
    guest.cmd_ok("rmmod exporter")
    clean(guest)


def heap_used(guest):
    return int(re.search(r"^heap: \d+ objects, (\d+) bytes in use", guest.cmd_ok("mem"), re.M).group(1))


def test_pending_module_probe(guest):
    """Linux's kprobe_module.tc: a MOD:SYM event on a module not loaded is
    accepted and listed as written, may be enabled, is armed by insmod
    (before init runs, so init is seen too), disarmed by rmmod (the event
    stays) and armed again by the next insmod."""
    # the probe engine's first probe allocates what it keeps (slots, counters)
    for line in ("p:warm kp_target_add", "enable warm", "disable warm", "-:warm"):
        guest.cmd_ok(line)
    guest.cmd_ok("trace clear")
    used = heap_used(guest)
    out = guest.cmd_ok("p:pm exporter:exporter_work x=%di")
    expect("module 'exporter' is not loaded" in out, out)
    guest.cmd_ok("p:pmi exporter:exporter_init")
    expect(guest.cmd_ok("kprobe_events").strip().splitlines() ==
           ["p:kprobes/pm exporter:exporter_work x=%di", "p:kprobes/pmi exporter:exporter_init"],
           guest.cmd_ok("kprobe_events"))
    expect(re.match(r"0 probes", guest.cmd_ok("kprobes")), "a pending point registered a probe")
    expect("enabled 2 events" in guest.cmd_ok("enable pm*"), "enable a pending event")
    # a glob needs its module's functions
    err = guest.cmd_err("p:pg/ exporter:exporter_*")
    expect("Invalid probed address or symbol" in err, err)
    # MOD loaded but SYM missing stays an error, with Linux's wording
    guest.cmd_ok("insmod boot:quiet.ko")
    err = guest.cmd_err("p:bad quiet:no_such_function")
    expect("Invalid probed address or symbol" in err, err)
    guest.cmd_ok("rmmod quiet")

    trace = ""
    for x in (3, 5):
        guest.cmd_ok("trace clear")
        out = guest.cmd_ok("insmod boot:exporter.ko")
        expect("registered event kprobes/pm at exporter:exporter_work (enabled)" in out, out)
        expect(re.match(r"2 probes", guest.cmd_ok("kprobes")), "not armed on insmod")
        out = guest.cmd_ok("call exporter_work %d" % x)
        expect("= 0x%x (%d)" % (3 * x + 1, 3 * x + 1) in out, out)
        trace = guest.cmd_ok("trace")
        expect(re.search(r"pm: \(exporter_work\+0x0/0x\w+\) x=0x%x$" % x, trace, re.M),
               "no pm hit after insmod:\n" + trace)
        # module_init() makes init_module an alias of exporter_init
        expect(re.search(r"pmi: \((?:exporter_init|init_module)\+0x0/0x\w+\)$", trace, re.M),
               "init ran before its probe was armed:\n" + trace)
        out = guest.cmd_ok("rmmod exporter")
        expect("event kprobes/pm waits for it to load again" in out, out)
        expect(re.match(r"0 probes", guest.cmd_ok("kprobes")), "int3 left in freed memory")
        expect(guest.cmd_ok("kprobe_events").count("exporter:") == 2, "the events went")
        expect("Oops" not in guest.cmd("call kp_target_add 1 2"), "crash after rmmod")
    guest.cmd_ok("disable pm*")
    guest.cmd_ok("-:pm")
    guest.cmd_ok("-:pmi")
    guest.cmd_ok("trace clear")
    clean(guest)
    expect(heap_used(guest) <= used, "heap: %d bytes in use before, %d after" % (used, heap_used(guest)))


def test_removal_drops_leftover_probes(guest):
    guest.cmd_ok("insmod boot:leaveprobe.ko")
    expect(re.match(r"3 probes", guest.cmd_ok("kprobes")), "three probes")
    expect("leaveprobe: returned 1" in guest.cmd_ok("call kp_target_fib 1"), "kretprobe")
    expect("leaveprobe: jprobe sub(5, 3)" in guest.cmd_ok("call kp_target_sub 5 3"), "jprobe")
    out = guest.cmd_ok("rmmod leaveprobe")
    expect(out.count("removing its probe") == 3 and "at kp_target_sub+0x0/" in out,
           "the heap-allocated jprobe must go too:\n" + out)
    for call in ("call kp_target_add 1 2", "call kp_target_fib 1", "call kp_target_sub 5 3"):
        out = guest.cmd_ok(call)
        expect("leaveprobe" not in out and "Oops" not in out, "a handler ran after rmmod:\n" + out)
    clean(guest)


def test_failing_init_leaves_nothing(guest):
    heap = lambda: re.search(r"heap: (\d+) objects, (\d+) bytes", guest.cmd_ok("mem")).groups()
    heaps = []
    for _ in range(2):      # the first round also grows the probe engine's tables
        err = insmod_err(guest, "insmod boot:initfail.ko")
        expect("init failed (-19)" in err, err)
        clean(guest)
        guest.cmd_err("ksym initfail_init")     # its symbols went with it
        heaps.append(heap())
    expect(heaps[0] == heaps[1], "a failed init left memory behind: %s" % heaps)
    err = insmod_err(guest, "insmod boot:quiet.ko value=3")
    expect("init failed (-22)" in err, err)
    clean(guest)


@pytest.mark.guest_log(r"Oops: page fault .*: in a guarded call; the kernel goes on")
def test_faulting_init_leaves_nothing(guest):
    """An init that registers a probe and then faults: survived, reported
    as init failing, and the probe goes with the module."""
    err = insmod_err(guest, "insmod boot:initfault.ko")
    expect("module 'initfault': init faulted (-14)" in err, err)
    clean(guest)
    out = guest.cmd_ok("call kp_target_add 1 2")
    expect("initfault" not in out and "= 0x3 (3)" in out, out)


@pytest.mark.guest_log(r"Oops: page fault .*: in a kprobe handler; the kernel goes on",
                       r"kprobe at kp_target_add\+0x0/0x5: pre_handler faulted; probe disabled")
def test_faulting_handler_survived(guest):
    guest.cmd_ok("insmod boot:faulty.ko")
    out = guest.cmd_ok("call kp_target_add 1 1")
    expect("in faulty_read+0x" in out and "[faulty]" in out, "the oops names the module's code:\n" + out)
    # the backtrace walks through module code: faulty_read's caller, the handler
    expect(re.search(r"\[<ffffffffa[0-9a-f]+>\] pre\+0x[0-9a-f]+/0x[0-9a-f]+ \[faulty\]$", out, re.M),
           "no module frame in the backtrace:\n" + out)
    expect("pre_handler faulted; probe disabled" in out and "= 0x2 (2)" in out, out)
    expect("[GONE]" in guest.cmd_ok("kprobes"), "probe disabled")
    expect("= 0x2 (2)" in guest.cmd_ok("call kp_target_add 1 1"), "kernel goes on")
    expect("faulty: probe flags 0x3" in guest.cmd_ok("rmmod faulty"), "removable")
    clean(guest)


def test_this_module_is_the_module(guest):
    """THIS_MODULE points at the loaded module (its name, inside its image);
    try_module_get(THIS_MODULE) holds it against rmmod until module_put()."""
    out = guest.cmd_ok("insmod boot:holder.ko hold=1")
    m = re.search(r"THIS_MODULE is 'holder' at (0x[0-9a-f]+), state 1", out)   # 1: coming
    expect(m and "holding, refcount 1" in out, out)
    row = re.search(r"^holder\s+(\d+)\s+(\d+)\s+Live\s+(0x[0-9a-f]+)$", guest.cmd_ok("lsmod"), re.M)
    expect(row and row.group(2) == "1", "lsmod does not show the hold")
    base, size = int(row.group(3), 16), int(row.group(1))
    expect(base <= int(m.group(1), 16) < base + size, "THIS_MODULE is outside the module")
    expect("in use (1 users)" in guest.cmd_err("rmmod holder"), "rmmod of a held module")
    expect("holder: released, refcount 0" in guest.cmd_ok("call kp_target_add 1 2"), "put")
    expect(re.search(r"^holder\s+\d+\s+0\s+Live", guest.cmd_ok("lsmod"), re.M), "count back to 0")
    expect("holder: exit, refcount 0" in guest.cmd_ok("rmmod holder"), "exit")
    clean(guest)


def test_module_bpf_objects_go_with_it(guest):
    """bpfmod loads two eBPF objects it owns and attaches one program to its
    kprobe; the console attaches the other to XDP. The module has no exit:
    rmmod must detach both and unload both (bpf/module_owner.c, net/xdp_bpf.c)."""
    heap = lambda: re.search(r"heap: (\d+) objects, (\d+) bytes", guest.cmd_ok("mem")).groups()
    heaps = []
    for _ in range(2):      # the first round also grows the probe engine's tables
        out = guest.cmd_ok("insmod boot:bpfmod.ko obj=boot:kprobe_hist.o xdp=boot:xdp_drop.o "
                           "attach=bm.kprobe_hist")
        expect("bpfmod: loaded, attached bm.kprobe_hist" in out, out)
        # columns: id type name insns run_cnt run_time_ns users section
        expect(re.search(r"^\s*\d+ kprobe\s+bm\.kprobe_hist\s+\d+\s+0\s+\d+\s+1 kprobe/kp_target_add",
                         guest.cmd_ok("bpf progs"), re.M), "not attached")
        guest.cmd_ok("call kp_target_add 3 4")
        expect(re.search(r"^\s*\d+ kprobe\s+bm\.kprobe_hist\s+\d+\s+1\s+\d+\s+1 ",
                         guest.cmd_ok("bpf progs"), re.M), "the program did not run")
        guest.cmd_ok("xdp attach bpf:bmx.xdp_prog")
        out = guest.cmd_ok("rmmod bpfmod")
        for line in ("xdp: eth0: detaching bpf:bmx.xdp_prog: module bpfmod is going",
                     "bpf: module bpfmod: detached bm.kprobe_hist",
                     "bpf: module bpfmod: unloaded 'bm'", "bpf: module bpfmod: unloaded 'bmx'"):
            expect(line in out, "%r missing:\n%s" % (line, out))
        expect(guest.cmd_ok("bpf progs").strip().count("\n") == 0, "programs left")
        expect(guest.cmd_ok("bpf maps").strip().count("\n") == 0, "maps left")
        expect("no program attached" in guest.cmd_ok("xdp status"), "xdp program left")
        heaps.append(heap())
    expect(heaps[0] == heaps[1], "heap grew: %s" % heaps)
    # an init that fails after loading: what it loaded goes too
    out = guest.cmd("insmod boot:bpfmod.ko obj=boot:kprobe_hist.o attach=nope")
    expect("unloaded 'bm'" in out and out.rstrip().splitlines()[-1].startswith("error:"), out)
    expect(guest.cmd_ok("bpf progs").strip().count("\n") == 0, "programs left after failed init")


@pytest.mark.guest_log(r"Oops: page fault .*: in a kprobe handler; the kernel goes on",
                       r"kprobe at kp_target_add\+0x0/0x5: pre_handler faulted; probe disabled")
def test_faulting_handler_reports_once(guest):
    """A handler that faults on every hit prints one report, not one per
    hit: the first fault takes the probe out of service."""
    start = len(guest.output())
    guest.cmd_ok("insmod boot:faulty.ko")
    out = guest.cmd_ok("call kp_target_loop 1000")      # kp_target_add 1000 times
    expect("= 0x79f2c (499500)" in out, out[-500:])
    log = guest.output()[start:]
    expect(log.count("pre_handler faulted; probe disabled") == 1 and
           len(re.findall(r"Oops: page fault", log)) == 1, "reports:\n" + log[-3000:])
    expect("faulty: probe flags 0x3" in guest.cmd_ok("rmmod faulty"), "removable")
    clean(guest)


def test_bad_modules_refused(guest):
    cases = {
        "notelf.ko": "not an ELF file",
        "wrongarch.ko": "wrong machine",
        "badreloc.ko": "unknown relocation type 9",
        "undefsym.ko": "undefined symbol 'no_such_export'",
        "nolicense.ko": "has no MODULE_LICENSE",
        "nosuchfile.ko": "no boot file 'nosuchfile.ko'",
    }
    before = guest.cmd_ok("mem")
    for f, why in cases.items():
        err = guest.cmd_err("insmod boot:" + f)
        expect(why in err, "%s: %s" % (f, err))
    guest.cmd_ok("insmod boot:quiet.ko")
    expect("already loaded" in guest.cmd_err("insmod boot:quiet.ko"), "duplicate name")
    guest.cmd_ok("rmmod quiet")
    guest.cmd_ok("insmod boot:exporter.ko")
    expect("exported symbol 'exporter_work' is already exported" in
           guest.cmd_err("insmod boot:dupexport.ko"), "duplicate export")
    guest.cmd_ok("rmmod exporter")
    guest.cmd_ok("insmod boot:dupexport.ko")    # alone, its export is its own
    guest.cmd_ok("rmmod dupexport")
    expect("unknown parameter 'bogus'" in guest.cmd_err("insmod boot:quiet.ko bogus=1"), "param")
    for v in ("abc", "99999999999"):        # not a number; over an int
        expect("bad value '%s' for parameter 'value'" % v in
               guest.cmd_err("insmod boot:quiet.ko value=" + v), "value " + v)
    expect("not NAME=VALUE" in guest.cmd_err("insmod boot:quiet.ko value"), "no =")
    # QEMU's default NIC, user networking without tftp=: the server refuses
    err = guest.cmd_err("insmod tftp:quiet.ko")
    expect(re.match(r"error: insmod: server: .* \(error \d+\)$", err), err)
    guest.cmd_err("insmod")
    guest.cmd_err("insmod quiet.ko")
    expect("no module 'quiet'" in guest.cmd_err("rmmod quiet"), "rmmod unknown")
    guest.cmd_err("rmmod")
    guest.cmd_err("lsmod x")
    heap = lambda s: re.search(r"heap: (\d+) objects, (\d+) bytes", s).groups()
    expect(heap(before) == heap(guest.cmd_ok("mem")), "refusals leave the heap as it was")
    clean(guest)


def test_loaded_module_rights(guest):
    """The rights the loader gives a real module's pages (text RX, rodata
    R+NX, data RW+NX, then the guard): tests/kernel/test_modules.c's
    loaded_module_rights loads quiet.ko from this ISO and walks them."""
    out = guest.cmd_ok("test modules")
    expect(re.search(r"^ok \d+ modules\.loaded_module_rights$", out, re.M) and
           re.search(r"# quiet: [1-9]\d* text pages RX, [1-9]\d* rodata R\+NX, [1-9]\d* data RW\+NX$",
                     out, re.M) and "0 failed" in out, out)
    clean(guest)


def test_thousand_load_unload_cycles(guest):
    # page tables for module space and the heap's cached pages, once
    guest.cmd_ok("modcycle boot:quiet.ko 10")
    out = guest.cmd_ok("modcycle boot:quiet.ko 1000", timeout=600)
    m = re.search(r"1000 cycles; heap objects (\d+) -> (\d+), bytes (\d+) -> (\d+); "
                  r"free frames (\d+) -> (\d+)", out)
    expect(m, out)
    a = m.groups()
    expect(a[0] == a[1] and a[2] == a[3] and a[4] == a[5], "counters came back:\n" + out)
    guest.cmd_err("modcycle boot:quiet.ko 0")
    clean(guest)


def test_rmmod_while_another_cpu_is_in_its_handler():
    """tickprobe.ko probes every CPU's timer tick with a handler that
    lingers, and its init returns once CPU 1 is inside it: each rmmod of
    modcycle then removes the module while CPU 1 still runs its code, which
    must wait for CPU 1 to leave (otherwise CPU 1 returns into unmapped
    pages). Its probes are registered and removed each cycle, so the
    counters coming back covers the probe engine's part too."""
    with Guest(iso=MOD_ISO, smp=2) as g:
        g.cmd_ok("modcycle boot:tickprobe.ko 5")     # tables and page tables, once
        out = g.cmd_ok("modcycle boot:tickprobe.ko 100", timeout=300)
        m = re.search(r"100 cycles; heap objects (\d+) -> (\d+), bytes (\d+) -> (\d+); "
                      r"free frames (\d+) -> (\d+)", out)
        expect(m, out)
        a = m.groups()
        expect(a[0] == a[1] and a[2] == a[3] and a[4] == a[5], "counters came back:\n" + out)
        cpu1 = re.search(r"^\s+1\s+1 online\s+\d+\s+(\d+)", g.cmd_ok("cpus"), re.M)
        expect(cpu1 and int(cpu1.group(1)) >= 105, "CPU 1 did not hit the probe every cycle")
        clean(g)


def seed_source():
    """The seed's kprobe listing, changed only in the probed symbol and a
    forward declaration of its handler (the listing uses it first)."""
    with open(SEED) as f:
        text = f.read()
    src = text[text.index("#include <linux/kprobe.h>"):]
    end = 'MODULE_DESCRIPTION("Kprobe Example");'
    src = src[:src.index(end) + len(end)]
    src = src.replace('"sys_clone"', '"kp_target_add"', 1)
    return src.replace("#include <linux/init.h>\n", "#include <linux/init.h>\n\n"
                       "static int kprobe_handler(struct kprobe *p, struct pt_regs *regs);\n", 1) + "\n"


def seed_dir(parent, name):
    """A directory holding the seed's listing as NAME.c and a one-line Kbuild."""
    d = tempfile.mkdtemp(prefix="kp-seedmod-", dir=parent)
    with open(os.path.join(d, name + ".c"), "w") as f:
        f.write(seed_source())
    with open(os.path.join(d, "Kbuild"), "w") as f:
        f.write("obj-m += %s.o\n" % name)
    return d


def make(args, cwd=ROOT):
    r = subprocess.run(["make", "-s"] + args, cwd=cwd, capture_output=True, text=True, timeout=600)
    expect(r.returncode == 0, "make %s:\n%s%s" % (" ".join(args), r.stdout, r.stderr))


def test_seed_example_built_with_make_m():
    """The issue's acceptance test, the way docs/modules.md shows it: the
    seed's listing in a directory with a one-line Kbuild, built with
    make M=DIR from outside the tree (make -C TREE M=/abs/dir) and from a
    directory in the tree (make M=rel/dir at its top); make iso
    MODULES="a.ko b.ko" puts both on an ISO (B= keeps the tree's build/ as
    it is); each loads and prints its message each time the function runs."""
    tmp = tempfile.mkdtemp(prefix="kp-seed-")
    intree = None
    try:
        outside = seed_dir(tmp, "seed_kprobe")
        make(["-C", ROOT, "M=" + outside], cwd=tmp)
        intree = seed_dir(ROOT, "seed_kprobe_tree")
        make(["M=" + os.path.basename(intree)])
        kos = [os.path.join(outside, "seed_kprobe.ko"), os.path.join(intree, "seed_kprobe_tree.ko")]
        for ko in kos:
            expect(os.path.exists(ko), "no " + ko)
        b = os.path.join(tmp, "build")
        make(["-C", ROOT, "-j2", "B=" + b, "iso", "MODULES=" + " ".join(kos), "BPF="], cwd=tmp)
        with Guest(iso=os.path.join(b, "kprobe64.iso")) as g:
            for name in ("seed_kprobe", "seed_kprobe_tree"):
                out = g.cmd_ok("insmod boot:%s.ko" % name)
                expect("Kprobe registered successfully" in out, "init:\n" + out)
                for i in range(1, 4):
                    out = g.cmd_ok("call kp_target_add %d %d" % (i, i))
                    expect(out.count("Kprobe triggered! Process ID: 1") == 1, out)
                    expect("= %#x (%d)" % (2 * i, 2 * i) in out, out)
                expect("Kprobe unregistered" in g.cmd_ok("rmmod " + name), "exit")
                out = g.cmd_ok("call kp_target_add 1 1")
                expect("Kprobe triggered" not in out, "the probe stayed after rmmod:\n" + out)
                clean(g)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if intree:
            shutil.rmtree(intree, ignore_errors=True)


def test_makefile_of_several_objects():
    """A module directory as Linux's out-of-tree ones are: a Makefile (no
    Kbuild) whose KERNELRELEASE guard sends a plain `make` there to
    make -C TREE M=$PWD, and a module of two objects (NAME-y). Loaded over
    TFTP, so no ISO is built for it."""
    tmp = tempfile.mkdtemp(prefix="kp-twoobj-")
    try:
        files = {
            "Makefile": "ifneq ($(KERNELRELEASE),)\n"
                        "obj-m += twoobj.o\n"
                        "twoobj-y := main.o helper.o\n"
                        "else\n"
                        "all:\n"
                        "\t$(MAKE) -C %s M=$(CURDIR)\n"
                        "endif\n" % ROOT,
            "helper.c": "int twoobj_helper(int x);\n"
                        "int twoobj_helper(int x) { return x * 6; }\n",
            "main.c": "#include <linux/module.h>\n"
                      "int twoobj_helper(int x);\n"
                      "static int x = 1;\n"
                      "module_param(x, int, 0);\n"
                      "static int __init twoobj_init(void)\n"
                      "{\n\tpr_info(\"twoobj: helper(%d) = %d\\n\", x, twoobj_helper(x));\n\treturn 0;\n}\n"
                      "module_init(twoobj_init);\n"
                      "MODULE_LICENSE(\"GPL\");\n",
        }
        for name, text in files.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        make([], cwd=tmp)
        expect(os.path.exists(os.path.join(tmp, "twoobj.ko")), "no twoobj.ko")
        with Guest(net="user", tftp=tmp) as g:
            out = g.cmd_ok("insmod tftp:twoobj.ko x=7")
            expect("twoobj: helper(7) = 42" in out, out)
            expect(re.search(r"^twoobj\s+\d+\s+0\s+Live", g.cmd_ok("lsmod"), re.M), "lsmod")
            expect("[twoobj]" in g.cmd_ok("ksym twoobj_helper"), "the second object's symbol")
            g.cmd_ok("rmmod twoobj")
            clean(g)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
