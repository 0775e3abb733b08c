"""kprobe_events commands that act whole or not at all, and `trace` stopped
half-way: Ctrl-C ends a long listing, the hits made while it printed are
counted as "dropped while printing" (one per line, by a probe on what
formats each line), `kprobe_events clear` is refused while an event is
enabled, and a filter given to several events goes to all or to none.
Every wait is for evidence (a line, a counter, the prompt), bounded
generously."""
import re

import pytest

from guest import PROMPT

ENTRY = re.compile(r"^\s+kp-shell-1\s+\[\d{3}\] \S{5}\s+\d+\.\d{6}: (\w+): ", re.M)
SIZE = re.compile(r"^buffer_size_kb: (\d+) \((\d+) entries, (\d+) written, (\d+) lost to "
                  r"overwriting, (\d+) dropped while printing, (\d+) refused while busy; "
                  r"recording (on|off); per cpu, \d+ cpus\)$", re.M)


def reset(guest):
    guest.cmd("disable all")
    guest.cmd_ok("kprobe_events clear")
    guest.cmd_ok("trace size 128")
    assert guest.cmd_ok("kprobe_events") == ""


@pytest.fixture(autouse=True)
def fresh(guest):
    reset(guest)
    yield
    reset(guest)


def counters(guest):
    out = guest.cmd_ok("trace size")
    m = SIZE.search(out)
    assert m, out
    return dict(zip(("kb", "entries", "written", "overwritten", "dropped", "refused"),
                    map(int, m.groups()[:6])))


def hits(guest, event):
    m = re.search(r"^\s+%s\s+(\d+)\s+(\d+)$" % event, guest.cmd_ok("kprobe_profile " + event),
                  re.M)
    assert m, event
    return int(m.group(1))


def test_trace_counts_what_it_dropped_while_printing(guest):
    """`fmt` fires once per line `trace` prints, while recording is paused:
    each of those hits is dropped, and nothing else changes."""
    guest.cmd_ok("p:w/add kp_target_add a=%di")
    guest.cmd_ok("p:w/fmt kevent_format_hit")
    guest.cmd_ok("enable w/*")
    guest.cmd_ok("trace clear")
    guest.cmd_ok("call kp_target_loop 300")
    c0, f0 = counters(guest), hits(guest, "fmt")
    assert c0["entries"] == c0["written"] == 300 and c0["overwritten"] == 0, c0
    out = guest.cmd_ok("trace", timeout=120)
    printed = ENTRY.findall(out)
    assert printed == ["add"] * 300, printed[:5]
    c1, f1 = counters(guest), hits(guest, "fmt")
    assert f1 - f0 == 300, "fmt hit %d times for 300 lines" % (f1 - f0)
    assert c1["dropped"] - c0["dropped"] == 300, (c0, c1)
    for k in ("entries", "written", "overwritten", "refused"):
        assert c1[k] == c0[k], (k, c0, c1)
    # recording resumed once the listing ended
    guest.cmd_ok("call kp_target_add 1 2")
    c2 = counters(guest)
    assert c2["written"] == 301 and c2["dropped"] == c1["dropped"], c2


def test_ctrl_c_stops_trace_and_the_count_stays_true(guest):
    """20,000 lines are far more than the pipe between QEMU and us holds, so
    the guest cannot have finished when the Ctrl-C goes in after the first."""
    guest.cmd_ok("trace size 4096")
    guest.cmd_ok("p:w/add kp_target_add a=%di")
    guest.cmd_ok("p:w/fmt kevent_format_hit")
    guest.cmd_ok("enable w/*")
    guest.cmd_ok("trace clear")
    guest.cmd_ok("call kp_target_loop 20000", timeout=300)
    c0, f0 = counters(guest), hits(guest, "fmt")
    assert c0["entries"] == 20000, c0
    guest.send("trace\r")
    guest.read_until(re.compile(r"add: \(kp_target_add\+0x0/0x[0-9a-f]+\) a=0x0\n"), 120,
                     what="the first entry")
    guest.send("\x03")
    out = guest.read_until(PROMPT, 600, what="the prompt after Ctrl-C")
    tail = out[:-len(PROMPT)]
    assert tail.endswith("^C\n"), tail[-300:]
    n = 1 + len(ENTRY.findall(tail))
    assert n < 20000, "all %d lines printed: Ctrl-C did not stop trace" % n
    c1, f1 = counters(guest), hits(guest, "fmt")
    assert f1 - f0 == n, "fmt hit %d times, %d lines printed" % (f1 - f0, n)
    assert c1["dropped"] - c0["dropped"] == n, (c0, c1, n)
    assert c1["entries"] == c1["written"] == 20000, c1      # `trace` consumes nothing
    # the ^C was used up: the next command runs, and recording is on again
    assert guest.cmd_ok("call kp_target_add 2 40").strip().endswith("= 0x2a (42)")
    assert counters(guest)["written"] == 20001


def test_clear_refused_while_an_event_is_enabled(guest):
    guest.cmd_ok("p:c/one kp_target_add")
    guest.cmd_ok("r:c/two kp_target_fib v=$retval")
    guest.cmd_ok("enable c/two")
    before, kp = guest.cmd_ok("kprobe_events"), guest.cmd_ok("kprobes")
    err = guest.cmd_err("kprobe_events clear")
    assert "'two' is enabled" in err and "disable" in err, err
    assert guest.cmd_ok("kprobe_events") == before
    assert guest.cmd_ok("kprobes").splitlines()[0] == kp.splitlines()[0]
    guest.cmd_ok("call kp_target_fib 3")
    assert hits(guest, "two") == 5                # still enabled and recording
    guest.cmd_ok("disable c/two")
    out = guest.cmd_ok("kprobe_events clear")
    assert out.strip() == "removed 2 events (trace buffer cleared)", out
    assert guest.cmd_ok("kprobe_events") == ""
    assert guest.cmd_ok("kprobe_events clear").strip() == "no events"


def test_clear_refused_while_a_trigger_holds_an_event(guest):
    guest.cmd_ok("p:c/one kp_target_add a=%di")
    guest.cmd_ok("p:c/other kp_target_fib")
    guest.cmd_ok("trigger c/one 'hist:keys=a'")
    before = guest.cmd_ok("kprobe_events")
    err = guest.cmd_err("kprobe_events clear")
    assert "one" in err and "in use" in err, err
    assert guest.cmd_ok("kprobe_events") == before
    guest.cmd_ok("trigger c/one '!hist:keys=a'")
    guest.cmd_ok("kprobe_events clear")


def test_filter_on_several_events_is_all_or_nothing(guest):
    # x is a number in two events and a string in the third: 'x == 1' cannot
    # apply to all three, so none may get it
    guest.cmd_ok("p:f/na kp_target_add x=%di")
    guest.cmd_ok("p:f/sb kp_target_strlen x=+0(%di):string")
    guest.cmd_ok("p:f/nc kp_target_fib x=%di")
    guest.cmd_ok("filter f/na 'x == 5'")
    err = guest.cmd_err("filter f/* 'x == 1'")
    assert "f/sb" in err, err
    assert guest.cmd_ok("filter f/na").strip() == "f/na: x == 5"
    assert guest.cmd_ok("filter f/sb").strip() == "f/sb: none"
    assert guest.cmd_ok("filter f/nc").strip() == "f/nc: none"
    # the old filter still decides what is recorded
    guest.cmd_ok("enable f/na f/nc")
    guest.cmd_ok("trace clear")
    for a in (1, 5, 1):
        guest.cmd_ok("call kp_target_add %d 0" % a)
    guest.cmd_ok("call kp_target_fib 1")
    assert ENTRY.findall(guest.cmd_ok("trace")) == ["na", "nc"]
    guest.cmd_ok("disable f/*")
    # one that compiles for every match goes to every match
    assert guest.cmd_ok("filter f/n* 'x != 2'").strip() == "filter set on 2 events"
    assert [guest.cmd_ok("filter f/" + e).strip() for e in ("na", "sb", "nc")] == \
        ["f/na: x != 2", "f/sb: none", "f/nc: x != 2"]
    assert guest.cmd_ok("filter f/* 0").strip() == "filter cleared on 3 events"
    assert [guest.cmd_ok("filter f/" + e).strip() for e in ("na", "sb", "nc")] == \
        ["f/%s: none" % e for e in ("na", "sb", "nc")]
