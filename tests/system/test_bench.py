"""The benchmark commands answer, and answer in the shape make bench parses
(scripts/bench.py). Correctness only: no figure is compared with anything,
since timing is never asserted in make test (and this guest is not under
-icount, so its TSC counts nothing in particular)."""
import re
import time

from guest import expect
from test_net_lib import (ETH_P_IP, GUEST_IP, HOST_IP, HOST_MAC, eth, ipv4, net_counters, udp,
                          wait_counter, wired_guest)

WIRE = None
MACHINE = re.compile(r"^bench: (\w+)=(\d+) (\S+)$")
CLASS = re.compile(r"^  ([\w/]+): frames=(\d+) median=(\d+) min=(\d+) max=(\d+) mean=(\d+) "
                   r"ticks=(\d+)$")
NO_PORT = 4444


def make_guest():
    global WIRE
    g, WIRE = wired_guest()
    return g


def test_bench_nohit_lines(guest):
    out = guest.cmd_ok("bench nohit", 120)
    lines = [l for l in out.splitlines() if l.startswith("bench:")]
    names = []
    for l in lines:
        m = MACHINE.match(l)
        expect(m, "malformed machine line %r" % l)
        names.append(m.group(1))
        # each machine line follows its table row, which shows the same value
        row = [r for r in out.splitlines() if r.split()[:1] == [m.group(1)]]
        expect(row and row[0].split()[1:3] == [m.group(2), m.group(3)],
               "no table row agreeing with %r:\n%s" % (l, out))
    expect(names == ["baseline_call", "nohit_workload_0", "nohit_workload_10000"], names)
    expect(out.splitlines()[0].split()[:3] == ["metric", "value", "unit"], out)
    guest.cmd_err("bench nosuch")
    guest.cmd_err("bench hits nohit")


def show(guest):
    out = guest.cmd_ok("xdp bench show")
    head = re.match(r"xdp bench: (stopped|running \((?:frame|flood)\)), frames=(\d+) "
                    r"window_ns=\d+ window_pps=\d+ tsc_khz=\d+$", out.splitlines()[0])
    expect(head, "bad first line:\n" + out)
    classes = {}
    for l in out.splitlines()[1:]:
        m = CLASS.match(l)
        if m:
            f, med, lo, hi = (int(m.group(i)) for i in range(2, 6))
            expect(f > 0 and lo <= med <= hi, "inconsistent class line %r" % l)
            classes[m.group(1)] = f
    return head.group(1), int(head.group(2)), classes, out


def send(n):
    frame = eth(WIRE.guest_mac, HOST_MAC, ETH_P_IP,
                ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 40009, NO_PORT, b"bench")))
    for _ in range(n):
        WIRE.send(frame)


def send_and_wait(guest, n, result):
    """Send n frames; wait until n frames ended in `result` since the start."""
    send(n)
    end = time.time() + 60     # a bound, not a wait: it returns on the evidence
    while True:
        WIRE.drain(0.1)      # ICMP errors, and answers the guest's ARP
        state, frames, classes, out = show(guest)
        m = re.search(r"^  results:.* %s=(\d+)\b" % result, out, re.M)
        if (m and int(m.group(1)) >= n) or time.time() > end:
            return state, frames, classes, out
        time.sleep(0.1)


def test_xdp_bench_frame_and_flood(guest):
    guest.cmd_ok("xdp bench stop")
    state, frames, classes, _ = show(guest)
    expect(state == "stopped", state)

    # the stack drops UDP to a closed port (an ICMP error each, or rate limited)
    expect("timing each frame" in guest.cmd_ok("xdp bench start"), "start")
    state, frames, classes, out = send_and_wait(guest, 10, "udp_no_port")
    expect(state == "running (frame)", out)
    # (the guest may also have taken an ARP frame: its own class, ok_arp)
    expect(classes.get("udp_no_port", 0) + classes.get("udp_no_port/ratelimited", 0) == 10, out)
    expect(frames == sum(classes.values()), out)

    # the same frames through a native drop program
    guest.cmd_ok("xdp attach drop")
    try:
        guest.cmd_ok("xdp bench start frame")
        state, frames, classes, out = send_and_wait(guest, 10, "xdp_drop")
        expect(frames == 10 and classes == {"xdp_drop": 10}, out)

        # whole interrupts: frames per busy tick, no per-frame classes
        expect("interrupt" in guest.cmd_ok("xdp bench start flood"), "start flood")
        state, frames, classes, out = send_and_wait(guest, 20, "xdp_drop")
        expect(state == "running (flood)" and frames == 20 and not classes, out)
        m = re.search(r"^  irq: interrupts=(\d+) frames=(\d+) ticks=(\d+) ticks_per_frame=\d+ "
                      r"busy_pps=\d+$", out, re.M)
        expect(m and 1 <= int(m.group(1)) <= 20 and int(m.group(2)) == 20, out)
        stop = guest.cmd_ok("xdp bench stop")
    finally:
        guest.cmd_ok("xdp detach")
    expect(stop.startswith("xdp bench: stopped after 20 frames"), stop)
    expect(show(guest)[0] == "stopped", "still running")
    # nothing is counted once stopped
    before = net_counters(guest)["rx_packets"]
    send(5)
    expect(wait_counter(guest, "rx_packets", before + 5)["rx_packets"] >= before + 5,
           "the guest did not take the frames")
    expect(show(guest)[1] == 20, "counted after stop")

    for bad in ("xdp bench bogus", "xdp bench start bogus", "xdp bench stop now"):
        guest.cmd_err(bad)
