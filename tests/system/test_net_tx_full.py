"""XDP_TX with no free transmit descriptor. QEMU's e1000 sends a frame the
moment the driver hands it over, so the ring never fills by itself; the
txstall module (tests/modules/txstall.c) stops the driver from reclaiming
sent descriptors, which is how the ring looks when a real NIC falls
behind. With tx-reflect attached, frames beyond the free descriptors must
be counted as xdp_tx_err drops, the ones that went out must be intact and
in order, and once reclaim runs again everything flows and adds up."""
import os
import re
import struct

from guest import Guest, ROOT, expect

from test_net_lib import (ETH_P_IP, GUEST_IP, HOST_IP, HOST_MAC, Wire, check_identity, check_udp,
                          delta, eth, ipv4, is_udp_to, net_counters, nonzero, parse_eth, parse_ipv4,
                          settle, udp, wait_counter, xdp_counters)

MOD_ISO = os.path.join(ROOT, "build", "kprobe64-modules.iso")
NUM_TX_DESC = 256           # drivers/net/e1000.c: one slot always stays empty
WIRE = None


def make_guest():
    global WIRE
    WIRE = Wire()
    g = Guest(iso=MOD_ISO, net=WIRE.qemu_args())
    settle(g, WIRE)
    return g


def frame(i):
    """UDP from the harness, source port 41000 + i: its reflection comes back to it."""
    return eth(WIRE.guest_mac, HOST_MAC, ETH_P_IP,
               ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 1234, 41000 + i, b"tx %d" % i)))


def reflected():
    """Which frames came back reflected (i of frame(i)), in order. tx-reflect
    swaps addresses, not ports: the reflection still goes to 41000 + i."""
    got = []
    while True:
        f = WIRE.queued(lambda f: True)
        if f is None:
            return got
        e = parse_eth(f)
        if e and e[2] == ETH_P_IP and e[3][9] == 17:
            check_udp(parse_ipv4(e[3]))         # intact: both checksums still right
            got.append(struct.unpack("!H", e[3][(e[3][0] & 15) * 4 + 2:][:2])[0] - 41000)


def send_paced(guest, first, n, before):
    """Frames first..first+n-1 in batches the RX ring holds, each batch
    taken off the ring (rx_packets) before the next is sent."""
    rx = before["rx_packets"]
    for b in range(first, first + n, 50):
        k = min(50, first + n - b)
        for i in range(b, b + k):
            WIRE.send(frame(i))
        rx += k
        c = wait_counter(guest, "rx_packets", rx)
        expect(c["rx_packets"] == rx, "the guest took %d frames off its ring, sent %d"
               % (c["rx_packets"] - before["rx_packets"], rx - before["rx_packets"]))
    return c


def test_xdp_tx_with_the_ring_full(guest):
    n = 400
    guest.cmd_ok("xdp attach tx-reflect")
    try:
        WIRE.drain(0.3)
        c0, x0 = net_counters(guest), xdp_counters(guest)
        guest.cmd_ok("insmod boot:txstall.ko")
        try:
            c1 = send_paced(guest, 0, n, c0)
            x1 = xdp_counters(guest)
            back = reflected()
        finally:
            out = guest.cmd_ok("rmmod txstall")
        expect(re.search(r"txstall: skipped [1-9]\d* reclaims", out + guest.cmd_ok("dmesg")),
               "the stall never acted:\n" + out)
        d = delta(c0, c1)
        ok, err = d["results"]["ok_xdp_tx"], d["results"]["xdp_tx_err"]
        expect(x1["tx.packets"] - x0["tx.packets"] == n, "the program returned XDP_TX %d times"
               % (x1["tx.packets"] - x0["tx.packets"]))
        expect(ok + err == n and 0 < ok < NUM_TX_DESC and err >= n - (NUM_TX_DESC - 1), nonzero(d))
        # once full it stays full: the first `ok` frames went out, each intact
        expect(back == list(range(ok)), "reflected %d frames: %s..., queued %d"
               % (len(back), back[:8], ok))
        check_identity(c1)

        # reclaim runs again: the next frames go out, and the sent ones are counted
        c2 = net_counters(guest)
        c3 = send_paced(guest, n, 20, c2)
        d3 = delta(c2, c3)
        expect(d3["results"]["ok_xdp_tx"] == 20 and d3["results"]["xdp_tx_err"] == 0, nonzero(d3))
        expect(reflected() == list(range(n, n + 20)), "frames after the stall")
        expect(c3["tx_packets"] - c0["tx_packets"] >= ok, "sent descriptors not reclaimed: %d of %d"
               % (c3["tx_packets"] - c0["tx_packets"], ok))
        check_identity(c3)
    finally:
        guest.cmd_ok("xdp detach")
    # and the stack answers as before
    WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 41999, 7, b"echo")))
    expect(WIRE.recv_match(lambda f: is_udp_to(f, 41999), 30), "UDP echo after the stall")
