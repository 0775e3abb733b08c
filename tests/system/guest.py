"""Boot kprobe64 under QEMU and drive its serial console.

Every wait is bounded: a guest that stops answering fails the test that was
waiting, and close() always kills QEMU. Standard library only.
"""
import os
import re
import select
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ISO = os.path.join(ROOT, "build", "kprobe64.iso")
PROMPT = "kp> "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
OOPS_EXIT = 33          # (0x10 << 1) | 1, from isa-debug-exit
POWEROFF_EXIT = 1       # (0 << 1) | 1


class GuestError(AssertionError):
    pass


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 nobody is using now (TCP, or UDP with SOCK_DGRAM)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_udp_port():
    return free_port(socket.SOCK_DGRAM)


class Guest:
    """One QEMU running the ISO, console on its stdin/stdout."""

    def __init__(self, net="none", extra=(), mem="256M", boot_timeout=60, cmdline=None, smp=1):
        args = ["qemu-system-x86_64", "-cdrom", ISO, "-m", mem, "-smp", str(smp), "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if net == "user":
            args += ["-netdev", "user,id=n0", "-device", "e1000,netdev=n0"]
        elif net != "none":
            args += list(net)
        args += list(extra)
        self.args = args
        self.log = []           # everything the guest printed, cleaned
        self.buf = ""
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        t0 = time.time()
        self.read_until(PROMPT, boot_timeout, what="the first prompt")
        self.boot_seconds = time.time() - t0

    # ---- low level ----

    def _fill(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return False
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            return False
        text = ANSI.sub("", data.decode("utf-8", "replace")).replace("\r", "")
        self.log.append(text)
        self.buf += text
        return True

    def read_until(self, pattern, timeout, what=None):
        """Consume output up to and including the regex (or literal) pattern."""
        rx = re.compile(pattern if isinstance(pattern, re.Pattern) else re.escape(pattern))
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out
            left = end - time.time()
            if left <= 0 or (self.proc.poll() is not None and not self._fill(0)):
                tail = "".join(self.log)[-1500:]
                state = "exited %s" % self.proc.returncode if self.proc.poll() is not None else "running"
                raise GuestError("timed out after %ss waiting for %s (guest %s); last output:\n%s"
                                 % (timeout, what or repr(pattern), state, tail))
            self._fill(min(left, 0.5))

    def drain(self, quiet=1.0, limit=60):
        """Discard output until the guest has been silent for `quiet` seconds."""
        end = time.time() + limit
        while time.time() < end and self._fill(quiet):
            pass
        self.buf = ""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        # the UART has a 16-byte FIFO: pace long input so nothing is dropped
        for i in range(0, len(data), 16):
            self.proc.stdin.write(data[i:i + 16])
            self.proc.stdin.flush()
            if len(data) > 16:
                time.sleep(0.002)

    # ---- console ----

    def cmd(self, line, timeout=20):
        """Type a line, return what it printed before the next prompt (no echo)."""
        self.send(line + "\r")
        out = self.read_until(PROMPT, timeout, what="the prompt after %r" % line)
        out = out[:-len(PROMPT)]
        first, _, rest = out.partition("\n")
        return rest

    def cmd_ok(self, line, timeout=20):
        out = self.cmd(line, timeout)
        if re.search(r"^error:", out, re.M):
            raise GuestError("%r failed:\n%s" % (line, out))
        return out

    def cmd_err(self, line, timeout=20):
        """The line must answer with exactly one 'error:' line and nothing else."""
        out = self.cmd(line, timeout)
        lines = [l for l in out.splitlines() if l.strip()]
        if len(lines) != 1 or not lines[0].startswith("error:"):
            raise GuestError("%r: expected one error: line, got:\n%s" % (line, out))
        return lines[0]

    def wait_exit(self, timeout=30):
        end = time.time() + timeout
        while self.proc.poll() is None and time.time() < end:
            self._fill(0.2)
        while self._fill(0):
            pass
        if self.proc.poll() is None:
            raise GuestError("QEMU did not exit within %ss" % timeout)
        return self.proc.returncode

    def output(self):
        return "".join(self.log)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def expect(cond, msg):
    if not cond:
        raise GuestError(msg)
