/*
 * eBPF programs on kprobes and kretprobes: the program runs in the probe's
 * handler with ctx = the trapped struct pt_regs, Linux's layout, so
 * PT_REGS_PARM1() and friends read the same registers as on Linux. A
 * kprobe/SYM program attaches at SYM's entry, a kretprobe/SYM one at its
 * return (regs->ax is the return value); `bpf attach PROG OTHER` picks
 * another function.
 */
#include "kernel.h"
#include "probes.h"
#include "arch.h"
#include "bpf.h"

#define MAX_ATTACHED	16

struct bpf_kprobe {
	struct kretprobe rp;		/* rp.kp alone for an entry probe */
	struct bpf_prog *prog;		/* NULL: free slot */
	bool ret;
	char sym[64];
};

static struct bpf_kprobe attached[MAX_ATTACHED];

/* The probed function of the program running on each CPU, for get_func_ip. */
static uint64_t func_ip[64];

static void run(struct bpf_kprobe *bk, struct pt_regs *regs)
{
	func_ip[this_cpu()->cpu % 64] = (uintptr_t)bk->rp.kp.addr;
	bpf_prog_run_func(regs, bk->prog);
}

static int bpf_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	run(container_of(p, struct bpf_kprobe, rp.kp), regs);
	return 0;
}

static int bpf_kretprobe_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	run(container_of(get_kretprobe(ri), struct bpf_kprobe, rp), regs);
	return 0;
}

/* Linux's bpf_get_func_ip for kprobes: the probed address, entry or return. */
static uint64_t get_func_ip(uint64_t ctx, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)ctx, (void)r2, (void)r3, (void)r4, (void)r5;
	return func_ip[this_cpu()->cpu % 64];
}

static int bpf_kprobe_attach(struct bpf_prog *prog, const char *target, char *err, size_t errlen)
{
	bool ret = !strncmp(prog->section, "kretprobe/", 10);
	const char *sym = target ? target : strchr(prog->section, '/') + 1;
	struct bpf_kprobe *bk = NULL;
	int e;

	for (int i = 0; i < MAX_ATTACHED; i++) {
		if (attached[i].prog == prog) {
			snprintf(err, errlen, "'%s' is already attached (to %s)", prog->name, attached[i].sym);
			return -EBUSY;
		}
		if (!attached[i].prog && !bk)
			bk = &attached[i];
	}
	if (!bk) {
		snprintf(err, errlen, "too many attached kprobe programs (%d)", MAX_ATTACHED);
		return -ENOSPC;
	}
	memset(bk, 0, sizeof(*bk));
	snprintf(bk->sym, sizeof(bk->sym), "%s", sym);
	bk->prog = prog;
	bk->ret = ret;
	bk->rp.kp.symbol_name = bk->sym;
	if (ret) {
		bk->rp.handler = bpf_kretprobe_ret;
		e = register_kretprobe(&bk->rp);
	} else {
		bk->rp.kp.pre_handler = bpf_kprobe_pre;
		e = register_kprobe(&bk->rp.kp);
	}
	if (e) {
		snprintf(err, errlen, "cannot probe '%s' (%d)", bk->sym, e);
		bk->prog = NULL;
		return e;
	}
	bpf_prog_hold(prog);
	return 0;
}

static int bpf_kprobe_detach(struct bpf_prog *prog, char *err, size_t errlen)
{
	for (int i = 0; i < MAX_ATTACHED; i++) {
		struct bpf_kprobe *bk = &attached[i];

		if (bk->prog != prog)
			continue;
		if (bk->ret)
			unregister_kretprobe(&bk->rp);
		else
			unregister_kprobe(&bk->rp.kp);
		bk->prog = NULL;
		bpf_prog_release(prog);
		return 0;
	}
	snprintf(err, errlen, "'%s' is not attached", prog->name);
	return -ENOENT;
}

static const struct bpf_attach_ops bpf_kprobe_ops = {
	.attach = bpf_kprobe_attach,
	.detach = bpf_kprobe_detach,
};

static int bpf_kprobe_init(void)
{
	bpf_attach_ops_register(BPF_PROG_TYPE_KPROBE, &bpf_kprobe_ops);
	bpf_helper_register(BPF_FUNC_get_func_ip, "get_func_ip", get_func_ip,
			    BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE));
	return 0;
}
INITCALL(bpf_kprobe_init, 3);
