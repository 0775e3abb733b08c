#!/usr/bin/env python3
"""make bench-linux: Linux's kprobe costs, measured in the same QEMU as kprobe64's.

  scripts/bench_linux.py [--timeout S] [--stride N] [--skip probes,xdp] [--bpf-object O]

Fetches Debian's cloud kernel and what building a module against it needs
with `apt-get download` (no root install: `dpkg -x` under build/linux-peer/,
kept for the next run), builds tools/bench-linux/ (kpbench.ko) with the
unpacked headers' kbuild, packs an initramfs of busybox, the module and
tools/bench-linux/init.sh, boots the kernel under the same QEMU arguments
as `make bench` (scripts/bench.py: -icount shift=0,sleep=off, where the TSC
counts guest instructions) and prints `bench: linux_NAME=VALUE UNIT` rows.
The XDP rows come from a second boot, of Debian's generic kernel of the
same ABI (it has e1000), run by scripts/bench_linux_xdp.py.

`make bench PEER=linux` runs both kernels and prints them side by side
(scripts/bench.py imports run() and side_by_side() from here).

Every step is bounded: a package that cannot be had, a failed build, a
kernel that does not finish within --timeout, each ends the run with one
line starting `error:` and status 1. Standard library only.
"""
import argparse
import datetime
import gzip
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
PEER = os.path.join(ROOT, "build", "linux-peer")
SRC = os.path.join(ROOT, "tools", "bench-linux")
MODULE_SRCS = ("Kbuild", "bench.c", "targets.S", "xdp.c")
APT_TIMEOUT = 600
BOOT_TIMEOUT = 1800       # the attach case registers thousands of probes under TCG
STRIDE = 16               # every 16th probe-able function in the attach case


class PeerError(Exception):
    pass


def say(*a):
    print(*a)
    sys.stdout.flush()


def run(cmd, timeout, what, **kw):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise PeerError("%s did not finish within %d s" % (what, timeout))
    except OSError as e:
        raise PeerError("%s: %s" % (what, e))
    if p.returncode:
        raise PeerError("%s failed (status %d):\n%s" % (what, p.returncode,
                                                       (p.stdout + p.stderr)[-2000:]))
    return p.stdout


# ---- packages ----

def apt_names(pattern):
    out = run(["apt-cache", "search", "--names-only", pattern], 120, "apt-cache search")
    return [line.split(" ", 1)[0] for line in out.splitlines() if line.strip()]


def apt_field(pkg, field):
    out = run(["apt-cache", "show", "--no-all-versions", pkg], 120, "apt-cache show " + pkg)
    m = re.search(r"^%s: (.*)$" % field, out, re.M)
    return m.group(1) if m else ""


def release_key(abi):
    return tuple(int(x) for x in re.findall(r"\d+", abi))


def choose_packages():
    """The newest cloud kernel ABI with both an image and headers, and the
    packages those headers depend on for building a module."""
    img = re.compile(r"^linux-image-(.+)-cloud-amd64(?:-unsigned)?$")
    images = {m.group(1) for n in apt_names(r"^linux-image-.*-cloud-amd64")
              for m in [img.match(n)] if m}
    hdr = re.compile(r"^linux-headers-(.+)-cloud-amd64$")
    headers = {m.group(1) for n in apt_names(r"^linux-headers-.*-cloud-amd64$")
               for m in [hdr.match(n)] if m}
    # Debian 12's own series (6.1.0-N), not a backport (6.12.N+deb12)
    both = sorted((v for v in images & headers if re.match(r"^\d+\.\d+\.\d+-\d+$", v)),
                  key=release_key)
    if not both:
        raise PeerError("no linux-image-*-cloud-amd64 with matching linux-headers-*-cloud-amd64 "
                        "in apt's lists (apt-get update?)")
    abi = both[-1]
    headers_pkg = "linux-headers-%s-cloud-amd64" % abi
    deps = apt_field(headers_pkg, "Depends")
    common = re.search(r"(linux-headers-[\w.+-]+-common)", deps)
    kbuild = re.search(r"(linux-kbuild-[\w.+-]+)", deps)
    if not common or not kbuild:
        raise PeerError("%s's Depends names no -common headers or kbuild: %s"
                        % (headers_pkg, deps))
    image = "linux-image-%s-cloud-amd64-unsigned" % abi
    if image not in apt_names("^%s$" % re.escape(image)):
        image = "linux-image-%s-cloud-amd64" % abi
    return abi, [image, headers_pkg, common.group(1), kbuild.group(1), "busybox-static"]


def fetch():
    """Downloads and unpacks once; afterwards build/linux-peer/root/.unpacked
    names what is there and nothing is fetched."""
    root = os.path.join(PEER, "root")
    stamp = os.path.join(root, ".unpacked")
    if os.path.exists(stamp):
        abi, *pkgs = open(stamp).read().split()
        return abi, root
    for tool in ("apt-get", "apt-cache", "dpkg"):
        if not shutil.which(tool):
            raise PeerError("%s not found: the Linux peer needs Debian's packaging tools" % tool)
    abi, pkgs = choose_packages()
    debs = os.path.join(PEER, "debs")
    shutil.rmtree(debs, ignore_errors=True)
    os.makedirs(debs)
    say("  bench-linux: apt-get download " + " ".join(pkgs))
    run(["apt-get", "download"] + pkgs, APT_TIMEOUT, "apt-get download", cwd=debs)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for deb in sorted(os.listdir(debs)):
        run(["dpkg", "-x", os.path.join(debs, deb), root], 300, "dpkg -x " + deb)
    with open(stamp, "w") as f:
        f.write(" ".join([abi] + pkgs) + "\n")
    return abi, root


def fix_headers(root, abi, flavour="cloud-amd64"):
    """The headers expect to live in /usr/src: their Makefile includes the
    -common tree by absolute path (the scripts and tools symlinks are relative
    and already land in the unpacked linux-kbuild). Run before every build,
    so an unpacked tree that was moved or copied still builds."""
    mk = os.path.join(root, "usr", "src", "linux-headers-%s-%s" % (abi, flavour), "Makefile")
    text = open(mk).read()
    new, n = re.subn(r"^include \S*?/usr/src/(linux-headers-\S+-common/)",
                     lambda m: "include %s/usr/src/%s" % (root, m.group(1)), text, flags=re.M)
    if not n:
        raise PeerError("%s: no 'include /usr/src/...-common/...' line to point at the "
                        "unpacked tree" % mk)
    if new != text:
        open(mk, "w").write(new)


def kernel_files(root, abi, flavour="cloud-amd64"):
    boot = os.path.join(root, "boot")
    files = {k: os.path.join(boot, "%s-%s-%s" % (k, abi, flavour))
             for k in ("vmlinuz", "config")}
    files["headers"] = os.path.join(root, "usr", "src", "linux-headers-%s-%s" % (abi, flavour))
    files["busybox"] = os.path.join(root, "bin", "busybox")
    for k, v in files.items():
        if not os.path.exists(v):
            raise PeerError("the unpacked packages have no %s (%s)" % (k, v))
    fix_headers(root, abi, flavour)
    return files


def config_facts(config):
    want = ("CONFIG_PREEMPTION", "CONFIG_PREEMPT_DYNAMIC", "CONFIG_OPTPROBES",
            "CONFIG_KPROBES_ON_FTRACE", "CONFIG_RETPOLINE", "CONFIG_HZ")
    facts = {k: "not set" for k in want}
    for line in open(config):
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m and m.group(1) in facts:
            facts[m.group(1)] = m.group(2)
    return facts


# ---- module and initramfs ----

def build_module(files, name="module"):
    """Builds kpbench.ko and kpxdp.ko in build/linux-peer/NAME, a copy of the
    sources, so kbuild's output stays out of tools/; -> that directory."""
    mod = os.path.join(PEER, name)
    os.makedirs(mod, exist_ok=True)
    for f in MODULE_SRCS:
        shutil.copy(os.path.join(SRC, f), os.path.join(mod, f))
    run(["make", "-C", files["headers"], "M=" + mod, "modules"], 600,
        "building the modules against " + os.path.basename(files["headers"]))
    return mod


def cpio_newc(entries):
    """An SVR4 'newc' cpio archive of (name, mode, data, rdev_major, rdev_minor)."""
    out = bytearray()

    def add(name, mode, data, rmaj=0, rmin=0, ino=[0]):
        ino[0] += 1
        nb = name.encode() + b"\0"
        fields = (ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rmaj, rmin, len(nb), 0)
        out.extend(b"070701" + b"".join(b"%08X" % v for v in fields) + nb)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for e in entries:
        add(*e)
    add("TRAILER!!!", 0, b"")
    return bytes(out)


def make_initramfs(files, ko, stride):
    init = open(os.path.join(SRC, "init.sh")).read().replace("@STRIDE@", str(stride))
    d, f, c = 0o040755, 0o100755, 0o020600
    entries = [(n, d, b"") for n in ("bin", "dev", "proc", "sys", "tmp")]
    entries += [("dev/console", c, b"", 5, 1), ("dev/null", 0o020666, b"", 1, 3),
                ("bin/busybox", f, open(files["busybox"], "rb").read()),
                ("init", f, init.encode()), ("kpbench.ko", 0o100644, open(ko, "rb").read())]
    path = os.path.join(PEER, "initramfs.cpio.gz")
    with gzip.open(path, "wb", compresslevel=6) as g:
        g.write(cpio_newc(entries))
    return path


# ---- boot ----

def qemu_args(files, initrd):
    from qemu import QEMU, TCG_ICOUNT   # the same accelerator, icount and CPU as ours
    return ([QEMU, "-kernel", files["vmlinuz"], "-initrd", initrd,
             "-append", "console=ttyS0 loglevel=1 panic=-1", "-m", "256M",
             "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
            + TCG_ICOUNT)


def boot(args, timeout):
    """Console output up to 'kpbench: done'; QEMU is killed at the timeout."""
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        tail = (e.stdout or b"").decode(errors="replace")[-1500:]
        raise PeerError("Linux did not finish within %d s; last output:\n%s" % (timeout, tail))
    out = p.stdout.decode(errors="replace").replace("\r", "")
    if "kpbench: done" not in out:
        raise PeerError("Linux stopped (QEMU status %d) before 'kpbench: done'; last output:\n%s"
                        % (p.returncode, (out + p.stderr.decode(errors="replace"))[-2000:]))
    return out


# ---- parsing ----

LINE = re.compile(r"kpbench: (.*)$")
KV = re.compile(r"(\w+)=(\S+)")

HIT_WHAT = {
    "kprobe_step": "fnop target (not boostable), optimization off",
    "kprobe_boost": "mov target, optimization off",
    "kprobe_step_post": "mov target with a post_handler, optimization off",
    "kprobe_opt": "mov target, optimization on",
    "kretprobe": "mov target, optimization off",
    "kretprobe_opt": "mov target, optimization on",
    "ftrace": "C function at its fentry site",
}


def linux_mode(c):
    if c.get("optimized") == "1":
        return "jump-optimized"
    if c.get("ftrace") == "1":
        return "ftrace"
    if c.get("boostable") == "1":
        return "int3, boosted"
    return "int3, out-of-line + int3"


def sample(stride):
    """'every 16th', 'every 2nd', 'all' (stride 1): which functions the attach case took."""
    if stride == "1":
        return "all"
    if not stride.isdigit():
        return "every %sth" % stride
    n = int(stride)
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return "every %d%s" % (n, suffix)


def parse(out):
    """-> (rows [(name, value, unit, what)], facts {}, errors [])"""
    cases, facts, errors, curve = {}, {}, [], []
    for line in out.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        body = m.group(1).strip()
        if body.startswith("uname="):
            facts["uname"] = body[6:]
            continue
        if body.startswith("cmdline="):
            facts["cmdline"] = body[8:]
            continue
        km = re.match(r"case=(\w+) list=(.*)$", body)
        if km:
            cases.setdefault(km.group(1), {})["list"] = km.group(2).strip()
            continue
        kv = dict(KV.findall(body))
        if kv.get("case") == "attach_curve":
            curve.append((int(kv["registered"]), int(kv["attach_tsc"])))
            continue
        if "case" in kv:
            name = kv.pop("case")
            if "error" in kv:
                errors.append("%s: error=%s" % (name, kv["error"]))
            cases.setdefault(name, {}).update(kv)
    rows = []
    base = None
    for name, what in HIT_WHAT.items():
        c = cases.get(name)
        if not c or "cost" not in c:
            if not any(e.startswith(name + ":") for e in errors):
                errors.append("%s: no result" % name)
            continue
        base = base if base is not None else int(c["base"])
        notes = [linux_mode(c), "%s/%s hits" % (c.get("hits", "?"), c.get("calls", "?"))]
        if c.get("aggregated") == "1":
            notes.append("aggregated")
        if "restored" in c:
            notes.append("bytes restored" if c["restored"] == "1" else "BYTES NOT RESTORED")
        tags = re.findall(r"\[(\w+)\]", c.get("list", ""))
        if tags:
            notes.append("list: " + " ".join("[%s]" % t for t in tags))
        rows.append(("linux_" + name, int(c["cost"]), "tsc/hit",
                     "%s: %s" % (what, ", ".join(notes))))
    if base is not None:
        rows.insert(0, ("linux_baseline_call", base, "tsc/call",
                        "mov target through a pointer, unprobed"))
    a = cases.get("attach", {})
    if "attach_tsc" in a:
        n = int(a["attached"])
        what = ("%s probe-able functions (%s of those not blacklisted by name), "
                "%s refused, %s hits while attaching, %s while running"
                % (n, sample(a.get("stride", "?")), a["refused"], a.get("hits_attaching", "?"),
                   a.get("hits_running", "?")))
        if len(curve) > 1:
            steps = [(t1 - t0) // (r1 - r0) for (r0, t0), (r1, t1) in zip([(0, 0)] + curve, curve)
                     if r1 > r0]
            what += "; per probe, by %s of the list: %s" % (
                "eighths" if len(steps) == 8 else "parts", " / ".join("%.1fM" % (v / 1e6)
                                                                     for v in steps))
        if n:
            rows.append(("linux_attach_per_probe", int(a["attach_tsc"]) // n, "tsc/probe", what))
            rows.append(("linux_detach_per_probe", int(a["detach_tsc"]) // n, "tsc/probe",
                         "all bytes restored" if a.get("changed") == "0"
                         else "%s PROBED SITES CHANGED" % a.get("changed")))
    elif not any(e.startswith("attach:") for e in errors):
        errors.append("attach: no result")
    return rows, facts, errors


# ---- side by side ----

# linux row -> kprobe64 row it compares with (None: kprobe64 has no such mode)
PAIRS = [("linux_baseline_call", "baseline_call"),
         ("linux_kprobe_step", "kprobe_step"),
         ("linux_kprobe_step_post", "kprobe_step_post"),
         ("linux_kprobe_boost", "kprobe_boost"),
         ("linux_kprobe_opt", "kprobe_optimized"),
         ("linux_kretprobe", "kretprobe"),
         ("linux_kretprobe_opt", "kretprobe_optimized"),
         ("linux_ftrace", None),
         ("linux_attach_per_probe", "attach_per_probe"),
         ("linux_detach_per_probe", "detach_per_probe"),
         ("linux_xdp_generic_jit", "xdp_drop_flood"),
         ("linux_xdp_generic_interp", "xdp_ebpf_drop_flood")]

# earlier figures (Linux 6.1, QEMU 7.2, -icount shift=0), for the reproduction check
EARLIER = {"linux_kprobe_step": 495, "linux_kprobe_step_post": 572, "linux_kretprobe": 763,
           "linux_kprobe_opt": 100, "linux_kretprobe_opt": 334, "linux_ftrace": 155}


FRAME_TICKS = re.compile(r"(\d+) ticks/frame")


def ours_derived(get, whats):
    """kprobe64's attach rows are totals in ktsc over N functions: per probe;
    its flood rows are rates: the busy ticks per frame their text gives."""
    out = {}
    for name in ("xdp_drop_flood", "xdp_ebpf_drop_flood"):
        m = FRAME_TICKS.search(whats.get(name, ""))
        if m:
            out[name] = int(m.group(1))
    m = re.match(r"(\d+) functions", whats.get("attach_all_functions", ""))
    if m and int(m.group(1)):
        n = int(m.group(1))
        for src, dst in (("attach_all_functions", "attach_per_probe"),
                         ("detach_all_functions", "detach_per_probe")):
            if get(src) is not None:
                out[dst] = get(src) * 1000 // n
    return out


def pairs(linux_rows, ours_rows):
    """[(linux name, linux value, ours name, ours value or None, ratio or None)];
    ours_rows: {name: (value, unit, what)}."""
    get = lambda n: ours_rows[n][0] if n in ours_rows else None
    derived = ours_derived(get, {k: v[2] for k, v in ours_rows.items()})
    lin = {r[0]: r for r in linux_rows}
    out = []
    for ln, on in PAIRS:
        if ln not in lin:
            continue
        ov = derived.get(on, get(on)) if on else None
        lv = lin[ln][1]
        out.append((ln, lv, on, ov, lv / ov if ov else None))
    return out


def side_by_side(linux_rows, ours_rows):
    lines = ["%-26s %10s %12s %7s  %s" % ("linux row", "linux", "kprobe64", "ratio", "kprobe64 row")]
    for ln, lv, on, ov, ratio in pairs(linux_rows, ours_rows):
        lines.append("%-26s %10d %12s %7s  %s" % (ln, lv, "-" if ov is None else ov,
                                                   "-" if ratio is None else "%.2fx" % ratio,
                                                   on or "(no such mode)"))
    return lines


def reproduction(linux_rows, slack=5):
    """Notes on the earlier figures: reproduced within `slack` instructions or not."""
    lin = {r[0]: r[1] for r in linux_rows}
    notes = []
    for name, old in EARLIER.items():
        if name in lin:
            d = lin[name] - old
            notes.append("%s: %d now, %d earlier: %s" % (
                name, lin[name], old, "reproduced" if abs(d) <= slack
                else "NOT reproduced (%+d)" % d))
    return notes


def markdown(linux_rows, ours_rows, facts):
    md = ["Linux: %s (Debian cloud kernel, `make bench PEER=linux`), %s; config: %s." % (
        facts.get("uname", "?"), facts.get("date", "?"),
        ", ".join("%s=%s" % (k[7:], v) for k, v in facts.get("config", {}).items()))]
    if "xdp_uname" in facts:
        md += ["", "The `linux_xdp_*` rows: %s (Debian's generic kernel of the same ABI, for its "
               "e1000 module); config: %s." % (facts["xdp_uname"], ", ".join(
                   "%s=%s" % (k[7:], v) for k, v in facts.get("xdp_config", {}).items()))]
    md += [
        "", "| Linux row | Linux | kprobe64 | Linux / kprobe64 | what Linux did |",
        "|---|---:|---:|---:|---|"]
    whats = {r[0]: r[3] for r in linux_rows}
    for ln, lv, on, ov, ratio in pairs(linux_rows, ours_rows):
        md.append("| `%s` | %d | %s | %s | %s |" % (
            ln, lv, "-" if ov is None else "%d (`%s`%s)" % (
                ov, on, ", busy ticks/frame" if on.endswith("_flood") else ""),
            "-" if ratio is None else "%.2fx" % ratio, whats[ln].replace("|", "/")))
    notes = reproduction(linux_rows)
    if notes:
        md += ["", "Earlier Linux figures (QEMU 7.2, same -icount): " + "; ".join(notes) + "."]
    return md


# ---- the run ----

BPF_OBJECT = os.path.join(ROOT, "build", "samples", "bpf", "xdp_drop.o")


def run_peer(timeout=BOOT_TIMEOUT, stride=STRIDE, skip=(), bpf_object=BPF_OBJECT):
    """Everything (less `skip`: "probes", "xdp"): -> (rows, facts, console
    output of the probe boot). Raises PeerError."""
    import bench_linux_xdp
    t0 = time.time()
    abi, root = fetch()
    files = kernel_files(root, abi)
    rows, facts, out = [], {}, ""
    if "probes" not in skip:
        ko = os.path.join(build_module(files), "kpbench.ko")
        initrd = make_initramfs(files, ko, stride)
        say("  bench-linux: packages and module ready (%.0f s); booting %s"
            % (time.time() - t0, abi))
        t1 = time.time()
        out = boot(qemu_args(files, initrd), timeout)
        say("  bench-linux: Linux ran the probe cases in %.0f s" % (time.time() - t1))
        with open(os.path.join(PEER, "console.txt"), "w") as f:
            f.write(out)
        rows, facts, errors = parse(out)
        if errors:
            raise PeerError("the Linux run is incomplete: " + "; ".join(errors))
    facts["config"] = config_facts(files["config"])
    facts.setdefault("uname", "%s-cloud-amd64" % abi)
    if "xdp" not in skip:
        xrows, xfacts = bench_linux_xdp.run_xdp(abi, root, bpf_object)
        rows += xrows
        facts.update(xfacts)
    facts["date"] = datetime.date.today().isoformat()
    return rows, facts, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timeout", type=int, default=BOOT_TIMEOUT)
    ap.add_argument("--stride", type=int, default=STRIDE)
    ap.add_argument("--skip", default="", help="comma list of probes,xdp to leave out")
    ap.add_argument("--bpf-object", default=BPF_OBJECT, help="the seed's XDP drop-all, built by clang")
    a = ap.parse_args()
    try:
        skip = set(filter(None, a.skip.split(",")))
        rows, facts, _ = run_peer(a.timeout, a.stride, skip, a.bpf_object)
    except PeerError as e:
        say("error: bench-linux: %s" % e)
        sys.exit(1)
    say("")
    say("Linux %s, %s" % (facts["uname"], ", ".join("%s=%s" % kv
                                                    for kv in facts["config"].items())))
    for name, v, unit, what in rows:
        say("%-26s %10d %-10s %s" % (name, v, unit, what))
    for n in reproduction(rows):
        say("note: " + n)
    say("")
    for name, v, unit, _ in rows:
        say("bench: %s=%d %s" % (name, v, unit))
    say("wrote the console output to build/linux-peer/%s" % " and ".join(
        f for f, part in (("console.txt", "probes"), ("console-xdp.txt", "xdp")) if part not in skip))


if __name__ == "__main__":
    main()
