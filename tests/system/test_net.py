"""The e1000 driver, the IPv4 stack and the XDP hook, driven with raw frames
over QEMU's socket netdev (see test_net_lib). One guest for the module; the
harness is host 10.0.2.99. Every test checks the receive accounting
identity (rx_packets == delivered + dropped-by-reason) as it goes."""
import json
import os
import random
import re
import socket
import struct
import tempfile
import threading
import time

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP
from scapy.packet import Raw, fuzz

from guest import expect

from test_net_lib import (BCAST, ETH_P_ARP, ETH_P_IP, GUEST_IP, HOST_IP, HOST_MAC, OTHER_IP, arp,
                          check_icmp, check_identity, check_udp, delta, eth, icmp_echo, ip_bytes,
                          ipv4, is_echo_reply, is_udp_to, net_counters, nonzero, parse_eth,
                          parse_ipv4, rand_bytes, udp, wait_counter, wait_xdp, wired_guest,
                          xdp_counters)

WIRE = None
QMP_PATH = None


def make_guest():
    global WIRE, QMP_PATH
    QMP_PATH = os.path.join(tempfile.mkdtemp(prefix="kp-net-"), "qmp.sock")
    g, WIRE = wired_guest(["-qmp", "unix:%s,server=on,wait=off" % QMP_PATH])
    return g


def qmp(cmd, **args):
    """One QMP command on the guest's QEMU; returns the reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(QMP_PATH)
    f = s.makefile("rw")
    f.readline()                                    # greeting
    for c in ({"execute": "qmp_capabilities"}, {"execute": cmd, "arguments": args}):
        f.write(json.dumps(c) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                break
    s.close()
    expect("return" in r, "QMP %s failed: %s" % (cmd, r))
    return r


def send_udp(dport, payload, sport=40000, src=HOST_IP):
    WIRE.send_ip(ipv4(src, GUEST_IP, 17, udp(src, GUEST_IP, sport, dport, payload)))


XDP_SLOTS = ("aborted", "drop", "pass", "tx", "redirect", "invalid", "no_prog")


def xdp_seen(guest):
    """Frames the hook has run on, whatever the verdict."""
    x = xdp_counters(guest)
    return sum(x.get(s + ".packets", 0) for s in XDP_SLOTS)


def detach(guest):
    guest.cmd_ok("xdp detach")
    expect(xdp_counters(guest)["prog"] is None, "a program is still attached")


# ---- driver and stack ----

def test_boot_and_lspci(guest):
    out = guest.output()
    expect(re.search(r"e1000: eth0: e1000 82540EM at 00:\w\w\.0, irq \d+, mmio 0x[0-9a-f]+, "
                     r"mac 52:54:00:12:34:56 \(eeprom\), 256/256 descriptors", out), out[-1500:])
    expect("eth0: link is up, 1000 Mb/s, full duplex" in out, "no link-state message")
    ls = guest.cmd_ok("lspci")
    m = re.search(r"^00:(\w\w)\.0 8086:100e class 020000 Ethernet controller irq (\d+) \(INTA\) "
                  r"bar0=mem32:0x[0-9a-f]+/128K bar1=io:0x[0-9a-f]+/64 \[driver\]$", ls, re.M)
    expect(m, "lspci lacks the e1000 line:\n" + ls)
    expect(re.search(r"^00:00\.0 8086:1237 class 060000 Host bridge$", ls, re.M), ls)
    guest.cmd_err("lspci -v")
    ifc = guest.cmd_ok("ifconfig")
    for s in ("inet 10.0.2.15/24", "netmask 255.255.255.0", "broadcast 10.0.2.255",
              "gateway 10.0.2.2", "ether 52:54:00:12:34:56", "link up 1000 Mb/s full duplex",
              "flags=<UP,BROADCAST,RUNNING>", "xdp none"):
        expect(s in ifc, "ifconfig lacks %r:\n%s" % (s, ifc))


def test_arp_request_reply(guest):
    before = net_counters(guest)
    mac = WIRE.arp_resolve()
    expect(mac == bytes.fromhex("525400123456"), "guest MAC %s" % mac.hex())
    # the request was for the guest, so the guest learned us
    out = guest.cmd_ok("arp")
    expect(re.search(r"^10\.0\.2\.99 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE", out, re.M), out)
    # a request for someone else: no reply, counted
    WIRE.send(eth(BCAST, HOST_MAC, ETH_P_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, "10.0.2.88")))
    after = wait_counter(guest, "arp_not_us", before["results"]["arp_not_us"] + 1)
    f = WIRE.queued(lambda f: f[12:14] == b"\x08\x06" and f[28:32] == ip_bytes("10.0.2.88"))
    expect(f is None, "the guest answered ARP for an address it does not have")
    d = delta(before, after)
    # (arp_resolve repeats its request if a reply is slow: at least one)
    expect(d["results"]["ok_arp"] >= 1 and d["results"]["arp_not_us"] == 1, nonzero(d))
    check_identity(after)


def test_icmp_echo_reply(guest):
    before = net_counters(guest)
    for seq, data in enumerate((b"", b"a", b"kprobe64" * 9, bytes(range(256)) * 5)):
        f = WIRE.ping(0x1234, seq + 1, data)
        expect(f is not None, "no echo reply for %d data bytes" % len(data))
        dst, src, proto, p = parse_eth(f)
        expect(dst == HOST_MAC and src == WIRE.guest_mac and proto == ETH_P_IP, "bad Ethernet header")
        ip = parse_ipv4(p)                      # checks the header checksum
        expect(ip["src"] == GUEST_IP and ip["dst"] == HOST_IP and ip["proto"] == 1, ip)
        typ, code, ident, s, body = check_icmp(ip)   # checks the ICMP checksum
        expect((typ, code, ident, s, body) == (0, 0, 0x1234, seq + 1, data), "echo reply differs")
    after = net_counters(guest)
    d = delta(before, after)
    expect(d["results"]["ok_icmp"] == 4 and d["rx_dropped"] == 0, nonzero(d))
    check_identity(after)


def test_arp_resolution_before_reply(guest):
    guest.cmd_ok("arp flush")
    expect("no ARP entries" in guest.cmd_ok("arp"), "arp flush left entries")
    answered = WIRE.arp_answered
    f = WIRE.ping(7, 1)
    expect(f is not None, "no echo reply after the guest had to resolve us")
    expect(WIRE.arp_answered == answered + 1, "the guest did not ARP for the harness first")
    out = guest.cmd_ok("arp")
    expect("10.0.2.99 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE" in out, out)
    guest.cmd_err("arp now")


def test_udp_echo_and_discard(guest):
    before = net_counters(guest)
    for n, payload in enumerate((b"x", b"hello, echo", bytes(range(256)) * 5 + b"\x01" * 192)):
        send_udp(7, payload, sport=50000 + n)
        f = WIRE.recv_match(lambda f: is_udp_to(f, 50000 + n), 30)
        expect(f is not None, "no UDP echo for %d bytes" % len(payload))
        ip = parse_ipv4(parse_eth(f)[3])
        expect(ip["src"] == GUEST_IP and ip["dst"] == HOST_IP, ip)
        sport, dport, data = check_udp(ip)      # checks the UDP checksum
        expect((sport, dport, data) == (7, 50000 + n, payload), "echo differs")
    # no checksum (0) is allowed over IPv4
    WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 50010, 7, b"nocsum", check=0)))
    expect(WIRE.recv_match(lambda f: is_udp_to(f, 50010), 30), "no echo for checksum 0")
    send_udp(9, b"into the void", sport=50011)
    after = wait_counter(guest, "ok_udp", before["results"]["ok_udp"] + 5)
    expect(WIRE.queued(lambda f: is_udp_to(f, 50011)) is None, "discard answered")
    d = delta(before, after)
    expect(d["results"]["ok_udp"] == 5 and d["rx_dropped"] == 0, nonzero(d))
    check_identity(after)


def test_unknown_protocol_and_no_listener(guest):
    before = net_counters(guest)
    WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 99, b"what is this" * 3))
    f = WIRE.recv_match(lambda f: f[12:14] == b"\x08\x00" and f[23] == 1, 30)
    expect(f, "no ICMP protocol unreachable")
    typ, code, _, _, body = check_icmp(parse_ipv4(parse_eth(f)[3]))
    expect((typ, code) == (3, 2) and body[9] == 99, "not protocol unreachable: %d/%d" % (typ, code))
    send_udp(5555, b"anyone?", sport=41000)
    f = WIRE.recv_match(lambda f: f[12:14] == b"\x08\x00" and f[23] == 1, 30)
    expect(f, "no ICMP port unreachable")
    typ, code, _, _, body = check_icmp(parse_ipv4(parse_eth(f)[3]))
    expect((typ, code) == (3, 3), "not port unreachable: %d/%d" % (typ, code))
    expect(struct.unpack("!HH", body[20:24]) == (41000, 5555), "quote is not our datagram")
    WIRE.send(eth(WIRE.guest_mac, HOST_MAC, 0x88b5, b"local experimental ethertype" * 2))
    after = wait_counter(guest, "eth_type", before["results"]["eth_type"] + 1)
    d = delta(before, after)
    expect(d["results"]["ip_proto"] == 1 and d["results"]["udp_no_port"] == 1 and
           d["results"]["eth_type"] == 1 and d["rx_packets"] == 3, nonzero(d))
    check_identity(after)


def test_guest_pings_harness(guest):
    guest.send("ping %s 2\r" % HOST_IP)
    replies, end = 0, time.time() + 6
    while replies < 2 and time.time() < end:
        f = WIRE.recv(0.5)
        e = f and parse_eth(f)
        if not e or e[2] != ETH_P_IP or e[3][9] != 1:
            continue
        ip = parse_ipv4(e[3])
        typ, code, ident, seq, data = check_icmp(ip)
        if typ != 8:
            continue
        expect(ip["src"] == GUEST_IP and ip["dst"] == HOST_IP and len(data) == 56, ip)
        WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(ident, seq, data, typ=0), ttl=42))
        replies += 1
    out = guest.read_until("kp> ", 10)
    expect(replies == 2, "the guest sent %d echo requests" % replies)
    expect(re.search(r"64 bytes from 10\.0\.2\.99: icmp_seq=1 ttl=42 time=\d+\.\d{3} ms", out), out)
    expect("2 packets transmitted, 2 received, 0% packet loss" in out, out)
    expect(re.search(r"rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms", out), out)


def test_console_errors_change_nothing(guest):
    before = guest.cmd_ok("ifconfig")
    for c in ("ifconfig 10.0.2.15", "ifconfig 10.0.2.15/33", "ifconfig 10.0.2.15/0",
              "ifconfig 300.1.1.1/24", "ifconfig 10.0.2.15/24 gw",
              "ifconfig 10.0.2.15/24 gw 10.9.9.9", "ifconfig 10.0.2.15/24 via 10.0.2.2",
              "ifconfig gw 1.2.3.4.5", "ifconfig 0.0.0.0/8", "ifconfig 10.0.2.0/24",
              "ifconfig 10.0.2.255/24", "ifconfig 224.0.0.1/4", "ifconfig gw 10.0.2.15",
              "ifconfig 10.0.2.15/24 gw 10.0.2.2 extra", "ifconfig x/24",
              "ping", "ping x", "ping 10.0.2.2 0", "ping 10.0.2.2 1001", "ping 10.0.2.2 x",
              "ping 10.0.2.15", "ping 255.255.255.255", "ping 10.0.2.255", "ping 1 2 3",
              "arp x", "arp flush now", "net eth0",
              "xdp", "xdp frob", "xdp list all", "xdp attach", "xdp attach nosuch",
              "xdp attach drop extra", "xdp attach drop-udp", "xdp attach drop-udp 0",
              "xdp attach drop-udp 65536", "xdp attach drop-udp seven", "xdp attach drop-udp 7 8",
              "xdp attach drop-proto", "xdp attach drop-proto sctp", "xdp attach drop-src 1.2.3",
              "xdp attach ret", "xdp attach ret -1", "xdp attach ret 4294967296",
              "xdp detach now", "xdp detach eth0 x", "xdp status eth9", "xdp status eth0 x"):
        guest.cmd_err(c)
    expect(guest.cmd_ok("ifconfig") == before, "a refused command changed the interface")
    expect(xdp_counters(guest)["prog"] is None, "a refused attach attached something")
    out = guest.cmd_ok("xdp list")
    for p in ("drop", "pass", "abort", "drop-udp PORT", "drop-proto icmp|udp|tcp|arp",
              "drop-src IP", "count", "tx-reflect", "ret VERDICT"):
        expect(re.search(r"^  %s\s" % re.escape(p), out, re.M), "xdp list lacks %s" % p)


def test_ifconfig_change_address(guest):
    out = guest.cmd_ok("ifconfig 10.0.2.16/24 gw 10.0.2.1")
    expect("inet 10.0.2.16/24" in out and "gateway 10.0.2.1" in out, out)
    try:
        WIRE.send(eth(BCAST, HOST_MAC, ETH_P_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, "10.0.2.16")))
        f = WIRE.recv_match(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02", 30)
        expect(f and f[28:32] == ip_bytes("10.0.2.16"), "no ARP reply for the new address")
        out = guest.cmd_ok("ifconfig 192.168.7.5/16")
        expect("gateway 10.0.2.1 is off-link now; removed" in out and "gateway none" in out, out)
        out = guest.cmd_ok("ifconfig gw 192.168.0.1")
        expect("inet 192.168.7.5/16" in out and "gateway 192.168.0.1" in out, out)
        expect("gateway none" in guest.cmd_ok("ifconfig gw none"), "gw none")
    finally:
        out = guest.cmd_ok("ifconfig 10.0.2.15/24 gw 10.0.2.2")
    expect("inet 10.0.2.15/24" in out and "gateway 10.0.2.2" in out, out)
    expect(WIRE.ping(8, 1), "no echo after restoring the address")


def test_link_state_messages(guest):
    guest.drain(0.2)
    qmp("set_link", name="n0", up=False)
    guest.read_until("eth0: link is down", 10)
    expect("link down" in guest.cmd_ok("ifconfig"), "ifconfig still says link up")
    qmp("set_link", name="n0", up=True)
    guest.read_until("eth0: link is up, 1000 Mb/s, full duplex", 10)
    expect("link up 1000 Mb/s" in guest.cmd_ok("ifconfig"), "ifconfig still says link down")
    expect(net_counters(guest)["drv_irq_lsc"] >= 2, "link changes did not interrupt")
    end = time.time() + 60
    while not WIRE.ping(9, 1, timeout=1):
        expect(time.time() < end, "no echo after the link came back")


# ---- XDP ----

def test_xdp_drop_udp(guest):
    out = guest.cmd_ok("xdp attach drop-udp 7")
    expect(re.search(r"eth0: attached drop-udp 7 \(id \d+\)", out), out)
    try:
        x0, c0 = xdp_counters(guest), net_counters(guest)
        expect(x0["prog"] == "drop-udp 7", x0["raw"])
        n = 50
        for i in range(n):
            send_udp(7, b"drop me %d" % i, sport=42000)
        wait_xdp(guest, "drop.packets", x0["drop.packets"] + n)
        expect(WIRE.queued(lambda f: is_udp_to(f, 42000)) is None,
               "UDP to port 7 was answered under drop-udp 7")
        expect(WIRE.ping(0x77, 1), "ICMP not answered under drop-udp 7")
        send_udp(9, b"still delivered", sport=42001)
        c1 = wait_counter(guest, "ok_udp", c0["results"]["ok_udp"] + 1)
        x1 = xdp_counters(guest)
        d = delta(c0, c1)
        expect(x1["drop.packets"] - x0["drop.packets"] == n, "XDP drop counter moved by %d"
               % (x1["drop.packets"] - x0["drop.packets"]))
        expect(d["results"]["xdp_drop"] == n and d["results"]["ok_udp"] == 1 and
               d["results"]["ok_icmp"] == 1, nonzero(d))
        expect(x1["pass.packets"] - x0["pass.packets"] == d["rx_packets"] - n, "pass count")
        check_identity(c1)
    finally:
        detach(guest)
    send_udp(7, b"back", sport=42002)
    expect(WIRE.recv_match(lambda f: is_udp_to(f, 42002), 30), "echo broken after detach")


def test_xdp_pass(guest):
    guest.cmd_ok("xdp attach pass")
    try:
        x0 = xdp_counters(guest)
        expect(WIRE.ping(0x88, 1), "no echo reply under pass")
        send_udp(7, b"pass", sport=42100)
        expect(WIRE.recv_match(lambda f: is_udp_to(f, 42100), 30), "no UDP echo under pass")
        x1 = xdp_counters(guest)
        expect(x1["pass.packets"] - x0["pass.packets"] >= 2, x1["raw"])
        expect(x1["drop.packets"] == x0["drop.packets"], x1["raw"])
    finally:
        detach(guest)


def test_xdp_tx_reflect(guest):
    guest.cmd_ok("xdp attach tx-reflect")
    try:
        WIRE.drain(0.2)     # the next frames must be the reflections
        c0, x0 = net_counters(guest), xdp_counters(guest)
        sent = [
            ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 43000, 1234, b"reflect me")),
            ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(0x99, 3, b"mirror")),
            ipv4(HOST_IP, GUEST_IP, 6, b"\0" * 20),    # TCP: only the MACs swap
        ]
        for p in sent:
            WIRE.send_ip(p)
            f = WIRE.recv(30, answer_arp=False)
            expect(f is not None, "nothing reflected")
            dst, src, proto, q = parse_eth(f)
            expect(dst == HOST_MAC and src == WIRE.guest_mac and proto == ETH_P_IP, "MACs not swapped")
            ip = parse_ipv4(q)              # the header checksum is still right
            expect(len(q) == max(len(p), 46) and not q[len(p):].strip(b"\0"),
                   "reflected frame has a different length or padding")
            q = q[:len(p)]                  # QEMU padded the short frame to 60 bytes
            if p[9] in (1, 17):
                expect(ip["src"] == GUEST_IP and ip["dst"] == HOST_IP, "IPs not swapped")
                expect(q[:12] == p[:12] and q[20:] == p[20:], "more than the addresses changed")
            else:
                expect(q == p, "TCP segment changed")
            if p[9] == 17:
                check_udp(ip)               # pseudo-header sum survives the swap
            if p[9] == 1:
                expect(check_icmp(ip)[0] == 8, "reflected echo request changed type")
        c1, x1 = net_counters(guest), xdp_counters(guest)
        d = delta(c0, c1)
        expect(x1["tx.packets"] - x0["tx.packets"] == 3 and d["results"]["ok_xdp_tx"] == 3,
               nonzero(d))
        expect(c1["tx_packets"] - c0["tx_packets"] >= 3, "device did not complete the XDP_TX frames")
        check_identity(c1)
    finally:
        detach(guest)


def test_xdp_abort_traces(guest):
    out = guest.cmd_ok("xdp attach abort")
    pid = re.search(r"\(id (\d+)\)", out).group(1)
    try:
        c0, x0 = net_counters(guest), xdp_counters(guest)
        for i in range(3):
            send_udp(7, b"abort %d" % i, sport=44000)
        guest.read_until(re.compile(r"xdp_exception: prog=abort id=%s action=ABORTED ifindex=1\n"
                                    % pid), 60)
        x1 = wait_xdp(guest, "aborted.packets", x0["aborted.packets"] + 3)
        c1 = net_counters(guest)
        expect(x1["aborted.packets"] - x0["aborted.packets"] == 3, x1["raw"])
        expect(x1["events.exceptions"] - x0["events.exceptions"] == 3, x1["raw"])
        expect(delta(c0, c1)["results"]["xdp_aborted"] == 3, nonzero(delta(c0, c1)))
        expect(WIRE.queued(lambda f: is_udp_to(f, 44000)) is None, "aborted frame answered")
        check_identity(c1)
    finally:
        detach(guest)


def guest_ticks(guest):
    m = re.search(r"^up [\d.]+ s, (\d+) timer ticks", guest.cmd_ok("uptime"), re.M)
    expect(m, "uptime")
    return int(m.group(1))


def wait_ticks(guest, target):
    """Until the guest's own clock (timer ticks, HZ 100) reaches target."""
    end = time.time() + 300
    while guest_ticks(guest) < target:
        expect(time.time() < end, "the guest's timer stopped short of %d ticks" % target)
        time.sleep(0.2)


def test_xdp_exception_messages_are_rate_limited(guest):
    """net/xdp.c prints at most 10 xdp_exception lines per 5 s window (500
    ticks) and, when the next window opens, how many it held back: every
    exception is either printed or counted in a "callbacks suppressed" line."""
    n = 200
    wait_ticks(guest, guest_ticks(guest) + 501)     # any earlier window is over
    out = guest.cmd_ok("xdp attach abort")
    pid = re.search(r"\(id (\d+)\)", out).group(1)
    mark = len(guest.cmd_ok("dmesg"))
    try:
        x0, t0 = xdp_counters(guest), guest_ticks(guest)
        for i in range(n):
            send_udp(7, b"abort %d" % i, sport=44100)
        wait_xdp(guest, "aborted.packets", x0["aborted.packets"] + n)
        t1 = guest_ticks(guest)
        wait_ticks(guest, t1 + 501)                 # the flood's last window is over
        send_udp(7, b"one more", sport=44100)       # opens a window: the count comes out
        x1 = wait_xdp(guest, "aborted.packets", x0["aborted.packets"] + n + 1)
        log = guest.cmd_ok("dmesg")[mark:]
    finally:
        detach(guest)
    expect(x1["events.exceptions"] - x0["events.exceptions"] == n + 1, x1["raw"])
    line = re.compile(r"^\[\s*(\d+\.\d+)\] xdp_exception: prog=abort id=%s action=ABORTED "
                      r"ifindex=1$" % pid, re.M)
    printed = [float(t) for t in line.findall(log)]
    held = [int(k) for k in re.findall(r"xdp_exception: (\d+) callbacks suppressed", log)]
    expect(len(printed) + sum(held) == n + 1,
           "%d printed + %s suppressed != %d exceptions:\n%s" % (len(printed), held, n + 1, log[-1500:]))
    # eleven lines never fit in one window (timestamps are TSC time, the
    # window counts ticks; a tick of slack)
    for a, b in zip(printed, printed[10:]):
        expect(b - a >= 4.99, "11 exception lines within %.2f s:\n%s" % (b - a, log[-1500:]))
    if t1 - t0 < 500:       # the flood fitted in one window: exactly the burst came out
        expect(len(printed) == 11 and held == [n - 10], "printed %d, held %s" % (len(printed), held))
    else:
        print("    # the flood spanned %d ticks: %d lines, %s held back" % (t1 - t0, len(printed), held))


def test_xdp_redirect_and_invalid_verdicts(guest):
    for verdict, slot, result, warning in (
            # XDP_REDIRECT with no bpf_redirect*() call before it: no target
            (4, "redirect", "xdp_redirect_err", None),
            (77, "invalid", "xdp_invalid", "returned 77, which is no XDP action")):
        guest.cmd_ok("xdp attach ret %d" % verdict)
        try:
            c0, x0 = net_counters(guest), xdp_counters(guest)
            for i in range(2):
                send_udp(7, b"v", sport=45000)
            c1 = wait_counter(guest, result, c0["results"][result] + 2)
            x1 = xdp_counters(guest)
            expect(x1[slot + ".packets"] - x0[slot + ".packets"] == 2, x1["raw"])
            expect(delta(c0, c1)["results"][result] == 2, nonzero(delta(c0, c1)))
            log = guest.cmd_ok("dmesg")
            expect(warning is None or log.count(warning) == 1,
                   "%r should be logged exactly once:\n%s" % (warning, log[-1500:]))
            if warning is None:
                expect(x1["forward.redirect_err"] - x0["forward.redirect_err"] == 2, x1["raw"])
            expect(re.search(r"xdp_exception: prog=ret %d id=\d+ action=%s ifindex=1"
                             % (verdict, "REDIRECT" if verdict == 4 else "77"), log), log[-800:])
            check_identity(c1)
        finally:
            detach(guest)


def test_xdp_drop_proto_and_src(guest):
    try:
        guest.cmd_ok("xdp attach drop-proto icmp")
        x0 = xdp_counters(guest)
        WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(0x31, 1)))
        wait_xdp(guest, "drop.packets", x0["drop.packets"] + 1)
        expect(WIRE.queued(lambda f: is_echo_reply(f, 0x31, 1)) is None,
               "ICMP answered under drop-proto icmp")
        send_udp(7, b"udp ok", sport=46000)
        expect(WIRE.recv_match(lambda f: is_udp_to(f, 46000), 30), "UDP broken under drop-proto icmp")
        guest.cmd_ok("xdp attach drop-proto arp")
        x0 = xdp_counters(guest)
        WIRE.send(eth(BCAST, HOST_MAC, ETH_P_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)))
        x1 = wait_xdp(guest, "drop.packets", x0["drop.packets"] + 1)
        expect(WIRE.queued(lambda f: f[12:14] == b"\x08\x06") is None, "ARP answered")
        expect(x1["drop.packets"] == x0["drop.packets"] + 1, "ARP dropped more than once")
        expect(WIRE.ping(0x31, 2), "ICMP broken under drop-proto arp")
        guest.cmd_ok("xdp attach drop-proto udp")
        x0 = xdp_counters(guest)
        send_udp(7, b"gone", sport=46001)
        wait_xdp(guest, "drop.packets", x0["drop.packets"] + 1)
        expect(WIRE.queued(lambda f: is_udp_to(f, 46001)) is None, "UDP under drop-proto udp")
        guest.cmd_ok("xdp attach drop-src %s" % HOST_IP)
        x0 = xdp_counters(guest)
        WIRE.send_ip(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(0x31, 3)))
        wait_xdp(guest, "drop.packets", x0["drop.packets"] + 1)
        expect(WIRE.queued(lambda f: is_echo_reply(f, 0x31, 3)) is None,
               "answered a dropped source")
        WIRE.send_ip(ipv4(OTHER_IP, GUEST_IP, 1, icmp_echo(0x31, 4)))
        f = WIRE.recv_match(lambda f: is_echo_reply(f, 0x31, 4), 30)
        expect(f and parse_ipv4(parse_eth(f)[3])["dst"] == OTHER_IP, "other source not answered")
        check_identity(net_counters(guest))
    finally:
        detach(guest)


def test_xdp_count(guest):
    guest.cmd_ok("xdp attach count")
    try:
        for i in range(3):
            send_udp(9, b"c", sport=47000)
        for i in range(2):
            expect(WIRE.ping(0x41, i + 1), "count must pass frames")
        out = guest.cmd_ok("xdp status")
        expect(re.search(r"^count: proto 17 \(udp\) packets=3$", out, re.M), out)
        expect(re.search(r"^count: proto 1 \(icmp\) packets=2$", out, re.M), out)
        expect(re.search(r"^eth0: prog count \(id \d+, attached \d+\.\d{3} s ago\)$", out, re.M), out)
    finally:
        detach(guest)


def test_xdp_attach_detach_during_stream(guest):
    """Swap programs under a steady stream: every frame is still accounted.
    The stream paces itself on echo requests, so the programs rotated here
    all let ICMP through (or reflect it): nothing is lost on the host side
    and the guest must count exactly what was sent."""
    c0, x0 = net_counters(guest), xdp_counters(guest)
    frame = eth(WIRE.guest_mac, HOST_MAC, ETH_P_IP,
                ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 48000, 9, b"stream")))
    sent = [0, 0]           # UDP frames, echo requests
    stop = threading.Event()
    failed = []

    def stream():
        try:
            while not stop.is_set() and sent[0] < 100000:
                sent[1] += WIRE.send_acked([frame] * 20, batch=20, ident=0x5a00 + sent[1])
                sent[0] += 20
        except AssertionError as e:
            failed.append(e)

    t = threading.Thread(target=stream)
    t.start()
    try:
        progs = ["drop-udp 9", "pass", "count", "tx-reflect", "drop-proto udp", "drop-src 10.0.2.77"]
        for i in range(12):
            guest.cmd_ok("xdp attach %s" % progs[i % len(progs)])
            # each program sees frames of the stream before the next swap
            seen = xdp_seen(guest)
            end = time.time() + 60
            while xdp_seen(guest) == seen and not failed:
                expect(time.time() < end, "no frame reached %s" % progs[i % len(progs)])
            if i % 3 == 2:
                guest.cmd_ok("xdp detach")
    finally:
        stop.set()
        t.join()
        detach(guest)
    expect(not failed, "stream: %s" % (failed and failed[0]))
    WIRE.drain(0.3)
    total = sent[0] + sent[1]
    c1 = wait_counter(guest, "rx_packets", c0["rx_packets"] + total, 10)
    x1 = xdp_counters(guest)
    d = delta(c0, c1)
    expect(d["rx_packets"] == total, "sent %d, the guest took %d off its ring"
           % (total, d["rx_packets"]))
    slots = ("aborted", "drop", "pass", "tx", "redirect", "invalid", "no_prog")
    seen = sum(x1[s + ".packets"] - x0[s + ".packets"] for s in slots)
    expect(seen == total, "the hook counted %d of %d frames" % (seen, total))
    r = d["results"]
    expect(r["ok_udp"] + r["xdp_drop"] + r["ok_xdp_tx"] + r["ok_icmp"] == total, nonzero(d))
    expect(r["xdp_drop"] > 0 and r["ok_xdp_tx"] > 0 and r["ok_udp"] > 0, nonzero(d))
    expect(x1["events.attaches"] - x0["events.attaches"] == 12 and
           x1["events.detaches"] - x0["events.detaches"] == 4, x1["raw"])
    check_identity(c1)
    print("    # stream: %d frames across 12 attaches and 4 detaches" % total)


def test_kprobe_on_rx_path_counts_frames(guest):
    """The receive and XDP functions are ordinary probeable code: a probe on
    e1000_rx_frame fires once per frame taken off the ring."""
    for c in ("p:netrx/frame e1000_rx_frame", "p:netrx/xdp xdp_run", "enable netrx/*"):
        guest.cmd_ok(c)
    try:
        c0 = net_counters(guest)
        frame = eth(WIRE.guest_mac, HOST_MAC, ETH_P_IP,
                    ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 48100, 9, b"probe me")))
        n = 300 + WIRE.send_acked([frame] * 300)
        c1 = wait_counter(guest, "rx_packets", c0["rx_packets"] + n)
        prof = guest.cmd_ok("kprobe_profile netrx/*")
    finally:
        guest.cmd_ok("disable netrx/*")
        guest.cmd_ok("-:netrx/*")
    hits = dict((m.group(1), int(m.group(2)))
                for m in re.finditer(r"^\s*(\w+)\s+(\d+)\s+\d+$", prof, re.M))
    expect(c1["rx_packets"] - c0["rx_packets"] == n, "rx moved by %d, sent %d"
           % (c1["rx_packets"] - c0["rx_packets"], n))
    expect(hits.get("frame") == n and hits.get("xdp") == n, "probe hits %s, frames %d\n%s"
           % (hits, n, prof))
    check_identity(c1)


# ---- robustness ----

def test_malformed_frames(guest):
    mac = WIRE.guest_mac

    def ipf(p):
        return eth(mac, HOST_MAC, ETH_P_IP, p)

    good_udp = udp(HOST_IP, GUEST_IP, 49000, 7, b"payload!")
    cases = [
        (eth(mac, HOST_MAC, ETH_P_IP, b"")[:10], "eth_type"),      # QEMU pads runts with zeros
        (eth(mac, HOST_MAC, ETH_P_IP, b""), "ip_version"),          # header only, zero padded
        (eth(mac, HOST_MAC, ETH_P_IP, b"\0" * 1504), "eth_oversize"),    # 1518 bytes
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, version=6)), "ip_version"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, ihl=4)), "ip_ihl"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, ihl=15, tot_len=60)), "ip_ihl"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, tot_len=900)), "ip_len"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, tot_len=12)), "ip_len"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, check=0x1234)), "ip_csum"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, frag=0x2000)), "ip_frag"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp, frag=0x0010)), "ip_frag"),
        (ipf(ipv4(HOST_IP, "10.0.2.200", 17, good_udp)), "ip_not_us"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(1, 1, b"x", check=0xbeef))), "icmp_csum"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 1, b"\x08\x00\xf7")), "icmp_short"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(1, 1, typ=42))), "icmp_type"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, good_udp[:6])), "udp_short"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 49000, 7, b"x" * 20,
                                             length=100))), "udp_short"),
        (ipf(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, 49000, 7, b"y" * 20,
                                             check=0x4242))), "udp_csum"),
        (eth(mac, HOST_MAC, ETH_P_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)
             .replace(b"\x06\x04", b"\x07\x04", 1)), "arp_malformed"),
        (eth(mac, HOST_MAC, ETH_P_ARP, arp(9, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)),
         "arp_malformed"),
    ]
    c0 = net_counters(guest)
    for frame, _ in cases:
        WIRE.send(frame)
    WIRE.send(eth(mac, HOST_MAC, ETH_P_IP, b"\0" * 1590))           # dropped by the device
    expected = {}
    for _, reason in cases:
        expected[reason] = expected.get(reason, 0) + 1
    c1 = wait_counter(guest, "rx_packets", c0["rx_packets"] + len(cases))
    d = delta(c0, c1)
    got = {k: v for k, v in d["results"].items() if v}
    expect(got == expected, "drop reasons %s, expected %s" % (got, expected))
    expect(d["hw_roc"] == 1, "the device's oversize counter moved by %d" % d["hw_roc"])
    check_identity(c1)
    WIRE.drain(0.3)

    # random frames: any ethertype, any contents, to us or broadcast
    rnd = random.Random(5)
    frames = []
    for i in range(300):
        dst = mac if i % 3 else BCAST
        body = rand_bytes(rnd, rnd.randint(0, 1500))
        if i % 2:      # half of them look like IPv4 with a random header
            body = struct.pack("!H", ETH_P_IP) + body
        else:
            body = rand_bytes(rnd, 2) + body
        frames.append(dst + HOST_MAC + body)
    # mutations of a valid echo request: random bytes of the headers flipped
    base = ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(0x51, 1, b"mutate me please"))
    for i in range(300):
        p = bytearray(base)
        for _ in range(rnd.randint(1, 4)):
            p[rnd.randrange(len(p))] = rnd.randrange(256)
        frames.append(eth(mac, HOST_MAC, ETH_P_IP, bytes(p)))
    # scapy's fuzz(): every field not given is random, layer by layer
    random.seed(7)      # scapy draws from the random module: the same frames each run
    for i in range(300):
        layer = (UDP(dport=7), ICMP(), TCP())[i % 3]
        pkt = fuzz(IP(src=HOST_IP, dst=GUEST_IP) / layer / Raw(b"fuzz"))
        frames.append(eth(mac, HOST_MAC, ETH_P_IP, bytes(pkt)[:1500]))
    for i in range(60):
        frames.append(eth(mac, HOST_MAC, ETH_P_ARP, bytes(fuzz(ARP()))))
    n = len(frames) + WIRE.send_acked(frames)
    c2 = wait_counter(guest, "rx_packets", c1["rx_packets"] + n)
    expect(c2["rx_packets"] - c1["rx_packets"] == n, "sent %d random frames, took %d"
           % (n, c2["rx_packets"] - c1["rx_packets"]))
    check_identity(c2)
    WIRE.drain(0.5)
    expect(WIRE.ping(0x52, 1), "the stack stopped answering after malformed frames")
    send_udp(7, b"still here", sport=49100)
    expect(WIRE.recv_match(lambda f: is_udp_to(f, 49100), 30), "UDP echo broken after fuzzing")
    expect(guest.cmd_ok("version").startswith("kprobe64"), "console")


def test_zz_final_accounting(guest):
    """Runs last (tests run in name order): everything so far adds up."""
    c = net_counters(guest)
    check_identity(c)
    expect(c["rx_packets"] > 1000 and c["tx_packets"] > 20, "too little traffic: %s" % c)
    expect(c["tx_dropped"] == c["tx_icmp_ratelimited"], "unexpected transmit drops: %s"
           % {k: v for k, v in c.items() if k.startswith("tx_") and v})
