/*
 * The in-kernel GDB stub: GDB's remote serial protocol on COM2, built on the
 * probe engine. The packet layer is probes/kgdb_rsp.c; breakpoints,
 * watchpoints, single-steps and the ways out of a stop are probes/kgdb_bp.c.
 * This file owns the port, a stop's conversation with GDB, memory access,
 * the ways in (console `kgdb`, the `kgdbwait` boot flag, an oops with
 * `kgdb on-oops`, kgdb_breakpoint()) and the console command.
 *
 * While the stub holds the CPU interrupts are off: the console is frozen.
 */
#include "kgdb_internal.h"
#include "console.h"
#include "kallsyms.h"

#define ACK_MS		1000	/* wait this long for '+' before sending again */
#define STOP_TRIES	3	/* an unacknowledged stop reply: the debugger is gone */
#define REPLY_TRIES	5
#define DEFAULT_TIMEOUT	300	/* seconds of silence before the stub gives up */

#define SIGILL	4
#define SIGFPE	8
#define SIGBUS	7
#define SIGSEGV	11

#define DR6_BS		(1UL << 14)	/* single-step (TF) */
#define DR6_RESERVED	0xffff0ff0UL	/* what DR6 reads as with nothing reported */

static struct kgdb_cpu kgdb_cpus[MAX_CPUS];
static bool connected;		/* a debugger has talked to us and not detached */
static bool on_oops;
static unsigned int timeout_s = DEFAULT_TIMEOUT;
static uint64_t tsc_per_ms;

static struct rsp_rx rx;
static bool rx_pending;		/* a packet arrived while we waited for an ack */
static struct rsp_session sess;
static char reply[RSP_MAX_PACKET + 1];
static char frame[2 * RSP_MAX_PACKET + 8];

bool __kgdb kgdb_may_stop(void)
{
	struct kgdb_cpu *c = kcpu();

	return c && !c->active && debug_port();
}

/* ---- the port ---- */

static uint64_t __kgdb now_ms(void)
{
	return rdtsc() / tsc_per_ms;
}

static void __kgdb put_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		debug_port()->write_char((uint8_t)s[i]);
}

/*
 * A byte within ms milliseconds, or -1. The other CPUs run on while GDB
 * holds this one, so it answers their cross-CPU calls meanwhile (a text
 * change syncs every CPU); a grace period still waits for it if it stopped
 * inside a probe handler, as it must.
 */
static int __kgdb get_byte(uint64_t ms)
{
	uint64_t end = rdtsc() + ms * tsc_per_ms;

	do {
		int c = debug_port()->read_char();

		if (c >= 0)
			return c;
		smp_call_poll();
		cpu_relax();
	} while (rdtsc() < end);
	return -1;
}

/* Send a packet until GDB acknowledges it; -ETIMEDOUT after tries attempts. */
static int __kgdb send_packet(const char *payload, size_t len, int tries)
{
	size_t n = rsp_frame(frame, sizeof(frame), payload, len);

	if (!n)
		n = rsp_frame(frame, sizeof(frame), "E0c", 3);	/* cannot happen: replies fit */
	while (tries--) {
		uint64_t end;

		put_bytes(frame, n);
		end = now_ms() + ACK_MS;
		for (;;) {
			uint64_t t = now_ms();
			int ch = t < end ? get_byte(end - t) : -1;
			enum rsp_rx_event ev;

			if (ch < 0)
				break;			/* no answer: send it again */
			ev = rsp_rx_feed(&rx, (uint8_t)ch);
			if (ev == RSP_RX_ACK)
				return 0;
			if (ev == RSP_RX_NACK)
				break;
			if (ev == RSP_RX_PACKET) {
				/* GDB moved on: it had our packet, the '+' got lost */
				debug_port()->write_char('+');
				rx_pending = true;
				return 0;
			}
			if (ev == RSP_RX_BADSUM)
				debug_port()->write_char('-');
		}
	}
	return -ETIMEDOUT;
}

/* The next good packet into rx.buf; false after timeout_s seconds of silence. */
static bool __kgdb get_packet(void)
{
	uint64_t last = now_ms();

	if (rx_pending) {
		rx_pending = false;
		return true;
	}
	for (;;) {
		int ch = get_byte(100);
		enum rsp_rx_event ev;

		if (ch < 0) {
			if (timeout_s && now_ms() - last >= timeout_s * 1000ULL)
				return false;
			continue;
		}
		last = now_ms();
		ev = rsp_rx_feed(&rx, (uint8_t)ch);
		if (ev == RSP_RX_PACKET) {
			debug_port()->write_char('+');
			return true;
		}
		if (ev == RSP_RX_BADSUM) {
			debug_port()->write_char('-');
		} else if (ev == RSP_RX_TOOLONG) {
			debug_port()->write_char('+');
			send_packet("E16", 3, REPLY_TRIES);
		}
		/* acks, nacks and 0x03 while stopped mean nothing here */
	}
}

/* ---- may the probe table change here? ---- */

/* Functions that must not be re-entered by a probe-table change. */
static const char *const unsafe_fns[] = {
	"register_kprobe", "unregister_kprobe", "register_kprobes", "unregister_kprobes",
	"enable_kprobe", "disable_kprobe", "register_kretprobe", "unregister_kretprobe",
	"register_kretprobes", "unregister_kretprobes", "site_insert", "site_remove",
	"text_poke", "exec_alloc_page", "slot_alloc", "slot_free", "kmalloc", "kzalloc",
	"kfree", "alloc_pages_virt", "free_pages_virt", "frame_alloc", "frame_free",
};

static bool __kgdb addr_unsafe(uint64_t addr)
{
	uint64_t off;
	const struct ksym *s = kallsyms_lookup(addr, &off);

	if (!s)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(unsafe_fns); i++)
		if (!strcmp(ksym_name(s), unsafe_fns[i]))
			return true;
	return false;
}

/*
 * May the probe table change while stopped here? Not inside a probe hit,
 * not in an interrupt handler or a nested exception, and not when the
 * stopped code (or a caller) is a probe writer or the allocator, which
 * registering would re-enter.
 */
static bool __kgdb can_write_here(const struct pt_regs *regs)
{
	struct percpu *cpu = this_cpu();
	uint64_t rets[32];
	int n;

	if (kprobe_running())
		return false;
	/* stopped in an interrupt or a nested exception: what it interrupted is unknown */
	if (cpu->irq_depth > 0 || cpu->trap_depth > 1)
		return false;
	if (addr_unsafe(regs->ip))
		return false;
	n = stack_trace_save_bp(regs->bp, rets, ARRAY_SIZE(rets));
	for (int i = 0; i < n; i++)
		if (addr_unsafe(rets[i] - 1))
			return false;
	return true;
}

/* ---- rsp_ops: memory for the packet layer (breakpoints: kgdb_bp.c) ---- */

static int __kgdb op_read_mem(void *ctx, uint64_t addr, void *buf, size_t n)
{
	uint8_t *b = buf;

	(void)ctx;
	if (copy_from_kernel_nofault(buf, (const void *)addr, n))
		return -EFAULT;
	/* show text as it was before any probe: GDB must not see their int3s */
	for (size_t i = 0; i < n; i++)
		if (b[i] == 0xcc && is_kernel_text(addr + i))
			kprobe_read_orig(addr + i, &b[i], 1);
	return 0;
}

static int __kgdb op_write_mem(void *ctx, uint64_t addr, const void *buf, size_t n)
{
	(void)ctx;
	/* text changes only through breakpoints (Z0), never by a memory write */
	if (is_kernel_text(addr) || is_kernel_text(addr + n - 1))
		return -EPERM;
	for (uint64_t a = ALIGN_UP(addr, PAGE_SIZE); a < addr + n; a += PAGE_SIZE)
		if (is_kernel_text(a))
			return -EPERM;
	return copy_to_kernel_nofault((void *)addr, buf, n) ? -EFAULT : 0;
}

static const struct rsp_ops kgdb_ops = {
	.read_mem = op_read_mem,
	.write_mem = op_write_mem,
	.insert_bp = kgdb_insert_bp,
	.remove_bp = kgdb_remove_bp,
};

/* ---- a stop: talk to GDB until it resumes us ---- */

/* Detach, or the debugger is gone: GDB's breakpoints and watchpoints go. */
static void __kgdb forget_debugger(void)
{
	kgdb_bp_forget();
	connected = false;
	sess.gdb_swbreak = sess.gdb_hwbreak = false;
}

static uint32_t __kgdb read_sel(int which)
{
	uint16_t v = 0;

	switch (which) {
	case 0: asm volatile("mov %%ds, %0" : "=r"(v)); break;
	case 1: asm volatile("mov %%es, %0" : "=r"(v)); break;
	case 2: asm volatile("mov %%fs, %0" : "=r"(v)); break;
	default: asm volatile("mov %%gs, %0" : "=r"(v)); break;
	}
	return v;
}

static struct spinlock stub_lock = SPINLOCK_INIT("kgdb");

/*
 * One CPU at a time talks to GDB (the port and the session are one): a stop
 * on another CPU meanwhile waits here, answering cross-CPU calls, until GDB
 * lets the first go. False if this CPU already holds it (an oops inside
 * the session), which it then keeps.
 */
static bool __kgdb stub_take(void)
{
	unsigned int self = this_cpu()->cpu;

	if (READ_ONCE(stub_lock.owner) == self + 1)
		return false;
	while (spin_try_acquire(&stub_lock, self)) {
		smp_call_poll();
		cpu_relax();
	}
	return true;
}

/*
 * Report the stop and serve packets until GDB continues, steps or detaches.
 * wait: with nobody listening (the stop reply is not acknowledged), wait
 * for a debugger anyway (console and oops entries) rather than run on.
 */
enum rsp_action __kgdb kgdb_session(struct pt_regs *regs, int signal, enum rsp_stop_kind kind,
				    uint64_t watch_addr, bool can_write, bool wait)
{
	struct kgdb_cpu *c = kcpu();
	enum rsp_action a = RSP_DETACH;
	bool took = stub_take();
	size_t len;

	c->active = true;
	sess.ops = &kgdb_ops;
	sess.regs = regs;
	sess.ds = read_sel(0);
	sess.es = read_sel(1);
	sess.fs = read_sel(2);
	sess.gs = read_sel(3);
	sess.signal = signal;
	sess.stop_kind = kind;
	sess.watch_addr = watch_addr;
	sess.reg_written = false;
	kgdb_bp_stop(can_write);
	if (connected) {
		len = rsp_stop_reply(&sess, reply, sizeof(reply));
		if (send_packet(reply, len, STOP_TRIES)) {
			forget_debugger();
			if (!wait)
				goto out;
		}
	}
	for (;;) {
		if (!get_packet()) {
			a = RSP_DETACH;		/* silence: assume the debugger is gone */
			break;
		}
		connected = true;
		a = rsp_dispatch(&sess, rx.buf, rx.len, reply, sizeof(reply), &len);
		if (a == RSP_REPLY) {
			send_packet(reply, len, REPLY_TRIES);
			continue;
		}
		if (a == RSP_DETACH)
			send_packet(reply, len, 1);
		break;
	}
out:
	if (a == RSP_DETACH || a == RSP_KILL) {
		forget_debugger();
		a = RSP_DETACH;
	}
	c->active = false;
	if (took)
		spin_release(&stub_lock, this_cpu()->cpu);
	return a;
}

/* ---- ways in (Z0 breakpoints: kgdb_pre/kgdb_post in kgdb_bp.c) ---- */

/* The stub's own int3, for kgdb_breakpoint(). */
extern const char kgdb_break_insn[];

void __attribute__((noinline, noclone)) kgdb_breakpoint(void)
{
	asm volatile(".globl kgdb_break_insn\n"
		     "kgdb_break_insn: int3" : : : "memory");
}

static bool __kgdb kgdb_int3_hook(struct pt_regs *regs, int trapnr)
{
	bool w;

	(void)trapnr;
	if (regs->ip - 1 != (uint64_t)kgdb_break_insn)
		return false;
	if (!kgdb_may_stop())
		return true;	/* nothing to enter: just go on */
	w = can_write_here(regs);
	kgdb_resume_idle(regs, kgdb_session(regs, SIGTRAP, RSP_STOP_SIGNAL, 0, w, true), w);
	return true;
}

/* The hop fired: we are idle, before the instruction at regs->ip. */
static void __kgdb hop_arrived(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();

	if (!can_write_here(regs))
		return;		/* still not safe: the next safe stop catches up */
	if (c->step_pending && c->step_from == regs->ip)
		kgdb_step_over_site(regs->ip);
	kgdb_reconcile();
}

/* Debug-register hits, GDB's single-steps and our hops; after the probe engine's hook. */
static bool __kgdb kgdb_debug_hook(struct pt_regs *regs, int trapnr)
{
	struct kgdb_cpu *c = kcpu();
	uint64_t dr6 = get_dr6(), watch_addr = 0;
	enum rsp_stop_kind kind = RSP_STOP_SIGNAL;
	bool w, hit, ours = false;

	(void)trapnr;
	if (!c)
		return false;
	set_dr6(DR6_RESERVED);
	if (c->active) {
		/* a debug register or TF inside the stub itself: keep going */
		regs->flags |= X86_EFLAGS_RF;
		regs->flags &= ~X86_EFLAGS_TF;
		return true;
	}
	if (c->hop_slot >= 0 && (dr6 & (1UL << c->hop_slot))) {
		c->hop_slot = -1;
		hop_arrived(regs);
		kgdb_load_debug_regs();
		ours = true;
	}
	if ((dr6 & DR6_BS) && c->hop_tf) {
		c->hop_tf = false;
		if (!c->tf_set)
			regs->flags &= ~X86_EFLAGS_TF;
		hop_arrived(regs);
		ours = true;
	}
	hit = kgdb_hw_hit(dr6, &kind, &watch_addr);
	w = can_write_here(regs);
	if ((dr6 & DR6_BS) && c->step_pending) {
		kgdb_step_done(regs);
		kgdb_resume_idle(regs, kgdb_session(regs, SIGTRAP, RSP_STOP_SIGNAL, 0, w, false), w);
		return true;
	}
	if (hit) {
		kgdb_resume_idle(regs, kgdb_session(regs, SIGTRAP, kind, watch_addr, w, false), w);
		return true;
	}
	if (ours)
		return true;
	if (dr6 & DR6_BS) {
		/* a stray TF (a stepped pushf, popped later): drop it, never oops */
		regs->flags &= ~X86_EFLAGS_TF;
		return true;
	}
	return (dr6 & 0xf) != 0;	/* a debug register we no longer use */
}

static int __kgdb oops_signal(int trapnr)
{
	switch (trapnr) {
	case X86_TRAP_DE: return SIGFPE;
	case X86_TRAP_UD: return SIGILL;
	case X86_TRAP_BP: case X86_TRAP_DB: return SIGTRAP;
	case X86_TRAP_PF: case X86_TRAP_GP: case X86_TRAP_SS: case X86_TRAP_DF: return SIGSEGV;
	default: return SIGBUS;
	}
}

/* oops() calls this before it stops the kernel (with `kgdb on-oops`). */
static void __kgdb kgdb_oops(struct pt_regs *regs, int trapnr)
{
	if (!kgdb_may_stop())
		return;
	printk(KERN_EMERG "kgdb: waiting for GDB on %s (target remote the port; "
	       "continue or detach lets the kernel stop)\n", debug_port()->name);
	kgdb_session(regs, oops_signal(trapnr), RSP_STOP_SIGNAL, 0, false, true);
}

/* ---- setup and console ---- */

static int kgdb_init(void)
{
	int err;

	tsc_per_ms = tsc_khz() ? tsc_khz() : 1000000;
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		kgdb_cpus[i].hop_slot = -1;
		cpu_percpu(i)->kgdb_state = &kgdb_cpus[i];
	}
	rsp_rx_reset(&rx);
	err = trap_hook_register(X86_TRAP_BP, kgdb_int3_hook);
	if (!err)
		err = trap_hook_register(X86_TRAP_DB, kgdb_debug_hook);
	return err;
}
INITCALL(kgdb_init, 2);		/* after the probe engine's hooks (level 1) */

static int kgdb_boot_wait(void)
{
	if (!cmdline_has("kgdbwait"))
		return 0;
	if (!debug_port()) {
		pr_err("kgdb: kgdbwait: no debug port (COM2)\n");
		return 0;
	}
	printk(KERN_NOTICE "kgdb: kgdbwait: waiting for GDB on %s\n", debug_port()->name);
	kgdb_breakpoint();
	return 0;
}
INITCALL(kgdb_boot_wait, 5);

static const char *bp_err(int err)
{
	switch (err) {
	case -EINVAL: return "not kernel text, or a place probes may not go";
	case -EILSEQ: return "not the start of an instruction";
	case -EOPNOTSUPP: return "an instruction that cannot be probed";
	case -ENOSPC: return "breakpoint table full";
	case -ENOMEM: return "out of memory";
	default: return "refused";
	}
}

static int cmd_break(int argc, char **argv, bool set)
{
	uint64_t addr;
	char sym[96];
	int err;

	if (argc != 3)
		return cmd_error("usage: kgdb %s SYM|ADDR%s", argv[1], set ? "" : "|all");
	if (!set && !strcmp(argv[2], "all")) {
		kgdb_console_delete_all();
		return 0;
	}
	if (parse_address(argv[2], &addr))
		return cmd_error("no symbol '%s'", argv[2]);
	kallsyms_sprint(addr, sym, sizeof(sym));
	if (!set) {
		if (kgdb_console_delete(addr))
			return cmd_error("no console breakpoint at %s", sym);
		cprintf("kgdb: breakpoint at %s removed\n", sym);
		return 0;
	}
	err = kgdb_console_break(addr);
	if (err)
		return cmd_error("cannot break at %s: %s", sym, bp_err(err));
	cprintf("kgdb: breakpoint at %s: the kernel waits there for GDB on %s\n", sym,
		debug_port() ? debug_port()->name : "(no port)");
	return 0;
}

static int cmd_status(void)
{
	/* the console is idle and safe: catch up on removals a stop had to defer */
	kgdb_reconcile();

	cprintf("port %s, %s, on-oops %s, timeout %u s\n",
		debug_port() ? debug_port()->name : "none",
		connected ? "debugger attached" : "no debugger attached",
		on_oops ? "on" : "off", timeout_s);
	kgdb_bp_show();
	return 0;
}

static int cmd_kgdb(int argc, char **argv)
{
	uint64_t v;

	if (argc == 1) {
		if (!debug_port())
			return cmd_error("no debug port: start QEMU with a second -serial (COM2)");
		cprintf("kgdb: waiting for GDB on %s; the console is frozen until it "
			"continues or detaches\n", debug_port()->name);
		kgdb_breakpoint();
		cprintf("kgdb: resumed\n");
		return 0;
	}
	if (!strcmp(argv[1], "status") && argc == 2)
		return cmd_status();
	if (!strcmp(argv[1], "on-oops") && argc <= 3) {
		if (argc == 3) {
			if (strcmp(argv[2], "on") && strcmp(argv[2], "off"))
				return cmd_error("usage: kgdb on-oops [on|off]");
			on_oops = !strcmp(argv[2], "on");
			oops_notifier = on_oops ? kgdb_oops : NULL;
		}
		cprintf("kgdb: on-oops %s\n", on_oops ? "on" : "off");
		return 0;
	}
	if (!strcmp(argv[1], "timeout") && argc <= 3) {
		if (argc == 3) {
			if (kstrtou64(argv[2], &v) || v > 86400)
				return cmd_error("bad timeout '%s' (seconds, 0 to 86400; 0 waits forever)",
						 argv[2]);
			timeout_s = (unsigned int)v;
		}
		cprintf("kgdb: timeout %u s%s\n", timeout_s, timeout_s ? "" : " (wait forever)");
		return 0;
	}
	if (!strcmp(argv[1], "break"))
		return cmd_break(argc, argv, true);
	if (!strcmp(argv[1], "delete"))
		return cmd_break(argc, argv, false);
	return cmd_error("usage: kgdb [status | on-oops [on|off] | timeout [SECONDS] | "
			 "break SYM | delete SYM|all]");
}
CONSOLE_CMD(kgdb, cmd_kgdb, "kgdb [status|on-oops [on|off]|timeout [S]|break SYM|delete SYM|all]",
	    "enter the GDB stub on COM2 (or configure it)");
