"""The stack against QEMU user networking (slirp): the guest pings the
gateway 10.0.2.2, and UDP from the host to a hostfwd port reaches the echo
service on port 7 and comes back. Only 127.0.0.1 is ever used on the host."""
import re
import socket
import time

from guest import Guest, expect, free_udp_port

PORT = None


def make_guest():
    global PORT
    PORT = free_udp_port()
    return Guest(net=["-netdev", "user,id=n0,hostfwd=udp:127.0.0.1:%d-:7" % PORT,
                      "-device", "e1000,netdev=n0"])


def test_ping_gateway(guest):
    out = guest.cmd_ok("ping 10.0.2.2 3", timeout=30)
    expect(out.startswith("PING 10.0.2.2 (10.0.2.2) 56(84) bytes of data."), out)
    seqs = re.findall(r"^64 bytes from 10\.0\.2\.2: icmp_seq=(\d+) ttl=\d+ time=\d+\.\d{3} ms$",
                      out, re.M)
    expect(seqs == ["1", "2", "3"], "replies: %s\n%s" % (seqs, out))
    expect(re.search(r"^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$", out, re.M),
           out)
    expect(re.search(r"^rtt min/avg/max/mdev = (\d+\.\d{3}/){3}\d+\.\d{3} ms$", out, re.M), out)
    arp = guest.cmd_ok("arp")
    expect(re.search(r"^10\.0\.2\.2 dev eth0 lladdr 52:55:0a:00:02:02 REACHABLE", arp, re.M), arp)


def recv_matching(s, want, seconds):
    """The echo of `want`; late echoes of earlier retries are skipped. Bounded."""
    end = time.time() + seconds
    while time.time() < end:
        try:
            got = s.recv(4096)
        except socket.timeout:
            continue
        if got == want:
            return got
    return None


def test_hostfwd_udp_echo(guest):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        got = None
        # slirp may drop the first datagram while it resolves the guest's MAC
        for i in range(10):
            msg = b"hello through hostfwd %d" % i
            s.sendto(msg, ("127.0.0.1", PORT))
            got = recv_matching(s, msg, 1.0)
            if got:
                break
        expect(got == msg, "UDP echo through hostfwd: got %r" % got)
        for size in (1, 500, 1472):
            msg = bytes(i & 0xff for i in range(size))
            s.sendto(msg, ("127.0.0.1", PORT))
            expect(recv_matching(s, msg, 5.0) == msg, "no echo of the %d bytes sent" % size)
    finally:
        s.close()
    net = guest.cmd_ok("net")
    expect(int(re.search(r"ok_udp=(\d+)", net).group(1)) >= 4, net)


def test_ping_loss_and_interrupt(guest):
    out = guest.cmd_ok("ping 10.0.2.50 2", timeout=30)      # nobody has that address
    expect("2 packets transmitted, 0 received, 100% packet loss" in out, out)
    expect("rtt" not in out, out)
    expect(re.search(r"^10\.0\.2\.50 dev eth0 (INCOMPLETE|FAILED)", guest.cmd_ok("arp"), re.M),
           "no pending ARP entry for 10.0.2.50")
    guest.send("ping 10.0.2.2 100\r")
    guest.read_until("icmp_seq=2 ", 60)
    # no speed is asserted: 100 requests a second apart would end by
    # themselves well within the wait, and the count shows they did not
    guest.send("\x03")
    out = guest.read_until("kp> ", 150, what="the prompt after Ctrl-C")
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    expect(m and 2 <= int(m.group(1)) < 100, "ping did not stop at Ctrl-C:\n" + out)
    expect(guest.cmd_ok("version").startswith("kprobe64"), "console after ^C")
