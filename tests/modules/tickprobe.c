/*
 * A kprobe on every CPU's timer tick whose handler lingers. init returns
 * only once another CPU has entered the handler, so an rmmod right after
 * (modcycle) finds that CPU still inside the module's code: the module
 * must not go before it has left (unregister_kprobe and the loader's
 * grace period), or that CPU returns into unmapped pages.
 */
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/smp.h>

static unsigned int init_cpu;
static int other_cpu_inside;
static unsigned long own_hits;	/* the init CPU's: the probe fires at all */

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	(void)p;
	(void)regs;
	if (smp_processor_id() == init_cpu) {
		own_hits++;
		return 0;
	}
	__atomic_store_n(&other_cpu_inside, 1, __ATOMIC_RELEASE);
	mdelay(2);
	return 0;
}

static struct kprobe kp = { .symbol_name = "lapic_timer_tick", .pre_handler = pre };

static int __init tickprobe_init(void)
{
	int ret;

	init_cpu = smp_processor_id();
	other_cpu_inside = 0;
	own_hits = 0;
	ret = register_kprobe(&kp);
	if (ret)
		return ret;
	/* a tick is 10 ms; a loaded host may not run the other vCPU for a while */
	for (int ms = 0; ms < 2000 && !__atomic_load_n(&other_cpu_inside, __ATOMIC_ACQUIRE); ms++)
		mdelay(1);
	if (!other_cpu_inside) {
		pr_err("tickprobe: no other CPU entered the handler (%lu hits on CPU %u, %lu missed)\n",
		       own_hits, init_cpu, kprobe_nmissed(&kp));
		unregister_kprobe(&kp);
		return -ENODEV;
	}
	return 0;
}

static void __exit tickprobe_exit(void)
{
	unregister_kprobe(&kp);
}

module_init(tickprobe_init);
module_exit(tickprobe_exit);
MODULE_LICENSE("GPL");
