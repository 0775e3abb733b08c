/*
 * eBPF programs on the XDP hook: a loaded bpf program wrapped in a struct
 * xdp_prog (its insnsi is the struct bpf_prog, as Linux's bpf_func takes
 * the instructions), and the XDP helpers (adjust_*, redirect, redirect_map),
 * which live here because only net/ knows struct xdp_buff's rules and the
 * interfaces; bpf/ gets them through its table.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "module.h"
#include "net.h"
#include "xdp.h"
#include "bpf.h"

/* bpf_redirect_map()'s flags: the fallback action in the low bits (Linux's) */
#define REDIRECT_ACTION_MASK	(XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX)

struct xdp_prog *xdp_bpf_load(const char *name, char *err, size_t errlen)
{
	struct bpf_prog *bp = bpf_prog_find(name);
	struct xdp_prog *prog;

	if (!bp) {
		snprintf(err, errlen, "no eBPF program '%s' (see 'bpf progs')", name);
		return NULL;
	}
	if (bp->type != BPF_PROG_TYPE_XDP) {
		snprintf(err, errlen, "'%s' is a %s program, not xdp", bp->name,
			 bpf_prog_type_name(bp->type));
		return NULL;
	}
	prog = kzalloc(sizeof(*prog));
	if (!prog) {
		snprintf(err, errlen, "no memory");
		return NULL;
	}
	bpf_prog_hold(bp);
	prog->bpf_func = bpf_prog_run_func;	/* the interpreter itself, no wrapper */
	prog->insnsi = bp;
	prog->id = bp->id;
	snprintf(prog->tag, sizeof(prog->tag), "bpf:%s", bp->name);
	return prog;
}

void xdp_bpf_release(struct xdp_prog *prog)
{
	bpf_prog_release((struct bpf_prog *)prog->insnsi);
}

static uint64_t xdp_adjust_head(uint64_t xdp, uint64_t off, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return (uint64_t)(int64_t)bpf_xdp_adjust_head((struct xdp_buff *)(uintptr_t)xdp, (int)off);
}

static uint64_t xdp_adjust_tail(uint64_t xdp, uint64_t off, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return (uint64_t)(int64_t)bpf_xdp_adjust_tail((struct xdp_buff *)(uintptr_t)xdp, (int)off);
}

static uint64_t xdp_adjust_meta(uint64_t xdp, uint64_t off, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return (uint64_t)(int64_t)bpf_xdp_adjust_meta((struct xdp_buff *)(uintptr_t)xdp, (int)off);
}

static uint64_t redirect(uint64_t ifindex, uint64_t flags, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	return xdp_redirect_set((uint32_t)ifindex, flags);
}

/*
 * A devmap slot holds an ifindex (0: empty). An empty or out-of-range
 * slot gives the fallback action from flags, as Linux; the broadcast
 * flags (BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS) are not supported here
 * and abort, like any other unknown flag.
 */
static uint64_t redirect_map(uint64_t map, uint64_t key, uint64_t flags, uint64_t r4, uint64_t r5)
{
	struct bpf_map *m = (struct bpf_map *)(uintptr_t)map;
	uint32_t k = (uint32_t)key;
	const uint32_t *ifindex;

	(void)r4, (void)r5;
	if (flags & ~(uint64_t)REDIRECT_ACTION_MASK)
		return XDP_ABORTED;
	ifindex = m->ops->map_lookup_elem(m, &k);
	if (!ifindex || !*ifindex)
		return flags;
	return xdp_redirect_set(*ifindex, 0);
}

static int xdp_bpf_helpers_init(void)
{
	const uint32_t xdp = BPF_PROG_MASK(BPF_PROG_TYPE_XDP);

	bpf_helper_register(BPF_FUNC_xdp_adjust_head, "xdp_adjust_head", xdp_adjust_head, xdp);
	bpf_helper_register(BPF_FUNC_xdp_adjust_tail, "xdp_adjust_tail", xdp_adjust_tail, xdp);
	bpf_helper_register(BPF_FUNC_xdp_adjust_meta, "xdp_adjust_meta", xdp_adjust_meta, xdp);
	bpf_helper_register(BPF_FUNC_redirect, "redirect", redirect, xdp);
	bpf_helper_register(BPF_FUNC_redirect_map, "redirect_map", redirect_map, xdp);
	return 0;
}
INITCALL(xdp_bpf_helpers_init, 3);

/* A module's eBPF program attached to XDP goes with the module (bpf/module_owner.c). */
static void xdp_module_going(struct module *mod)
{
	for (struct netif *dev = netif_first(); dev; dev = dev->next) {
		struct xdp_prog *prog = READ_ONCE(dev->xdp_prog);

		if (!prog || prog->native || bpf_prog_owner(prog->insnsi) != mod)
			continue;
		pr_info("xdp: %s: detaching %s: module %s is going\n", dev->name, prog->tag, mod->name);
		xdp_attach(dev, NULL);
	}
}

static struct module_notifier xdp_notifier = { .going = xdp_module_going };

static int xdp_module_notifier_init(void)
{
	register_module_notifier(&xdp_notifier);
	return 0;
}
INITCALL(xdp_module_notifier_init, 4);
