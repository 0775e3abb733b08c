"""Probe-engine commands on the console: insns (instruction boundaries and
probe classes, agreeing with the decoder), kprobes (the registered list)."""
import re

import pytest

from test_ktest import EXPECTED
from guest import expect

INSN_LINE = re.compile(r"^\+0x([0-9a-f]{4}) +(\d+)  ((?:[0-9a-f]{2} )*[0-9a-f]{2}) +(\S.*)$")


def insns(guest, sym, n=None):
    out = guest.cmd_ok("insns %s%s" % (sym, " %d" % n if n else ""))
    rows = []
    for line in out.strip().splitlines():
        m = INSN_LINE.match(line)
        expect(m, "bad insns line: %r" % line)
        rows.append((int(m.group(1), 16), int(m.group(2)), m.group(3).split(), m.group(4)))
    return rows


def test_insns_boundaries_chain(guest):
    rows = insns(guest, "pt_call_rel")
    expect([r[3] for r in rows] == ["emulate", "boost", "emulate", "emulate", "emulate"],
           "classes: %s" % rows)
    off = 0
    for o, n, b, _ in rows:
        expect(o == off and n == len(b), "offsets do not chain: %s" % rows)
        off += n
    expect(rows[2][2] == ["e8", "f2", "ff", "ff", "ff"], "call rel32 bytes: %s" % rows[2][2])


def test_insns_classes(guest):
    cls = {r[2][0]: r[3] for r in insns(guest, "pt_pushf")}
    expect(cls.get("9c") == "step-fixup", "pushf: %s" % cls)
    rows = insns(guest, "pt_jmp_reg")
    expect(any(r[2] == ["0f", "0b"] and r[3] == "refuse (ud0/ud1/ud2)" for r in rows),
           "ud2 refused: %s" % rows)
    rows = insns(guest, "do_trap", 3)
    expect(len(rows) == 3 and all(r[3] == "refuse (blacklisted)" for r in rows), rows)


def test_insns_matches_peek(guest):
    rows = insns(guest, "kp_target_fib", 4)
    nbytes = sum(r[1] for r in rows)
    dump = guest.cmd_ok("peek kp_target_fib %d" % nbytes)
    peek_bytes = []
    for line in dump.strip().splitlines():
        peek_bytes += line.split(":", 1)[1].split("|")[0].split()
    expect(peek_bytes == sum((r[2] for r in rows), []), "insns bytes differ from peek")


def test_insns_errors(guest):
    guest.cmd_err("insns")
    guest.cmd_err("insns nosuch")
    guest.cmd_err("insns log_buf")          # data
    guest.cmd_err("insns kmain 0")
    guest.cmd_err("insns kmain x y")


def test_kprobes_listing_empty(guest):
    out = guest.cmd_ok("kprobes")
    expect(re.match(r"0 probes at 0 addresses; table \d+ buckets;", out), out)
    guest.cmd_err("kprobes extra")


@pytest.mark.guest_log(*[r for c in ("kprobes.fault_in_handler_is_survived",
                                       "kretprobes.faulting_handlers_are_survived")
                          for r in EXPECTED[c]])
def test_kernel_text_restored_after_probe_suites(guest):
    before = guest.cmd_ok("textsum")
    out = guest.cmd("test kprobes kprobe_classes kretprobes", timeout=300)
    expect(re.search(r"^\d+ passed, 0 failed$", out, re.M), out[-2000:])
    expect(guest.cmd_ok("textsum") == before, "text differs after the probe suites")
    expect(re.match(r"0 probes at 0 addresses", guest.cmd_ok("kprobes")), "probes left behind")
