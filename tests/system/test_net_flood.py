"""Floods over the socket netdev: the driver must not lock up and every frame
it takes off its ring must be accounted for.

Paced floods keep at most two batches in flight (each batch ends with an
echo request, and the harness waits for the reply to the batch before last),
so nothing is lost on the way and the guest must count exactly what was
sent. The overload flood sends as fast as Python can: the host socket drops
what QEMU cannot take, so only the identity and the guest's health are
checked, not the totals."""
import time

from guest import expect
from test_net_lib import (ETH_P_IP, GUEST_IP, HOST_IP, HOST_MAC, check_identity, delta, eth,
                          icmp_echo, ipv4, is_echo_reply, net_counters, nonzero, udp,
                          wait_counter, wired_guest, xdp_counters)

WIRE = None
BATCH = 64
WINDOW = 2


def make_guest():
    global WIRE
    g, WIRE = wired_guest()
    return g


def paced_flood(total, dport=9, ident=0x700):
    """Send total frames (UDP to dport, every BATCH-th an echo request);
    returns (frames sent, echo requests among them, seconds)."""
    mac = WIRE.guest_mac
    data = eth(mac, HOST_MAC, ETH_P_IP, ipv4(HOST_IP, GUEST_IP, 17,
                                             udp(HOST_IP, GUEST_IP, 40009, dport, b"flood" * 4)))
    sent = pings = 0
    t0 = time.time()
    batch = 0
    while sent < total:
        for _ in range(BATCH - 1):
            WIRE.send(data)
        WIRE.send(eth(mac, HOST_MAC, ETH_P_IP,
                      ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(ident, batch & 0xffff, b"ack"))))
        sent += BATCH
        pings += 1
        if batch >= WINDOW - 1:
            seq = (batch - WINDOW + 1) & 0xffff
            expect(WIRE.recv_match(lambda f: is_echo_reply(f, ident, seq), 10),
                   "no echo reply for batch %d: the guest stalled" % seq)
        batch += 1
    for b in range(max(0, batch - WINDOW + 1), batch):
        expect(WIRE.recv_match(lambda f: is_echo_reply(f, ident, b & 0xffff), 10),
               "no echo reply for the last batches")
    return sent, pings, time.time() - t0


def test_flood_100k_paced(guest):
    c0 = net_counters(guest)
    sent, pings, secs = paced_flood(100032)
    c1 = wait_counter(guest, "rx_packets", c0["rx_packets"] + sent)
    d = delta(c0, c1)
    print("    # paced flood: %d frames in %.2f s (%.0f frames/s), %d interrupts, "
          "%d budget exhaustions" % (sent, secs, sent / secs, d["drv_irqs"],
                                     d["drv_rx_budget_hits"]))
    expect(d["rx_packets"] == sent, "sent %d, the guest took %d off its ring"
           % (sent, d["rx_packets"]))
    r = d["results"]
    expect(r["ok_udp"] == sent - pings and r["ok_icmp"] == pings and d["rx_dropped"] == 0,
           nonzero(d))
    expect(d["tx_packets"] >= pings and d["tx_dropped"] == 0, "echo replies lost in transmit")
    check_identity(c1)


def test_flood_xdp_drop_paced(guest):
    """The same through an XDP program that drops the UDP part of it."""
    guest.cmd_ok("xdp attach drop-udp 9")
    try:
        c0, x0 = net_counters(guest), xdp_counters(guest)
        sent, pings, secs = paced_flood(50048, ident=0x701)
        c1 = wait_counter(guest, "rx_packets", c0["rx_packets"] + sent)
        x1 = xdp_counters(guest)
    finally:
        guest.cmd_ok("xdp detach")
    d = delta(c0, c1)
    print("    # xdp drop flood: %d frames in %.2f s (%.0f frames/s)" % (sent, secs, sent / secs))
    expect(d["rx_packets"] == sent, "sent %d, took %d" % (sent, d["rx_packets"]))
    expect(x1["drop.packets"] - x0["drop.packets"] == sent - pings, x1["raw"])
    expect(x1["pass.packets"] - x0["pass.packets"] == pings, x1["raw"])
    expect(d["results"]["xdp_drop"] == sent - pings and d["results"]["ok_icmp"] == pings and
           d["results"]["ok_udp"] == 0, nonzero(d))
    check_identity(c1)


def test_flood_overload(guest):
    """Faster than the guest can take: the host drops the excess; the guest
    must keep its books straight and answer afterwards."""
    mac = WIRE.guest_mac
    frames = [
        eth(mac, HOST_MAC, ETH_P_IP, ipv4(HOST_IP, GUEST_IP, 17,
                                          udp(HOST_IP, GUEST_IP, 40010, 9, b"overload"))),
        eth(mac, HOST_MAC, ETH_P_IP, ipv4(HOST_IP, GUEST_IP, 17,
                                          udp(HOST_IP, GUEST_IP, 40011, 7, b"echo me"))),
        eth(mac, HOST_MAC, ETH_P_IP, ipv4(HOST_IP, GUEST_IP, 17, b"\0" * 30, check=1)),
        eth(mac, HOST_MAC, 0x86dd, b"\x60" + b"\0" * 60),
    ]
    c0 = net_counters(guest)
    t0 = time.time()
    n = 40000
    for i in range(n):
        WIRE.send(frames[i & 3])
    secs = time.time() - t0
    WIRE.drain(0.5)
    end = time.time() + 120
    while not WIRE.ping(0x702, 1, timeout=1):
        expect(time.time() < end, "the guest stopped answering after the overload")
    c1 = net_counters(guest)
    d = delta(c0, c1)
    print("    # overload: sent %d in %.2f s, the guest took %d, device missed %d"
          % (n, secs, d["rx_packets"], d["hw_mpc"]))
    expect(0 < d["rx_packets"] <= n + 1, "took %d of %d" % (d["rx_packets"], n))
    expect(d["results"]["ip_csum"] > 0 and d["results"]["eth_type"] > 0 and
           d["results"]["ok_udp"] > 0, nonzero(d))
    check_identity(c1)
    expect(guest.cmd_ok("version").startswith("kprobe64"), "console dead after overload")
