"""make bench's XDP part (scripts/bench.py): per-frame costs of the native
and the eBPF drop and of the stack's drop, timed by the guest's `xdp bench`
(net/xdp_bench.c) over frames this script sends on a `-netdev socket` wire,
then each drop under a host flood. Every wait is bounded."""
import re
import time

from guest import GuestError
import test_net_lib as net

NO_PORT = 4444            # nobody listens there: the stack drops (udp_no_port)
FRAME_PKTS = 2048         # frames for the per-frame costs
FLOOD_SECONDS = 2.0       # how long the host floods, each of XDP and stack


XB_HEAD = re.compile(r"^xdp bench: (\w+).*?frames=(\d+) window_ns=(\d+) window_pps=(\d+) "
                     r"tsc_khz=(\d+)", re.M)
XB_CLASS = re.compile(r"^\s+([\w/]+): frames=(\d+) median=(\d+) min=(\d+) max=(\d+) "
                      r"mean=(\d+) ticks=(\d+)", re.M)
XB_IRQ = re.compile(r"^\s+irq: interrupts=(\d+) frames=(\d+) ticks=(\d+) "
                    r"ticks_per_frame=(\d+) busy_pps=(\d+)", re.M)
XB_RESULTS = re.compile(r"^\s+results:(.*)$", re.M)


def xdp_bench_show(g):
    out = g.cmd_ok("xdp bench show", 60)
    m = XB_HEAD.search(out)
    if not m:
        raise GuestError("'xdp bench show' answered unexpectedly:\n" + out)
    r = {"frames": int(m.group(2)), "window_ns": int(m.group(3)), "raw": out, "classes": {},
         "results": {}}
    for c in XB_CLASS.finditer(out):
        r["classes"][c.group(1)] = dict(zip(("frames", "median", "min", "max", "mean", "ticks"),
                                            map(int, c.groups()[1:])))
    i = XB_IRQ.search(out)
    if i:
        r["irq"] = dict(zip(("interrupts", "frames", "ticks", "ticks_per_frame", "busy_pps"),
                            map(int, i.groups())))
    rr = XB_RESULTS.search(out)
    if rr:
        r["results"] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rr.group(1))}
    return r


def wait_frames(g, wire, want=None, timeout=60):
    """Until the guest has taken `want` frames, or (want=None) its count stops
    moving; answers the guest's ARP meanwhile. Returns the last show."""
    end = time.time() + timeout
    last = None
    while True:
        wire.drain(0.05)
        r = xdp_bench_show(g)
        if want is not None and r["frames"] >= want:
            return r
        if want is None and last is not None and r["frames"] == last:
            return r
        if time.time() > end:
            if want is None:
                return r
            raise GuestError("the guest took %d of %d frames within %d s"
                             % (r["frames"], want, timeout))
        last = r["frames"]
        time.sleep(0.3)


def udp_frame(wire, dport):
    return net.eth(wire.guest_mac, net.HOST_MAC, net.ETH_P_IP,
                   net.ipv4(net.HOST_IP, net.GUEST_IP, 17,
                            net.udp(net.HOST_IP, net.GUEST_IP, 40009, dport, b"kprobe64-bench!!xx")))


def send_paced(wire, frame, n, batch=32, gap=0.004):
    for i in range(0, n, batch):
        for _ in range(min(batch, n - i)):
            wire.send(frame)
        time.sleep(gap)


def flood(wire, frame, seconds):
    sent, end = 0, time.time() + seconds
    while time.time() < end:
        for _ in range(256):
            wire.send(frame)
        sent += 256
    return sent


def time_drop(g, wire, frame, prog, res, log, name, what):
    """Per frame with `prog` attached (it must drop): descriptor read to verdict."""
    g.cmd_ok("xdp attach " + prog)
    try:
        g.cmd_ok("xdp bench start frame")
        send_paced(wire, frame, FRAME_PKTS)
        x = wait_frames(g, wire, FRAME_PKTS)
        g.cmd_ok("xdp bench stop")
    finally:
        g.cmd("xdp detach")
    log.append(("xdp bench (%s, per frame)" % what, x["raw"]))
    d = x["classes"].get("xdp_drop")
    if not d:
        raise GuestError("no xdp_drop frames timed (%s):\n%s" % (what, x["raw"]))
    res.add(name, d["median"], "tsc/pkt", "%s: descriptor -> verdict (median of %d; min %d, max %d)"
            % (what, d["frames"], d["min"], d["max"]))


def run_xdp(g, wire, res, log):
    frame = udp_frame(wire, NO_PORT)

    # 1. Per frame, the native drop program, then the seed's drop-all compiled
    # by clang and interpreted (samples/bpf/xdp_drop.c, an -initrd module).
    time_drop(g, wire, frame, "drop", res, log, "xdp_drop", "native drop")
    g.cmd_ok("bpf load boot:xdp_drop.o")
    try:
        time_drop(g, wire, frame, "bpf:xdp_prog", res, log, "xdp_ebpf_drop",
                  "seed drop-all as interpreted eBPF")
        run_stack_and_floods(g, wire, frame, res, log)
    finally:
        g.cmd("bpf unload xdp_prog")


def run_stack_and_floods(g, wire, frame, res, log):
    """With the eBPF drop-all loaded (step 3 attaches it too)."""
    # 2. Per frame, the same frame dropped by the stack: UDP, nobody listening.
    wire.drain(0.2)
    g.cmd_ok("xdp bench start frame")
    flood_n = 0
    for _ in range(2):      # quickly enough that the ICMP error limiter runs dry
        flood_n += flood(wire, frame, 0.3)
    x = wait_frames(g, wire, None, 60)
    g.cmd_ok("xdp bench stop")
    log.append(("xdp bench (stack, per frame)", x["raw"]))
    lim = x["classes"].get("udp_no_port/ratelimited")
    err = x["classes"].get("udp_no_port")
    if lim:
        res.add("stack_drop", lim["median"], "tsc/pkt",
                "UDP to no listener, ICMP error rate-limited (median of %d; min %d, max %d)"
                % (lim["frames"], lim["min"], lim["max"]))
    else:
        res.notes.append("no rate-limited udp_no_port frame was timed: stack_drop missing")
    if err:
        res.add("stack_drop_icmp", err["median"], "tsc/pkt",
                "UDP to no listener, ICMP port unreachable sent (median of %d)" % err["frames"])

    # 3. Floods: frames per tick of busy receive-interrupt time.
    # (the eBPF flood is what scripts/bench_linux_xdp.py's Linux rows compare with)
    for tag, prog, label in (("xdp_drop_flood", "drop", "native drop"),
                             ("xdp_ebpf_drop_flood", "bpf:xdp_prog",
                              "seed drop-all as interpreted eBPF"),
                             ("stack_drop_flood", None, "stack, UDP to no listener")):
        wire.drain(0.2)
        if prog:
            g.cmd_ok("xdp attach " + prog)
        try:
            g.cmd_ok("xdp bench start flood")
            t0 = time.time()
            sent = flood(wire, frame, FLOOD_SECONDS)
            secs = time.time() - t0
            x = wait_frames(g, wire, None, 60)
            g.cmd_ok("xdp bench stop")
        finally:
            if prog:
                g.cmd("xdp detach")
        log.append(("xdp bench (%s)" % tag, x["raw"]))
        i = x.get("irq")
        if not i or not i["frames"]:
            raise GuestError("no receive interrupt timed during the %s flood:\n%s"
                             % (tag, x["raw"]))
        r = x["results"]
        dropped = r.get("xdp_drop", 0) if prog else r.get("udp_no_port", 0)
        other = sum(v for k, v in r.items() if k not in ("xdp_drop", "udp_no_port",
                                                         "tx_icmp_ratelimited"))
        what = ("%s: %d frames (host sent %d in %.1f s), %.1f frames/interrupt, %d ticks/frame"
                % (label, i["frames"], sent,
                   secs, i["frames"] / i["interrupts"], i["ticks_per_frame"]))
        if not prog:
            what += ", %d ICMP errors sent" % (dropped - r.get("tx_icmp_ratelimited", 0))
        if other:
            what += ", %d other frames" % other
        res.add(tag, i["busy_pps"], "pps", what)
