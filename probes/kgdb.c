/*
 * The in-kernel GDB stub: GDB's remote serial protocol on COM2, built on the
 * probe engine. The packet layer is probes/kgdb_rsp.c; this file owns the
 * port, the ways in (console `kgdb`, the `kgdbwait` boot flag, an oops with
 * `kgdb on-oops`, breakpoints, steps, debug registers) and the ways out.
 *
 * Software breakpoints (Z0) are kprobes whose pre_handler runs the stub, so
 * a GDB breakpoint shares its address with other kprobes (all of them fire)
 * and text only changes through text_poke. The stub stops the CPU in three
 * kinds of context:
 *
 *   pre    in our pre_handler at a breakpoint, ip = the probed address. On
 *          return the engine runs the instruction (stepped out of line,
 *          emulated), then calls our post_handler.
 *   post   in our post_handler, ip = just after that instruction; this is
 *          where a single-step from a breakpoint is reported, so GDB never
 *          sees a slot address.
 *   idle   anywhere else (console entry, TF single-step, debug register
 *          hit, oops): the probe engine is not in the middle of a hit.
 *
 * The probe table may only change when the engine is idle (register_kprobe
 * refuses otherwise), and only when the stopped code is not itself inside
 * the allocator or a probe writer. So Z0/z0 only record what GDB wants;
 * the table follows at the next safe idle moment. Leaving a pre/post stop
 * with changes pending arms a "hop": a debug-register breakpoint on the
 * address the CPU returns to, which traps before that instruction runs,
 * once the engine has gone idle (TF when no debug register is free). A
 * breakpoint GDB removed but that is still registered does nothing when hit.
 *
 * Single-stepping sets TF; the #DB lands in our hook after the probe
 * engine's hook declined it. Stepping the instruction under another kprobe
 * goes through the engine's int3 path (its handlers run; the engine steps
 * the copy with our TF saved and restored), so the stub puts a temporary
 * kprobe of its own there and reports the step from its post_handler.
 *
 * While the stub holds the CPU interrupts are off: the console is frozen.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "kallsyms.h"
#include "probes.h"
#include "kgdb.h"

/* The whole stub stays out of reach of probes: it runs inside their handlers. */
#define __kgdb	__attribute__((section(".noprobe.text"), noinline))

#define MAX_BPS		32
#define NUM_DR		4
#define ACK_MS		1000	/* wait this long for '+' before sending again */
#define STOP_TRIES	3	/* an unacknowledged stop reply: the debugger is gone */
#define REPLY_TRIES	5
#define DEFAULT_TIMEOUT	300	/* seconds of silence before the stub gives up */

#define SIGTRAP	5
#define SIGILL	4
#define SIGFPE	8
#define SIGBUS	7
#define SIGSEGV	11

#define DR6_BS		(1UL << 14)
#define DR6_RESERVED	0xffff0ff0UL
#define DR7_GE		(1UL << 9)

/* A GDB (or console) software breakpoint: one kprobe of ours per address. */
struct kgdb_bp {
	uint64_t addr;
	bool used;
	bool gdb;		/* GDB has it inserted (Z0 and no z0 since) */
	bool console;		/* set with `kgdb break` */
	bool step;		/* temporary: to single-step over another kprobe's site */
	bool registered;	/* our kprobe is in the probe table */
	struct kprobe kp;
};

/* A debug register in use by GDB (Z1 / Z2 / Z4, or a Z0 probes may not take). */
struct hw_slot {
	bool used;
	bool sw;		/* GDB asked for a software breakpoint (Z0) */
	enum rsp_bp_type type;
	uint64_t addr;
	unsigned int len;
};

/* Per-CPU stub state (percpu.kgdb_state). One CPU runs today. */
struct kgdb_cpu {
	bool active;		/* the stub holds this CPU */
	bool step_pending;	/* resumed with a step: report the next stop */
	uint64_t step_from;	/* the address that step started at */
	bool tf_set;		/* we set TF in the interrupted flags */
	bool hop_wanted;	/* arm a hop from our post_handler */
	int hop_slot;		/* debug register armed for the hop, or -1 */
	uint64_t hop_addr;
	bool hop_tf;		/* the hop rides on TF: no debug register was free */
};

enum entry { ENTRY_CONSOLE, ENTRY_TRAP, ENTRY_OOPS };

static const struct kgdb_io *io;
static struct kgdb_bp bps[MAX_BPS];
static struct hw_slot hw[NUM_DR];
static struct kgdb_cpu cpu0 = { .hop_slot = -1 };
static bool connected;		/* a debugger has talked to us and not detached */
static bool on_oops;
static unsigned int timeout_s = DEFAULT_TIMEOUT;
static uint64_t tsc_per_ms;

static struct rsp_rx rx;
static bool rx_pending;		/* a packet arrived while we waited for an ack */
static struct rsp_session sess;
static bool sess_can_write;	/* the probe table may change during this stop */
static char reply[RSP_MAX_PACKET + 1];
static char frame[2 * RSP_MAX_PACKET + 8];

static int kgdb_pre(struct kprobe *p, struct pt_regs *regs);
static void kgdb_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags);
static int hw_insert(enum rsp_bp_type type, uint64_t addr, unsigned int len, bool sw);

static inline struct kgdb_cpu *kcpu(void)
{
	return this_cpu()->kgdb_state;
}

/* ---- debug registers ---- */

#define DR_ACCESSORS(n) \
	static inline void set_dr##n(uint64_t v) { asm volatile("mov %0, %%dr" #n : : "r"(v)); }
DR_ACCESSORS(0)
DR_ACCESSORS(1)
DR_ACCESSORS(2)
DR_ACCESSORS(3)
DR_ACCESSORS(6)
DR_ACCESSORS(7)

static inline uint64_t get_dr6(void)
{
	uint64_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static void __kgdb set_dr(int i, uint64_t v)
{
	switch (i) {
	case 0: set_dr0(v); break;
	case 1: set_dr1(v); break;
	case 2: set_dr2(v); break;
	default: set_dr3(v); break;
	}
}

static uint64_t __kgdb dr7_bits(enum rsp_bp_type type, unsigned int len)
{
	uint64_t rw = type == RSP_WP_WRITE ? 1 : type == RSP_WP_ACCESS ? 3 : 0;
	uint64_t ln = len == 2 ? 1 : len == 8 ? 2 : len == 4 ? 3 : 0;

	return type == RSP_BP_HW ? 0 : rw | ln << 2;
}

/* DR0-3 and DR7 from the slots and the hop. */
static void __kgdb load_debug_regs(void)
{
	struct kgdb_cpu *c = kcpu();
	uint64_t dr7 = 0;

	for (int i = 0; i < NUM_DR; i++) {
		if (hw[i].used) {
			set_dr(i, hw[i].addr);
			dr7 |= 1UL << (2 * i) | dr7_bits(hw[i].type, hw[i].len) << (16 + 4 * i);
		} else if (c->hop_slot == i) {
			set_dr(i, c->hop_addr);
			dr7 |= 1UL << (2 * i);
		}
	}
	if (dr7)
		dr7 |= DR7_GE;
	set_dr7(dr7);
}

/* ---- the port ---- */

static uint64_t __kgdb now_ms(void)
{
	return rdtsc() / tsc_per_ms;
}

static void __kgdb put_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		io->write_char((uint8_t)s[i]);
}

/* A byte within ms milliseconds, or -1. */
static int __kgdb get_byte(uint64_t ms)
{
	uint64_t end = rdtsc() + ms * tsc_per_ms;

	do {
		int c = io->read_char();

		if (c >= 0)
			return c;
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
				io->write_char('+');
				rx_pending = true;
				return 0;
			}
			if (ev == RSP_RX_BADSUM)
				io->write_char('-');
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
			io->write_char('+');
			return true;
		}
		if (ev == RSP_RX_BADSUM) {
			io->write_char('-');
		} else if (ev == RSP_RX_TOOLONG) {
			io->write_char('+');
			send_packet("E16", 3, REPLY_TRIES);
		}
		/* acks, nacks and 0x03 while stopped mean nothing here */
	}
}

/* ---- the probe table, kept as GDB wants it ---- */

static bool __kgdb bp_needed(const struct kgdb_bp *b)
{
	return b->gdb || b->console || b->step;
}

static struct kgdb_bp *__kgdb bp_find(uint64_t addr)
{
	for (int i = 0; i < MAX_BPS; i++)
		if (bps[i].used && bps[i].addr == addr)
			return &bps[i];
	return NULL;
}

static struct kgdb_bp *__kgdb bp_get(uint64_t addr)
{
	struct kgdb_bp *b = bp_find(addr);

	for (int i = 0; !b && i < MAX_BPS; i++) {
		if (!bps[i].used) {
			b = &bps[i];
			memset(b, 0, sizeof(*b));
			b->used = true;
			b->addr = addr;
		}
	}
	return b;
}

static int __kgdb bp_register(struct kgdb_bp *b)
{
	int err;

	memset(&b->kp, 0, sizeof(b->kp));
	b->kp.addr = (uint8_t *)b->addr;
	b->kp.pre_handler = kgdb_pre;
	b->kp.post_handler = kgdb_post;
	err = register_kprobe(&b->kp);
	b->registered = !err;
	return err;
}

static void __kgdb bp_release(struct kgdb_bp *b)
{
	if (b->registered) {
		unregister_kprobe(&b->kp);
		b->registered = false;
	}
	if (!bp_needed(b))
		b->used = false;
}

static bool __kgdb work_pending(void)
{
	for (int i = 0; i < MAX_BPS; i++)
		if (bps[i].used && bp_needed(&bps[i]) != bps[i].registered)
			return true;
	return false;
}

/* Make the table match: only where the engine is idle and the stopped code is safe. */
static void __kgdb reconcile(void)
{
	struct kgdb_cpu *c = kcpu();

	for (int i = 0; i < MAX_BPS; i++) {
		struct kgdb_bp *b = &bps[i];

		if (!b->used)
			continue;
		if (b->step && !(c->step_pending && c->step_from == b->addr))
			b->step = false;
		if (bp_needed(b) && !b->registered) {
			int err = bp_register(b);

			if (err) {
				/* refused: set while the table could not change, so unchecked */
				if (err == -EOPNOTSUPP && b->gdb)
					hw_insert(RSP_BP_HW, b->addr, 1, true);
				b->gdb = b->console = b->step = false;
				b->used = false;
			}
		} else if (!bp_needed(b)) {
			bp_release(b);
		}
	}
}

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

struct site_query {
	uint64_t addr;
	bool found;
};

static int __kgdb other_probe_at(struct kprobe *p, void *arg)
{
	struct site_query *q = arg;

	if ((uint64_t)p->addr == q->addr && p->pre_handler != kgdb_pre) {
		q->found = true;
		return 1;
	}
	return 0;
}

/* Does addr carry another kprobe, and no registered one of ours? */
static bool __kgdb foreign_site(uint64_t addr)
{
	struct kgdb_bp *b = bp_find(addr);
	struct site_query q = { addr, false };

	if (b && b->registered)
		return false;
	kprobe_for_each(other_probe_at, &q);
	return q.found;
}

/* ---- rsp_ops: memory and breakpoints for the packet layer ---- */

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

static int __kgdb hw_insert(enum rsp_bp_type type, uint64_t addr, unsigned int len, bool sw)
{
	struct kgdb_cpu *c = kcpu();

	if (type == RSP_WP_READ)
		return -EOPNOTSUPP;	/* x86 watches writes, or all accesses */
	if (type == RSP_BP_HW) {
		len = 1;
	} else if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1))) {
		return -EINVAL;
	}
	if (!va_is_canonical(addr))
		return -EINVAL;
	for (int i = 0; i < NUM_DR; i++)
		if (hw[i].used && hw[i].type == type && hw[i].addr == addr && hw[i].len == len &&
		    hw[i].sw == sw)
			return 0;
	for (int i = 0; i < NUM_DR; i++) {
		if (!hw[i].used && c->hop_slot != i) {
			hw[i] = (struct hw_slot){ true, sw, type, addr, len };
			return 0;
		}
	}
	return -ENOSPC;
}

static int __kgdb hw_remove(enum rsp_bp_type type, uint64_t addr, unsigned int len, bool sw)
{
	if (type == RSP_WP_READ)
		return -EOPNOTSUPP;
	for (int i = 0; i < NUM_DR; i++) {
		if (hw[i].used && hw[i].type == type && hw[i].addr == addr && hw[i].sw == sw &&
		    (type == RSP_BP_HW || hw[i].len == len)) {
			hw[i].used = false;
			return 0;
		}
	}
	return 0;
}

/* Why a software breakpoint cannot go at addr, checked before it is recorded. */
static int __kgdb sw_check(uint64_t addr)
{
	if (!is_kernel_text(addr) || kprobe_blacklisted(addr))
		return -EINVAL;
	return 0;
}

static int __kgdb op_insert(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind)
{
	struct kgdb_bp *b;
	int err;

	(void)ctx;
	if (type != RSP_BP_SW)
		return hw_insert(type, addr, kind, false);
	/*
	 * Where probes may not go (the trap path, the probe engine, the asm
	 * of guarded_call where `finish` from a `call`ed function lands), a
	 * debug register does the job instead, invisibly to GDB.
	 */
	if (is_kernel_text(addr) && kprobe_blacklisted(addr))
		return hw_insert(RSP_BP_HW, addr, 1, true);
	err = sw_check(addr);
	if (err)
		return err;
	b = bp_get(addr);
	if (!b)
		return -ENOSPC;
	if (!b->registered && sess_can_write) {
		err = bp_register(b);
		if (err) {
			if (!bp_needed(b))
				b->used = false;
			/* an instruction probes cannot take: a debug register can */
			if (err == -EOPNOTSUPP)
				return hw_insert(RSP_BP_HW, addr, 1, true) ? -EINVAL : 0;
			return err;
		}
	}
	b->gdb = true;
	return 0;
}

static int __kgdb op_remove(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind)
{
	struct kgdb_bp *b;

	(void)ctx;
	if (type != RSP_BP_SW)
		return hw_remove(type, addr, kind, false);
	hw_remove(RSP_BP_HW, addr, 1, true);
	b = bp_find(addr);
	if (!b)
		return 0;
	b->gdb = false;
	if (sess_can_write && !bp_needed(b))
		bp_release(b);
	return 0;
}

static const struct rsp_ops kgdb_ops = {
	.read_mem = op_read_mem,
	.write_mem = op_write_mem,
	.insert_bp = op_insert,
	.remove_bp = op_remove,
};

/* ---- a stop: talk to GDB until it resumes us ---- */

/* Detach, or the debugger is gone: GDB's breakpoints and watchpoints go. */
static void __kgdb forget_debugger(void)
{
	for (int i = 0; i < MAX_BPS; i++)
		bps[i].gdb = false;
	for (int i = 0; i < NUM_DR; i++)
		hw[i].used = false;
	kcpu()->step_pending = false;
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

/*
 * Report the stop and serve packets until GDB continues, steps or detaches.
 * wait: with nobody listening (the stop reply is not acknowledged), wait
 * for a debugger anyway (console and oops entries) rather than run on.
 */
static enum rsp_action __kgdb session(struct pt_regs *regs, int signal, enum rsp_stop_kind kind,
				      uint64_t watch_addr, bool can_write, bool wait)
{
	struct kgdb_cpu *c = kcpu();
	enum rsp_action a = RSP_DETACH;
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
	sess_can_write = can_write;
	if (can_write)
		reconcile();
	/* no debug register fires while we work */
	set_dr7(0);
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
	return a;
}

/* A step is reported at the next stop; TF makes that one instruction away. */
static void __kgdb prepare_step(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();

	c->step_pending = true;
	c->step_from = regs->ip;
	regs->flags |= X86_EFLAGS_TF;
	c->tf_set = true;
}

static void __kgdb clear_step_tf(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();

	if (c->tf_set) {
		regs->flags &= ~X86_EFLAGS_TF;
		c->tf_set = false;
	}
}

/* Regain control at regs->ip once the engine is idle, before that instruction runs. */
static void __kgdb arm_hop(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();

	for (int i = 0; i < NUM_DR; i++) {
		if (!hw[i].used) {
			c->hop_slot = i;
			c->hop_addr = regs->ip;
			return;
		}
	}
	/* every debug register is GDB's: come back one instruction later instead */
	c->hop_tf = true;
	regs->flags |= X86_EFLAGS_TF;
}

/* Resume flag: an instruction breakpoint at ip must not fire again at once. */
static void __kgdb set_rf(struct pt_regs *regs)
{
	for (int i = 0; i < NUM_DR; i++)
		if (hw[i].used && hw[i].type == RSP_BP_HW && hw[i].addr == regs->ip)
			regs->flags |= X86_EFLAGS_RF;
}

/* Leaving an idle stop. */
static void __kgdb resume_idle(struct pt_regs *regs, enum rsp_action a, bool can_write)
{
	struct kgdb_bp *b;

	if (a == RSP_RESUME_STEP) {
		prepare_step(regs);
		if (can_write && foreign_site(regs->ip)) {
			b = bp_get(regs->ip);
			if (b)
				b->step = true;
		}
	}
	if (can_write)
		reconcile();
	set_rf(regs);
	load_debug_regs();
}

/* Leaving a stop in our pre_handler at addr: the return value is the pre_handler's. */
static int __kgdb resume_pre(struct pt_regs *regs, enum rsp_action a, uint64_t addr)
{
	bool moved = regs->ip != addr;

	if (a == RSP_RESUME_STEP)
		prepare_step(regs);
	if (moved) {
		/* GDB changed pc: skip the probed instruction; the engine irets to regs->ip */
		if (work_pending() || (a == RSP_RESUME_STEP && foreign_site(regs->ip)))
			arm_hop(regs);
		load_debug_regs();
		return 1;
	}
	kcpu()->hop_wanted = work_pending();
	load_debug_regs();
	return 0;
}

/* Leaving a stop in our post_handler: the engine goes idle and irets to regs->ip. */
static void __kgdb resume_post(struct pt_regs *regs, enum rsp_action a)
{
	if (a == RSP_RESUME_STEP)
		prepare_step(regs);
	if (work_pending() || (a == RSP_RESUME_STEP && foreign_site(regs->ip)))
		arm_hop(regs);
	set_rf(regs);
	load_debug_regs();
}

/* The hop fired: we are idle, before the instruction at regs->ip. */
static void __kgdb hop_arrived(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();
	struct kgdb_bp *b;

	if (!can_write_here(regs))
		return;		/* still not safe: the next safe stop catches up */
	if (c->step_pending && c->step_from == regs->ip && foreign_site(regs->ip)) {
		b = bp_get(regs->ip);
		if (b)
			b->step = true;
	}
	reconcile();
}

/* ---- ways in ---- */

static int __kgdb kgdb_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();
	struct kgdb_bp *b = container_of(p, struct kgdb_bp, kp);
	enum rsp_action a;

	if (!c || c->active || !io)
		return 0;
	if (c->step_pending && c->step_from == regs->ip)
		return 0;	/* the instruction being stepped: reported from kgdb_post */
	if (!b->gdb && !b->console)
		return 0;	/* removed by GDB, not yet out of the table */
	if (c->step_pending) {
		c->step_pending = false;
		clear_step_tf(regs);
	}
	a = session(regs, SIGTRAP, RSP_STOP_SWBREAK, 0, false, b->console);
	return resume_pre(regs, a, (uint64_t)p->addr);
}

static void __kgdb kgdb_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	struct kgdb_cpu *c = kcpu();
	enum rsp_action a;

	(void)flags;
	if (!c || c->active || !io)
		return;
	if (c->step_pending && c->step_from == (uint64_t)p->addr) {
		c->step_pending = false;
		c->hop_wanted = false;
		clear_step_tf(regs);
		a = session(regs, SIGTRAP, RSP_STOP_SIGNAL, 0, false, false);
		resume_post(regs, a);
		return;
	}
	if (c->hop_wanted) {
		c->hop_wanted = false;
		arm_hop(regs);
		load_debug_regs();
	}
}

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
	if (!kcpu() || kcpu()->active || !io)
		return true;	/* nothing to enter: just go on */
	w = can_write_here(regs);
	resume_idle(regs, session(regs, SIGTRAP, RSP_STOP_SIGNAL, 0, w, true), w);
	return true;
}

static bool __kgdb kgdb_debug_hook(struct pt_regs *regs, int trapnr)
{
	struct kgdb_cpu *c = kcpu();
	uint64_t dr6 = get_dr6();
	int hit = -1;
	bool w, ours = false;

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
		load_debug_regs();
		ours = true;
	}
	if ((dr6 & DR6_BS) && c->hop_tf) {
		c->hop_tf = false;
		if (!c->tf_set)
			regs->flags &= ~X86_EFLAGS_TF;
		hop_arrived(regs);
		ours = true;
	}
	for (int i = 0; i < NUM_DR; i++)
		if (hw[i].used && (dr6 & (1UL << i)))
			hit = i;
	w = can_write_here(regs);
	if ((dr6 & DR6_BS) && c->step_pending) {
		c->step_pending = false;
		clear_step_tf(regs);
		resume_idle(regs, session(regs, SIGTRAP, RSP_STOP_SIGNAL, 0, w, false), w);
		return true;
	}
	if (hit >= 0) {
		enum rsp_stop_kind k = hw[hit].sw ? RSP_STOP_SWBREAK :
				       hw[hit].type == RSP_BP_HW ? RSP_STOP_HWBREAK :
				       hw[hit].type == RSP_WP_WRITE ? RSP_STOP_WATCH : RSP_STOP_AWATCH;

		resume_idle(regs, session(regs, SIGTRAP, k, hw[hit].addr, w, false), w);
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
	struct kgdb_cpu *c = kcpu();

	if (!c || c->active || !io)
		return;
	printk(KERN_EMERG "kgdb: waiting for GDB on %s (target remote the port; "
	       "continue or detach lets the kernel stop)\n", io->name);
	session(regs, oops_signal(trapnr), RSP_STOP_SIGNAL, 0, false, true);
}

/* ---- setup and console ---- */

int kgdb_register_io(const struct kgdb_io *dev)
{
	if (io)
		return -EBUSY;
	io = dev;
	return 0;
}

static int kgdb_init(void)
{
	int err;

	tsc_per_ms = tsc_khz() ? tsc_khz() : 1000000;
	this_cpu()->kgdb_state = &cpu0;
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
	if (!io) {
		pr_err("kgdb: kgdbwait: no debug port (COM2)\n");
		return 0;
	}
	printk(KERN_NOTICE "kgdb: kgdbwait: waiting for GDB on %s\n", io->name);
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
	struct kgdb_bp *b;
	char sym[96];
	int err;

	if (argc != 3)
		return cmd_error("usage: kgdb %s SYM|ADDR%s", argv[1], set ? "" : "|all");
	if (!set && !strcmp(argv[2], "all")) {
		for (int i = 0; i < MAX_BPS; i++) {
			if (bps[i].used && bps[i].console) {
				bps[i].console = false;
				bp_release(&bps[i]);
			}
		}
		return 0;
	}
	if (parse_address(argv[2], &addr))
		return cmd_error("no symbol '%s'", argv[2]);
	kallsyms_sprint(addr, sym, sizeof(sym));
	if (!set) {
		b = bp_find(addr);
		if (!b || !b->console)
			return cmd_error("no console breakpoint at %s", sym);
		b->console = false;
		bp_release(b);
		cprintf("kgdb: breakpoint at %s removed\n", sym);
		return 0;
	}
	err = sw_check(addr);
	b = err ? NULL : bp_get(addr);
	if (!err && !b)
		err = -ENOSPC;
	if (!err && !b->registered) {
		err = bp_register(b);
		if (err && !bp_needed(b))
			b->used = false;
	}
	if (err)
		return cmd_error("cannot break at %s: %s", sym, bp_err(err));
	b->console = true;
	cprintf("kgdb: breakpoint at %s: the kernel waits there for GDB on %s\n", sym,
		io ? io->name : "(no port)");
	return 0;
}

static int cmd_status(void)
{
	char sym[96];
	int n = 0;

	/* the console is idle and safe: catch up on removals a stop had to defer */
	reconcile();

	cprintf("port %s, %s, on-oops %s, timeout %u s\n", io ? io->name : "none",
		connected ? "debugger attached" : "no debugger attached",
		on_oops ? "on" : "off", timeout_s);
	for (int i = 0; i < MAX_BPS; i++) {
		struct kgdb_bp *b = &bps[i];

		if (!b->used)
			continue;
		n++;
		cprintf("  sw  %016lx  %-36s %s%s%s%s\n", b->addr,
			kallsyms_sprint(b->addr, sym, sizeof(sym)),
			b->gdb ? "gdb " : "", b->console ? "console " : "",
			b->step ? "step " : "", b->registered ? "" : "(not in the table yet)");
	}
	for (int i = 0; i < NUM_DR; i++) {
		static const char *const kinds[] = { "", "hw", "watch", "rwatch", "awatch" };

		if (!hw[i].used)
			continue;
		n++;
		cprintf("  %-3s %016lx  %-36s DR%d len %u%s\n", kinds[hw[i].type], hw[i].addr,
			kallsyms_sprint(hw[i].addr, sym, sizeof(sym)), i, hw[i].len,
			hw[i].sw ? " (gdb break where probes may not go)" : "");
	}
	if (!n)
		cprintf("  no breakpoints\n");
	return 0;
}

static int cmd_kgdb(int argc, char **argv)
{
	uint64_t v;

	if (argc == 1) {
		if (!io)
			return cmd_error("no debug port: start QEMU with a second -serial (COM2)");
		cprintf("kgdb: waiting for GDB on %s; the console is frozen until it "
			"continues or detaches\n", io->name);
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
