# kprobe64 GDB helpers, in the spirit of Linux's scripts/gdb lx-* commands.
# Loaded by scripts/gdb/gdbinit (make gdb). They read kernel memory only, so
# they work the same through QEMU's gdbstub and through the in-kernel stub
# (slower there: every read is a packet on a 115200-baud line).
#
#   kp-probes   the probe table (probes/table.c), one line per kprobe, in the
#               order and format of the console's `kprobes`, plus handlers
#   kp-dmesg    the printk log buffer (kernel/printk.c log_buf/log_head)
#   kp-trace    the kprobe_events trace buffer (probes/events_hit.c rings),
#               formatted like the console's `trace`
#   kp-modules [DIR...]  load the symbols of every loaded module: its NAME.ko
#               (found in DIRs, default build/samples/modules, build/tests/modules
#               and .) with add-symbol-file at the addresses the loader chose
#
# Symbols are resolved with the kernel's own kallsyms table, read from
# memory, so names and +off/size match the console exactly.
import os
import struct

import gdb


def _read(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def _u64(addr):
    return struct.unpack("<Q", _read(addr, 8))[0]


def _cstr(addr, maxlen=256):
    out = b""
    while len(out) < maxlen:
        chunk = _read(addr + len(out), 32)
        z = chunk.find(b"\0")
        if z >= 0:
            return (out + chunk[:z]).decode("utf-8", "replace")
        out += chunk
    return out.decode("utf-8", "replace")


def _eval(expr):
    return gdb.parse_and_eval(expr)


def _probe_count(kp, field):
    """A probe's counter as kprobe_nhit()/kprobe_nmissed() sum it: what
    unregistrations folded in, plus its cell (probes/counters.c) in each
    online CPU's array. field: 0 hits, 1 misses."""
    total = int(kp["counted"][field])
    ctl = _eval("ctlblks")
    off = int(kp["count_off"])
    for c in range(int(_eval("sizeof(ctlblks) / sizeof(ctlblks[0])"))):
        base = _addr(ctl[c]["counts"])
        if base:
            total += _u64(base + off + 8 * field)
    return total


def _addr(value):
    return int(value) & 0xFFFFFFFFFFFFFFFF


class Kallsyms:
    """The kernel's symbol table (kernel/kallsyms.c), read from memory."""

    def __init__(self):
        self.num = int(_eval("kallsyms_num"))
        self.base = _addr(_eval("&kallsyms_syms[0]"))
        self.size = _eval("kallsyms_syms[0]").type.sizeof
        self.names = _addr(_eval("&kallsyms_names[0]"))
        self.cache = {}

    def entry(self, i):
        if i not in self.cache:
            addr, size, name, typ = struct.unpack_from("<QIIc", _read(self.base + i * self.size, 17))
            self.cache[i] = (addr, size, name, typ)
        return self.cache[i]

    def lookup(self, addr):
        """(name, offset, size) of the symbol containing addr, or None (as kallsyms_lookup)."""
        lo, hi = 0, self.num
        while lo < hi:
            mid = (lo + hi) // 2
            if self.entry(mid)[0] <= addr:
                lo = mid + 1
            else:
                hi = mid
        if not lo:
            return None
        i = lo - 1
        while i > 0 and self.entry(i - 1)[0] == self.entry(i)[0] and not self.entry(i)[1]:
            i -= 1
        start, size, name, _ = self.entry(i)
        if addr - start >= (size if size else 1):
            return None
        return _cstr(self.names + name), addr - start, size

    def sprint(self, addr):
        """kallsyms_sprint: name+0xoff/0xsize, or the address."""
        s = self.lookup(addr)
        if not s:
            return "%#x" % addr
        return "%s+%#x/%#x" % s

    def name(self, addr):
        s = self.lookup(addr)
        if not s:
            return "%#x" % addr
        return s[0] if not s[1] else "%s+%#x" % (s[0], s[1])


def _mode_name(value):
    # enum kprobe_mode KPROBE_MODE_STEP_RIPREL -> "step-riprel" (kprobe_mode_name)
    s = str(value)
    if s.startswith("KPROBE_MODE_"):
        return s[len("KPROBE_MODE_"):].lower().replace("_", "-")
    return "?"


def _first_symbol(*exprs):
    for e in exprs:
        try:
            return _eval(e)
        except gdb.error:
            pass
    raise gdb.GdbError("none of %s is in the symbols" % ", ".join(exprs))


def _probe_table():
    # struct site_table *: `kprobe_table` (global), or `table` static in probes/table.c
    return _first_symbol("kprobe_table", "'probes/table.c'::table", "'table.c'::table")


FLAG_DISABLED = 1
FLAG_GONE = 2


class KpProbes(gdb.Command):
    """List registered kprobes: address, symbol, mode, hits, misses, handlers.

Walks the probe table (probes/table.c `kprobe_table`, or `table` before it was
exported: buckets of struct kprobe_site
chained through hnext[table->link]) in the same order as the console's
`kprobes` command and prints the same columns, then each probe's handlers."""

    def __init__(self):
        super().__init__("kp-probes", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        ks = Kallsyms()
        table = _probe_table()
        if not _addr(table):
            print("the probe table is not set up yet")
            return
        t = table.dereference()
        shift = int(t["shift"])
        link = int(t["link"])
        buckets = _addr(t["buckets"].address)
        site_ptr = gdb.lookup_type("struct kprobe_site").pointer()
        rows = []
        nsites = 0
        for i in range(1 << shift):
            s = _u64(buckets + 8 * i)
            while s:
                site = gdb.Value(s).cast(site_ptr).dereference()
                nsites += 1
                mode = _mode_name(site["mode"])
                p = _addr(site["probes"])
                while p:
                    kp = gdb.Value(p).cast(gdb.lookup_type("struct kprobe").pointer()).dereference()
                    addr = _addr(kp["addr"])
                    flags = int(kp["flags"])
                    pre, post = _addr(kp["pre_handler"]), _addr(kp["post_handler"])
                    handlers = "pre=%s post=%s" % (ks.name(pre) if pre else "-",
                                                    ks.name(post) if post else "-")
                    rows.append("%016x  %-36s %-12s %8d %8d  %s%s%s" % (
                        addr, ks.sprint(addr), mode, _probe_count(kp, 0), _probe_count(kp, 1),
                        handlers, " [GONE]" if flags & FLAG_GONE else "",
                        " [DISABLED]" if flags & FLAG_DISABLED else ""))
                    p = _addr(kp["next"])
                s = _addr(site["hnext"][link])
        print("%d probes at %d addresses; table %d buckets" % (len(rows), nsites, 1 << shift))
        if rows:
            print("%-16s  %-36s %-12s %8s %8s  %s" % ("ADDRESS", "SYMBOL", "MODE", "HITS", "MISSED",
                                                   "HANDLERS"))
        for r in rows:
            print(r)


class KpDmesg(gdb.Command):
    """Print the kernel log buffer (kernel/printk.c log_buf, log_head), oldest first."""

    def __init__(self):
        super().__init__("kp-dmesg", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        buf = _addr(_eval("&log_buf[0]"))
        size = _eval("log_buf").type.sizeof
        head = int(_eval("log_head"))
        start = head - size if head > size else 0
        data = b""
        pos = start
        while pos < head:
            off = pos % size
            n = min(head - pos, size - off, 4096)
            data += _read(buf + off, n)
            pos += n
        if start:
            # a partial first line after wrap-around is skipped, as `dmesg` does
            nl = data.find(b"\n")
            data = data[nl + 1:] if nl >= 0 else b""
        gdb.write(data.decode("utf-8", "replace"))
        if data and not data.endswith(b"\n"):
            gdb.write("\n")


TRACE_TYPES = ["u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
               "x8", "x16", "x32", "x64", "string", "symbol"]
# Constants of include/trace.h, include/kprobe_events.h, probes/trace_buffer.c
TRACE_SLOT_HDR = 8
TRACE_STRING_MAX = 64
RING_PAD = 0xFFFFFFFF
KEVENT_COMM, KEVENT_PID = "kp-shell", 1


class KpTrace(gdb.Command):
    """Print the kprobe_events trace buffer like the console's `trace`.

Reads each CPU's ring in probes/events_hit.c (`rings`, struct trace_ring of
variable-length entries: a {len, plen, seq} header, then a struct trace_hit
and the event's fetch-arg record) and formats each hit with its event's
definition from the registry in probes/events.c (`events`, `nevents`).
Reading does not consume anything."""

    def __init__(self):
        super().__init__("kp-trace", gdb.COMMAND_DATA)

    def events(self):
        n = int(_first_symbol("'probes/events.c'::nevents", "'events.c'::nevents", "nevents"))
        arr = _first_symbol("'probes/events.c'::events", "'events.c'::events", "events")
        out = {}
        for i in range(n):
            ev = arr[i].dereference()
            out[int(ev["id"])] = ev
        return out

    def format_args(self, ks, d, rec):
        out = ""
        for i in range(int(d["nargs"])):
            a = d["args"][i]
            name = a["name"].string()
            typ = TRACE_TYPES[int(a["type"])] if int(a["type"]) < len(TRACE_TYPES) else "x64"
            count = int(a["count"])
            off = int(a["rec_off"])
            slot = rec[off:]
            out += " %s=" % name
            if slot[0]:
                out += "(fault)"
                continue
            data = slot[TRACE_SLOT_HDR:]
            if typ == "string":
                smax = TRACE_STRING_MAX
                if count:
                    parts = []
                    for j in range(count):
                        el = data[j * (TRACE_SLOT_HDR + smax):]
                        parts.append("(fault)" if el[0] else self.fmt_string(el[TRACE_SLOT_HDR:]))
                    out += "{" + ",".join(parts) + "}"
                else:
                    out += self.fmt_string(data)
            elif count:
                out += "{" + ",".join(self.fmt_value(ks, typ, struct.unpack_from("<Q", data, 8 * j)[0])
                                      for j in range(count)) + "}"
            else:
                out += self.fmt_value(ks, typ, struct.unpack_from("<Q", data)[0])
        return out

    @staticmethod
    def fmt_string(b):
        z = b.find(b"\0")
        b = b[:z] if z >= 0 else b
        return '"' + "".join(chr(c) if 0x20 <= c < 0x7F else "." for c in b) + '"'

    @staticmethod
    def fmt_value(ks, typ, v):
        if typ[0] == "u":
            return "%d" % v
        if typ[0] == "s":
            return "%d" % (v - (1 << 64) if v >> 63 else v)
        if typ == "symbol":
            s = ks.lookup(v)
            if s:
                return "%s+%#x/%#x" % s
        return "%#x" % v

    def invoke(self, arg, from_tty):
        ks = Kallsyms()
        rings = _first_symbol("'probes/events_hit.c'::rings", "'events_hit.c'::rings")
        ncpus = int(_first_symbol("'arch/x86_64/smp.c'::ncpus", "'smp.c'::ncpus"))
        hit_t = gdb.lookup_type("struct trace_hit")
        events = self.events()
        entries, lost, written = [], [], 0
        for cpu in range(ncpus if int(rings) else 0):
            ring = rings[cpu]
            written += int(ring["next_seq"]) - int(ring["base_seq"])
            for item in self.ring_entries(ring):
                if isinstance(item, int):
                    lost.append("CPU:%d [LOST %d EVENTS]" % (cpu, item))
                else:
                    entries.append(item)
        entries.sort(key=lambda e: e[0])    # merged by time stamp, as `trace`
        print("# tracer: nop\n#\n# entries-in-buffer/entries-written: %d/%d   #P:%d\n#" %
              (len(entries), written, ncpus))
        print("#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION")
        print("#              | |         |   |||||     |         |")
        for l in lost:
            print(l)
        for _, payload in entries:
            print(self.format_hit(ks, events, hit_t, payload))

    @staticmethod
    def ring_entries(ring):
        """(timestamp, payload) of each entry one CPU's ring holds, oldest
        first, with an int for each gap in the sequence (entries lost)."""
        buf, size = _addr(ring["buf"]), int(ring["size"])
        head, pos, seq = int(ring["head"]), int(ring["tail"]), int(ring["tail_seq"])
        while pos < head and buf:
            ln, plen, eseq = struct.unpack("<IIQ", _read(buf + pos % size, 16))
            if not ln:
                break
            if plen != RING_PAD:
                if eseq != seq:
                    yield eseq - seq
                seq = eseq + 1
                payload = _read(buf + pos % size + 16, plen)
                yield (struct.unpack_from("<Q", payload, 8)[0], payload)
            pos += ln

    def format_hit(self, ks, events, hit_t, payload):
        eid, cpu, flags, depth = struct.unpack_from("<IBBB", payload)
        ts, ip, func = struct.unpack_from("<QQQ", payload, 8)
        rec = payload[hit_t.sizeof:]
        ev = events.get(eid)
        if ev is None:
            return "<entry of removed event %d>" % eid
        d = ev["def"]
        fl = ("d" if flags & 1 else ".") + "." + ("h" if flags & 2 else ".") + \
             ("0123456789abcdef"[depth & 15] if depth else ".") + "."
        us = (ts + 500) // 1000
        ipstr = ks.sprint(ip) if ip else "0"
        fn = ""
        if bool(d["is_return"]):
            s = ks.lookup(func)
            fn = " <- " + (s[0] if s else "0x%08x" % func)
        return "%16s-%-7d [%03d] %s %5d.%06d: %s: (%s%s)%s" % (
            KEVENT_COMM, KEVENT_PID, cpu, fl, us // 1000000, us % 1000000, d["event"].string(),
            ipstr, fn, self.format_args(ks, d, rec))


def _module_list():
    return _first_symbol("'kernel/module.c'::modules", "'module.c'::modules")


class KpModules(gdb.Command):
    """Load the symbols of every loaded module: kp-modules [DIR...].

    Walks the loader's list (kernel/module.c `modules`), finds NAME.ko in the
    DIRs (default: build/samples/modules, build/tests/modules, ., and the same
    under the directory above the kernel ELF's) and runs add-symbol-file with
    each allocated section's address (struct module sects), as Linux's
    lx-symbols does. Symbols of modules loaded before and gone since are
    dropped first, so it may be run again after every insmod or rmmod."""

    def __init__(self):
        super().__init__("kp-modules", gdb.COMMAND_FILES)
        self.added = {}         # .ko path -> .text address it was added at

    @staticmethod
    def default_dirs():
        rel = [os.path.join("build", "samples", "modules"), os.path.join("build", "tests", "modules")]
        dirs = rel + ["."]
        elf = gdb.current_progspace().filename
        if elf:
            top = os.path.dirname(os.path.dirname(os.path.abspath(elf)))
            dirs += [os.path.join(top, d) for d in rel]
        return dirs

    def invoke(self, arg, from_tty):
        dirs = gdb.string_to_argv(arg) or self.default_dirs()
        for path, text in list(self.added.items()):
            gdb.execute("remove-symbol-file -a %#x" % text, to_string=True)
            del self.added[path]
        m = _addr(_module_list())
        count = 0
        while m:
            mod = _eval("*(struct module *)%#x" % m)
            name = mod["name"].string()
            sects = mod["sects"]
            secs = [(sects[i]["name"].string(), _addr(sects[i]["addr"]))
                    for i in range(int(mod["num_sects"]))]
            path = next((os.path.join(d, name + ".ko") for d in dirs
                         if os.path.exists(os.path.join(d, name + ".ko"))), None)
            addrs = dict(secs)
            if path is None:
                print("kp-modules: %s: no %s.ko in %s" % (name, name, " ".join(dirs)))
            elif ".text" not in addrs:
                print("kp-modules: %s: no .text section" % name)
            else:
                cmd = "add-symbol-file %s %#x" % (path, addrs[".text"])
                cmd += "".join(" -s %s %#x" % (s, a) for s, a in secs if s != ".text")
                gdb.execute(cmd, to_string=True)
                self.added[path] = addrs[".text"]
                count += 1
                print("kp-modules: %s: %s, .text at %#x (%d sections)"
                      % (name, path, addrs[".text"], len(secs)))
            m = _addr(mod["next"])
        print("kp-modules: symbols of %d module%s loaded" % (count, "" if count == 1 else "s"))


KpProbes()
KpDmesg()
KpTrace()
KpModules()
