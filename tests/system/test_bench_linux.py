"""scripts/bench_linux.py's host side: console parsing, the side-by-side
rows, the cpio writer. No kernel is fetched or booted (that is
`make bench-linux`, kept out of make test)."""
import gzip
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "scripts"))
import bench_linux as bl  # noqa: E402

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
