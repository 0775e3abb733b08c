/*
 * The GDB stub's breakpoints, watchpoints and single-steps, and how it
 * leaves a stop. The session (port, packets, memory) is probes/kgdb.c.
 *
 * Software breakpoints (Z0) are kprobes whose pre_handler runs the stub, so
 * a GDB breakpoint shares its address with other kprobes (all of them fire)
 * and text only changes through text_poke. Z1/Z2/Z4 (and a Z0 where probes
 * may not go) use the debug registers DR0-3. The stub stops the CPU in
 * three kinds of context:
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
 */
#include "kgdb_internal.h"
#include "console.h"
#include "kallsyms.h"

#define MAX_BPS		32
#define NUM_DR		4

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

static struct kgdb_bp bps[MAX_BPS];
static struct hw_slot hw[NUM_DR];
static bool stop_can_write;	/* the probe table may change during this stop */

static int kgdb_pre(struct kprobe *p, struct pt_regs *regs);
static void kgdb_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags);
static int hw_insert(enum rsp_bp_type type, uint64_t addr, unsigned int len, bool sw);

/* ---- debug registers ---- */

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

void __kgdb kgdb_load_debug_regs(void)
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

bool __kgdb kgdb_hw_hit(uint64_t dr6, enum rsp_stop_kind *kind, uint64_t *addr)
{
	int hit = -1;

	for (int i = 0; i < NUM_DR; i++)
		if (hw[i].used && (dr6 & (1UL << i)))
			hit = i;
	if (hit < 0)
		return false;
	*kind = hw[hit].sw ? RSP_STOP_SWBREAK :
		hw[hit].type == RSP_BP_HW ? RSP_STOP_HWBREAK :
		hw[hit].type == RSP_WP_WRITE ? RSP_STOP_WATCH : RSP_STOP_AWATCH;
	*addr = hw[hit].addr;
	return true;
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
void __kgdb kgdb_reconcile(void)
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

/* ---- inserting and removing (Z/z packets, the console) ---- */

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

/*
 * A software breakpoint at addr into *bp, checked before it is recorded;
 * registered now if the table may change (can_write), else at the next
 * safe moment.
 */
static int __kgdb sw_add(uint64_t addr, bool can_write, struct kgdb_bp **bp)
{
	struct kgdb_bp *b;
	int err;

	if (!is_kernel_text(addr) || kprobe_blacklisted(addr))
		return -EINVAL;
	b = bp_get(addr);
	if (!b)
		return -ENOSPC;
	if (!b->registered && can_write) {
		err = bp_register(b);
		if (err) {
			if (!bp_needed(b))
				b->used = false;
			return err;
		}
	}
	*bp = b;
	return 0;
}

int __kgdb kgdb_insert_bp(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind)
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
	err = sw_add(addr, stop_can_write, &b);
	/* an instruction probes cannot take: a debug register can */
	if (err == -EOPNOTSUPP)
		return hw_insert(RSP_BP_HW, addr, 1, true) ? -EINVAL : 0;
	if (err)
		return err;
	b->gdb = true;
	return 0;
}

int __kgdb kgdb_remove_bp(void *ctx, enum rsp_bp_type type, uint64_t addr, unsigned int kind)
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
	if (stop_can_write && !bp_needed(b))
		bp_release(b);
	return 0;
}

void __kgdb kgdb_bp_stop(bool can_write)
{
	stop_can_write = can_write;
	if (can_write)
		kgdb_reconcile();
	/* no debug register fires while we work */
	set_dr7(0);
}

void __kgdb kgdb_bp_forget(void)
{
	for (int i = 0; i < MAX_BPS; i++)
		bps[i].gdb = false;
	for (int i = 0; i < NUM_DR; i++)
		hw[i].used = false;
	kcpu()->step_pending = false;
}

int kgdb_console_break(uint64_t addr)
{
	struct kgdb_bp *b;
	int err = sw_add(addr, true, &b);

	if (!err)
		b->console = true;
	return err;
}

int kgdb_console_delete(uint64_t addr)
{
	struct kgdb_bp *b = bp_find(addr);

	if (!b || !b->console)
		return -ENOENT;
	b->console = false;
	bp_release(b);
	return 0;
}

void kgdb_console_delete_all(void)
{
	for (int i = 0; i < MAX_BPS; i++) {
		if (bps[i].used && bps[i].console) {
			bps[i].console = false;
			bp_release(&bps[i]);
		}
	}
}

void kgdb_bp_show(void)
{
	char sym[96];
	int n = 0;

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
}

/* ---- leaving a stop ---- */

/* A step is reported at the next stop; TF makes that one instruction away. */
static void __kgdb prepare_step(struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();

	c->step_pending = true;
	c->step_from = regs->ip;
	regs->flags |= X86_EFLAGS_TF;
	c->tf_set = true;
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

/* Leaving a pre/post stop for regs->ip: hop there if the table must catch up first. */
static void __kgdb hop_if_needed(struct pt_regs *regs, enum rsp_action a)
{
	if (work_pending() || (a == RSP_RESUME_STEP && foreign_site(regs->ip)))
		arm_hop(regs);
}

/* Resume flag: an instruction breakpoint at ip must not fire again at once. */
static void __kgdb set_rf(struct pt_regs *regs)
{
	for (int i = 0; i < NUM_DR; i++)
		if (hw[i].used && hw[i].type == RSP_BP_HW && hw[i].addr == regs->ip)
			regs->flags |= X86_EFLAGS_RF;
}

void __kgdb kgdb_step_over_site(uint64_t addr)
{
	struct kgdb_bp *b;

	if (foreign_site(addr)) {
		b = bp_get(addr);
		if (b)
			b->step = true;
	}
}

void __kgdb kgdb_resume_idle(struct pt_regs *regs, enum rsp_action a, bool can_write)
{
	if (a == RSP_RESUME_STEP) {
		prepare_step(regs);
		if (can_write)
			kgdb_step_over_site(regs->ip);
	}
	if (can_write)
		kgdb_reconcile();
	set_rf(regs);
	kgdb_load_debug_regs();
}

/* Leaving a stop in our pre_handler at addr: the return value is the pre_handler's. */
static int __kgdb resume_pre(struct pt_regs *regs, enum rsp_action a, uint64_t addr)
{
	bool moved = regs->ip != addr;

	if (a == RSP_RESUME_STEP)
		prepare_step(regs);
	if (moved) {
		/* GDB changed pc: skip the probed instruction; the engine irets to regs->ip */
		hop_if_needed(regs, a);
		kgdb_load_debug_regs();
		return 1;
	}
	kcpu()->hop_wanted = work_pending();
	kgdb_load_debug_regs();
	return 0;
}

/* Leaving a stop in our post_handler: the engine goes idle and irets to regs->ip. */
static void __kgdb resume_post(struct pt_regs *regs, enum rsp_action a)
{
	if (a == RSP_RESUME_STEP)
		prepare_step(regs);
	hop_if_needed(regs, a);
	set_rf(regs);
	kgdb_load_debug_regs();
}

/* ---- ways in: our kprobes ---- */

static int __kgdb kgdb_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct kgdb_cpu *c = kcpu();
	struct kgdb_bp *b = container_of(p, struct kgdb_bp, kp);
	enum rsp_action a;

	if (!kgdb_may_stop())
		return 0;
	if (c->step_pending && c->step_from == regs->ip)
		return 0;	/* the instruction being stepped: reported from kgdb_post */
	if (!b->gdb && !b->console)
		return 0;	/* removed by GDB, not yet out of the table */
	if (c->step_pending)
		kgdb_step_done(regs);
	a = kgdb_session(regs, SIGTRAP, RSP_STOP_SWBREAK, 0, false, b->console);
	return resume_pre(regs, a, (uint64_t)p->addr);
}

static void __kgdb kgdb_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	struct kgdb_cpu *c = kcpu();
	enum rsp_action a;

	(void)flags;
	if (!kgdb_may_stop())
		return;
	if (c->step_pending && c->step_from == (uint64_t)p->addr) {
		c->hop_wanted = false;
		kgdb_step_done(regs);
		a = kgdb_session(regs, SIGTRAP, RSP_STOP_SIGNAL, 0, false, false);
		resume_post(regs, a);
		return;
	}
	if (c->hop_wanted) {
		c->hop_wanted = false;
		arm_hop(regs);
		kgdb_load_debug_regs();
	}
}
