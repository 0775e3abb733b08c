#!/usr/bin/env python3
"""A stand-in for QEMU running kprobe64, for the harness's own tests: it
prints a prompt and answers the commands the guest checks send, and can be
told to misbehave the ways a broken kernel would. Its arguments (QEMU's) are
ignored.

Commands besides the checks': `version`; `define` (an event is left behind);
`oops-later` (the next prompt is followed by an oops report); `die-later`
(exits once the checks after this test have run, i.e. between two tests)."""
import sys

EMPTY = {
    "kprobes": "0 probes at 0 addresses; table 256 buckets; 0 slots; 0 hits, 0 missed, "
               "0 strays recovered, 0 handler faults",
    "xdp status": "eth0: no program attached",
}


def main():
    out = sys.stdout
    events, oops_next, die_after_checks = "", False, False
    out.write("[    0.000000] kprobe64 fake booting\nkp> ")
    out.flush()
    line = ""
    while True:
        ch = sys.stdin.read(1)
        if not ch:
            return
        if ch not in "\r\n":
            line += ch
            continue
        cmd, line = line.strip(), ""
        out.write(cmd + "\n")
        if cmd == "kprobe_events":
            out.write(events)
        elif cmd in EMPTY:
            out.write(EMPTY[cmd] + "\n")
        elif cmd == "version":
            out.write("kprobe64 fake\n")
        elif cmd == "define":
            events = "p:kprobes/left kp_target_add\n"
        elif cmd == "oops-later":
            oops_next = True
        elif cmd == "die-later":
            die_after_checks = True
        elif cmd:
            out.write("error: unknown command '%s'\n" % cmd)
        out.write("kp> ")
        if oops_next and cmd == "oops-later":
            out.write("\n[    1.000000] Oops: page fault (vector 14), error code 0: in a kprobe handler; "
                      "the kernel goes on\n")
        out.flush()
        if die_after_checks and cmd == "xdp status":
            return


if __name__ == "__main__":
    main()
