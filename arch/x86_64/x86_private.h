/* Declarations shared only between files of arch/x86_64. */
#ifndef KP_X86_PRIVATE_H
#define KP_X86_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ptregs.h"

/* IST slots in the TSS (1-based as the IDT gate encodes them). */
#define IST_DF	1
#define IST_NMI	2
#define IST_MC	3

#define STACK_SIZE	(32 * 1024)
#define IST_STACK_SIZE	(16 * 1024)

/* percpu.c */
void percpu_load(unsigned int n);

/* stacks.c */
uint64_t kernel_stack_top(unsigned int cpu);
uint64_t ist_stack_top(unsigned int cpu, int ist);
void stacks_unmap_guards(void);

/* paging.c */
void page_unmap(uint64_t va);
/* Map (or remap) one 4 KiB page, global, with the given rights. */
void map_page_prot(uint64_t va, uint64_t pa, bool write, bool exec);
/* The frame mapped at va by a 4 KiB page, or 0. */
uint64_t page_phys(uint64_t va);
bool in_exec_area(uint64_t va);	/* out-of-line slots and trampolines */
void poke_alias_write(void *addr, const void *src, size_t len);
void poke_alias_flush(void);

/* text_poke.c: an int3 that is a multi-byte patch in progress; true if handled */
bool text_poke_int3(struct pt_regs *regs);

/* ipi.c: the call-function vector arrived */
void smp_call_interrupt(struct pt_regs *regs);

/* gdt.c, idt.c: load this CPU's GDT/TSS, the shared IDT */
void idt_load(void);

/* time.c: start this AP's LAPIC timer at the boot CPU's calibrated rate */
void time_init_ap(void);
/* time.c: cpu's TSC runs off cycles ahead of the boot CPU's; uptime_ns() takes it out */
void tsc_set_offset(unsigned int cpu, int64_t off);
/* tsc_sync.c: measure an online AP's TSC offset (boot CPU, at bring-up) */
void tsc_sync_cpu(unsigned int cpu);

/* irq.c */
void irq_dispatch(struct pt_regs *regs, unsigned int vector);
void lapic_timer_tick(void);

/* traps.c: an interrupt ends; a Ctrl-C stop may unwind the guarded call it interrupted. */
void guard_stop_unwind(struct pt_regs *regs);

/* apic.c */
void lapic_eoi(void);
void lapic_init_ap(void);
/* Send an IPI: ICR delivery mode and vector in 'low'; waits until it left. */
void lapic_send_ipi(uint32_t apic_id, uint32_t low);
#define ICR_INIT	0x00000500
#define ICR_STARTUP	0x00000600
#define ICR_NMI		0x00000400
#define ICR_ASSERT	0x00004000
#define ICR_LEVEL	0x00008000
void ioapic_route(unsigned int gsi, uint8_t vector, bool level, bool low);
void ioapic_set_dest(unsigned int gsi, uint32_t apic_id);
void lapic_timer_start_count(void);
uint32_t lapic_timer_elapsed(void);
void lapic_timer_periodic(uint32_t ticks);

#endif
