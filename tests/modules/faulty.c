/* Its probe handler dereferences NULL: the kernel survives, the probe is disabled. */
#include <linux/kprobes.h>
#include <linux/module.h>

static int *volatile nowhere;

/*
 * The fault is one call down from the handler, so the oops's backtrace has
 * a frame in module code to name (pre, [faulty]) as well as the faulting ip.
 * The call after the read (never reached) gives faulty_read a frame of its
 * own: gcc sets none up in a leaf, and the walk would then skip pre.
 */
static noinline int faulty_read(void)
{
	int v = *nowhere;

	pr_info("faulty: read %d\n", v);
	return v;
}

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	return faulty_read();
}

static struct kprobe kp = { .symbol_name = "kp_target_add", .pre_handler = pre };

static int __init faulty_init(void)
{
	return register_kprobe(&kp);
}

static void __exit faulty_exit(void)
{
	pr_info("faulty: probe flags %#x, %lu missed\n", kp.flags, kprobe_nmissed(&kp));
	unregister_kprobe(&kp);
}

module_init(faulty_init);
module_exit(faulty_exit);
MODULE_LICENSE("GPL");
