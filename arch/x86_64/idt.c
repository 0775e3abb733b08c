/* The IDT: every vector goes to its stub in entry.asm, then to do_trap(). */
#include "arch.h"
#include "kernel.h"
#include "x86_private.h"

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;	/* P | DPL | 0xE interrupt gate (clears IF) */
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t zero;
} __attribute__((packed));

static struct idt_gate idt[256] __aligned(16);
extern const uint64_t trap_vectors[256];

static void set_gate(int v, uint64_t handler, int ist)
{
	idt[v] = (struct idt_gate) {
		.off_lo = handler & 0xffff,
		.sel = KERNEL_CS,
		.ist = ist,
		.type = 0x8e,
		.off_mid = (handler >> 16) & 0xffff,
		.off_hi = handler >> 32,
	};
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	asm volatile("lidt %0" : : "m"(idtr));
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++)
		set_gate(v, trap_vectors[v], 0);
	set_gate(X86_TRAP_DF, trap_vectors[X86_TRAP_DF], IST_DF);
	set_gate(X86_TRAP_NMI, trap_vectors[X86_TRAP_NMI], IST_NMI);
	set_gate(X86_TRAP_MC, trap_vectors[X86_TRAP_MC], IST_MC);
	idt_load();
}
