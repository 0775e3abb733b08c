# kprobe64 GDB frame unwinder (sourced by scripts/gdb/gdbinit).
#
# The trap entry (arch/x86_64/entry.asm), the int3 hit's fast path
# (probes/int3_fast.asm) and the probe engine's detours
# (probes/opt_detour.asm) call C with rsp at a struct pt_regs they built,
# holding every register of the code they interrupted. None has CFI, and
# detours live in pages no symbol names, so GDB's own unwinders stop there:
# a backtrace from a probe handler ended at the trap or the detour. This
# one recognises the return addresses of those calls and gives GDB the
# interrupted code's registers from pt_regs, so the backtrace goes on
# through the probed function to its callers, as the kernel's own does
# (trap_frame_regs()).
import gdb
from gdb.unwinder import Unwinder, register_unwinder

# struct pt_regs (include/ptregs.h), in order; None: not a GDB register here
PT_REGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
           "rax", "rcx", "rdx", "rsi", "rdi", None, "rip", None, None, "rsp", None)
PAGE_SIZE = 4096


def _ulong(expr):
    return int(gdb.parse_and_eval("(unsigned long)(%s)" % expr)) & 0xFFFFFFFFFFFFFFFF


class _FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


def _detour_return(pc):
    """Is pc where a detour's call of a handler or of kprobe_optimized_hit()
    returns (as probes/opt.c's opt_is_detour_return decides)?"""
    per_page = _ulong("sizeof(((struct cell_page *)0)->owner) / sizeof(void *)")
    cell = PAGE_SIZE // per_page
    rets = [_ulong("&" + s) - _ulong("&optprobe_template")
            for s in ("optprobe_template_ret", "optprobe_template_slow_ret")]
    pg = _ulong("cell_pages")
    while pg:
        base = _ulong("((struct cell_page *)%#x)->base" % pg)
        if base <= pc < base + PAGE_SIZE:
            return (pc - base) % cell in rets
        pg = _ulong("((struct cell_page *)%#x)->next" % pg)
    return False


def _trap_return(pc):
    # the C calls of trap_common and trap_int3 return between these two;
    # probes/int3_fast.asm's calls, made with rsp at the int3's pt_regs, at these
    if _ulong("&trap_common") < pc <= _ulong("&trap_return"):
        return True
    if pc in (_ulong("&kprobe_int3_fast_ret"), _ulong("&kprobe_int3_rest_ret")):
        return True
    return _detour_return(pc)


class TrapFrameUnwinder(Unwinder):
    def __init__(self):
        super().__init__("kprobe64 trap frames")

    def __call__(self, pending_frame):
        pc = pending_frame.read_register("rip")
        sp = pending_frame.read_register("rsp")
        try:
            if not _trap_return(int(pc) & 0xFFFFFFFFFFFFFFFF):
                return None
        except gdb.error:       # no kernel symbols (yet): not ours to say
            return None
        regs = int(sp) & 0xFFFFFFFFFFFFFFFF
        info = pending_frame.create_unwind_info(_FrameId(sp, pc))
        ulong = gdb.lookup_type("unsigned long")
        for i, name in enumerate(PT_REGS):
            if name:
                value = gdb.Value(regs + 8 * i).cast(ulong.pointer()).dereference()
                info.add_saved_register(name, value)
        return info


register_unwinder(None, TrapFrameUnwinder(), replace=True)
