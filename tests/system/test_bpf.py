"""eBPF objects from the ISO (make iso puts every samples/bpf object on it as
a GRUB module): the seed's drop-all XDP program compiled by clang, loaded
with `bpf load boot:...`, attached to eth0 and fed real frames over QEMU's
socket netdev; the console's bpf commands and their refusals. Each test
unloads what it loaded."""
import base64
import binascii
import json
import os
import re

from guest import expect
from test_net_lib import (GUEST_IP, HOST_IP, delta, ipv4, net_counters, udp, wait_counter,
                          wired_guest, xdp_counters)

WIRE = None


def make_guest():
    global WIRE
    g, WIRE = wired_guest()
    return g


def prog_row(guest, name):
    """`bpf progs` row of name: {'id', 'type', 'insns', 'run_cnt', 'run_time_ns', 'users'}."""
    for line in guest.cmd_ok("bpf progs").splitlines():
        f = line.split()
        if len(f) >= 7 and f[2] == name:
            return {"id": int(f[0]), "type": f[1], "insns": int(f[3]), "run_cnt": int(f[4]),
                    "run_time_ns": int(f[5]), "users": int(f[6])}
    return None


def test_seed_drop_all_drops_every_frame(guest):
    out = guest.cmd_ok("bpf load boot:xdp_drop.o seed")
    expect("loaded xdp_drop.o" in out, out)
    try:
        row = prog_row(guest, "seed.xdp_prog")
        expect(row and row["type"] == "xdp" and row["insns"] == 2 and row["run_cnt"] == 0,
               "bpf progs: %s" % row)
        out = guest.cmd_ok("xdp attach bpf:seed.xdp_prog")
        expect(re.search(r"eth0: attached bpf:seed.xdp_prog \(id \d+\)", out), out)
        try:
            x0, c0 = xdp_counters(guest), net_counters(guest)
            expect(x0["prog"] == "bpf:seed.xdp_prog", x0["raw"])
            n = 40
            for i in range(n):
                WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 17,
                                  udp(HOST_IP, GUEST_IP, 43000, 7, b"drop %d" % i)))
            c1 = wait_counter(guest, "xdp_drop", c0["results"]["xdp_drop"] + n)
            x1 = xdp_counters(guest)
            d = delta(c0, c1)
            expect(d["results"]["xdp_drop"] == n, "xdp_drop moved by %d" % d["results"]["xdp_drop"])
            expect(d["results"].get("ok_udp", 0) == 0, "a frame reached UDP under drop-all")
            expect(x1["drop.packets"] - x0["drop.packets"] == n, x1["raw"])
            expect(x1["pass.packets"] == x0["pass.packets"], x1["raw"])
            row = prog_row(guest, "seed.xdp_prog")
            # the program ran once per frame since attach (it was attached with
            # run_cnt 0), and every frame was dropped
            expect(row["run_cnt"] == x1["drop.packets"] - x0["drop.packets"],
                   "run_cnt %d, drops %d" % (row["run_cnt"], x1["drop.packets"] - x0["drop.packets"]))
            expect(row["users"] == 1, "users %d" % row["users"])
            guest.cmd_err("bpf unload seed")          # attached: refused
        finally:
            guest.cmd_ok("xdp detach")
        expect(prog_row(guest, "seed.xdp_prog")["users"] == 0, "detach kept the program held")
    finally:
        guest.cmd_ok("bpf unload seed")
    expect(prog_row(guest, "seed.xdp_prog") is None, "program still listed after unload")


def test_bpf_refusals_change_nothing(guest):
    progs0, maps0 = guest.cmd_ok("bpf progs"), guest.cmd_ok("bpf maps")
    for line in ("bpf", "bpf load", "bpf load boot:missing.o", "bpf load ftp:xdp_drop.o",
                 "bpf load tftp:xdp_drop.o", "bpf load boot:xdp_drop.o waytoolongobjectname",
                 "bpf dump nope", "bpf maps extra", "bpf map",
                 "bpf map dump nope", "bpf map frob x", "bpf unload nope", "bpf frob",
                 "xdp attach bpf:nope", "xdp attach bpf:nope eth9"):
        guest.cmd_err(line)
    expect(guest.cmd_ok("bpf progs") == progs0 and guest.cmd_ok("bpf maps") == maps0,
           "a refused command changed the lists")


def test_bpf_load_twice_needs_a_name(guest):
    guest.cmd_ok("bpf load boot:xdp_drop.o")
    try:
        err = guest.cmd_err("bpf load boot:xdp_drop.o")
        expect("already loaded" in err, err)
        guest.cmd_ok("bpf load boot:xdp_drop.o second")
        expect(prog_row(guest, "second.xdp_prog"), "second copy not listed")
        guest.cmd_ok("bpf unload second")
        out = guest.cmd_ok("bpf dump xdp_prog")
        expect(re.search(r"0: b7 0 0\s+0\s+1", out) and re.search(r"1: 95 0 0", out), out)
    finally:
        guest.cmd_ok("bpf unload xdp_prog")


def test_bpf_map_commands(guest):
    guest.cmd_ok("bpf load boot:kretprobe_latency.o lat")
    try:
        maps = guest.cmd_ok("bpf maps")
        expect(re.search(r"hash\s+lat\.lat_hist\s+4\s+8\s+64", maps), maps)
        expect(re.search(r"percpu_array\s+lat\.start\s+4\s+8\s+1", maps), maps)
        guest.cmd_ok("bpf map update lat.lat_hist 5 value 0x2a")
        out = guest.cmd_ok("bpf map lookup lat.lat_hist 05 00 00 00")
        expect(json.loads(out.splitlines()[0]) == {"key": 5, "value": 42}, out)
        out = guest.cmd_ok("bpf map dump lat.lat_hist")
        expect('{"key": 5, "value": 42}\n1 entries' in out, out)
        out = guest.cmd_ok("bpf map dump lat.start")
        expect(json.loads(out.splitlines()[0]) == {"key": 0, "values": [{"cpu": 0, "value": 0}]},
               out)
        guest.cmd_err("bpf map update lat.lat_hist 5 value 1 2 3")
        guest.cmd_err("bpf map lookup lat.lat_hist 0x100000000")
        guest.cmd_ok("bpf map delete lat.lat_hist 5")
        guest.cmd_err("bpf map delete lat.lat_hist 5")
        guest.cmd_err("bpf map lookup lat.lat_hist 5")
        expect("0 entries" in guest.cmd_ok("bpf map dump lat.lat_hist"), "not empty")
        rows = guest.cmd_ok("bpf progs")
        expect(re.search(r"kprobe\s+lat\.lat_exit\s+\d+", rows), rows)
    finally:
        guest.cmd_ok("bpf unload lat")


def hist(guest, mapname):
    """`bpf map dump` of a u32 -> u64 hash map (BTF: JSON lines) as {key: value}."""
    out = guest.cmd_ok("bpf map dump %s" % mapname)
    entries = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    expect(re.search(r"^%d entries$" % len(entries), out, re.M), out)
    return {e["key"]: e["value"] for e in entries}


def test_kprobe_program_histogram(guest):
    guest.cmd_ok("bpf load boot:kprobe_hist.o kh")
    try:
        out = guest.cmd_ok("bpf attach kh.kprobe_hist")
        expect("attached kh.kprobe_hist" in out, out)
        try:
            guest.cmd_err("bpf attach kh.kprobe_hist")     # already attached
            for a in (5, 5, 5, 1000):
                guest.cmd_ok("call kp_target_add %d 1" % a)
            # ctx is pt_regs: PT_REGS_PARM1 is rdi, the first argument
            expect(hist(guest, "kh.arg_hist") == {2: 3, 9: 1}, guest.cmd_ok("bpf map dump kh.arg_hist"))
            expect(prog_row(guest, "kh.kprobe_hist")["run_cnt"] == 4, guest.cmd_ok("bpf progs"))
        finally:
            guest.cmd_ok("bpf detach kh.kprobe_hist")
        guest.cmd_ok("call kp_target_add 5 1")
        expect(prog_row(guest, "kh.kprobe_hist")["run_cnt"] == 4, "ran after detach")
        guest.cmd_err("bpf detach kh.kprobe_hist")
        guest.cmd_err("bpf attach kh.kprobe_hist no_such_function_here")
    finally:
        guest.cmd_ok("bpf unload kh")


def test_kretprobe_program_latency(guest):
    guest.cmd_ok("bpf load boot:kretprobe_latency.o kl")
    try:
        guest.cmd_ok("bpf attach kl.lat_entry")
        guest.cmd_ok("bpf attach kl.lat_exit")
        try:
            for _ in range(3):
                guest.cmd_ok("call kp_target_add 1 2")
            h = hist(guest, "kl.lat_hist")
            expect(sum(h.values()) == 3, "latency histogram %s" % h)
            expect(prog_row(guest, "kl.lat_exit")["run_cnt"] == 3, guest.cmd_ok("bpf progs"))
        finally:
            guest.cmd_ok("bpf detach kl.lat_entry")
            guest.cmd_ok("bpf detach kl.lat_exit")
    finally:
        guest.cmd_ok("bpf unload kl")


def test_drop_udp_to_one_port_passes_the_rest(guest):
    """samples/bpf/xdp_drop_udp.c reads the packet through ctx->data and
    data_end (the verifier's xdp_md rewrite) and drops UDP to port 9999 only."""
    guest.cmd_ok("bpf load boot:xdp_drop_udp.o du")
    try:
        guest.cmd_ok("xdp attach bpf:du.xdp_drop_udp")
        try:
            x0, c0 = xdp_counters(guest), net_counters(guest)
            for i in range(10):
                WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 43001, 9999, b"x")))
            for i in range(5):
                WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 43001, 7, b"echo")))
            c1 = wait_counter(guest, "xdp_drop", c0["results"]["xdp_drop"] + 10)
            c1 = wait_counter(guest, "ok_udp", c0["results"].get("ok_udp", 0) + 5)
            x1 = xdp_counters(guest)
            expect(x1["drop.packets"] - x0["drop.packets"] == 10, x1["raw"])
            expect(x1["pass.packets"] - x0["pass.packets"] >= 5, x1["raw"])
            expect(delta(c0, c1)["results"]["xdp_drop"] == 10, delta(c0, c1))
        finally:
            guest.cmd_ok("xdp detach")
    finally:
        guest.cmd_ok("bpf unload du")


def test_trace_printk_and_struct_map(guest):
    """samples/bpf/kprobe_printk.c: bpf_printk() lines in the trace as Linux
    prints them, and its struct-valued map dumped field by field."""
    guest.cmd_ok("trace clear")
    guest.cmd_ok("bpf load boot:kprobe_printk.o kp")
    try:
        guest.cmd_ok("bpf attach kp.kprobe_printk")
        try:
            for a, b in ((5, 1), (-3, 40)):
                guest.cmd_ok("call kp_target_add %d %d" % (a, b))
        finally:
            guest.cmd_ok("bpf detach kp.kprobe_printk")
        out = guest.cmd_ok("trace")
        lines = re.findall(r"^\s+kp-shell-1\s+\[000\] \S{5}\s+\d+\.\d{6}: bpf_trace_printk: (.*)$",
                           out, re.M)
        expect(lines == ["kp_target_add(5, 1) on cpu 0", "kp_target_add(-3, 40) on cpu 0"], out)
        expect("entries-in-buffer/entries-written: 2/2" in out, out)
        dump = guest.cmd_ok("bpf map dump kp.last")
        entry = json.loads(dump.splitlines()[0])
        expect(entry == {"key": 0, "value": {"calls": 2, "a": -3, "b": 40, "tag": "add",
                                             "ab": [65533, 40]}}, dump)
    finally:
        guest.cmd_ok("bpf unload kp")
        guest.cmd_ok("trace clear")


SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "build", "samples", "bpf")


def paste(guest, name, data, end="check", width=76, mangle=None):
    """`bpf paste NAME`, the object as base64 lines, then the end line;
    returns the output's lines after the banner."""
    text = base64.b64encode(data).decode()
    lines = [text[i:i + width] for i in range(0, len(text), width)]
    if mangle:
        lines = mangle(lines)
    if end == "check":
        end = ". %d %08x" % (len(data), binascii.crc32(data))
    out = guest.cmd("\r".join(["bpf paste %s" % name] + lines + [end]), timeout=60)
    rest = [l for l in out.splitlines() if l.strip()]
    expect(rest and rest[0].startswith("paste base64 lines"), out)
    return rest[1:]


def test_paste_loads_an_object(guest):
    data = open(os.path.join(SAMPLES, "xdp_drop.o"), "rb").read()
    out = paste(guest, "pz", data)
    expect(out == ["loaded %d pasted bytes as pz (see 'bpf progs')" % len(data)], out)
    try:
        row = prog_row(guest, "pz.xdp_prog")
        expect(row and row["insns"] == 2, guest.cmd_ok("bpf progs"))
        out = guest.cmd_ok("bpf dump pz.xdp_prog")
        expect(re.search(r"1: 95 0 0", out), out)
    finally:
        guest.cmd_ok("bpf unload pz")
    # the bare "." end, and another line width, work too
    out = paste(guest, "pz", data, end=".", width=64)
    expect(out[-1].startswith("loaded"), out)
    guest.cmd_ok("bpf unload pz")


def test_paste_refusals_load_nothing(guest):
    data = open(os.path.join(SAMPLES, "xdp_drop.o"), "rb").read()
    progs = guest.cmd_ok("bpf progs")
    cases = [
        (dict(end=". %d %08x" % (len(data) + 3, binascii.crc32(data))), "bytes lost"),
        (dict(end=". %d %08x" % (len(data), binascii.crc32(data) ^ 1)), "CRC-32 mismatch"),
        (dict(mangle=lambda l: l[:3] + l[4:]), "bytes lost"),             # a lost line
        (dict(mangle=lambda l: [l[0][:10] + "*" + l[0][11:]] + l[1:]), "not base64"),
        (dict(mangle=lambda l: l[:1] + ["x" * 1100] + l[1:]), "longer than 1023"),
        (dict(end=". twelve"), "bad end line"),
    ]
    for kw, why in cases:
        out = paste(guest, "bad", data, **kw)
        expect(len(out) == 1 and out[0].startswith("error: paste: ") and why in out[0], (why, out))
    out = paste(guest, "bad", b"not an ELF object at all")
    expect(len(out) == 1 and out[0].startswith("error:"), out)
    out = paste(guest, "bad", b"", end=".")
    expect(out == ["error: paste: empty paste; nothing loaded"], out)
    guest.cmd_err("bpf paste")
    guest.cmd_err("bpf paste waytoolongobjectname")
    expect(guest.cmd_ok("bpf progs") == progs, "a refused paste loaded something")


def test_bpf_stats_time_runs(guest):
    guest.cmd_ok("bpf load boot:kprobe_hist.o st")
    try:
        expect("off" in guest.cmd_ok("bpf stats"), "stats on by default")
        guest.cmd_ok("bpf attach st.kprobe_hist")
        try:
            guest.cmd_ok("call kp_target_add 3 1")
            expect(prog_row(guest, "st.kprobe_hist")["run_time_ns"] == 0, "timed while off")
            expect("on" in guest.cmd_ok("bpf stats on"), "not switched on")
            try:
                for _ in range(3):
                    guest.cmd_ok("call kp_target_add 3 1")
            finally:
                guest.cmd_ok("bpf stats off")
            row = prog_row(guest, "st.kprobe_hist")
            expect(row["run_cnt"] == 4 and row["run_time_ns"] > 0, row)
            guest.cmd_ok("call kp_target_add 3 1")
            expect(prog_row(guest, "st.kprobe_hist")["run_time_ns"] == row["run_time_ns"],
                   "timed after stats off")
            guest.cmd_err("bpf stats maybe")
        finally:
            guest.cmd_ok("bpf detach st.kprobe_hist")
    finally:
        guest.cmd_ok("bpf unload st")
