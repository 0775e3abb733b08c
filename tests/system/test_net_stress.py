"""`stress net` on 4 CPUs with the NIC's interrupt routed to CPU 2: the
console CPU swaps XDP programs (each swap a grace period) while the host
floods the wire and CPU 2 takes every frame. The flood is paced on echo
replies (every program in the rotation passes ICMP), so nothing is lost
on the host and the guest must count exactly what was sent; the command
checks its own identities after every swap and at the end."""
import re
import threading

from guest import Guest, expect
from test_net_lib import (ETH_P_IP, GUEST_IP, HOST_IP, HOST_MAC, Wire, check_identity, delta,
                          eth, icmp_echo, ipv4, is_echo_reply, net_counters, nonzero, settle,
                          udp, wait_counter)

WIRE = None
BATCH = 64
WINDOW = 2
SECONDS = 60


def make_guest():
    global WIRE
    WIRE = Wire()
    g = Guest(net=WIRE.qemu_args(), smp=4)
    settle(g, WIRE)
    return g


def flood(stop, out):
    """Paced batches (BATCH-1 UDP datagrams to the discard port, then an
    echo request) until stop is set; out gets (frames, echo requests)."""
    mac = WIRE.guest_mac
    data = eth(mac, HOST_MAC, ETH_P_IP, ipv4(HOST_IP, GUEST_IP, 17,
                                             udp(HOST_IP, GUEST_IP, 40009, 9, b"stress" * 4)))
    sent = batch = 0
    try:
        while not stop.is_set():
            for _ in range(BATCH - 1):
                WIRE.send(data)
            WIRE.send(eth(mac, HOST_MAC, ETH_P_IP,
                          ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(0x5e, batch & 0xffff, b"ack"))))
            sent += BATCH
            if batch >= WINDOW - 1:
                seq = (batch - WINDOW + 1) & 0xffff
                if not WIRE.recv_match(lambda f: is_echo_reply(f, 0x5e, seq), 30):
                    out["error"] = "no echo reply for batch %d" % seq
                    return
            batch += 1
        for b in range(max(0, batch - WINDOW + 1), batch):
            if not WIRE.recv_match(lambda f: is_echo_reply(f, 0x5e, b & 0xffff), 30):
                out["error"] = "no echo reply for the last batches"
                return
    finally:
        out["sent"], out["pings"] = sent, batch


def irq_row(guest):
    m = re.search(r"^\s*(\d+)\s+\d+\s+(\d+)\s+eth0\s+(\d+)\s+\S+((?:\s+\d+)+)$",
                  guest.cmd_ok("irq"), re.M)
    expect(m, "no eth0 row in irq")
    return int(m.group(1)), int(m.group(3)), [int(x) for x in m.group(4).split()]


def test_route_nic_irq(guest):
    irq, cpu, counts = irq_row(guest)
    expect(cpu == 0, "eth0 starts on cpu %d" % cpu)
    expect(guest.cmd_ok("irq route eth0 2").strip() == "irq %d (eth0) -> cpu 2" % irq, "route")
    expect(re.search(r"^\s+irq %d  cpu 2$" % irq, guest.cmd_ok("ifconfig"), re.M), "ifconfig")
    expect(re.search(r"^\s*2\s+\d+\s+online\s+\d+\s+\d+\s+\d+\s+eth0\(%d\)$" % irq,
                     guest.cmd_ok("cpus"), re.M), "cpus does not show eth0 on cpu 2")
    for _ in range(3):
        expect(WIRE.ping(0x77, _ + 1), "no echo reply with the interrupt on cpu 2")
    _, cpu, after = irq_row(guest)
    expect(cpu == 2 and after[2] > counts[2] and after[0] == counts[0],
           "interrupts did not move to cpu 2: %s -> %s" % (counts, after))
    for bad in ("irq route eth0 4", "irq route eth0 x", "irq route eth9 1", "irq route",
                "irq frob"):
        guest.cmd_err(bad)
    expect(irq_row(guest)[1] == 2, "a refusal changed the route")


def test_stress_net_every_frame_accounted(guest):
    guest.cmd_ok("irq route eth0 2")
    heap = lambda: re.search(r"heap: (\d+) objects, (\d+) bytes", guest.cmd_ok("mem")).groups()
    h0 = heap()
    c0 = net_counters(guest)
    stop, res = threading.Event(), {}
    t = threading.Thread(target=flood, args=(stop, res))
    t.start()
    try:
        out = guest.cmd_ok("stress net %d" % SECONDS, timeout=SECONDS * 10 + 120)
    finally:
        stop.set()
        t.join()
    expect("error" not in res, res.get("error"))
    print("    # " + out.replace("\n", "\n    # "))
    m = re.search(r"stress net: (\d+) swaps, \d+ checks; (\d+) interrupts on cpu 2", out)
    expect(m and int(m.group(1)) > 0 and int(m.group(2)) > 0, out)
    expect("eth0 interrupts go to cpu 2" in out and "every frame accounted" in out, out)
    m = re.search(r"xdp aborted=0 drop=(\d+) pass=(\d+) tx=0 redirect=0 invalid=0 no_prog=(\d+)",
                  out)
    expect(m and all(int(x) > 0 for x in m.groups()), "the swaps did not show: " + out)

    sent, pings = res["sent"], res["pings"]
    c1 = wait_counter(guest, "rx_packets", c0["rx_packets"] + sent)
    d = delta(c0, c1)
    r = d["results"]
    expect(d["rx_packets"] - r["ok_arp"] == sent,
           "sent %d, the guest took %d off its ring (%d ARP)" % (sent, d["rx_packets"], r["ok_arp"]))
    expect(r["ok_icmp"] == pings and r["ok_udp"] + r["xdp_drop"] == sent - pings
           and d["rx_dropped"] == r["xdp_drop"], nonzero(d))
    check_identity(c1)
    expect(heap() == h0, "heap changed: %s -> %s" % (h0, heap()))
    guest.cmd_ok("irq route eth0 0")


def test_stress_net_refusals(guest):
    for bad in ("stress", "stress net", "stress net 0", "stress net x", "stress net 1 2",
                "stress nope 1"):
        guest.cmd_err(bad)
    guest.cmd_ok("xdp attach pass")
    try:
        expect("detach it first" in guest.cmd_err("stress net 1"), "ran with a program attached")
    finally:
        guest.cmd_ok("xdp detach")
