"""The console contract: every command's normal and error paths, line editing,
and random input that must never hurt the kernel. One guest for the module."""
import random
import re

import pytest

from guest import SURVIVED_CALL, PROMPT, expect


def test_boot_and_help(guest):
    print("    # boot to prompt: %.1f s" % guest.boot_seconds)
    out = guest.cmd_ok("help")
    for c in ("help", "version", "dmesg", "mem", "uptime", "ksym", "peek", "call",
              "test", "crash", "poweroff", "reboot"):
        expect(re.search(r"^  %s\s" % c, out, re.M), "help does not list %s:\n%s" % (c, out))
    expect("usage: peek ADDR [LEN]" in guest.cmd_ok("help peek"), "help peek")
    guest.cmd_err("help nosuch")
    guest.cmd_err("help a b")


def test_unknown_command(guest):
    line = guest.cmd_err("frobnicate now")
    expect("frobnicate" in line and "help" in line, line)
    expect(guest.cmd("") == "", "an empty line prints nothing")
    guest.cmd_err("echo 'unterminated")


def test_version_dmesg_mem_uptime(guest):
    expect(re.match(r"kprobe64 \d+\.\d+\.\d+", guest.cmd_ok("version")), "version")
    guest.cmd_err("version extra")
    d = guest.cmd_ok("dmesg")
    expect("kprobe64" in d and "paging:" in d and re.search(r"^\[\s*\d+\.\d{6}\] ", d, re.M), d)
    m = guest.cmd_ok("mem")
    expect(re.search(r"frames: \d+ total, \d+ free", m) and "heap:" in m, m)
    u1 = guest.cmd_ok("uptime")
    u2 = guest.cmd_ok("uptime")
    t = [float(re.search(r"up (\d+\.\d+) s", u).group(1)) for u in (u1, u2)]
    expect(t[1] > t[0], "uptime does not advance: %s %s" % (u1, u2))
    for c in ("dmesg x", "mem x", "uptime x", "poweroff now", "reboot now"):
        guest.cmd_err(c)


def test_ksym(guest):
    out = guest.cmd_ok("ksym kmain")
    m = re.match(r"(0x[0-9a-f]+) t kmain\+0x0/0x[0-9a-f]+", out)
    expect(m, out)
    addr = int(m.group(1), 16)
    expect(re.match(r"kmain\+0x4/0x[0-9a-f]+$", guest.cmd_ok("ksym %#x" % (addr + 4)).strip()),
           "address to name")
    expect(guest.cmd_ok("ksym %d" % addr).startswith("kmain+0x0/"), "decimal address")
    guest.cmd_err("ksym no_such_symbol")
    guest.cmd_err("ksym 0x10")
    guest.cmd_err("ksym 12zz")
    guest.cmd_err("ksym")
    guest.cmd_err("ksym a b")


def test_peek(guest):
    out = guest.cmd_ok("peek kmain 20")
    lines = out.strip().splitlines()
    expect(len(lines) == 2 and re.match(r"[0-9a-f]{16}: ([0-9a-f]{2} ){16} \|", lines[0]), out)
    expect(lines[0].split(":")[1].split()[0] == "55", "kmain starts with push %rbp: " + lines[0])
    expect(guest.cmd_ok("peek kmain+1 1").split(":")[1].split()[0] == "48", "SYM+OFF")
    guest.cmd_err("peek 0")
    guest.cmd_err("peek 0x1000 16")
    guest.cmd_err("peek 0x0000800000000000")     # not canonical
    guest.cmd_err("peek 0xdead0000deadbeef")
    guest.cmd_err("peek kmain 0")
    guest.cmd_err("peek kmain 5000")
    guest.cmd_err("peek kmain zz")
    guest.cmd_err("peek nosuch")
    guest.cmd_err("peek")


def test_call(guest):
    out = guest.cmd_ok("call kp_target_add 2 40")
    expect(re.match(r"kp_target_add\+0x0/0x[0-9a-f]+ = 0x2a \(42\)", out), out)
    out = guest.cmd_ok("call kp_target_add -5 0x3")
    expect("(-2)" in out, out)
    out = guest.cmd_ok("call kp_target_fib 10")
    expect("= 0x37 (55)" in out, out)


def test_call_returns_value(guest):
    out = guest.cmd_ok("call kallsyms_count")
    m = re.search(r"kallsyms_count\+0x0/0x[0-9a-f]+ = 0x([0-9a-f]+) \((\d+)\)", out)
    expect(m and int(m.group(1), 16) == int(m.group(2)) > 400, out)
    guest.cmd_err("call")
    guest.cmd_err("call nosuch")
    guest.cmd_err("call log_buf")                # data, not text
    guest.cmd_err("call kmain 1 2 3 4 5 6 7")
    guest.cmd_err("call kallsyms_count zz")


@pytest.mark.guest_log(SURVIVED_CALL)
def test_call_fault_is_survived(guest):
    out = guest.cmd("call kstrtou64 0 0")
    expect("Oops: page fault" in out and "kstrtou64" in out, out)
    expect(re.search(r"^error: kstrtou64 faulted", out, re.M), out)
    expect(guest.cmd_ok("version").startswith("kprobe64"), "kernel alive after fault")


def test_line_editing(guest):
    # backspace, cursor left + insert, then the line runs as edited
    out = guest.cmd("versiox\x7fn")
    expect(out.startswith("kprobe64"), "backspace: " + out)
    out = guest.cmd("vrsion\x1b[D\x1b[D\x1b[D\x1b[D\x1b[De")
    expect("kprobe64" in out, "left arrow + insert: " + out)
    # history: up arrow recalls the last line
    guest.cmd_ok("ksym kmain")
    out = guest.cmd("\x1b[A")
    expect("kmain+0x0/" in out, "history up: " + out)
    # Ctrl-C abandons the line
    guest.send("bogus text\x03")
    guest.read_until(PROMPT, 10)
    expect(guest.cmd_ok("version").startswith("kprobe64"), "after ^C")
    # CR LF counts as one line end
    guest.send("version\r\n")
    guest.read_until(PROMPT, 10)
    expect(guest.cmd("") == "", "LF after CR made an extra line")


HOME_KEYS = ["\x1b[H", "\x1bOH", "\x1b[1~", "\x1b[7~", "\x01"]      # ..., Ctrl-A
END_KEYS = ["\x1b[F", "\x1bOF", "\x1b[4~", "\x1b[8~", "\x05"]       # ..., Ctrl-E


def runs_version(out):
    return out.startswith("kprobe64")


@pytest.mark.parametrize("home", HOME_KEYS)
def test_home_key_forms(guest, home):
    out = guest.cmd("ersion" + home + "v")
    assert runs_version(out), "%r then 'v' at the start: %r" % (home, out)


@pytest.mark.parametrize("end", END_KEYS)
def test_end_key_forms(guest, end):
    out = guest.cmd("versio" + HOME_KEYS[0] + end + "n")
    assert runs_version(out), "Home, %r, then 'n' at the end: %r" % (end, out)


def test_delete_key_and_ctrl_u(guest):
    out = guest.cmd("vXersion" + "\x01" + "\x1b[C" + "\x1b[3~")   # Delete under the cursor
    assert runs_version(out), out
    out = guest.cmd("bogus words" + "\x15" + "version")                # Ctrl-U erases the line
    assert runs_version(out), out
    out = guest.cmd("vers" + "\x1b[D\x1b[D" + "\x15" + "version")  # from the middle too
    assert runs_version(out), out


def test_history_up_and_down(guest):
    guest.cmd_ok("ksym kmain")
    guest.cmd_ok("version")
    out = guest.cmd("\x1b[A\x1b[A")                   # two back: ksym kmain
    assert "kmain+0x0/" in out, out
    # history now ends: ksym kmain, version, ksym kmain; four back, one forward
    out = guest.cmd("\x1b[A\x1b[A\x1b[A\x1b[A\x1b[B")
    assert "kmain+0x0/" in out, out
    out = guest.cmd("\x1b[A\x1b[B")                   # back and forward again: an empty line
    assert out == "", out


def test_line_too_long(guest):
    line = guest.cmd_err("x" * 300)
    expect("too long" in line, line)
    expect(guest.cmd_ok("version").startswith("kprobe64"), "alive")


def test_random_input(guest):
    rnd = random.Random(1234)
    for i in range(300):
        n = rnd.randint(1, 60)
        data = bytes(rnd.randrange(256) for _ in range(n))
        # keep the bytes that would power off, reboot or crash it out of the line
        guest.send(data.replace(b"\r", b" ").replace(b"\n", b" ") + b"\x03")
    guest.send("\r")
    guest.drain()
    expect(re.search(r"^  help\s", guest.cmd_ok("help", timeout=30), re.M), "help after random input")


def test_random_lines_execute(guest):
    """Random printable lines are executed: each gives an answer, never a hang."""
    rnd = random.Random(99)
    words = ["peek", "ksym", "help", "mem", "0x", "kmain", "-1", "'", '"', "+", "test", "nosuch"]
    for i in range(60):
        line = " ".join(rnd.choice(words) + rnd.choice(["", "1", "zz", "0xffff"]) for _ in range(rnd.randint(1, 4)))
        if line.split()[0] in ("test",):
            continue
        guest.cmd(line, timeout=20)
    expect(guest.cmd_ok("version").startswith("kprobe64"), "alive")


def test_textsum(guest):
    a = guest.cmd_ok("textsum")
    expect(re.match(r"[0-9a-f]{16}  \d+ bytes of kernel text", a), a)
    expect(guest.cmd_ok("textsum") == a, "text changed by itself")
    guest.cmd_err("textsum x")
