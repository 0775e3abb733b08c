"""The TFTP client (net/tftp.c) against QEMU's built-in server
(-netdev user,tftp=DIR at 10.0.2.2), and the file sources it registers:
`insmod tftp:FILE.ko` and `bpf load tftp:FILE.o` (docs/modules.md, docs/bpf.md)."""
import glob
import os
import re
import shutil
import tempfile
import zlib

from guest import Guest, ROOT, expect

B = os.path.join(ROOT, "build")
SERVED = {
    "kprobe_example.ko": os.path.join(B, "samples", "modules", "kprobe_example.ko"),
    "initfail.ko": os.path.join(B, "tests", "modules", "initfail.ko"),
    "xdp_drop.o": os.path.join(B, "samples", "bpf", "xdp_drop.o"),
}
SAMPLES = sorted(glob.glob(os.path.join(B, "samples", "bpf", "*.o")))
SERVED.update({os.path.basename(p): p for p in SAMPLES})
BIG = 17 << 20          # over the client's 16 MiB limit; sparse, never sent
DIR = None


def make_guest():
    global DIR
    DIR = tempfile.mkdtemp(prefix="kp-tftp-")
    for name, path in SERVED.items():
        shutil.copy(path, os.path.join(DIR, name))
    with open(os.path.join(DIR, "big.bin"), "wb") as f:
        f.truncate(BIG)
    with open(os.path.join(DIR, "odd.bin"), "wb") as f:     # a last block of 0 bytes
        f.write(bytes(range(256)) * (1428 * 3 // 256) + bytes(1428 * 3 % 256))
    return Guest(net="user", tftp=DIR, smp=2)


def heap(guest):
    return re.search(r"heap: (\d+) objects, (\d+) bytes", guest.cmd_ok("mem")).groups()


def test_get_matches_the_served_file(guest):
    for name in ("kprobe_example.ko", "xdp_drop.o", "odd.bin"):
        data = open(os.path.join(DIR, name), "rb").read()
        out = guest.cmd_ok("tftp get " + name)
        m = re.search(r"tftp: %s: (\d+) bytes, crc32 ([0-9a-f]{8}); blksize (\d+)"
                      % re.escape(name), out)
        expect(m, out)
        expect(int(m.group(1)) == len(data) and int(m.group(2), 16) == zlib.crc32(data),
               "%s: got %s bytes crc %s, the file has %d bytes crc %08x"
               % (name, m.group(1), m.group(2), len(data), zlib.crc32(data)))
        expect(512 < int(m.group(3)) <= 1432, "blksize was not negotiated: " + out)


def test_get_with_the_nic_interrupt_on_another_cpu(guest):
    """The receive handler then runs on CPU 1 while the transfer waits on CPU 0."""
    data = open(os.path.join(DIR, "kprobe_example.ko"), "rb").read()
    guest.cmd_ok("irq route eth0 1")
    try:
        before = guest.cmd_ok("irq")
        out = guest.cmd_ok("tftp get kprobe_example.ko")
        expect("%d bytes, crc32 %08x" % (len(data), zlib.crc32(data)) in out, out)
        count = lambda s: [int(x) for x in re.search(r"^.* eth0 .*$", s, re.M).group(0).split()[-2:]]
        expect(count(guest.cmd_ok("irq"))[1] > count(before)[1], "no interrupt on cpu 1")
    finally:
        guest.cmd_ok("irq route eth0 0")


def test_insmod_over_tftp(guest):
    heaps = []
    for _ in range(3):      # the first round also sets up the probe engine's tables
        out = guest.cmd_ok("insmod tftp:kprobe_example.ko")
        expect("Kprobe registered successfully" in out and "kprobe_example loaded at" in out, out)
        out = guest.cmd_ok("call kp_target_add 2 3")
        expect("Kprobe triggered! Process ID: 1" in out and "= 0x5" in out, out)
        expect("Kprobe unregistered" in guest.cmd_ok("rmmod kprobe_example"), "exit ran")
        expect(guest.cmd_ok("lsmod").strip().splitlines()[1:] == [], "module left loaded")
        heaps.append(heap(guest))
    expect(heaps[1] == heaps[2], "the transfer buffer or the module leaked: %s" % heaps)


def test_insmod_over_tftp_init_fails(guest):
    out = guest.cmd("insmod tftp:initfail.ko")
    expect(out.rstrip().splitlines()[-1].startswith("error: insmod: module 'initfail': init failed"),
           out)
    expect(guest.cmd_ok("lsmod").strip().splitlines()[1:] == [], "module left loaded")


def test_bpf_load_over_tftp(guest):
    h0 = heap(guest)
    out = guest.cmd_ok("bpf load tftp:xdp_drop.o net")
    expect("loaded xdp_drop.o" in out, out)
    expect(re.search(r"^\s*\d+ xdp\s+net\.xdp_prog\s", guest.cmd_ok("bpf progs"), re.M),
           "program not listed")
    # the object was copied: it runs after the transfer buffer is gone
    out = guest.cmd_ok("xdp attach bpf:net.xdp_prog")
    try:
        expect("attached bpf:net.xdp_prog" in out, out)
        guest.cmd("ping 10.0.2.2 2", timeout=30)
        drops = re.search(r"^\s*drop: packets=(\d+)", guest.cmd_ok("xdp status"), re.M)
        expect(drops and int(drops.group(1)) > 0, "the program dropped nothing")
    finally:
        guest.cmd_ok("xdp detach")
    guest.cmd_ok("bpf unload net")
    expect(heap(guest) == h0, "heap changed")


def listing(guest, what, prefix):
    """The `bpf progs` or `bpf maps` rows named PREFIX.*, without id, name
    prefix or run counters: what the object defined."""
    rows = []
    for line in guest.cmd_ok("bpf " + what).splitlines()[1:]:
        f = line.split()
        if len(f) > 2 and f[2].startswith(prefix + "."):
            f[2] = f[2][len(prefix) + 1:]
            rows.append(f[1:4] + f[7:] if what == "progs" else f[1:])
    return sorted(rows)


def run_count(guest, name):
    for line in guest.cmd_ok("bpf progs").splitlines():
        f = line.split()
        if len(f) > 4 and f[2] == name:
            return int(f[4])
    raise AssertionError("%s not in bpf progs" % name)


def test_every_sample_loads_over_tftp_as_from_the_iso(guest):
    """Each samples/bpf object fetched over TFTP defines the same programs and
    maps as the ISO's copy, translated to the same instructions, and runs
    where it attaches (what each sample computes is checked from the ISO,
    in test_bpf.py and test_bpf_xdp.py)."""
    assert len(SAMPLES) >= 7, SAMPLES
    h0 = heap(guest)
    for path in SAMPLES:
        obj = os.path.basename(path)
        guest.cmd_ok("bpf load boot:%s b" % obj)
        out = guest.cmd_ok("bpf load tftp:%s t" % obj)
        try:
            expect("loaded %s" % obj in out, out)
            progs = listing(guest, "progs", "t")
            expect(progs and progs == listing(guest, "progs", "b"),
                   "%s: programs differ:\n%s" % (obj, guest.cmd_ok("bpf progs")))
            expect(listing(guest, "maps", "t") == listing(guest, "maps", "b"),
                   "%s: maps differ:\n%s" % (obj, guest.cmd_ok("bpf maps")))
            for ptype, name, _ in [r[:3] for r in progs]:
                dump = guest.cmd_ok("bpf dump t." + name).replace("t." + name, name)
                expect(dump == guest.cmd_ok("bpf dump b." + name).replace("b." + name, name),
                       "%s: %s translated differently" % (obj, name))
                before = run_count(guest, "t." + name)
                if ptype == "xdp":
                    guest.cmd_ok("xdp attach bpf:t." + name)
                    try:
                        guest.cmd("ping 10.0.2.2 1", timeout=30)
                    finally:
                        guest.cmd_ok("xdp detach")
                else:
                    guest.cmd_ok("bpf attach t." + name)
                    try:
                        guest.cmd_ok("call kp_target_add 2 3")
                    finally:
                        guest.cmd_ok("bpf detach t." + name)
                expect(run_count(guest, "t." + name) > before, "%s: %s never ran" % (obj, name))
        finally:
            guest.cmd_ok("bpf unload t")
            guest.cmd_ok("bpf unload b")
    guest.cmd_ok("trace clear")     # kprobe_printk's lines
    expect(heap(guest) == h0, "heap changed")


def test_missing_file_is_the_servers_message(guest):
    h0, mods = heap(guest), guest.cmd_ok("lsmod")
    err = guest.cmd_err("insmod tftp:nosuch.ko")
    expect("server: File not found (error 1)" in err, err)
    err = guest.cmd_err("bpf load tftp:nosuch.o")
    expect("server: File not found" in err, err)
    err = guest.cmd_err("tftp get nosuch.bin")
    expect(err == "error: tftp: nosuch.bin: server: File not found (error 1)", err)
    expect(heap(guest) == h0 and guest.cmd_ok("lsmod") == mods, "a refusal changed state")


def test_too_large_refused_from_tsize(guest):
    err = guest.cmd_err("tftp get big.bin")
    expect("'big.bin' is too large (%d bytes; at most 16777216)" % BIG in err, err)
    err = guest.cmd_err("insmod tftp:big.bin")
    expect("too large" in err, err)


def test_server_not_there(guest):
    """10.0.2.77 is on the subnet but nobody answers for it: every try goes
    out (the ARP requests are counted), and the client gives up with one line."""
    before = guest.cmd_ok("net")
    guest.cmd_ok("tftp server 10.0.2.77")
    try:
        err = guest.cmd_err("insmod tftp:kprobe_example.ko", timeout=60)
        expect("timed out: no answer from 10.0.2.77:69 after 5 tries" in err, err)
        err = guest.cmd_err("bpf load tftp:xdp_drop.o", timeout=60)
        expect("timed out" in err, err)
    finally:
        guest.cmd_ok("tftp server 10.0.2.2")
    arp_failed = lambda s: int(re.search(r"tx_arp_failed=(\d+)", s).group(1))
    expect(arp_failed(guest.cmd_ok("net")) > arp_failed(before), "the requests never left")
    expect(guest.cmd_ok("lsmod").strip().splitlines()[1:] == [], "module loaded")
    # and the real server still works after the timeouts
    expect("bytes, crc32" in guest.cmd_ok("tftp get xdp_drop.o"), "server unusable after")


def test_bad_input(guest):
    for line in ("tftp", "tftp get", "tftp get a b", "tftp put x", "tftp server 1.2.3",
                 "tftp server 255.255.255.255", "insmod tftp:", "bpf load tftp:",
                 "insmod nfs:x.ko", "tftp get " + "x" * 300):
        guest.cmd_err(line)
    expect("tftp server 10.0.2.2" in guest.cmd_ok("tftp server"), "server changed")


def test_no_tftp_dir_is_the_servers_refusal():
    """QEMU user networking without tftp=: the server answers every request
    with an error, which is what the client reports."""
    with Guest(net="user") as g:
        err = g.cmd_err("insmod tftp:kprobe_example.ko")
        expect(re.match(r"error: insmod: server: .+ \(error \d+\)$", err), err)
