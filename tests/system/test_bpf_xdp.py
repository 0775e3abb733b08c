"""The XDP samples (samples/bpf/, loaded from the ISO) on a guest with two
e1000s, each on its own QEMU socket netdev: eth0 wired to WIRE0, eth1 to
WIRE1. Frames built with scapy go in on eth0; what comes back out of eth0
(XDP_TX) or out of eth1 (XDP_REDIRECT) is read on the host side and
compared byte for byte, and the guest's counters are checked exactly.
Nothing but the harness sends frames, so every count is known."""
import json
import re
import time

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from guest import Guest, expect
from test_net_lib import (GUEST_IP, HOST_IP, HOST_MAC, Wire, delta, mac, net_counters, settle,
                          wait_counter, xdp_counters)

WIRE0 = WIRE1 = None
ETH1_MAC = "52:54:00:12:34:57"
PEER_MAC = "02:00:00:00:00:42"      # a station that is not the harness


def make_guest():
    global WIRE0, WIRE1
    WIRE0, WIRE1 = Wire(), Wire()
    g = Guest(net=WIRE0.qemu_args() + WIRE1.qemu_args(netdev="n1", mac=ETH1_MAC))
    settle(g, WIRE0)
    return g


def guest_mac():
    return mac(WIRE0.guest_mac)


def udp_frame(i, src=PEER_MAC, dport=9, size=80):
    """A UDP frame to the guest, at least size bytes (no padding to undo)."""
    body = (b"frame %04d " % i).ljust(size - 42, b".")
    return bytes(Ether(dst=guest_mac(), src=src) / IP(src=HOST_IP, dst=GUEST_IP) /
                 UDP(sport=41000 + i, dport=dport) / Raw(body))


def wait_xdp(guest, key, target, iface="eth0", timeout=10.0):
    """Poll `xdp status IFACE` until counter key reaches target."""
    end = time.time() + timeout
    while True:
        x = xdp_counters(guest, iface)
        if x[key] >= target or time.time() > end:
            return x
        time.sleep(0.1)


def map_entries(guest, name):
    """`bpf map dump` of a map with BTF: one JSON object per entry."""
    out = guest.cmd_ok("bpf map dump %s" % name)
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def percpu_sum(entry):
    return sum(v["value"] for v in entry["values"])


def test_mac_swap_reflects_every_frame(guest):
    guest.cmd_ok("bpf load boot:xdp_mac_swap.o ms")
    try:
        guest.cmd_ok("xdp attach bpf:ms.xdp_mac_swap eth0")
        try:
            x0, c0 = xdp_counters(guest), net_counters(guest)
            n = 12
            frames = [udp_frame(i) for i in range(n)]
            for f in frames:
                WIRE0.send(f)
            back = []
            for _ in range(n):
                f = WIRE0.recv_match(lambda f: f[12:] in [s[12:] for s in frames], 10)
                expect(f is not None, "only %d of %d frames came back" % (len(back), n))
                back.append(f)
            for f in back:
                sent = frames[[s[12:] for s in frames].index(f[12:])]
                expect(f[0:6] == sent[6:12] and f[6:12] == sent[0:6],
                       "MACs not swapped: sent %s > %s, got %s > %s"
                       % (sent[6:12].hex(), sent[0:6].hex(), f[6:12].hex(), f[0:6].hex()))
            expect(sorted(back) == sorted(bytes(f[6:12] + f[0:6] + f[12:]) for f in frames),
                   "a frame came back twice or changed")
            x1, c1 = xdp_counters(guest), net_counters(guest)
            expect(x1["tx.packets"] - x0["tx.packets"] == n, x1["raw"])
            expect(delta(c0, c1)["results"]["ok_xdp_tx"] == n, delta(c0, c1)["results"])
            expect(delta(c0, c1)["results"].get("ok_udp", 0) == 0, "a reflected frame reached UDP")
        finally:
            guest.cmd_ok("xdp detach eth0")
    finally:
        guest.cmd_ok("bpf unload ms")


def test_proto_count_counts_exactly(guest):
    """Known numbers of TCP, UDP, ICMP and non-IPv4 frames; the per-CPU
    array holds exactly those numbers, summed over the CPUs."""
    guest.cmd_ok("bpf load boot:xdp_proto_count.o pc")
    try:
        guest.cmd_ok("xdp attach bpf:pc.xdp_proto_count eth0")
        try:
            gm = guest_mac()
            want = {6: 5, 17: 7, 1: 3, 0: 2}
            frames = []
            for i in range(want[6]):
                frames.append(Ether(dst=gm, src=mac(HOST_MAC)) / IP(src=HOST_IP, dst=GUEST_IP) /
                              TCP(sport=30000 + i, dport=80, flags="S"))
            for i in range(want[17]):
                frames.append(Ether(dst=gm, src=mac(HOST_MAC)) / IP(src=HOST_IP, dst=GUEST_IP) /
                              UDP(sport=31000 + i, dport=9) / Raw(b"count"))
            for i in range(want[1]):
                frames.append(Ether(dst=gm, src=mac(HOST_MAC)) / IP(src=HOST_IP, dst=GUEST_IP) /
                              ICMP(type=8, id=0x77, seq=i) / Raw(b"count"))
            for i in range(want[0]):
                frames.append(Ether(dst=gm, src=mac(HOST_MAC)) /
                              ARP(op=1, hwsrc=mac(HOST_MAC), psrc=HOST_IP, pdst="10.0.2.%d" % (200 + i)))
            x0 = xdp_counters(guest)
            for f in frames:
                WIRE0.send(bytes(f))
            # the evidence that every frame was seen: the pass counter
            x1 = wait_xdp(guest, "pass.packets", x0["pass.packets"] + len(frames))
            expect(x1["pass.packets"] - x0["pass.packets"] == len(frames), x1["raw"])
            got = {e["key"]: percpu_sum(e) for e in map_entries(guest, "pc.proto_count")
                   if percpu_sum(e)}
            expect(got == want, "proto_count %s, sent %s" % (got, want))
            one = guest.cmd_ok("bpf map lookup pc.proto_count 17")
            expect(percpu_sum(json.loads(one.strip().splitlines()[0])) == want[17], one)
        finally:
            guest.cmd_ok("xdp detach eth0")
    finally:
        guest.cmd_ok("bpf unload pc")
    WIRE0.drain(0.2)    # the echo replies and TCP/ICMP answers


def redirected_out_of_eth1(guest, frames):
    """Send frames into eth0; every one must come out of eth1 unchanged."""
    for f in frames:
        WIRE0.send(f)
    got = []
    for _ in frames:
        f = WIRE1.recv(10, answer_arp=False)
        expect(f is not None, "%d of %d frames came out of eth1" % (len(got), len(frames)))
        got.append(f)
    expect(sorted(got) == sorted(frames), "frames changed on the way through")


def forward(guest, iface):
    x = xdp_counters(guest, iface)
    return {k.split(".")[1]: v for k, v in x.items() if k.startswith("forward.")}


def ifconfig_redirect(guest, iface):
    """The `XDP redirected N  errors N  xmit N  errors N` line of ifconfig."""
    out = guest.cmd_ok("ifconfig")
    block = out[out.index(iface + ":"):]
    m = re.search(r"XDP redirected (\d+)  errors (\d+)  xmit (\d+)  errors (\d+)", block)
    return tuple(int(v) for v in m.groups())


def test_redirect_map_sends_eth0_frames_out_of_eth1(guest):
    guest.cmd_ok("bpf load boot:xdp_redirect.o rd")
    try:
        guest.cmd_ok("bpf map update rd.tx_port 0 value 2")      # eth1's ifindex
        guest.cmd_ok("xdp attach bpf:rd.xdp_redirect_port eth0")
        try:
            f0, f1 = forward(guest, "eth0"), forward(guest, "eth1")
            c0, e0 = net_counters(guest), net_counters(guest, "eth1")
            i0 = ifconfig_redirect(guest, "eth1")
            n = 20
            redirected_out_of_eth1(guest, [udp_frame(i) for i in range(n)])
            g0, g1 = forward(guest, "eth0"), forward(guest, "eth1")
            expect(g0["redirected"] - f0["redirected"] == n and g0["redirect_err"] == f0["redirect_err"], g0)
            expect(g1["xdp_xmit"] - f1["xdp_xmit"] == n and g1["xdp_xmit_err"] == f1["xdp_xmit_err"], g1)
            d = delta(c0, net_counters(guest))
            expect(d["results"]["ok_xdp_redirect"] == n, d["results"])
            e1 = net_counters(guest, "eth1")
            expect(e1["tx_queued"] - e0["tx_queued"] == n, "eth1 tx_queued moved by %d"
                   % (e1["tx_queued"] - e0["tx_queued"]))
            expect(e1["rx_packets"] == e0["rx_packets"], "eth1 received something")
            expect(ifconfig_redirect(guest, "eth1")[2] - i0[2] == n, guest.cmd_ok("ifconfig"))

            # an empty slot: bpf_redirect_map's fallback, XDP_PASS
            guest.cmd_ok("bpf map delete rd.tx_port 0")
            x0 = xdp_counters(guest)
            for i in range(3):
                WIRE0.send(udp_frame(100 + i))
            x1 = wait_xdp(guest, "pass.packets", x0["pass.packets"] + 3)
            expect(x1["pass.packets"] - x0["pass.packets"] == 3, x1["raw"])
            expect(net_counters(guest, "eth1")["tx_queued"] == e1["tx_queued"],
                   "a passed frame went out of eth1")

            # a slot naming no interface: the redirect fails, counted and traced
            guest.cmd_ok("bpf map update rd.tx_port 0 value 9")
            c0 = net_counters(guest)
            for i in range(4):
                WIRE0.send(udp_frame(200 + i))
            c1 = wait_counter(guest, "xdp_redirect_err", c0["results"]["xdp_redirect_err"] + 4)
            expect(delta(c0, c1)["results"]["xdp_redirect_err"] == 4, delta(c0, c1)["results"])
            expect(forward(guest, "eth0")["redirect_err"] - g0["redirect_err"] == 4,
                   forward(guest, "eth0"))
            expect(re.search(r"xdp_exception: prog=bpf:rd.xdp_redirect_port id=\d+ "
                             r"action=REDIRECT ifindex=1", guest.cmd_ok("dmesg")), "no exception")
            expect(net_counters(guest, "eth1")["tx_queued"] == e1["tx_queued"], "went out anyway")
        finally:
            guest.cmd_ok("xdp detach eth0")
    finally:
        guest.cmd_ok("bpf unload rd")


def test_redirect_by_ifindex(guest):
    """bpf_redirect(out_ifindex) with the .rodata default, eth1's ifindex."""
    guest.cmd_ok("bpf load boot:xdp_redirect.o ri")
    try:
        guest.cmd_ok("xdp attach bpf:ri.xdp_redirect_ifindex eth0")
        try:
            f1 = forward(guest, "eth1")
            redirected_out_of_eth1(guest, [udp_frame(300 + i, size=200) for i in range(8)])
            expect(forward(guest, "eth1")["xdp_xmit"] - f1["xdp_xmit"] == 8, forward(guest, "eth1"))
        finally:
            guest.cmd_ok("xdp detach eth0")
    finally:
        guest.cmd_ok("bpf unload ri")


def test_xdp_on_eth1_and_refusals(guest):
    """A program on eth1 sees eth1's frames only; eth0 keeps its state."""
    guest.cmd_ok("bpf load boot:xdp_drop.o d1")
    try:
        out = guest.cmd_ok("xdp attach bpf:d1.xdp_prog eth1")
        expect("eth1: attached bpf:d1.xdp_prog" in out, out)
        try:
            expect(xdp_counters(guest, "eth1")["prog"] == "bpf:d1.xdp_prog", "not on eth1")
            expect(xdp_counters(guest)["prog"] is None, "eth0 got a program too")
            x0 = xdp_counters(guest, "eth1")
            for i in range(3):
                WIRE1.send(bytes(Ether(dst=ETH1_MAC, src=PEER_MAC) / IP(src=HOST_IP, dst="10.0.3.1") /
                                 UDP(dport=9) / Raw(b"to eth1")))
            x1 = wait_xdp(guest, "drop.packets", x0["drop.packets"] + 3, "eth1")
            expect(x1["drop.packets"] - x0["drop.packets"] == 3, x1["raw"])
            for line in ("xdp detach eth7", "xdp status eth7", "xdp attach bpf:d1.xdp_prog eth7"):
                guest.cmd_err(line)
        finally:
            guest.cmd_ok("xdp detach eth1")
    finally:
        guest.cmd_ok("bpf unload d1")
