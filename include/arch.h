/*
 * arch/x86_64: CPU access, descriptor tables, traps, interrupts, paging,
 * time and the per-CPU area. Everything above reaches the hardware through here.
 */
#ifndef KP_ARCH_H
#define KP_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib.h"
#include "ptregs.h"

/* ---- instructions ---- */

static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr2(void) { uint64_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void cpu_relax(void) { asm volatile("pause"); }
static inline void halt(void) { asm volatile("hlt"); }
static inline void local_irq_disable(void) { asm volatile("cli" : : : "memory"); }
static inline void local_irq_enable(void) { asm volatile("sti" : : : "memory"); }

static inline uint64_t local_save_flags(void)
{
	uint64_t f;

	asm volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline uint64_t local_irq_save(void)
{
	uint64_t f = local_save_flags();

	local_irq_disable();
	return f;
}

static inline void local_irq_restore(uint64_t f)
{
	if (f & X86_EFLAGS_IF)
		local_irq_enable();
}

#define barrier()	asm volatile("" : : : "memory")
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/*
 * Ordering between CPUs. x86 keeps loads with loads and stores with stores
 * (TSO), so release and acquire need only stop the compiler; a store
 * followed by a load of another location needs a real fence.
 */
#define smp_store_release(p, v) do { barrier(); WRITE_ONCE(*(p), (v)); } while (0)
#define smp_load_acquire(p) ({ __typeof__(*(p)) v_ = READ_ONCE(*(p)); barrier(); v_; })
static inline void smp_mb(void) { asm volatile("lock addl $0, -4(%%rsp)" : : : "memory", "cc"); }

/* ---- descriptor tables and traps (gdt.c, idt.c, traps.c) ---- */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10

enum {
	X86_TRAP_DE = 0, X86_TRAP_DB = 1, X86_TRAP_NMI = 2, X86_TRAP_BP = 3,
	X86_TRAP_OF = 4, X86_TRAP_BR = 5, X86_TRAP_UD = 6, X86_TRAP_NM = 7,
	X86_TRAP_DF = 8, X86_TRAP_TS = 10, X86_TRAP_NP = 11, X86_TRAP_SS = 12,
	X86_TRAP_GP = 13, X86_TRAP_PF = 14, X86_TRAP_MF = 16, X86_TRAP_AC = 17,
	X86_TRAP_MC = 18, X86_TRAP_XM = 19,
};

#define IRQ_BASE_VECTOR	32	/* vectors 32..55 carry IOAPIC pins 0..23 */
#define SPURIOUS_VECTOR	0xff
#define TIMER_VECTOR	0xf0
#define CALL_VECTOR	0xf1	/* cross-CPU calls (ipi.c) */
#define WAKE_VECTOR	0xf2	/* smp_wake(): an interrupt that only ends a hlt */

void gdt_init(void);
void idt_init(void);

/*
 * A hook gets first look at a trap (the probe engine takes #BP and #DB, the
 * GDB stub too). Return true if it was handled and execution may resume.
 * Hooks run in order of registration; at most a few per vector.
 */
typedef bool (*trap_hook_t)(struct pt_regs *regs, int trapnr);
int trap_hook_register(int vector, trap_hook_t fn);

/*
 * A fast path for #BP in front of its hooks (NULL: none). trap_int3 jumps
 * to entry with rsp and rdi at the pt_regs it built, every register free
 * to clobber; entry either jumps to trap_int3_hooks with rsp and rdi as it
 * found them (the hooks then run as usual) or, the trap handled, to
 * trap_int3_done (regs is what iretq restores).
 */
void trap_int3_fast_path(const void *entry);

const char *trap_name(int vector);
/*
 * If ret (found in the frame at bp) returns into the trap entry, the
 * struct pt_regs of the code the trap interrupted, else NULL: for stack
 * walkers to go on through the trapped frames.
 */
const struct pt_regs *trap_frame_regs(uint64_t ret, uint64_t bp);
/*
 * Code above arch that calls C the same way (rsp at a struct pt_regs it
 * built, as the probe engine's detours do) names its return addresses
 * here, so trap_frame_regs() walks through those frames too.
 */
void trap_frame_like(bool (*is_return)(uint64_t ret));
/* Is addr inside the guard page of a kernel stack? *which names the stack. */
bool stack_guard_hit(uint64_t addr, const char **which);

/*
 * Call fn(args[0..5]); if it faults (and nothing else fixes the fault), the
 * fault is reported like an oops and the call returns with *faulted set
 * instead of stopping the kernel. Guards nest: the innermost one catches.
 */
uint64_t call_guarded(uint64_t fn, const uint64_t args[6], bool *faulted);
/*
 * Called when a fault or a stop unwinds a guarded call, before the unwind, with the
 * stack pointer it unwinds to: state kept for frames below it is stale (the
 * probe engine's pending returns, say). One notifier.
 */
typedef void (*guard_unwind_fn_t)(uint64_t sp);
void guard_unwind_notifier_set(guard_unwind_fn_t fn);

/*
 * A guarded call that guard_stop() can also end: the first interrupt taken
 * in the called code after the request unwinds it as a fault would be, but
 * without a report (the console's `call`, for Ctrl-C). *where gets the
 * instruction it was stopped at. Code running with interrupts off, in
 * .noprobe.text, or in a guard nested inside that is not stoppable, runs on
 * until it leaves that.
 */
enum guard_end { GUARD_RETURNED, GUARD_FAULTED, GUARD_STOPPED };
uint64_t call_stoppable(uint64_t fn, const uint64_t args[6], enum guard_end *how,
			uint64_t *where);
/* Ask this CPU's stoppable guarded call, if one runs, to stop (from an interrupt). */
void guard_stop(void);

/* ---- exception fixups (extable.c) ---- */

struct exception_entry {
	int32_t insn;	/* relative to the field: the instruction that may fault */
	int32_t fixup;	/* relative to the field: where to continue instead */
};

/* Is ip an instruction allowed to fault (with a fixup)? */
bool in_exception_table(uint64_t ip);
/* Redirect regs->ip if it is a listed instruction; true if it was. */
bool fixup_exception(struct pt_regs *regs);

/* Copy from an address that may be unmapped; 0 or -EFAULT. Never faults. */
int copy_from_kernel_nofault(void *dst, const void *src, size_t n);
/* The same for writes through normal mappings (never to text). */
int copy_to_kernel_nofault(void *dst, const void *src, size_t n);

/* ---- interrupts (apic.c, irq.c) ---- */

typedef void (*irq_handler_t)(void *data);
/* Route ISA IRQ / GSI 'irq' through the IOAPIC to handler(data). */
int irq_request(unsigned int irq, irq_handler_t handler, void *data);
/* Name a requested IRQ ("eth0"), for irq_find() and listings. */
int irq_set_name(unsigned int irq, const char *name);
/* Deliver its line (every handler sharing it) to online CPU cpu from now on: 0, -ENOENT, -EINVAL. */
int irq_set_cpu(unsigned int irq, unsigned int cpu);
/* A requested IRQ by its name or its number: the number, or -ENOENT. */
int irq_find(const char *name_or_number);
struct irq_info {
	unsigned int irq, gsi, vector, cpu;
	const char *name;	/* NULL if unnamed */
	uint64_t handler;
};
/* Handler i (< IRQ_MAX_SHARED) of IOAPIC pin gsi: 0, or -ENOENT when there is none. */
int irq_get_info(unsigned int gsi, unsigned int i, struct irq_info *info);
#define IRQ_MAX_GSI	24
#define IRQ_MAX_SHARED	4	/* handlers on one line */
void apic_init(void);
uint32_t apic_id(void);
/* Interrupts delivered since boot, per vector (vector 256: all of them). */
uint64_t irq_count(unsigned int vector);
/* The same for one CPU. */
uint64_t irq_count_cpu(unsigned int cpu, unsigned int vector);

/* ---- ACPI (acpi.c) ---- */

#define MAX_CPUS	8
#define MAX_IOAPICS	4

struct acpi_ioapic {
	uint32_t id, phys, gsi_base;
};

void acpi_init(uint64_t rsdp_phys);
void acpi_poweroff(void);
void acpi_reboot(void);
extern uint64_t acpi_ioapic_phys;	/* the first IOAPIC: the one routing ISA and PCI pins */
/* From the MADT: enabled processors' local APIC ids (the boot CPU among them), IOAPICs. */
extern uint32_t acpi_cpu_apic_ids[MAX_CPUS];
extern unsigned int acpi_ncpus;
extern struct acpi_ioapic acpi_ioapics[MAX_IOAPICS];
extern unsigned int acpi_nioapics;
unsigned int acpi_isa_irq_to_gsi(unsigned int isa_irq, bool *level, bool *low);

/* ---- paging (paging.c) ---- */

#define PAGE_SIZE	4096UL
#define PAGE_OFFSET	0xffff888000000000UL	/* direct map of all RAM */
#define KERNEL_VMA	0xffffffff80000000UL

static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + PAGE_OFFSET); }
uint64_t virt_to_phys(const void *va);

void paging_init(void);
/* Map physical MMIO uncached; returns the virtual address or NULL. */
void *ioremap(uint64_t phys, size_t size);
/* Is [va, va+len) mapped (for reading, or also writable)? */
bool va_is_mapped(uint64_t va, size_t len, bool write);
bool va_is_canonical(uint64_t va);
/* Kernel text: the image's, or a loaded module's (a page mapped executable). */
bool is_kernel_text(uint64_t va);

/*
 * Module space (module_alloc.c): virtual pages between the kernel image and
 * the probe slots, so module code built with -mcmodel=kernel reaches kernel
 * symbols with 32-bit displacements and sign-extended absolutes.
 */
#define MODULES_VADDR	0xffffffffa0000000UL
#define MODULES_END	0xffffffffc0000000UL
/* n zeroed pages, mapped RW+NX; NULL when space or memory runs out. */
void *module_alloc(size_t pages);
/* Change the rights of pages from module_alloc (text RX, rodata R, data RW). */
void module_protect(void *va, size_t pages, bool write, bool exec);
/* Unmap and free pages from module_alloc. */
void module_free(void *va, size_t pages);

/*
 * Patch kernel text (text_poke.c): writes through a temporary writable alias
 * of the page(s), so the normal text mapping stays read-only, and serialises
 * every CPU. More than one byte of live text goes int3 first, so no CPU
 * executes a half-written instruction. The range may span at most two pages.
 */
void text_poke(void *addr, const void *src, size_t len);
/*
 * Write the byte at addr back as it is now, under the text lock, with the
 * usual sync: for a CPU that trapped on an int3 no longer in memory twice
 * in a row. A real CPU never needs it; QEMU's TCG has been seen to keep
 * running a stale translation of a byte another CPU rewrote, and a write
 * to the byte is what makes it translate the code again.
 */
void text_poke_refresh(void *addr);

/*
 * Executable memory near the kernel (within +-2 GiB of text) for out-of-line
 * instruction slots and trampolines.
 */
void *exec_alloc_page(void);

/* ---- per-CPU area (percpu.c), reached through GS ---- */

enum cpu_state {
	CPU_ABSENT,		/* not in the MADT, or beyond MAX_CPUS */
	CPU_BOOTING,		/* INIT-SIPI-SIPI sent, not yet reported in */
	CPU_ONLINE,		/* running: idle in hlt between interrupts */
	CPU_FAILED,		/* never reported in */
};

/*
 * One per CPU, each on its own cache lines: fields are written by their own
 * CPU only, unless a comment says otherwise.
 */
struct percpu {
	struct percpu *self;	/* %gs:0, so this_cpu() is one load */
	uint32_t cpu;
	uint32_t apic_id;
	int irq_depth;		/* >0 while in an interrupt handler */
	int trap_depth;		/* nested exception depth, for oops-in-oops */
	uint64_t guard_sp;	/* inside call_guarded: the stack to unwind to */
	int guard_irq_depth;	/* irq_depth when the guard was set */
	void *probe_state;	/* owned by the probe engine */
	void *kgdb_state;	/* owned by the GDB stub */
	uint64_t fault_cr2;	/* CR2 of the #PF/#DF being handled, read at entry */
	bool guard_stoppable;	/* the innermost guard may be stopped (call_stoppable) */
	bool guard_stop;	/* a stop was asked for; the next interrupt does it */
	uint64_t guard_stop_ip;	/* where the last stopped call was */
	enum cpu_state state;	/* written by the boot CPU during bring-up */
	unsigned long kprobe_hits;	/* probe handler runs on this CPU (probe engine) */
	unsigned long kprobe_misses;	/* hits skipped on this CPU (probe engine) */
} __attribute__((aligned(64)));

/* Add one to a counter field of this CPU's area: one instruction, no pointer load. */
#define this_cpu_inc(field) \
	asm volatile("incq %%gs:%c0" : : "i"(offsetof(struct percpu, field)))

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	asm volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

void percpu_init(void);
/* CPU n's area (n < MAX_CPUS; absent CPUs have one too, in state CPU_ABSENT). */
struct percpu *cpu_percpu(unsigned int cpu);
const char *cpu_state_name(enum cpu_state s);

/* ---- SMP (smp.c) ---- */

/* Start every other CPU the MADT lists; each ends idle, its timer running. */
void smp_init(void);
/* CPUs online: they are numbered 0 .. num_cpus() - 1, 0 the boot CPU. */
unsigned int num_cpus(void);

/* ---- spinlocks (spinlock.c over the core in lib.h) ---- */

/* Interrupts off, then take it; a recursive take or a foreign unlock panics. */
uint64_t spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);
/*
 * The same, blacklisted: for the locks the int3 path itself may take (the
 * text lock, the cross-CPU call lock), where a probe in the lock code would
 * trap again before the first trap is done.
 */
uint64_t raw_spin_lock_irqsave(struct spinlock *l);
void raw_spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);

/* ---- cross-CPU calls and grace periods (ipi.c) ---- */

typedef void (*smp_call_fn)(void *arg);
/*
 * Run fn(arg) on one online CPU, or on all of them (this one too), with
 * interrupts off there, and wait until it has returned everywhere. Any
 * context but an NMI; fn must not call these itself.
 */
int smp_call_on(unsigned int cpu, smp_call_fn fn, void *arg);
void smp_call_all(smp_call_fn fn, void *arg);
/*
 * Start fn(arg) on idle AP 'cpu' (not 0: it runs the console), with
 * interrupts on, and return at once; -EINVAL, or -EBUSY while its last work
 * runs. smp_run_wait() waits for it to return. For tests and `stress`.
 */
int smp_run_on(unsigned int cpu, smp_call_fn fn, void *arg);
void smp_run_wait(unsigned int cpu);
/*
 * Interrupt another online CPU and return at once, so one waiting in hlt
 * for something this CPU just did (a packet an interrupt handler here
 * received for it) looks again now rather than at its next timer tick.
 * Any context; a CPU that is not halted just takes an empty interrupt.
 */
void smp_wake(unsigned int cpu);
/* Answer a call waiting for this CPU (for code spinning with interrupts off). */
void smp_call_poll(void);
/*
 * Wait for a grace period: every other CPU has been seen with interrupts on
 * and outside the out-of-line slots, so none still uses anything it found
 * before the call. Not from an interrupts-off reader itself.
 */
void synchronize_cpus(void);
/* The same, and every other CPU was also seen outside [lo, hi) (text about to change). */
void synchronize_cpus_outside(uint64_t lo, uint64_t hi);
/*
 * Set by the probe engine: is this CPU inside its hit path? A CPU there may
 * be waiting on a lock in a handler, answering calls from the spin loop
 * while it still holds what it found; such an answer ends no grace period.
 */
void smp_reader_check_set(bool (*in_reader)(void));

/* ---- time (time.c) ---- */

void time_init(void);
uint64_t tsc_khz(void);
uint64_t uptime_ns(void);
uint64_t jiffies(void);		/* timer ticks since the timer started */
#define HZ 100
void mdelay(unsigned int ms);
void udelay(unsigned int us);

/* ---- machine ---- */

/* Exit QEMU through isa-debug-exit (exit status (code << 1) | 1), if present. */
void qemu_exit(uint8_t code);
void machine_poweroff(void) __attribute__((noreturn));
void machine_reboot(void) __attribute__((noreturn));

#endif
