#!/usr/bin/env python3
"""The one place that knows how kprobe64 is started under QEMU.

The tests (tests/system/guest.py), the benchmarks (scripts/bench.py) and the
Makefile's run/debug targets all build their command line here, so a machine
option changes in one place.

As a program: scripts/qemu.py [--kernel BIN | --iso ISO] [--net user|none]
[--mem M] [--smp N] [--tftp DIR] [--print] [-- EXTRA...] runs QEMU with the console on
this terminal (--print only prints the command).
"""
import argparse
import os
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ISO = os.path.join(ROOT, "build", "kprobe64.iso")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")

# isa-debug-exit: `poweroff` and an oops end QEMU with a status of their own
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
USER_NET = ["-netdev", "user,id=n0", "-device", "e1000,netdev=n0"]


def user_net(tftp=None):
    """The default e1000 on QEMU user networking; tftp=DIR also serves DIR
    from QEMU's built-in TFTP server at 10.0.2.2 (insmod tftp:FILE)."""
    if not tftp:
        return list(USER_NET)
    return ["-netdev", "user,id=n0,tftp=" + os.path.abspath(tftp), "-device", "e1000,netdev=n0"]
# The accelerator, clock and CPU of every benchmark run, ours and the Linux
# peer's (scripts/bench_linux.py): TSC = guest instructions; no -cpu, so
# QEMU's default model for both.
TCG_ICOUNT = ["-accel", "tcg", "-icount", "shift=0,sleep=off"]


def qemu_args(iso=None, kernel=None, mem="256M", smp=1, net=(), serial="stdio",
              accel=None, extra=(), tftp=None):
    """argv for one guest. Boots the ISO (GRUB, multiboot2) unless a flat
    multiboot-1 kernel image is given (make bench: GRUB hangs under
    fixed-shift icount). net: extra netdev/device arguments, or "user" for
    the default e1000 on QEMU user networking (tftp=DIR: serving DIR
    over TFTP). accel: None (QEMU's default
    TCG), "tcg-icount" (TSC = guest instructions, for make bench) or "kvm"."""
    args = [QEMU]
    args += ["-kernel", kernel] if kernel else ["-cdrom", iso or ISO]
    args += ["-m", mem, "-display", "none", "-no-reboot"]
    if not (serial or "").startswith("mon:"):     # mon:stdio carries QEMU's monitor
        args += ["-monitor", "none"]
    if smp and int(smp) > 1:
        args += ["-smp", str(smp)]
    if serial:
        args += ["-serial", serial]
    args += DEBUG_EXIT
    if accel == "kvm":
        args += ["-accel", "kvm", "-cpu", "host"]
    elif accel == "tcg-icount":
        args += TCG_ICOUNT
    args += user_net(tftp) if net == "user" else list(net)
    return args + list(extra)


def main():
    ap = argparse.ArgumentParser(description="start kprobe64 under QEMU")
    ap.add_argument("--iso")
    ap.add_argument("--kernel")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--smp", default="1")
    ap.add_argument("--net", default="user", choices=("user", "none"))
    ap.add_argument("--tftp", metavar="DIR", help="serve DIR over TFTP at 10.0.2.2 (user net)")
    ap.add_argument("--print", action="store_true")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    argv = qemu_args(iso=a.iso, kernel=a.kernel, mem=a.mem, smp=a.smp,
                     net="user" if a.net == "user" else (), serial="mon:stdio", extra=a.extra,
                     tftp=a.tftp)
    if a.print:
        print(" ".join(shlex.quote(x) for x in argv))
        return
    sys.stdout.flush()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
