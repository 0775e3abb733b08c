/*
 * Stalls the e1000's transmit reclaim while loaded: a kprobe on
 * e1000_tx_clean returns from it before it runs, so the descriptors the
 * device has sent are never handed back and the TX ring fills up, as it
 * does on real hardware that falls behind. test_net_tx_full.py uses it to
 * see XDP_TX with no free descriptor. rmmod lets reclaim run again.
 */
#include <linux/kprobes.h>
#include <linux/module.h>

static unsigned long skipped;

/* At the function's first instruction [sp] is the return address: return there. */
static int skip_reclaim(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	regs->ip = *(unsigned long *)regs->sp;
	regs->sp += 8;
	skipped++;
	return 1;		/* ip changed: the function does not run */
}

static struct kprobe kp = { .symbol_name = "e1000_tx_clean", .pre_handler = skip_reclaim };

static int __init txstall_init(void)
{
	return register_kprobe(&kp);
}

static void __exit txstall_exit(void)
{
	unregister_kprobe(&kp);
	pr_info("txstall: skipped %lu reclaims\n", skipped);
}

module_init(txstall_init);
module_exit(txstall_exit);
MODULE_LICENSE("GPL");
