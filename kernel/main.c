/*
 * kmain: the init order. CPU tables and memory first (nothing else works
 * without them), then interrupts and time, then every subsystem and driver
 * through the INITCALL table by level, then the console shell.
 */
#include "kernel.h"
#include "arch.h"
#include "mm.h"
#include "console.h"
#include "kallsyms.h"
#include "boot.h"

extern const struct initcall __initcalls_start[], __initcalls_end[];

static void run_initcalls(int from, int to)
{
	for (const struct initcall *c = __initcalls_start; c < __initcalls_end; c++) {
		int err;

		if (c->level < from || c->level > to)
			continue;
		err = c->fn();
		if (err)
			pr_err("init: %s failed (%d)\n", c->name, err);
	}
}

void __noreturn kmain(uint64_t mbi_phys, uint32_t magic)
{
	percpu_init();
	multiboot_parse(mbi_phys, magic);
	run_initcalls(0, 0);
	printk(KERN_NOTICE "kprobe64 %s booting (loader: %s, cmdline: '%s')\n",
	       KP_VERSION, boot_info.loader, boot_cmdline);
	gdt_init();
	idt_init();
	frame_init();
	paging_init();
	acpi_init(boot_info.rsdp_phys);
	apic_init();
	time_init();
	smp_init();
	local_irq_enable();
	run_initcalls(1, 5);
	pr_info("kallsyms: %u symbols\n", kallsyms_count());
	shell_run();
}
