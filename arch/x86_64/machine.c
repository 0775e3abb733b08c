/* Leaving the machine: QEMU's isa-debug-exit, ACPI, the reset port, a triple fault. */
#include "arch.h"
#include "kernel.h"

#define DEBUG_EXIT_PORT 0xf4

void qemu_exit(uint8_t code)
{
	/* With -device isa-debug-exit,iobase=0xf4 QEMU exits (code << 1) | 1; without it, nothing happens. */
	outb(DEBUG_EXIT_PORT, code);
}

void machine_poweroff(void)
{
	local_irq_disable();
	qemu_exit(0);
	acpi_poweroff();
	outw(0x604, 0x2000);	/* QEMU q35 / newer PIIX shortcut */
	outw(0xb004, 0x2000);	/* Bochs and old QEMU */
	for (;;)
		halt();
}

void machine_reboot(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) none = { 0, 0 };

	local_irq_disable();
	acpi_reboot();
	outb(0xcf9, 0x06);	/* PCI reset control: hard reset */
	outb(0x64, 0xfe);	/* keyboard controller reset line */
	asm volatile("lidt %0; int3" : : "m"(none));	/* triple fault */
	for (;;)
		halt();
}
