"""Ctrl-C stops long console commands: a `call` that never returns is
unwound like a faulting call, `test` stops between cases and says how far it
got. Every wait is for evidence (the stop line, then the prompt), bounded."""
import re

from guest import PROMPT


def stop_with_ctrl_c(guest, line, started, timeout=120):
    """Type line, wait until its output shows it is running, then Ctrl-C."""
    guest.send(line + "\r")
    guest.read_until(started, timeout, what="%r to start" % line)
    guest.send("\x03")
    return guest.read_until(PROMPT, timeout, what="the prompt after Ctrl-C")


def test_ctrl_c_unwinds_a_runaway_call(guest):
    # kp_target_loop(-1) calls kp_target_add 2^64 times; the echo shows it began
    out = stop_with_ctrl_c(guest, "call kp_target_loop -1", "call kp_target_loop -1\n")
    lines = [l for l in out[:-len(PROMPT)].splitlines() if l.strip()]
    assert len(lines) == 1, out
    assert re.match(r"error: kp_target_loop stopped by Ctrl-C in kp_target_(loop|add)\+0x[0-9a-f]+/"
                    r"0x[0-9a-f]+ and unwound like a fault$", lines[0]), out
    # the kernel goes on, and the console is not left with a stale ^C
    assert guest.cmd_ok("call kp_target_add 2 40").strip() == "kp_target_add+0x0/0x5 = 0x2a (42)"
    assert re.search(r"^\d+ passed, 0 failed$", guest.cmd_ok("test kallsyms"), re.M)


def test_ctrl_c_stops_a_runaway_call_under_a_probe(guest):
    """Entry and return probes on the loop: the stop abandons a pending return."""
    guest.cmd_ok("p:stop/add kp_target_add")
    guest.cmd_ok("r:stop/addret kp_target_add v=$retval")
    guest.cmd_ok("r:stop/loopret kp_target_loop v=$retval")
    guest.cmd_ok("enable stop/*")
    try:
        # the echo is all the host can see before the ^C: on a loaded host the
        # stop may come before the loop's first call, so stop it again (each
        # stopped call is abandoned the same way) until the probe has fired
        for _ in range(5):
            out = stop_with_ctrl_c(guest, "call kp_target_loop -1", "call kp_target_loop -1\n")
            assert "stopped by Ctrl-C" in out, out
            m = re.search(r"^\s+add\s+(\d+)\s+(\d+)$", guest.cmd_ok("kprobe_profile stop/add"),
                          re.M)
            assert m, "no stop/add line in kprobe_profile"
            if int(m.group(1)) > 0:
                break
        # the probe fired all along and is still there, working
        assert int(m.group(1)) > 0, m.group(0)
        assert guest.cmd_ok("call kp_target_add 1 2").strip().endswith("= 0x3 (3)")
        m2 = re.search(r"^\s+add\s+(\d+)", guest.cmd_ok("kprobe_profile stop/add"), re.M)
        assert int(m2.group(1)) == int(m.group(1)) + 1
        assert guest.cmd_ok("call kp_target_loop 3").strip().endswith("= 0x3 (3)")
        m3 = re.search(r"^\s+loopret\s+(\d+)", guest.cmd_ok("kprobe_profile stop/loopret"), re.M)
        assert int(m3.group(1)) == 1, m3.group(0)     # the stopped call never returned
    finally:
        guest.cmd_ok("disable stop/*")
        guest.cmd_ok("-:stop/*")
    assert guest.cmd_ok("call kp_target_add 1 2").strip().endswith("= 0x3 (3)")


def test_ctrl_c_stops_test_between_cases(guest):
    before = guest.cmd_ok("textsum")
    # typed ahead with the line: the ^C is in before `test` can have finished
    guest.send("test\r\x03")
    out = guest.read_until(PROMPT, 300, what="the prompt after test ^C")
    m = re.search(r"^# stopped by Ctrl-C: (\d+) of (\d+) cases ran$", out, re.M)
    assert m, out[-2000:]
    ran, total = int(m.group(1)), int(m.group(2))
    assert ran < total, out[-2000:]
    results = re.findall(r"^(?:not )?ok \d+ (\S+)", out, re.M)
    assert len(results) == ran + 1 and results[-1] == "text_unchanged", results
    assert re.search(r"^%d passed, 0 failed$" % (ran + 1), out, re.M), out[-2000:]
    # the ^C was used up: the next line runs normally
    assert guest.cmd_ok("textsum") == before
    assert guest.cmd_ok("kprobe_events").strip() == ""
