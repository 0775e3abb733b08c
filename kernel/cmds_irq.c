/*
 * `irq`: the device interrupts, where the IOAPIC sends each and how often
 * each CPU took it; `irq route IRQ|NAME CPU` sends one to another CPU.
 */
#include "kernel.h"
#include "arch.h"
#include "console.h"
#include "kallsyms.h"

static int cmd_irq(int argc, char **argv)
{
	struct irq_info in;
	uint64_t cpu;
	int irq, ret;

	if (argc == 4 && !strcmp(argv[1], "route")) {
		irq = irq_find(argv[2]);
		if (irq < 0)
			return cmd_error("irq: no interrupt '%s' is requested (see 'irq')", argv[2]);
		if (kstrtou64(argv[3], &cpu) || cpu >= num_cpus())
			return cmd_error("irq: CPU '%s' is not online (0..%u)", argv[3], num_cpus() - 1);
		ret = irq_set_cpu(irq, cpu);
		if (ret)
			return cmd_error("irq: routing %s failed (%d)", argv[2], ret);
		cprintf("irq %d (%s) -> cpu %lu\n", irq, argv[2], cpu);
		return 0;
	}
	if (argc != 1)
		return cmd_error("usage: irq | irq route IRQ|NAME CPU");
	cprintf("%4s %4s %6s %-8s %4s %-24s", "irq", "gsi", "vector", "name", "cpu", "handler");
	for (unsigned int c = 0; c < num_cpus(); c++)
		cprintf(" %10s%u", "cpu", c);
	cprintf("\n");
	for (unsigned int n = 0; n < IRQ_MAX_GSI * IRQ_MAX_SHARED; n++) {
		const struct ksym *s;
		uint64_t off;

		if (irq_get_info(n / IRQ_MAX_SHARED, n % IRQ_MAX_SHARED, &in))
			continue;
		s = kallsyms_lookup(in.handler, &off);
		cprintf("%4u %4u %6u %-8s %4u %-24s", in.irq, in.gsi, in.vector,
			in.name ? in.name : "-", in.cpu, s ? ksym_name(s) : "?");
		for (unsigned int c = 0; c < num_cpus(); c++)
			cprintf(" %11lu", irq_count_cpu(c, in.vector));
		cprintf("\n");
	}
	return 0;
}
CONSOLE_CMD(irq, cmd_irq, "irq | irq route IRQ|NAME CPU",
	    "list device interrupts (CPU, counts per CPU), or route one to a CPU");
