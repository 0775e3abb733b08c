"""Boot kprobe64 under QEMU and drive its serial console.

Every wait is bounded: a guest that stops answering fails the test that was
waiting, and close() always kills QEMU. The command line comes from
scripts/qemu.py, shared with make run and make bench.
"""
import os
import re
import select
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qemu  # noqa: E402  (scripts/qemu.py: the shared QEMU command line)

ISO = qemu.ISO
PROMPT = "kp> "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
OOPS_EXIT = 33          # (0x10 << 1) | 1, from isa-debug-exit
POWEROFF_EXIT = 1       # (0 << 1) | 1


# What a healthy kernel never prints, by kind. printk lines may carry a
# "[   1.234567] " time stamp.
TS = r"(?:^|\n)(?:\[[^\]\n]*\] )?"
DEFECTS = [
    ("oops", re.compile(TS + r"(?:Oops: |Oops while reporting|Kernel panic: |---\[ end Kernel stopped)")),
    ("probe disabled after a fault", re.compile(r"[^\n]*faulted; probe disabled")),
    ("heap corruption", re.compile(TS + r"heap: (?:kfree\(|double free|overrun past)")),
    ("frame corruption", re.compile(TS + r"mm: frame \S+ freed twice")),
    ("init failure", re.compile(TS + r"init: \S+ failed")),
]
OOPS = DEFECTS[0][1]
# The report of a fault that a guarded call (the console's `call`) survived.
SURVIVED_CALL = r"Oops: .*: in a guarded call; the kernel goes on"


def defects(text, allowed=()):
    """The lines of `text` that show a kernel defect, minus allowed ones."""
    found = []
    for kind, rx in DEFECTS:
        for m in rx.finditer(text):
            end = text.find("\n", m.end())
            line = text[text.rfind("\n", 0, m.end() - 1) + 1:end if end >= 0 else None].strip()
            if not any(re.search(a, line) for a in allowed):
                found.append("%s: %s" % (kind, line))
    return found


class GuestError(AssertionError):
    pass


def _worker_index():
    """0 for a plain run, N for pytest-xdist's worker gwN."""
    w = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(w[2:]) if w.startswith("gw") and w[2:].isdigit() else 0


_next_port = {}


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 (TCP, or UDP with SOCK_DGRAM) that no other test
    worker can be handed: each worker draws from its own range, in order, and
    skips ports something else holds. (Asking the kernel for port 0 and then
    closing it races between workers: both can be given the same number.)"""
    lo = 20000 + 2000 * _worker_index()
    port = _next_port.get(kind, lo)
    while True:
        if port >= lo + 2000:
            port = lo
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
            _next_port[kind] = port + 1
            return port
        except OSError:
            port += 1
        finally:
            s.close()


def free_udp_port():
    return free_port(socket.SOCK_DGRAM)


class Guest:
    """One QEMU running kprobe64, console on its stdin/stdout.

    Every Guest made is remembered in Guest.made, so the checks after a test
    (guest_checks.py) can read the log of each guest the test started."""

    made = []

    def __init__(self, net="none", extra=(), mem="256M", boot_timeout=60, smp=1,
                 iso=None, kernel=None, accel=None, wait_prompt=True, tftp=None):
        if net == "user":
            net = qemu.user_net(tftp)
        elif net == "none":
            net = ()
        self.args = qemu.qemu_args(iso=iso, kernel=kernel, mem=mem, smp=smp, net=net,
                                   accel=accel, extra=extra)
        self.log = []           # everything the guest printed, cleaned
        self.buf = ""
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        Guest.made.append(self)
        self.boot_seconds = None
        if wait_prompt:
            t0 = time.time()
            try:
                self.read_until(PROMPT, boot_timeout, what="the first prompt")
            except Exception:
                self.close()
                raise
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
