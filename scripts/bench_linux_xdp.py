#!/usr/bin/env python3
"""The XDP part of `make bench-linux`: Linux's generic XDP drop per frame.

Debian's cloud kernel has no e1000 driver, so this boots the generic
kernel of the same ABI (linux-image-ABI-amd64, e1000.ko loaded from the
initramfs) on the same QEMU e1000 and `-netdev socket` wire as `make bench`,
attaches the seed's drop-all (build/samples/bpf/xdp_drop.o, clang) with
iproute2's `ip link set dev eth0 xdpgeneric obj ... sec xdp`, and floods it
with the frame and the flood of scripts/bench_xdp.py. tools/bench-linux/xdp.c
(kpxdp.ko) counts the TSC ticks of the interface's hard interrupt plus its
NET_RX softirq and the frames NAPI took; per frame is busy ticks over the
driver's rx_packets, as kprobe64's `xdp_*_flood` rows are busy ticks of its
receive interrupt over the frames it took. Once with the BPF JIT (Debian's
default), once with it off (the interpreter, as kprobe64 runs eBPF).

iproute2 and the libraries its `ip` needs (DT_NEEDED, walked here) come from
Debian's packages with apt-get download + dpkg -x, like the kernel.
Imported by scripts/bench_linux.py; standard library only.
"""
import gzip
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

import bench_linux as bl

XDP_LIBS = ("libbpf1", "libelf1", "libmnl0", "libbsd0", "libmd0", "libcap2", "libc6", "zlib1g")
FLAVOUR = "amd64"
CASES = (("xdp_generic_jit", "JIT"), ("xdp_generic_interp", "interpreter"))
BOOT_TIMEOUT = 600
FLOOD_SECONDS = 2.0       # as scripts/bench.py
SETTLE_TIMEOUT = 60       # for the receive count to stop moving after the flood


def fetch_xdp(abi, root):
    """Downloads and unpacks the generic kernel, its headers and iproute2
    into the same root as the cloud kernel (the -common headers and kbuild
    are shared); root/.unpacked-xdp says it is there."""
    stamp = os.path.join(root, ".unpacked-xdp")
    if os.path.exists(stamp):
        return
    image = "linux-image-%s-%s-unsigned" % (abi, FLAVOUR)
    if image not in bl.apt_names("^%s$" % re.escape(image)):
        image = "linux-image-%s-%s" % (abi, FLAVOUR)
    pkgs = [image, "linux-headers-%s-%s" % (abi, FLAVOUR), "iproute2"] + list(XDP_LIBS)
    debs = os.path.join(bl.PEER, "debs-xdp")
    shutil.rmtree(debs, ignore_errors=True)
    os.makedirs(debs)
    bl.say("  bench-linux: apt-get download " + " ".join(pkgs))
    bl.run(["apt-get", "download"] + pkgs, bl.APT_TIMEOUT, "apt-get download", cwd=debs)
    for deb in sorted(os.listdir(debs)):
        bl.run(["dpkg", "-x", os.path.join(debs, deb), root], 300, "dpkg -x " + deb)
    with open(stamp, "w") as f:
        f.write(" ".join([abi] + pkgs) + "\n")


# ---- ip and its libraries ----

def inside(root, path):
    """`path` of the unpacked tree as a host path, symlinks followed inside
    root (libc6's /lib64/ld-linux-x86-64.so.2 is an absolute link)."""
    for _ in range(40):
        host = root + path
        if not os.path.islink(host):
            return host if os.path.exists(host) else None
        t = os.readlink(host)
        path = t if t.startswith("/") else os.path.normpath(os.path.join(os.path.dirname(path), t))
    return None


def elf_deps(host_path):
    """-> (interpreter or None, [NEEDED sonames])"""
    dyn = bl.run(["readelf", "-d", "-l", "-W", host_path], 60, "readelf " + host_path)
    interp = re.search(r"Requesting program interpreter: (\S+)\]", dyn)
    return (interp.group(1) if interp else None,
            re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn))


LIBDIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib")


def ip_files(root):
    """[(guest path, host file)]: /sbin/ip, the loader and every library it
    needs, all from the unpacked packages."""
    ip = inside(root, "/sbin/ip") or inside(root, "/bin/ip")
    if not ip:
        raise bl.PeerError("the unpacked iproute2 has no ip binary")
    out, todo, seen = [("sbin/ip", ip)], [ip], set()
    while todo:
        interp, needed = elf_deps(todo.pop())
        if interp and interp not in seen:
            seen.add(interp)
            host = inside(root, interp)
            if not host:
                raise bl.PeerError("ip's loader %s is not in the fetched packages" % interp)
            out.append((interp.lstrip("/"), host))
        for so in needed:
            if so in seen:
                continue
            seen.add(so)
            host = next(filter(None, (inside(root, d + "/" + so) for d in LIBDIRS)), None)
            if not host:
                raise bl.PeerError("ip needs %s, which none of the fetched packages (%s) has"
                                   % (so, " ".join(XDP_LIBS)))
            out.append(("lib/x86_64-linux-gnu/" + so, host))
            todo.append(host)
    return out


def make_initramfs(files, root, abi, mod, bpf_object):
    e1000 = os.path.join(root, "lib", "modules", "%s-%s" % (abi, FLAVOUR), "kernel", "drivers",
                         "net", "ethernet", "intel", "e1000", "e1000.ko")
    for what, path in (("e1000.ko", e1000), ("the seed's XDP object", bpf_object)):
        if not os.path.exists(path):
            raise bl.PeerError("no %s (%s)" % (what, path))
    d, x, r = 0o040755, 0o100755, 0o100644
    entries = [(n, d, b"") for n in ("bin", "sbin", "dev", "proc", "sys", "tmp", "lib",
                                     "lib/x86_64-linux-gnu", "lib64")]
    entries += [("dev/console", 0o020600, b"", 5, 1), ("dev/null", 0o020666, b"", 1, 3),
                ("bin/busybox", x, open(files["busybox"], "rb").read()),
                ("init", x, open(os.path.join(bl.SRC, "init-xdp.sh"), "rb").read()),
                ("e1000.ko", r, open(e1000, "rb").read()),
                ("kpxdp.ko", r, open(os.path.join(mod, "kpxdp.ko"), "rb").read()),
                ("xdp_drop.o", r, open(bpf_object, "rb").read())]
    entries += [(g, x, open(h, "rb").read()) for g, h in ip_files(root)]
    path = os.path.join(bl.PEER, "initramfs-xdp.cpio.gz")
    with gzip.open(path, "wb", compresslevel=6) as g:
        g.write(bl.cpio_newc(entries))
    return path


# ---- the interactive boot ----

class Console:
    """QEMU's serial console: lines read by a thread, answers written to stdin."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines, self.log = queue.Queue(), []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\r\n")
            self.log.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, pattern, deadline):
        """The first later line matching `pattern` (a regex)."""
        rx = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                line = ""
            if line is None:
                raise bl.PeerError("Linux (XDP boot) stopped; last output:\n" + self.tail())
            m = rx.search(line)
            if m:
                return m
            if time.time() > deadline:
                raise bl.PeerError("Linux (XDP boot) did not print /%s/ in time; last output:\n%s"
                                   % (pattern, self.tail()))

    def send(self, text):
        try:
            self.proc.stdin.write(text.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            raise bl.PeerError("Linux (XDP boot) stopped reading its console:\n" + self.tail())

    def tail(self):
        return "\n".join(self.log[-30:])

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_flood(con, wire, name, deadline):
    """One case: the flood, then the count until it stops moving, then stop."""
    import bench_xdp
    m = con.expect(r"kpbench: case=%s (ready|error=\S+)" % name, deadline)
    if m.group(1) != "ready":
        return 0
    wire.drain(0.1)
    sent = bench_xdp.flood(wire, bench_xdp.udp_frame(wire, bench_xdp.NO_PORT), FLOOD_SECONDS)
    last, end = None, time.time() + SETTLE_TIMEOUT
    while True:
        time.sleep(0.3)
        con.send("show")
        rx = int(con.expect(r"kpbench: case=%s rx=(\d+)" % name, deadline).group(1))
        if rx == last or time.time() > end:
            break
        last = rx
    con.send("stop")
    con.expect(r"kpbench: case=%s busy_tsc=" % name, deadline)
    return sent


def boot_xdp(args, wire, timeout=BOOT_TIMEOUT):
    """-> (console output, {case: frames the host sent})"""
    deadline = time.time() + timeout
    con = Console(args + wire.qemu_args())
    sent = {}
    try:
        mac = con.expect(r"kpbench: (mac=([0-9a-f:]{17})|case=xdp error=\S+)", deadline)
        if not mac.group(2):
            raise bl.PeerError("Linux (XDP boot): " + mac.group(1) + "\n" + con.tail())
        wire.guest_mac = bytes.fromhex(mac.group(2).replace(":", ""))
        for name, _ in CASES:
            sent[name] = run_flood(con, wire, name, deadline)
        con.expect(r"kpbench: done", deadline)
        try:
            con.proc.wait(max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            pass
    finally:
        con.close()
    return "\n".join(con.log), sent


def parse(out, sent):
    """-> (rows, errors) from the XDP boot's console."""
    cases, errors = {}, []
    for line in out.splitlines():
        m = bl.LINE.search(line)
        if not m:
            continue
        kv = dict(bl.KV.findall(m.group(1)))
        if "case" in kv:
            name = kv.pop("case")
            if "error" in kv:
                errors.append("%s: error=%s" % (name, kv["error"]))
            cases.setdefault(name, {}).update(kv)
    rows = []
    for name, how in CASES:
        c = cases.get(name, {})
        if "busy_tsc" not in c or "rx_packets" not in c:
            if not any(e.startswith(name + ":") for e in errors):
                errors.append("%s: no result" % name)
            continue
        rx, napi = int(c["rx_packets"]), int(c["frames"])
        if not rx:
            errors.append("%s: no frame received" % name)
            continue
        busy, irq, soft = int(c["busy_tsc"]), int(c["irq_tsc"]), int(c["softirq_tsc"])
        what = ("seed drop-all, generic XDP, %s: %d frames (NAPI counted %d; host sent %d in "
                "%.0f s), %.1f frames/poll, %d interrupts; hard irq %d + NET_RX softirq %d "
                "ticks/frame" % (how, rx, napi, sent.get(name, 0), FLOOD_SECONDS,
                                 napi / max(1, int(c["polls"])), int(c["irqs"]),
                                 irq // rx, soft // rx))
        rows.append(("linux_" + name, busy // rx, "tsc/pkt", what))
    return rows, errors


def run_xdp(abi, root, bpf_object):
    """Fetch (once), build, boot, parse: -> (rows, facts). Raises PeerError."""
    sys.path.insert(0, os.path.join(bl.ROOT, "tests", "system"))
    import test_net_lib as net  # make bench's Wire
    fetch_xdp(abi, root)
    files = bl.kernel_files(root, abi, FLAVOUR)
    mod = bl.build_module(files, "module-" + FLAVOUR)
    initrd = make_initramfs(files, root, abi, mod, bpf_object)
    t0 = time.time()
    wire = net.Wire()
    out, sent = boot_xdp(bl.qemu_args(files, initrd), wire)
    bl.say("  bench-linux: Linux ran the XDP cases in %.0f s" % (time.time() - t0))
    with open(os.path.join(bl.PEER, "console-xdp.txt"), "w") as f:
        f.write(out + "\n")
    rows, errors = parse(out, sent)
    if errors:
        raise bl.PeerError("the Linux XDP run is incomplete: " + "; ".join(errors))
    uname = re.search(r"kpbench: uname=(\S+)", out)
    return rows, {"xdp_uname": uname.group(1) if uname else "?",
                  "xdp_config": bl.config_facts(files["config"])}
