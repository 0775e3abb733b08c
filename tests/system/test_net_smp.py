"""The network tests whose code paths differ with several CPUs, again on a
4-CPU guest (test_net.py runs them all on one): the receive interrupt and
the XDP program running while the other CPUs run (and answer the calls a
detach makes to wait out a grace period), attach and detach while frames
stream in, a kprobe on the receive path with every CPU able to hit it, and
the final accounting. Parsing, checksums and malformed frames run the same
code whatever the CPU count: they run once, in test_net.py."""
import os
import tempfile

import test_net
from test_net import (test_icmp_echo_reply, test_udp_echo_and_discard,  # noqa: F401
                      test_xdp_tx_reflect, test_xdp_attach_detach_during_stream,
                      test_kprobe_on_rx_path_counts_frames, test_zz_final_accounting)
from test_net_lib import wired_guest


def make_guest():
    # the imported tests reach the wire and QMP through test_net's globals
    test_net.QMP_PATH = os.path.join(tempfile.mkdtemp(prefix="kp-net-smp-"), "qmp.sock")
    g, test_net.WIRE = wired_guest(["-qmp", "unix:%s,server=on,wait=off" % test_net.QMP_PATH,
                                    "-accel", "tcg,thread=multi"], smp=4)
    return g
