"""Shared by the test_net* modules (no tests here): raw Ethernet frames to and
from a guest over QEMU's `-netdev socket,udp=...`, which carries one frame
per UDP datagram between 127.0.0.1 ports. Frames are built with scapy (real
checksums; any field can be set wrong on purpose) and checked with struct
against scapy's checksum; every receive is bounded by a timeout.

The harness plays one host on the guest's subnet: HOST_IP/HOST_MAC. It
answers the guest's ARP requests for HOST_IP whenever it reads frames.
"""
import os
import random
import re
import select
import socket
import struct
import time

from scapy.layers.inet import ICMP, IP, UDP, IPOption
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw
from scapy.utils import checksum

from guest import Guest, expect, free_udp_port

GUEST_IP = "10.0.2.15"
HOST_IP = "10.0.2.99"
OTHER_IP = "10.0.2.77"
HOST_MAC = bytes.fromhex("020000000001")
BCAST = b"\xff" * 6
ETH_P_IP, ETH_P_ARP = 0x0800, 0x0806


def ip_bytes(s):
    return socket.inet_aton(s)


def mac(b):
    return b.hex(":")


def csum(data):
    """Internet checksum (RFC 1071) of data: the value that goes in the field."""
    return checksum(data)


def eth(dst, src, proto, payload):
    return bytes(Ether(dst=mac(dst), src=mac(src), type=proto) / Raw(payload))


def arp(op, sha, sip, tha, tip):
    return bytes(ARP(op=op, hwsrc=mac(sha), psrc=sip, hwdst=mac(tha), pdst=tip))


def ipv4(src, dst, proto, payload, ttl=64, ident=1, frag=0, ihl=5, version=4,
         tot_len=None, check=None, options=b""):
    """An IPv4 packet; any field can be given wrong on purpose (scapy fills
    in only what is left None: length, checksum)."""
    p = IP(version=version, ihl=ihl, len=tot_len, id=ident, flags=frag >> 13, frag=frag & 0x1fff,
           ttl=ttl, proto=proto, chksum=check, src=src, dst=dst,
           options=IPOption(options) if options else [])
    return bytes(p / Raw(payload)) if payload else bytes(p)


def icmp_echo(ident, seq, data=b"kprobe64-ping-data", typ=8, check=None):
    return bytes(ICMP(type=typ, id=ident, seq=seq, chksum=check) / Raw(data))


def udp(src, dst, sport, dport, payload, check=None, length=None):
    """A UDP datagram (header and payload) whose checksum covers the src/dst
    pseudo-header, as scapy computes it inside an IP layer."""
    return bytes(IP(src=src, dst=dst) / UDP(sport=sport, dport=dport, len=length, chksum=check)
                 / Raw(payload))[20:]


def parse_eth(f):
    if len(f) < 14:
        return None
    return f[0:6], f[6:12], struct.unpack("!H", f[12:14])[0], f[14:]


def parse_ipv4(p):
    """-> dict with the header fields and payload; asserts the header checksum."""
    vihl, tos, tot, ident, frag, ttl, proto, check, src, dst = struct.unpack(
        "!BBHHHBBH4s4s", p[:20])
    ihl = (vihl & 15) * 4
    expect(csum(p[:ihl]) == 0, "IPv4 header checksum wrong: %s" % p[:ihl].hex())
    expect(vihl >> 4 == 4 and tot <= len(p), "bad IPv4 header %s" % p[:20].hex())
    return dict(src=socket.inet_ntoa(src), dst=socket.inet_ntoa(dst), proto=proto, ttl=ttl,
                ident=ident, frag=frag, payload=p[ihl:tot], header=p[:ihl])


def check_udp(ip):
    u = ip["payload"]
    sport, dport, ln, check = struct.unpack("!HHHH", u[:8])
    expect(ln == len(u), "UDP length %d, datagram %d" % (ln, len(u)))
    if check:
        pseudo = ip_bytes(ip["src"]) + ip_bytes(ip["dst"]) + struct.pack("!BBH", 0, 17, ln)
        expect(csum(pseudo + u) == 0, "UDP checksum wrong")
    return sport, dport, u[8:]


def check_icmp(ip):
    m = ip["payload"]
    expect(csum(m) == 0, "ICMP checksum wrong: %s" % m[:16].hex())
    typ, code, _, ident, seq = struct.unpack("!BBHHH", m[:8])
    return typ, code, ident, seq, m[8:]


class Wire:
    """The harness's end of the guest's NIC."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            self.sock.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
        self.port = self.sock.getsockname()[1]
        self.qemu_port = free_udp_port()
        self.guest_mac = None
        self.arp_answered = 0

    def qemu_args(self, model="e1000", netdev="n0", mac=None):
        """A NIC wired to this end; a second one needs its own netdev id and MAC."""
        return ["-netdev", "socket,id=%s,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d"
                % (netdev, self.port, self.qemu_port),
                "-device", "%s,netdev=%s%s" % (model, netdev, ",mac=" + mac if mac else "")]

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))

    def send_ip(self, packet, dst_mac=None):
        self.send(eth(dst_mac or self.guest_mac, HOST_MAC, ETH_P_IP, packet))

    def _answer_arp(self, f):
        """Answer the guest's ARP request for HOST_IP (or OTHER_IP); True if f was one."""
        e = parse_eth(f)
        if not e or e[2] != ETH_P_ARP or len(e[3]) < 28:
            return False
        op, sha, sip, tha, tip = struct.unpack("!6xH6s4s6s4s", e[3][:28])
        tip = socket.inet_ntoa(tip)
        if op == 1 and tip in (HOST_IP, OTHER_IP):
            self.send(eth(sha, HOST_MAC, ETH_P_ARP,
                          arp(2, HOST_MAC, tip, sha, socket.inet_ntoa(sip))))
            self.arp_answered += 1
            return True
        return False

    def recv(self, timeout=2.0, answer_arp=True):
        """Next frame from the guest (ARP requests for us answered and skipped)."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            f, _ = self.sock.recvfrom(65536)
            if answer_arp and self._answer_arp(f):
                continue
            return f

    def recv_match(self, pred, timeout=30.0):
        """First frame for which pred(frame) is true; others are skipped."""
        end = time.time() + timeout
        while time.time() < end:
            f = self.recv(end - time.time())
            if f is None:
                break
            if pred(f):
                return f
        return None

    def queued(self, pred):
        """A frame already received for which pred(frame) is true, without
        waiting for more. For "nothing came back" checks made after a guest
        counter showed the frame was handled: the guest transmits a reply
        before it counts the frame done, and QEMU passes the reply on to our
        socket as the guest writes it, so a reply would be here already."""
        while True:
            r, _, _ = select.select([self.sock], [], [], 0)
            if not r:
                return None
            f, _ = self.sock.recvfrom(65536)
            if self._answer_arp(f):
                continue
            if pred(f):
                return f

    def send_acked(self, frames, batch=32, ident=0x6b6b):
        """Send frames in batches, each followed by an echo request, waiting
        for the batch before last to be answered, so the host never drops
        any: returns how many echo requests it added. An XDP program that
        reflects frames sends the request itself back; that counts too."""
        acks = 0
        for i in range(0, len(frames), batch):
            for f in frames[i:i + batch]:
                self.send(f)
            self.send_ip(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(ident, acks, b"ack")))
            if acks:
                self.wait_ack(ident, acks - 1)
            acks += 1
        if acks:
            self.wait_ack(ident, acks - 1)
        return acks

    def wait_ack(self, ident, seq, timeout=10):
        expect(self.recv_match(lambda f: is_icmp_echo(f, ident, seq), timeout),
               "no answer to echo %#x/%d: the guest stalled or lost frames" % (ident, seq))

    def drain(self, quiet=0.3):
        n = 0
        while self.recv(quiet) is not None:
            n += 1
        return n

    # ---- conversations ----

    def arp_resolve(self, timeout=5.0):
        """ARP request for the guest; returns its MAC (checks the reply)."""
        for _ in range(int(timeout / 0.5)):
            self.send(eth(BCAST, HOST_MAC, ETH_P_ARP,
                          arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)))
            f = self.recv_match(lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02",
                                0.5)
            if f:
                dst, src, proto, p = parse_eth(f)
                op, sha, sip, tha, tip = struct.unpack("!6xH6s4s6s4s", p[:28])
                expect(dst == HOST_MAC and tha == HOST_MAC, "ARP reply not addressed to us")
                expect(socket.inet_ntoa(sip) == GUEST_IP and socket.inet_ntoa(tip) == HOST_IP,
                       "ARP reply addresses wrong")
                expect(sha == src, "ARP sender MAC differs from the frame's")
                self.guest_mac = sha
                return sha
        raise AssertionError("no ARP reply from the guest")

    def ping(self, ident, seq, data=b"kprobe64-ping-data", timeout=30.0):
        """Echo request -> the checked echo reply's ip dict, or None."""
        self.send_ip(ipv4(HOST_IP, GUEST_IP, 1, icmp_echo(ident, seq, data)))
        return self.recv_match(lambda f: is_echo_reply(f, ident, seq), timeout)

    def udp_send(self, dport, payload, sport=40000, **kw):
        self.send_ip(ipv4(HOST_IP, GUEST_IP, 17, udp(HOST_IP, GUEST_IP, sport, dport, payload,
                                                     **kw)))


def is_echo_reply(f, ident, seq):
    e = parse_eth(f)
    if not e or e[2] != ETH_P_IP or len(e[3]) < 28 or e[3][9] != 1:
        return False
    m = e[3][(e[3][0] & 15) * 4:]
    return m[0] == 0 and struct.unpack("!HH", m[4:8]) == (ident, seq)


def is_icmp_echo(f, ident, seq):
    """An echo reply, or an echo request reflected by XDP, with this id/seq."""
    e = parse_eth(f)
    if not e or e[2] != ETH_P_IP or len(e[3]) < 28 or e[3][9] != 1:
        return False
    m = e[3][(e[3][0] & 15) * 4:]
    return m[0] in (0, 8) and struct.unpack("!HH", m[4:8]) == (ident, seq)


def is_udp_to(f, port):
    e = parse_eth(f)
    if not e or e[2] != ETH_P_IP or len(e[3]) < 28 or e[3][9] != 17:
        return False
    u = e[3][(e[3][0] & 15) * 4:]
    return struct.unpack("!H", u[2:4])[0] == port


# ---- the guest's counters ----

RESULT_STAGES = ("delivered", "driver", "xdp", "ethernet", "arp", "ipv4", "icmp", "udp")


def net_counters(guest, iface="eth0"):
    """Parse `net`: {name: value} for one interface, plus 'results':
    the per-result counters (delivered and every drop reason)."""
    out = guest.cmd_ok("net")
    c, results, mine = {}, {}, False
    for line in out.splitlines():
        if line[:1].strip():        # "ethN: ..." starts an interface's block
            mine = line.startswith(iface + ":")
        if not mine:
            continue
        m = re.match(r"\s*([\w ]+):", line)
        for k, v in re.findall(r"(\w+)=(\d+)", line):
            c[k] = int(v)
            if m and m.group(1) in RESULT_STAGES:
                results[k] = int(v)
    c["results"] = results
    return c


def check_identity(c, what=""):
    """rx_packets == sum of results == delivered + dropped."""
    total = sum(c["results"].values())
    expect(len(c["results"]) >= 25, "too few result counters parsed: %s" % c["results"])
    expect(c["rx_packets"] == total == c["rx_delivered"] + c["rx_dropped"],
           "%s accounting broken: rx_packets=%d, sum of results=%d, delivered+dropped=%d"
           % (what, c["rx_packets"], total, c["rx_delivered"] + c["rx_dropped"]))


def delta(before, after):
    d = {k: after[k] - before[k] for k in after if k != "results" and k in before}
    d["results"] = {k: after["results"][k] - before["results"].get(k, 0)
                    for k in after["results"]}
    return d


def nonzero(d):
    """The result counters that moved, for messages."""
    return {k: v for k, v in d["results"].items() if v}


def xdp_counters(guest, iface="eth0"):
    """Parse `xdp status IFACE`: {'drop.packets': n, ..., 'prog': tag or None}."""
    out = guest.cmd_ok("xdp status %s" % iface)
    c = {"prog": None, "raw": out}
    m = re.search(r"prog (.*) \(id \d+", out)
    if m:
        c["prog"] = m.group(1)
    for line in out.splitlines():
        m = re.match(r"\s+(\w+): (.*)", line)
        if m:
            for k, v in re.findall(r"(\w+)=(\d+)", m.group(2)):
                c["%s.%s" % (m.group(1), k)] = int(v)
    return c


def wait_counter(guest, key, target, timeout=60.0, iface="eth0"):
    """Poll `net` until counter key reaches target; returns the counters
    (the caller checks them: a guest that never gets there fails there)."""
    end = time.time() + timeout
    while True:
        c = net_counters(guest, iface)
        v = c["results"].get(key, c.get(key))
        if v >= target or time.time() > end:
            return c
        time.sleep(0.1)


def wait_xdp(guest, key, target, timeout=60.0):
    """Poll `xdp status` until counter key (e.g. 'drop.packets') reaches
    target; returns the counters, checked that it did."""
    end = time.time() + timeout
    while True:
        x = xdp_counters(guest)
        if x.get(key, 0) >= target:
            return x
        expect(time.time() < end, "xdp %s stayed at %s, waited for %d:\n%s"
               % (key, x.get(key), target, x["raw"]))
        time.sleep(0.1)


def socket_guest(wire, extra=(), smp=1):
    """A guest whose e1000 is wired to the harness."""
    return Guest(net=wire.qemu_args(), extra=list(extra), smp=smp, boot_timeout=60 * smp)


def settle(guest, wire):
    """QEMU's e1000 holds received frames for a second after RCTL is written
    at boot; wait that out, then learn the guest's MAC."""
    end = time.time() + 60
    while time.time() < end:
        try:
            mac = wire.arp_resolve(1.0)
            break
        except AssertionError:
            pass
    else:
        mac = wire.arp_resolve(3.0)
    wire.drain(0.5)     # replies to the requests QEMU held back
    return mac


def rand_bytes(rnd, n):
    return bytes(rnd.randrange(256) for _ in range(n))


def wired_guest(extra=(), smp=1):
    """A booted, settled guest wired to a new Wire: (guest, wire)."""
    wire = Wire()
    g = socket_guest(wire, extra, smp)
    settle(g, wire)
    return g, wire
