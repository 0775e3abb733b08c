"""Boots without a NIC, with a NIC we have no driver for, and with the other
e1000 model (82545EM): the kernel always reaches the prompt and says what
it found; network commands answer sensibly either way."""
import re

from guest import Guest, expect


def test_no_nic():
    with Guest(net=["-nic", "none"]) as g:     # QEMU adds a NIC unless told not to
        out = g.output()
        expect("e1000: no e1000 NIC found\n" in out, out[-1500:])
        expect("net: no network interface; networking is off" in out, out[-1500:])
        expect("no network interfaces" in g.cmd_ok("ifconfig"), "ifconfig without a NIC")
        expect("no network interfaces" in g.cmd_ok("net"), "net without a NIC")
        expect("no ARP entries" in g.cmd_ok("arp"), "arp without a NIC")
        expect("tx-reflect" in g.cmd_ok("xdp list"), "xdp list needs no NIC")
        for c in ("ping 10.0.2.2", "xdp status", "xdp attach drop", "xdp detach",
                  "ifconfig 10.0.2.15/24"):
            expect("no network interface" in g.cmd_err(c), c)
        expect("[driver]" not in g.cmd_ok("lspci"), "a driver claimed something")


def test_other_nic():
    with Guest(net=["-netdev", "user,id=n0", "-device", "rtl8139,netdev=n0"]) as g:
        out = g.output()
        expect(re.search(r"e1000: 00:\w\w\.0 10ec:8139 \(Ethernet controller\) is not an e1000; "
                         r"no driver", out), out[-1500:])
        expect("e1000: no e1000 NIC found (another network controller is present, unsupported)"
               in out, out[-1500:])
        expect(re.search(r"^00:\w\w\.0 10ec:8139 class 020000 Ethernet controller irq \d+ \(INTA\)",
                         g.cmd_ok("lspci"), re.M), "lspci lacks the rtl8139")
        g.cmd_err("ping 10.0.2.2 1")


def test_e1000_82545em():
    with Guest(net=["-netdev", "user,id=n0", "-device", "e1000-82545em,netdev=n0"]) as g:
        out = g.output()
        expect(re.search(r"e1000: eth0: e1000 82545EM at 00:\w\w\.0, irq \d+", out), out[-1500:])
        expect("8086:100f" in g.cmd_ok("lspci"), "lspci lacks 8086:100f")
        ping = g.cmd_ok("ping 10.0.2.2 2", timeout=30)
        expect("2 packets transmitted, 2 received, 0% packet loss" in ping, ping)
