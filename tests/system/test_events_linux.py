"""Probe events against Linux's own behaviour: error_log columns, fetch
types, the tracefs per-event files (format, id, enable, filter, trigger),
events with several probe points, and cases from Linux's ftrace selftests for
kprobe events. One guest for the module; each test starts from no events."""
import collections
import os
import re
import subprocess

from guest import expect, ROOT
from events_lib import fresh, entries, args_of, call, addr_of, reset  # noqa: F401


def shared_function_name():
    """A function name two functions of the kernel share, and their addresses (from its ELF)."""
    out = subprocess.run(["nm", os.path.join(ROOT, "build", "kprobe64.elf")], capture_output=True,
                         text=True, check=True).stdout
    addrs = collections.defaultdict(list)
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tT" and not f[2].startswith(".."):  # not asm-local labels
            addrs[f[2]].append(int(f[0], 16))
    return next((n, a) for n, a in sorted(addrs.items()) if len(a) == 2)


def test_error_log_shows_linux_columns(guest):
    """Each refused line lands in error_log as Linux's tracing/error_log shows it."""
    reset(guest)
    guest.cmd_ok("error_log clear")
    expect(guest.cmd_ok("error_log") == "", "error_log not empty")
    # Linux counts columns in the line with blanks squeezed, and so do we
    for line, msg, col in (("r1a111   kp_target_add", "Invalid maxactive number", 1),
                           ("p kp_target_add x=%none_reg", "Invalid register name", 18),
                           ("p kp_target_add +0(@11):u8[10", "Array is not closed", 29)):
        err = guest.cmd_err(line)
        expect(err == "error: %s (column %d; see error_log)" % (msg, col), err)
    log = guest.cmd_ok("error_log").splitlines()
    expect(len(log) == 9, log)
    for i, (cmd, msg, col) in enumerate((("r1a111 kp_target_add", "Invalid maxactive number", 1),
                                         ("p kp_target_add x=%none_reg", "Invalid register name", 18),
                                         ("p kp_target_add +0(@11):u8[10", "Array is not closed", 29))):
        head, command, caret = log[3 * i:3 * i + 3]
        expect(re.match(r"^\[\s*\d+\.\d{6}\] trace_kprobe: error: " + re.escape(msg) + "$", head), head)
        expect(command == "  Command: " + cmd, command)
        expect(caret == " " * (len("  Command: ") + col) + "^", repr(caret))
    # at most 8 kept (Linux's TRACING_LOG_ERRS_MAX), the oldest dropped first
    for i in range(20):
        guest.cmd_err("p kp_target_add x%d=%%zz" % i)
    log = guest.cmd_ok("error_log").splitlines()
    expect(len(log) == 24 and log[1].endswith("x12=%zz") and log[-2].endswith("x19=%zz"), log[:3])
    expect(guest.cmd_ok("error_log clear").strip() == "error_log cleared", "clear")
    expect(guest.cmd_ok("error_log") == "", "not cleared")
    expect(guest.cmd_ok("kprobe_events") == "", "a refused line defined something")


def test_linux_fetch_types_and_entry_args(guest):
    """char, symstr, bitfields, immediate strings, and $argN read at entry by a return probe."""
    reset(guest)
    guest.cmd_ok("p:t kp_target_strlen c=+0(%di):char cs=+1(%di):char[2] b=+0(%di):b4@4/8 "
                 "s=%ip:symstr i=\\\"hi\"")
    guest.cmd_ok("r:ret.fib kp_target_fib n=$arg1:u32 r=$retval:s32")
    listing = guest.cmd_ok("kprobe_events").splitlines()
    expect(listing == ['p:kprobes/t kp_target_strlen c=+0(%di):char cs=+1(%di):char[2] b=+0(%di):b4@4/8 '
                       's=%ip:symstr i=\\"hi"',
                       "r:ret/fib kp_target_fib n=$arg1:u32 r=$retval:s32"], listing)
    guest.cmd_ok("enable all")
    call(guest, "kp_target_strlen log_buf")
    call(guest, "kp_target_fib 2")
    guest.cmd_ok("disable all")
    got = entries(guest)
    expect(len(got) == 4, got)
    a = args_of(got[0][3])
    first = guest.cmd_ok("peek log_buf 3").split(":")[1].split("|")[0].split()
    expect(a["c"] == "'%s'" % chr(int(first[0], 16)), (a, first))
    expect(a["b"] == str(int(first[0], 16) >> 4), (a, first))
    expect(re.match(r'^"kp_target_strlen\+0x0/0x[0-9a-f]+"$', a["s"]) and a["i"] == '"hi"', a)
    # fib(2) returns fib(1), fib(0), then itself: each return shows its own entry's n
    fib = [args_of(g[3]) for g in got[1:]]
    expect(fib == [{"n": "1", "r": "1"}, {"n": "0", "r": "0"}, {"n": "2", "r": "1"}], fib)


def test_tracefs_format_id_events(guest):
    reset(guest)
    guest.cmd_ok("p:f kp_target_add a=%di b=+0(%si):u8[2] s=+0(%di):string")
    guest.cmd_ok("r:g.r kp_target_add v=$retval:s32")
    eid = int(guest.cmd_ok("id f"))
    fmt = guest.cmd_ok("format f").splitlines()
    expect(fmt == [
        "name: f", "ID: %d" % eid, "format:",
        "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;",
        "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;",
        "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;",
        "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;",
        "",
        "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;",
        "\tfield:u64 a;\toffset:16;\tsize:8;\tsigned:0;",
        "\tfield:u8 b[];\toffset:24;\tsize:2;\tsigned:0;",     # Linux 6.x: no length in a probe's array
        "\tfield:__data_loc char[] s;\toffset:26;\tsize:4;\tsigned:0;",
        "",
        'print fmt: "(%lx) a=0x%Lx b={%u,%u} s=\\"%s\\"", REC->__probe_ip, REC->a, '
        'REC->b[0], REC->b[1], __get_str(s)'], fmt)
    # a string array keeps its whole type, as Linux's "__data_loc" fields do
    guest.cmd_ok("p:fa kp_target_add t=+0(%di):string[2]")
    fmt = guest.cmd_ok("format fa").splitlines()
    expect(fmt[9] == "\tfield:__data_loc char[][2] t;\toffset:16;\tsize:8;\tsigned:0;", fmt)
    guest.cmd_ok("-:fa")
    fmt = guest.cmd_ok("format g/r").splitlines()
    expect(fmt[8:10] == ["\tfield:unsigned long __probe_func;\toffset:8;\tsize:8;\tsigned:0;",
                         "\tfield:unsigned long __probe_ret_ip;\toffset:16;\tsize:8;\tsigned:0;"] and
           fmt[10] == "\tfield:s32 v;\toffset:24;\tsize:4;\tsigned:1;" and
           fmt[-1] == 'print fmt: "(%lx <- %lx) v=%d", REC->__probe_func, REC->__probe_ret_ip, REC->v',
           fmt)
    guest.cmd_ok("enable g/r")
    guest.cmd_ok("filter f 'a > 1'")
    ev = guest.cmd_ok("events").splitlines()
    expect(len(ev) == 4 and ev[0] == "kprobes/" and ev[2] == "g/", ev)
    expect(re.match(r"^  f +id %d +enable 0  filter set  trigger none  points 1  hits 0$" % eid, ev[1]), ev)
    expect(re.match(r"^  r +id \d+ +enable 1  filter none  trigger none  points 1  hits 0$", ev[3]), ev)
    expect("no event matches" in guest.cmd_err("format nosuch"), "format nosuch")
    guest.cmd_ok("disable all")


def test_multiprobe_event(guest):
    """Several probe points on one event, as Linux 6.x (its kprobe_multiprobe.tc and the
    multiprobe cases of kprobe_syntax_errors.tc): appended when the fetch-args agree,
    listed one line per point, enabled, filtered and counted as one event."""
    reset(guest)
    ev = "p:kprobes/testevent"
    add, fib = ev + " kp_target_add a=%di", ev + " kp_target_fib a=%di"
    # kprobe_multiprobe.tc: two points, removed by name together, or one by its place
    guest.cmd_ok(add)
    expect("added a probe point to kprobes/testevent (2 points)" in guest.cmd_ok(fib), "append")
    expect(guest.cmd_ok("kprobe_events").splitlines() == [add, fib], guest.cmd_ok("kprobe_events"))
    guest.cmd_ok("-:kprobes/testevent")
    expect(guest.cmd_ok("kprobe_events") == "", "both points removed by name")
    guest.cmd_ok(add)
    guest.cmd_ok(fib)
    expect(guest.cmd_ok("-:kprobes/testevent kp_target_add").strip() ==
           "removed 1 probe point of kprobes/testevent", "one point")
    expect(guest.cmd_ok("kprobe_events").splitlines() == [fib], guest.cmd_ok("kprobe_events"))
    guest.cmd_err(ev + " kp_target_add $stack")       # appending a different type fails
    # the multiprobe error_log cases, each at Linux's column
    col = len(ev + " kp_target_fib ")
    for line, msg, pos in (("r:kprobes/testevent kp_target_add", "Probe type is different from existing probe", 0),
                           (ev + " kp_target_fib b=%di", "Argument type or name is different from existing probe", col),
                           (ev + " kp_target_fib a=%di:u8", "Argument type or name is different from existing probe", col),
                           (ev + ' kp_target_fib a=\\"foo"', "Argument type or name is different from existing probe", col),
                           # past the last word: one column beyond a blank after the line, as Linux
                           (ev + " kp_target_fib", "Argument type or name is different from existing probe",
                            len(ev + " kp_target_fib") + 1),
                           # the number of arguments is compared first: the caret is on the extra one
                           (ev + " kp_target_fib x=%di y=%si", "Argument type or name is different from existing probe",
                            col + len("x=%di ")),
                           (fib, "There is already the exact same probe event", 0)):
        err = guest.cmd_err(line)
        expect(err == "error: %s (column %d; see error_log)" % (msg, pos), (line, err))
    expect(guest.cmd_ok("kprobe_events").splitlines() == [fib], "a refused line changed something")
    # points in definition order across events; the same place with other args is a point too
    guest.cmd_ok("p:other kp_target_add")
    guest.cmd_ok(add)
    guest.cmd_ok(ev + " kp_target_add a=%si")
    listing = guest.cmd_ok("kprobe_events").splitlines()
    expect(listing == [fib, "p:kprobes/other kp_target_add", add, ev + " kp_target_add a=%si"], listing)
    ev_lines = [l for l in guest.cmd_ok("events").splitlines() if "testevent" in l]
    expect(len(ev_lines) == 1 and ev_lines[0].endswith("points 3  hits 0"), ev_lines)
    # enable, filter and trace act on the event: every point
    expect(guest.cmd_ok("enable testevent").strip() == "enabled 1 event", "enable")
    call(guest, "kp_target_add 7 9")
    call(guest, "kp_target_fib 1")
    got = sorted((g[1], g[2].split("+")[0], g[3]) for g in entries(guest))
    expect(got == [("testevent", "kp_target_add", "a=0x7"), ("testevent", "kp_target_add", "a=0x9"),
                   ("testevent", "kp_target_fib", "a=0x1")], got)
    prof = [l.split() for l in guest.cmd_ok("kprobe_profile testevent").splitlines()]
    expect(prof == [["testevent", "1", "0"]] * 3, prof)           # one line per point, as Linux
    expect(re.search(r"^  testevent .* points 3  hits 3$", guest.cmd_ok("events"), re.M), "hits of the event")
    guest.cmd_ok("filter testevent 'a == 1'")
    guest.cmd_ok("trace clear")
    call(guest, "kp_target_add 1 5")
    call(guest, "kp_target_fib 1")
    got = sorted(g[2].split("+")[0] for g in entries(guest))
    expect(got == ["kp_target_add", "kp_target_fib"], got)          # a=%di at add, fib; not a=%si
    # one point off an enabled event is allowed; its last point is not
    guest.cmd_ok("-:testevent kp_target_add a=%si")
    guest.cmd_ok("-:testevent kp_target_add")
    expect(guest.cmd_ok("kprobe_events").splitlines() == [fib, "p:kprobes/other kp_target_add"], "removed")
    expect("in use" in guest.cmd_err("-:testevent kp_target_fib"), "last point of an enabled event")
    # a point added to an enabled event fires at once
    guest.cmd_ok(add)
    guest.cmd_ok("trace clear")
    call(guest, "kp_target_add 1 0")
    expect([g[2].split("+")[0] for g in entries(guest)] == ["kp_target_add"], "new point armed")
    guest.cmd_ok("disable testevent")
    guest.cmd_ok("-:kprobes/")                           # Linux's whole-group removal
    expect(guest.cmd_ok("kprobe_events") == "", guest.cmd_ok("kprobe_events"))


def test_linux_kprobe_selftests(guest):
    """Linux 6.12's tools/testing/selftests/ftrace/test.d/kprobe cases that apply here, each
    on the target functions (vfs_read and the fork function are kp_target_* here)."""
    reset(guest)
    # add_and_remove.tc, kprobe_eventname.tc: names, generated and given
    guest.cmd_ok("p kp_target_add")
    guest.cmd_ok("p:event1 kp_target_add")
    guest.cmd_ok("p:kprobes2/event2 kp_target_add")
    guest.cmd_ok("p:xhci-hcd/event3 kp_target_add")     # Linux 6.x: a group name may hold '-'
    ev = guest.cmd_ok("events")
    for name in ("kprobes/", "  p_kp_target_add_0 ", "  event1 ", "kprobes2/", "  event2 ", "xhci-hcd/",
                 "  event3 "):
        expect(name in ev, (name, ev))
    guest.cmd_ok("enable xhci-hcd/event3")
    call(guest, "kp_target_add 1 2")
    guest.cmd_ok("disable xhci-hcd/*")
    got = [g[1] for g in entries(guest)]
    expect(got == ["event3"], got)
    guest.cmd_ok("-:xhci-hcd/")
    expect("xhci-hcd" not in guest.cmd_ok("kprobe_events"), guest.cmd_ok("kprobe_events"))
    guest.cmd_ok("kprobe_events clear")
    # probepoint.tc: SYM, its address, SYM+offset of the next function; not before SYM
    addr = addr_of(guest, "kp_target_add")
    size = int(re.search(r"kp_target_add\+0x0/0x([0-9a-f]+)", guest.cmd_ok("ksym kp_target_add")).group(1), 16)
    nxt = size
    while not re.search(r" \S+\+0x0/0x", guest.cmd_ok("ksym kp_target_add+%d" % nxt)):
        nxt += 1
    for point in ("kp_target_add", "%#x" % addr, "kp_target_add+%d" % nxt):
        guest.cmd_ok("p:testprobe " + point)
        guest.cmd_ok("-:testprobe")
    # kprobe_non_uniq_symbol.tc: a name two functions share is refused at the symbol, as
    # Linux's "The symbol is not unique"; either function by its address is fine
    name, addrs = shared_function_name()
    err = guest.cmd_err("p:testprobe " + name)
    expect(err.startswith("error: The symbol is not unique") and err.endswith("(column 12; see error_log)"), err)
    for a in addrs:
        guest.cmd_ok("p:testprobe %#x" % a)
        guest.cmd_ok("-:testprobe")
    guest.cmd_err("p:testprobe kp_target_add-16")
    guest.cmd_err("p:testprobe kp_target_add+0xfffffffffffffff0")
    # kretprobe_return_suffix.tc: %return makes the same return probe as r
    guest.cmd_ok("r:myprobeaccept kp_target_add")
    r1 = guest.cmd_ok("kprobe_events")
    guest.cmd_ok("-:myprobeaccept")
    guest.cmd_ok("p:myprobeaccept kp_target_add%return")
    expect(guest.cmd_ok("kprobe_events") == r1, (r1, guest.cmd_ok("kprobe_events")))
    guest.cmd_ok("kprobe_events clear")
    # profile.tc: a new event has 0 hits and 0 misses, a hit counts, removal drops the line
    expect("myevent" not in guest.cmd_ok("kprobe_profile"), "profile before")
    guest.cmd_ok("p:myevent kp_target_fib")
    expect(re.match(r"^\s+myevent\s+0\s+0$", guest.cmd_ok("kprobe_profile").strip("\n")), "0 0")
    guest.cmd_ok("enable myevent")
    call(guest, "kp_target_fib 1")
    expect(re.match(r"^\s+myevent\s+1\s+0$", guest.cmd_ok("kprobe_profile").strip("\n")), "1 0")
    # busy_check.tc: clearing kprobe_events fails while an event is enabled
    guest.cmd_err("kprobe_events clear")
    guest.cmd_ok("disable myevent")
    guest.cmd_ok("kprobe_events clear")
    expect("myevent" not in guest.cmd_ok("kprobe_profile"), "profile after")
    # kretprobe_entry_arg.tc: $arg1 at the return is what the entry saw
    guest.cmd_ok("p:myevent1 kp_target_add arg=$arg1")
    guest.cmd_ok("r:myevent2 kp_target_add arg=$arg1")
    guest.cmd_ok("enable kprobes/*")
    call(guest, "kp_target_add 77 1")
    got = [(g[1], g[3]) for g in entries(guest)]
    expect(got == [("myevent1", "arg=0x4d"), ("myevent2", "arg=0x4d")], got)
    guest.cmd_ok("disable kprobes/*")
    guest.cmd_ok("kprobe_events clear")
    # kprobe_args_string.tc: the same string read twice
    guest.cmd_ok("p:testprobe kp_target_strlen arg1=+0(%di):string arg2=+0(%di):string")
    guest.cmd_ok("enable testprobe")
    call(guest, "kp_target_strlen log_buf")
    (e,) = entries(guest)
    a = args_of(e[3])
    expect(a["arg1"] == a["arg2"] and a["arg1"].startswith('"[    0.000000] kprobe64'), a)
    guest.cmd_ok("disable testprobe")
