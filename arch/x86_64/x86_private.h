/* Declarations shared only between files of arch/x86_64. */
#ifndef KP_X86_PRIVATE_H
#define KP_X86_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include "ptregs.h"

/* IST slots in the TSS (1-based as the IDT gate encodes them). */
#define IST_DF	1
#define IST_NMI	2
#define IST_MC	3

#define STACK_SIZE	(32 * 1024)
#define IST_STACK_SIZE	(16 * 1024)

/* stacks.c */
uint64_t ist_stack_top(int ist);
void stacks_unmap_guards(void);

/* paging.c */
void page_unmap(uint64_t va);
/* Map (or remap) one 4 KiB page, global, with the given rights. */
void map_page_prot(uint64_t va, uint64_t pa, bool write, bool exec);
/* The frame mapped at va by a 4 KiB page, or 0. */
uint64_t page_phys(uint64_t va);

/* irq.c */
void irq_dispatch(struct pt_regs *regs, unsigned int vector);
void lapic_timer_tick(void);

/* traps.c: an interrupt ends; a Ctrl-C stop may unwind the guarded call it interrupted. */
void guard_stop_unwind(struct pt_regs *regs);

/* apic.c */
void lapic_eoi(void);
void ioapic_route(unsigned int gsi, uint8_t vector, bool level, bool low);
void lapic_timer_start_count(void);
uint32_t lapic_timer_elapsed(void);
void lapic_timer_periodic(uint32_t ticks);

#endif
