"""scripts/bench_linux.py's host side: console parsing, the side-by-side
rows, the cpio writer, the library walk, and the one error: line when the
packages cannot be had (apt stubs on PATH). No package is fetched and no
kernel is booted (that is `make bench-linux`, kept out of make test)."""
import gzip
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts"))
import bench_linux as bl  # noqa: E402
import bench_linux_xdp as blx  # noqa: E402

CASES = {"kprobe_step": "optimized=0 boostable=0 ftrace=0 aggregated=0",
         "kprobe_boost": "optimized=0 boostable=1 ftrace=0 aggregated=0",
         "kprobe_step_post": "optimized=0 boostable=0 ftrace=0 aggregated=1",
         "kprobe_opt": "optimized=1 boostable=1 ftrace=0 aggregated=1",
         "kretprobe": "optimized=0 boostable=0 ftrace=0 aggregated=1",
         "kretprobe_opt": "optimized=1 boostable=1 ftrace=0 aggregated=1",
         "ftrace": "optimized=0 boostable=0 ftrace=1 aggregated=0"}


def console(skip=()):
    lines = ["[    0.000000] Linux version 6.1.0", "kpbench: uname=6.1.0-57-cloud-amd64"]
    for i, (name, flags) in enumerate(CASES.items()):
        if name in skip:
            continue
        lines.append("[    5.1] kpbench: case=%s cost=%d base=13 hits=256 calls=256 "
                     "first_byte=0xcc %s nmissed=0" % (name, 100 + i, flags))
        lines.append("kpbench: case=%s list=ffffffffc0000000  k  kpb_target_mov+0x0 "
                     "[kpbench] [OPTIMIZED]" % name)
        lines.append("[    5.2] kpbench: case=%s restored=1 waited_ms=0" % name)
    lines.append("kpbench: case=attach stride=16 listed=2730 blacklisted=900")
    for k in range(1, 9):
        lines.append("kpbench: case=attach_curve registered=%d attach_tsc=%d hits=0"
                     % (k * 341, k * k * 341000000))
    lines.append("kpbench: case=attach candidates=2730 attached=2577 refused=153 "
                 "attach_tsc=2577000 detach_tsc=5154000 hits_running=9 changed=0")
    lines.append("kpbench: done")
    return "\r\n".join(lines)


def test_parse_rows():
    rows, facts, errors = bl.parse(console())
    assert errors == []
    assert facts["uname"] == "6.1.0-57-cloud-amd64"
    byname = {r[0]: r for r in rows}
    assert byname["linux_baseline_call"][1] == 13
    assert byname["linux_kprobe_step"][1] == 100
    assert "out-of-line" in byname["linux_kprobe_step"][3]
    assert "boosted" in byname["linux_kprobe_boost"][3]
    assert "jump-optimized" in byname["linux_kprobe_opt"][3]
    assert "[OPTIMIZED]" in byname["linux_kprobe_opt"][3]
    assert "ftrace" in byname["linux_ftrace"][3]
    assert "bytes restored" in byname["linux_ftrace"][3]
    assert byname["linux_attach_per_probe"][1] == 1000
    assert byname["linux_detach_per_probe"][1] == 2000
    # the cost of one more probe as more are armed: (2k - 1) M each
    assert "by eighths of the list: 1.0M / 3.0M / 5.0M" in byname["linux_attach_per_probe"][3]


def test_parse_reports_missing_case():
    _, _, errors = bl.parse(console(skip=("kretprobe",)))
    assert errors == ["kretprobe: no result"]


def test_side_by_side_ratio():
    rows, _, _ = bl.parse(console())
    ours = {"kprobe_step": (50, "tsc/hit", ""), "baseline_call": (9, "tsc/call", ""),
            "attach_all_functions": (3000, "ktsc", "500 functions (1 blacklisted)")}
    p = {ln: (ov, ratio) for ln, _, _, ov, ratio in bl.pairs(rows, ours)}
    assert p["linux_kprobe_step"] == (50, 2.0)
    assert p["linux_attach_per_probe"] == (6000, 1000 / 6000)
    assert p["linux_kprobe_opt"] == (None, None)
    text = "\n".join(bl.side_by_side(rows, ours))
    assert "2.00x" in text
    assert any("reproduced" in n or "NOT" in n for n in bl.reproduction(rows))


def test_cpio_newc():
    data = bl.cpio_newc([("init", 0o100755, b"#!/bin/sh\n")])
    assert data.startswith(b"070701")
    assert b"init\0" in data and b"TRAILER!!!\0" in data
    assert len(data) % 4 == 0
    assert gzip.decompress(gzip.compress(data)) == data


# ---- when the packages cannot be had: one error: line, status 1, at once ----

def fake_tools(tmp_path, apt_cache, apt_get="exit 100"):
    """A bin/ with apt-cache, apt-get and dpkg stubs; -> its path."""
    b = tmp_path / "bin"
    b.mkdir()
    for name, body in (("apt-cache", apt_cache), ("apt-get", apt_get), ("dpkg", "exit 2")):
        (b / name).write_text("#!/bin/sh\n" + body + "\n")
        (b / name).chmod(0o755)
    return str(b)


def run_main(monkeypatch, capsys, tmp_path, path):
    monkeypatch.setattr(bl, "PEER", str(tmp_path / "peer"))
    monkeypatch.setenv("PATH", path)
    monkeypatch.setattr(sys, "argv", ["bench_linux.py"])
    try:
        bl.main()
    except SystemExit as e:
        status = e.code
    else:
        status = 0
    out = capsys.readouterr().out.splitlines()
    return status, [line for line in out if line.startswith("error:")]


def test_error_without_apt(monkeypatch, capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, errors = run_main(monkeypatch, capsys, tmp_path, str(empty))
    assert status == 1
    assert len(errors) == 1 and "apt-get not found" in errors[0]


def test_error_when_apt_knows_no_kernel(monkeypatch, capsys, tmp_path):
    status, errors = run_main(monkeypatch, capsys, tmp_path, fake_tools(tmp_path, "exit 0"))
    assert status == 1
    assert len(errors) == 1 and "no linux-image-*-cloud-amd64" in errors[0]


def test_error_when_download_refused(monkeypatch, capsys, tmp_path):
    # apt-cache knows the packages; apt-get download says no, as it does offline
    cache = ('case "$*" in\n'
             '*show*) echo "Depends: linux-headers-6.1.0-9-common (= 1), linux-kbuild-6.1" ;;\n'
             '*image*) echo "linux-image-6.1.0-9-cloud-amd64 - Linux" ;;\n'
             '*headers*) echo "linux-headers-6.1.0-9-cloud-amd64 - headers" ;;\n'
             'esac')
    status, errors = run_main(monkeypatch, capsys, tmp_path,
                              fake_tools(tmp_path, cache, "echo 'E: no network' >&2; exit 100"))
    assert status == 1
    assert len(errors) == 1 and "apt-get download failed (status 100)" in errors[0]
    assert not os.path.exists(str(tmp_path / "peer" / "root" / ".unpacked"))


# ---- the XDP boot ----

XDP_CONSOLE = """kpbench: uname=6.1.0-57-amd64
kpbench: mac=52:54:00:12:34:56
kpbench: case=xdp_generic_jit ready xdp=xdpgeneric/id:5
kpbench: case=xdp_generic_jit rx=100
kpbench: case=xdp_generic_jit rx_packets=1000 rx_dropped=0 jit=1
[   9.1] kpbench: case=xdp_generic_jit busy_tsc=2000000 irq_tsc=1000 softirq_tsc=1999000 irqs=10 softirqs=20 polls=20 frames=1000
kpbench: case=xdp_generic_interp error=ip_link_xdpgeneric
kpbench: done"""


def test_xdp_parse():
    rows, errors = blx.parse(XDP_CONSOLE, {"xdp_generic_jit": 5000})
    assert errors == ["xdp_generic_interp: error=ip_link_xdpgeneric"]
    assert rows[0][:3] == ("linux_xdp_generic_jit", 2000, "tsc/pkt")
    assert "50.0 frames/poll" in rows[0][3] and "host sent 5000" in rows[0][3]
    ours = {"xdp_drop_flood": (6000000, "pps", "native drop: 9 frames, 160 ticks/frame")}
    p = {ln: (ov, ratio) for ln, _, _, ov, ratio in bl.pairs(rows, ours)}
    assert p["linux_xdp_generic_jit"] == (160, 2000 / 160)


def test_xdp_libraries_resolved_inside_the_tree(tmp_path):
    # libc6's loader link is absolute: it must resolve in the unpacked tree
    root = tmp_path / "root"
    (root / "lib" / "x86_64-linux-gnu").mkdir(parents=True)
    (root / "lib64").mkdir()
    (root / "lib" / "x86_64-linux-gnu" / "ld-linux-x86-64.so.2").write_bytes(b"ld")
    os.symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
               str(root / "lib64" / "ld-linux-x86-64.so.2"))
    got = blx.inside(str(root), "/lib64/ld-linux-x86-64.so.2")
    assert got == str(root / "lib" / "x86_64-linux-gnu" / "ld-linux-x86-64.so.2")
    assert blx.inside(str(root), "/lib/x86_64-linux-gnu/libnothere.so.1") is None


def test_headers_follow_the_tree(tmp_path):
    # fresh from dpkg -x, then as left by a copy of build/ from elsewhere
    hdr = tmp_path / "usr" / "src" / "linux-headers-6.1.0-9-cloud-amd64"
    hdr.mkdir(parents=True)
    for was in ("/usr/src/", "/elsewhere/build/linux-peer/root/usr/src/"):
        (hdr / "Makefile").write_text("include %slinux-headers-6.1.0-9-common/Makefile\n" % was)
        bl.fix_headers(str(tmp_path), "6.1.0-9")
        assert (hdr / "Makefile").read_text() == (
            "include %s/usr/src/linux-headers-6.1.0-9-common/Makefile\n" % tmp_path)


# ---- cached after the first run ----

def test_cached_tree_needs_no_apt(monkeypatch, tmp_path):
    # the stamps dpkg -x left: nothing is looked up or fetched again
    peer = tmp_path / "peer"
    root = peer / "root"
    root.mkdir(parents=True)
    (root / ".unpacked").write_text("6.1.0-9 linux-image-6.1.0-9-cloud-amd64 busybox-static\n")
    (root / ".unpacked-xdp").write_text("6.1.0-9 linux-image-6.1.0-9-amd64 iproute2\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(bl, "PEER", str(peer))
    monkeypatch.setenv("PATH", str(empty))      # apt-get, apt-cache, dpkg: none of them
    assert bl.fetch() == ("6.1.0-9", str(root))
    blx.fetch_xdp("6.1.0-9", str(root))        # returns without running anything


# ---- bounded: a hung tool or guest ends in an error, never a wait ----

def test_error_when_download_hangs(monkeypatch, capsys, tmp_path):
    cache = ('case "$*" in\n'
             '*show*) echo "Depends: linux-headers-6.1.0-9-common (= 1), linux-kbuild-6.1" ;;\n'
             '*image*) echo "linux-image-6.1.0-9-cloud-amd64 - Linux" ;;\n'
             '*headers*) echo "linux-headers-6.1.0-9-cloud-amd64 - headers" ;;\n'
             'esac')
    monkeypatch.setattr(bl, "APT_TIMEOUT", 1)
    status, errors = run_main(monkeypatch, capsys, tmp_path,
                              fake_tools(tmp_path, cache, "exec sleep 60") + ":/bin:/usr/bin")
    assert status == 1
    assert len(errors) == 1 and "apt-get download did not finish within 1 s" in errors[0]


def test_boot_bounded():
    try:
        bl.boot(["/bin/sh", "-c", "echo 'kpbench: uname=x'; exec sleep 60"], 1)
    except bl.PeerError as e:
        assert "did not finish within 1 s" in str(e)
    else:
        raise AssertionError("no error for a guest that never finished")
    try:
        bl.boot(["/bin/sh", "-c", "echo 'kpbench: case=kprobe_step cost=1'; exit 3"], 30)
    except bl.PeerError as e:
        assert "QEMU status 3" in str(e) and "kpbench: case=kprobe_step" in str(e)
    else:
        raise AssertionError("no error for a guest that stopped before kpbench: done")


def test_xdp_console_bounded():
    import time
    con = blx.Console(["/bin/sh", "-c", "echo 'kpbench: uname=x'; exec sleep 60"])
    try:
        t0 = time.time()
        try:
            con.expect(r"kpbench: mac=", time.time() + 1)
        except bl.PeerError as e:
            assert "did not print" in str(e) and "kpbench: uname=x" in str(e)
        else:
            raise AssertionError("expect() did not time out")
        assert time.time() - t0 < 10
    finally:
        con.close()
    con = blx.Console(["/bin/sh", "-c", "echo 'kpbench: uname=x'"])
    try:
        try:
            con.expect(r"kpbench: mac=", time.time() + 30)
        except bl.PeerError as e:
            assert "stopped" in str(e)
        else:
            raise AssertionError("expect() did not see the guest stop")
    finally:
        con.close()


# ---- DOC=1: the generated table ----

def test_markdown_names_kernel_config_and_date(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("CONFIG_PREEMPTION=y\nCONFIG_PREEMPT_DYNAMIC=y\nCONFIG_OPTPROBES=y\n"
                   "CONFIG_KPROBES_ON_FTRACE=y\n# CONFIG_RETPOLINE is not set\nCONFIG_HZ=250\n")
    facts = {"uname": "6.1.0-57-cloud-amd64", "date": "2026-12-02",
             "config": bl.config_facts(str(cfg))}
    assert facts["config"]["CONFIG_RETPOLINE"] == "not set"
    rows, _, _ = bl.parse(console())
    ours = {"kprobe_step": (50, "tsc/hit", ""), "baseline_call": (9, "tsc/call", "")}
    md = bl.markdown(rows, ours, facts)
    head = md[0]
    for want in ("6.1.0-57-cloud-amd64", "2026-12-02", "PREEMPTION=y", "OPTPROBES=y",
                 "KPROBES_ON_FTRACE=y", "RETPOLINE=not set", "HZ=250"):
        assert want in head, want
    step = [line for line in md if line.startswith("| `linux_kprobe_step` |")]
    assert step == ["| `linux_kprobe_step` | 100 | 50 (`kprobe_step`) | 2.00x | %s |"
                    % {r[0]: r for r in rows}["linux_kprobe_step"][3]]
    assert any(line.startswith("| `linux_ftrace` | 106 | - | - |") for line in md)
    assert md[-1].startswith("Earlier Linux figures")


def test_reproduction_notes():
    rows = [("linux_kprobe_step", 497, "tsc/hit", ""), ("linux_kretprobe", 700, "tsc/hit", "")]
    assert bl.reproduction(rows) == [
        "linux_kprobe_step: 497 now, 495 earlier: reproduced",
        "linux_kretprobe: 700 now, 763 earlier: NOT reproduced (-63)"]


def test_peer_refuses_kvm():
    import subprocess
    bench = os.path.join(os.path.dirname(bl.__file__), "bench.py")
    p = subprocess.run([sys.executable, bench, "--accel", "kvm", "--peer", "linux",
                        "--kernel", "/nonexistent"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert "PEER=linux needs ACCEL=tcg" in p.stderr


def test_attach_row_names_the_sample():
    assert "every 16th of those" in {r[0]: r for r in bl.parse(console())[0]}[
        "linux_attach_per_probe"][3]
    whole = console().replace("stride=16", "stride=1")
    assert "(all of those not blacklisted" in {r[0]: r for r in bl.parse(whole)[0]}[
        "linux_attach_per_probe"][3]
    assert [bl.sample(s) for s in ("2", "3", "12", "21")] == [
        "every 2nd", "every 3rd", "every 12th", "every 21st"]
