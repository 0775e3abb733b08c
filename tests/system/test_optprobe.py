"""Jump-optimized probes from the console (issue 12), on a 4-CPU guest:
the optimizer, run after the command that enabled a probe, turns it into
`optimized` before the next prompt; results and hit
counts stay right, the switch and unregistering put the text back bit for
bit, the short form (jmp rel8 to an island) where a loop target follows,
`kprobes coverage` reports, bad input gets one error line. The
in-kernel optprobe suite runs on 1 and 4 CPUs through test_ktest.py."""
import re

from guest import Guest

SMP = 4
MODE = re.compile(r"^[0-9a-f]{16}  (\S+)/0x[0-9a-f]+ +(\S+) +(\d+) +(\d+)", re.M)
COVERAGE = re.compile(r"^coverage (\S+): (\d+) probe-able boundaries in (\d+) functions, "
                      r"(\d+) optimizable \((\d+)\.(\d\d)%\)$", re.M)


def make_guest():
    return Guest(smp=SMP, extra=("-accel", "tcg,thread=multi"))


def modes(guest):
    return {m.group(1): (m.group(2), int(m.group(3))) for m in MODE.finditer(guest.cmd_ok("kprobes"))}


def test_optimized_after_the_command_then_unregister_restores_text(guest):
    text = guest.cmd_ok("textsum")
    guest.cmd_ok("p:opt/fib kp_target_fib+4")
    assert guest.cmd_ok("textsum") == text, "defined disabled: nothing patched"
    guest.cmd_ok("enable opt/fib")
    try:
        assert modes(guest)["kp_target_fib+0x4"] == ("optimized", 0)
        assert "= 0x37 (55)" in guest.cmd_ok("call kp_target_fib 10")
        assert modes(guest)["kp_target_fib+0x4"] == ("optimized", 177)
        assert guest.cmd_ok("textsum") != text
    finally:
        guest.cmd_ok("disable opt/fib")
        assert guest.cmd_ok("textsum") == text
        guest.cmd_ok("-:opt/*")
    assert guest.cmd_ok("textsum") == text


def test_switch_and_explicit_optimize(guest):
    text = guest.cmd_ok("textsum")
    assert guest.cmd_ok("kprobes optimization").strip() == "optimization on"
    guest.cmd_ok("p:opt/add kp_target_add")
    guest.cmd_ok("enable opt/add")
    try:
        assert re.match(r"^\d+ sites optimized$", guest.cmd_ok("kprobes optimize").strip())
        assert modes(guest)["kp_target_add+0x0"][0] == "optimized"
        assert guest.cmd_ok("kprobes optimization off").strip() == "optimization off"
        assert modes(guest)["kp_target_add+0x0"][0] == "boost"
        assert guest.cmd_ok("kprobes optimize").strip() == "0 sites optimized"
        assert "= 0x5 (5)" in guest.cmd_ok("call kp_target_add 2 3")
        assert guest.cmd_ok("kprobes optimization on").strip() == "optimization on"
        assert modes(guest)["kp_target_add+0x0"][0] == "optimized"
        assert "= 0x5 (5)" in guest.cmd_ok("call kp_target_add 2 3")
        assert modes(guest)["kp_target_add+0x0"][1] == 2
    finally:
        guest.cmd_ok("kprobes optimization on")
        guest.cmd_ok("disable opt/add")
        guest.cmd_ok("-:opt/*")
    assert guest.cmd_ok("textsum") == text


def test_coverage_reports_reasons(guest):
    out = guest.cmd_ok("kprobes coverage kp_target_switch")
    m = COVERAGE.search(out)
    assert m and m.group(1) == "kp_target_switch" and m.group(3) == "1", out
    listed = re.findall(r"^  \+0x[0-9a-f]{4}  (.+) \(at \+0x[0-9a-f]+\)$", out, re.M)
    assert int(m.group(2)) - int(m.group(4)) == len(listed), out
    out = guest.cmd_ok("kprobes coverage all", timeout=600)
    m = COVERAGE.search(out)
    assert m and m.group(1) == "all", out
    assert int(m.group(3)) > 1000 and int(m.group(5)) >= 85, out
    reasons = dict((r.strip(), int(n)) for r, n in re.findall(r"^  (\S.*?) +(\d+)$", out, re.M))
    assert sum(reasons.values()) == int(m.group(2)) - int(m.group(4)), out
    assert "branch target in range" in reasons, out


def test_short_form_from_the_console_and_its_coverage(guest):
    """pt_opt_short's first instruction is followed by a loop target: the
    jmp rel8 to an island. Coverage still says yes at the two optimized
    probes (their own bytes are not another probe's)."""
    text = guest.cmd_ok("textsum")
    guest.cmd_ok("p:opt/short pt_opt_short")
    guest.cmd_ok("p:opt/inner pt_opt_short+2")
    guest.cmd_ok("enable opt/short")
    guest.cmd_ok("enable opt/inner")
    try:
        assert modes(guest)["pt_opt_short+0x0"] == ("optimized", 0)
        assert modes(guest)["pt_opt_short+0x2"] == ("optimized", 0)
        assert "= 0x6e (110)" in guest.cmd_ok("call pt_opt_short 10")
        assert modes(guest)["pt_opt_short+0x0"] == ("optimized", 1)
        assert modes(guest)["pt_opt_short+0x2"] == ("optimized", 10)
        out = guest.cmd_ok("kprobes coverage pt_opt_short")
        listed = re.findall(r"^  \+0x([0-9a-f]{4})  ", out, re.M)
        assert "0000" not in listed and "0002" not in listed, listed
    finally:
        guest.cmd_ok("disable opt/*")
        guest.cmd_ok("-:opt/*")
    assert guest.cmd_ok("textsum") == text


def test_bad_input_one_error_line(guest):
    for line in ("kprobes coverage no_such_fn", "kprobes coverage kp_target_fib+4",
                 "kprobes coverage a b", "kprobes optimize now", "kprobes optimization maybe",
                 "kprobes optimization on off", "kprobes bogus"):
        guest.cmd_err(line)
    assert guest.cmd_ok("kprobes optimization").strip() == "optimization on"

