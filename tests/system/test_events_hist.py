"""Hist triggers on probe events, set and read as Linux's tracefs `trigger`
and `hist` files are (Documentation/trace/histogram.rst), and `trace -H`'s
log2 chart. One guest for the module; each test starts from no events."""
import re

from guest import expect
from events_lib import fresh, entries, call, reset  # noqa: F401


HIST_CALLS = [(3, 10), (1, 5), (3, 20), (2, 1), (3, 30), (1, 5)]


def test_hist_trigger_keys_counts_sort_totals(guest):
    """A hist trigger on a function called with known arguments, read back as Linux prints it."""
    reset(guest)
    guest.cmd_ok("p:h kp_target_add a=%di b=%si")
    out = guest.cmd_ok("trigger h 'hist:keys=a:vals=b'")
    expect("probe armed" in out, out)
    expect(guest.cmd_ok("trigger h").strip() ==
           "hist:keys=a:vals=hitcount,b:sort=hitcount:size=2048 [active]", "trigger file")
    for a, b in HIST_CALLS:
        call(guest, "kp_target_add %d %d" % (a, b))
    expect(guest.cmd_ok("hist h").splitlines() == [
        "# event histogram",
        "#",
        "# trigger info: hist:keys=a:vals=hitcount,b:sort=hitcount:size=2048 [active]",
        "#",
        "",
        "{ a:          2 } hitcount:          1  b:          1",
        "{ a:          1 } hitcount:          2  b:         10",
        "{ a:          3 } hitcount:          3  b:         60",
        "",
        "Totals:",
        "    Hits: 6",
        "    Entries: 3",
        "    Dropped: 0"], guest.cmd_ok("hist h"))
    # the event stayed disabled: its hits fed the histogram, not the trace
    expect(entries(guest) == [], "trace buffer written by a trigger-only event")
    # an event with a trigger cannot be removed; pause, cont, clear act on it
    expect("in use" in guest.cmd_err("-:h"), "removed with a trigger")
    guest.cmd_ok("trigger h 'hist:keys=a:pause'")
    call(guest, "kp_target_add 9 9")
    hist = guest.cmd_ok("hist h")
    expect("[paused]" in hist and "Hits: 6" in hist, hist)
    guest.cmd_ok("trigger h 'hist:keys=a:cont'")
    call(guest, "kp_target_add 9 9")
    expect("{ a:          9 } hitcount:          1  b:          9" in guest.cmd_ok("hist h"), "cont")
    guest.cmd_ok("trigger h 'hist:keys=a:clear'")
    expect("Entries: 0" in guest.cmd_ok("hist h"), "clear")
    # a second trigger with other keys, printed after the first as Linux does
    guest.cmd_ok("trigger h 'hist:keys=b:sort=b'")
    call(guest, "kp_target_add 4 8")
    expect(guest.cmd_ok("trigger h").splitlines() ==
           ["hist:keys=a:vals=hitcount,b:sort=hitcount:size=2048 [active]",
            "hist:keys=b:vals=hitcount:sort=b:size=2048 [active]"], guest.cmd_ok("trigger h"))
    two = guest.cmd_ok("hist h").split("\n\n\n# event histogram\n")
    expect(len(two) == 2 and "Hits: 1\n" in two[0] and two[1].startswith("#\n# trigger info: hist:keys=b:") and
           "{ b:          8 } hitcount:          1" in two[1], two)
    expect("Hist trigger already exists" in guest.cmd_err("trigger h 'hist:keys=b'"), "the same trigger twice")
    guest.cmd_ok("trigger h '!hist:keys=b'")
    expect("Can't clear or continue a nonexistent hist trigger" in guest.cmd_err("trigger h 'hist:keys=b:clear'"),
           "clear of none")
    expect("Couldn't find field: zz" in guest.cmd_err("trigger h 'hist:keys=zz'"), "bad field")
    guest.cmd_ok("trigger h '!hist:keys=a'")
    expect(guest.cmd_ok("trigger h").strip() == "# Available triggers:\n# hist", "not removed")
    call(guest, "kp_target_add 1 1")
    expect("no hist trigger" in guest.cmd_err("hist h"), "hist after removal")
    guest.cmd_ok("-:h")


def test_hist_modifiers_sort_and_filter(guest):
    reset(guest)
    guest.cmd_ok("p:h kp_target_add a=%di b=%si")
    guest.cmd_ok("trigger h 'hist:keys=a.log2:vals=b:sort=a.descending if b != 5'")
    for a, b in HIST_CALLS + [(1000, 7)]:
        call(guest, "kp_target_add %d %d" % (a, b))
    lines = [l for l in guest.cmd_ok("hist h").splitlines() if l.startswith("{")]
    expect(lines == ["{ a: ~ 2^10 } hitcount:          1  b:          7",
                     "{ a: ~ 2^2  } hitcount:          3  b:         60",
                     "{ a: ~ 2^1  } hitcount:          1  b:          1"], lines)
    guest.cmd_ok("trigger h '!hist:keys=a.log2'")
    # .sym on a pointer argument: the function's own address
    guest.cmd_ok("p:s kp_target_strlen p=%di")
    guest.cmd_ok("trigger s 'hist:keys=p.sym-offset'")
    call(guest, "kp_target_strlen kp_target_add")
    hist = guest.cmd_ok("hist s")
    expect(re.search(r"\{ p: \[[0-9a-f]{16}\] kp_target_add\+0x0/0x[0-9a-f]+ +\} hitcount:          1", hist), hist)
    guest.cmd_ok("trigger s '!hist:keys=p.sym-offset'")
    guest.cmd_ok("kprobe_events clear")


def test_trace_H_draws_a_log2_chart(guest):
    reset(guest)
    guest.cmd_ok("p:h kp_target_add a=%di")
    guest.cmd_ok("enable h")
    for a in (1, 5, 6, 7, 1500):
        call(guest, "kp_target_add %d 0" % a)
    guest.cmd_ok("disable h")
    out = guest.cmd_ok("trace -H h a").splitlines()
    expect(out[0] == "@a: 5 values from kprobes/h in the trace buffer", out)
    expect(out[1] == "[1]                    1 |" + "@" * 17 + " " * 35 + "|", out)
    expect(out[3] == "[4, 8)                 3 |" + "@" * 52 + "|", out)
    expect(out[-1] == "[1K, 2K)               1 |" + "@" * 17 + " " * 35 + "|", out)
    expect(len(out) == 12, out)
    expect("no numeric field" in guest.cmd_err("trace -H h nosuch"), "bad field")
    # a signed field's values below 0 go in bpftrace's "(..., 0)", drawn first
    guest.cmd_ok("trace clear")
    guest.cmd_ok("p:hn kp_target_add a=%di:s32")
    guest.cmd_ok("enable hn")
    for a in (0xfffffffd, 0xffffffff, 2):
        call(guest, "kp_target_add %d 0" % a)
    guest.cmd_ok("disable hn")
    out = guest.cmd_ok("trace -H hn a").splitlines()
    expect(out == ["@a: 3 values from kprobes/hn in the trace buffer",
                   "(..., 0)               2 |" + "@" * 52 + "|",
                   "[0]                    0 |" + " " * 52 + "|",
                   "[1]                    0 |" + " " * 52 + "|",
                   "[2, 4)                 1 |" + "@" * 26 + " " * 26 + "|"], out)


def test_hist_string_and_common_keys(guest):
    """A :string fetch-arg ($comm here) as a key, with common_pid.execname and common_cpu,
    on an event of two probe points: the trigger counts the hits of both."""
    reset(guest)
    guest.cmd_ok("p:hs kp_target_add c=$comm a=%di")
    guest.cmd_ok("p:hs kp_target_fib c=$comm a=%di")
    guest.cmd_ok("trigger hs 'hist:keys=c,a:sort=a.descending'")
    for a in (1, 3, 3):
        call(guest, "kp_target_add %d 0" % a)
    call(guest, "kp_target_fib 1")
    lines = [l for l in guest.cmd_ok("hist hs").splitlines() if l.startswith("{") or "Hits" in l]
    pad = "kp-shell" + " " * 42
    expect(lines == ["{ c: %s, a:          3 } hitcount:          2" % pad,
                     "{ c: %s, a:          1 } hitcount:          2" % pad,
                     "    Hits: 4"], lines)
    guest.cmd_ok("trigger hs '!hist:keys=c,a'")
    guest.cmd_ok("trigger hs 'hist:keys=common_pid.execname,common_cpu:vals=a'")
    call(guest, "kp_target_add 5 0")
    hist = guest.cmd_ok("hist hs")
    expect("# trigger info: hist:keys=common_pid.execname,common_cpu:vals=hitcount,a:sort=hitcount:size=2048 [active]"
           in hist, hist)
    expect("{ common_pid: kp-shell        [         1], common_cpu:          0 } hitcount:          1"
           "  a:          5" in hist, hist)
    expect("a value must be a number" in guest.cmd_err("trigger hs 'hist:keys=a:vals=c'"), "string value")
    guest.cmd_ok("trigger hs '!hist:keys=common_pid.execname,common_cpu'")
    guest.cmd_ok("-:hs")


def test_hist_errors_in_error_log(guest):
    """Hist trigger refusals land in error_log as Linux's hist_err() logs them."""
    reset(guest)
    guest.cmd_ok("p:he kp_target_add a=%di b=%si")
    guest.cmd_ok("error_log clear")
    guest.cmd_ok("trigger he 'hist:keys=a'")
    cases = [("hist:keys=zz", "Couldn't find field", 10),
             ("hist:keys=a.foo", "Invalid field modifier", 12),
             ("hist:keys=a:sort=s", "Sort field must be a key or a val", 2),
             ("hist:keys=a:vals=b:sort=a,b,hitcount", "Too many sort fields (Max = 2)", 19),
             ("hist:keys=a", "Hist trigger already exists", 0),
             ("hist:keys=b:clear", "Can't clear or continue a nonexistent hist trigger", 0)]
    for text, msg, col in cases:
        err = guest.cmd_err("trigger he '%s'" % text)
        expect(err.startswith("error: " + msg) and err.endswith("(column %d; see error_log)" % col), err)
    # refusals Linux makes silently are not logged
    guest.cmd_err("trigger he 'hist:keys=a:size=0'")
    log = guest.cmd_ok("error_log").splitlines()
    expect(len(log) == 3 * len(cases), log)
    for i, (text, msg, col) in enumerate(cases):
        head, command, caret = log[3 * i:3 * i + 3]
        expect(re.match(r"^\[\s*\d+\.\d{6}\] hist:kprobes:he: error: " + re.escape(msg) + "$", head), head)
        expect(command == "  Command: " + text, command)
        expect(caret == " " * (len("  Command: ") + col) + "^", repr(caret))
    guest.cmd_ok("trigger he '!hist:keys=a'")
    guest.cmd_ok("-:he")
    guest.cmd_ok("error_log clear")
