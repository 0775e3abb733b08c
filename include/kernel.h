/* Core kernel services: printk, oops/panic, init calls, compiler helpers. */
#ifndef KP_KERNEL_H
#define KP_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib.h"
#include "kerrno.h"
#include "ptregs.h"

#define KP_VERSION	"0.1.0"

#define __noinline	__attribute__((noinline))
#define __noreturn	__attribute__((noreturn))
#define __used		__attribute__((used))
#define __section(s)	__attribute__((section(s)))
#define __aligned(n)	__attribute__((aligned(n)))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define container_of(p, type, member) \
	((type *)((char *)(p) - __builtin_offsetof(type, member)))

/*
 * Code the probe engine must never patch: only what runs before the engine
 * can tell that a probe is already active on this CPU (so a hit there could
 * not be taken as a reentry), and what it uses to run or restore the probed
 * instruction. __noprobe(WHY) places a function in .noprobe.text.WHY; the
 * Makefile moves the engine's hit-path files there whole, and the trap entry
 * code is written there. probes/blacklist.c lists every range with the
 * reason its section names:
 *   entry     trap entry and exit, exception dispatch, guarded-call unwinding
 *   hit       int3/#DB/fault hooks up to the per-CPU state, the table lookup,
 *             step/boost/emulate and the fixups after a step
 *   kretprobe the return trampoline and its bookkeeping, until it marks the
 *             CPU busy
 *   poke      text_poke and the page-table walk it does
 * NOKPROBE_SYMBOL(fn) blacklists one function by address instead (for
 * modules written against Linux's API).
 */
#define __noprobe(why)	__section(".noprobe.text." why)
#define NOKPROBE_SYMBOL(fn) \
	static const void *const __noprobe_##fn __used __section(".noprobe_list") __aligned(8) = \
	(const void *)&fn

/*
 * Symbols loadable modules may link against. EXPORT_SYMBOL(sym) records
 * {address, name} in the __ksymtab linker section (kernel/module_symbols.c
 * searches it); a module's own EXPORT_SYMBOLs land in its __ksymtab section.
 */
struct kernel_symbol {
	uint64_t addr;
	const char *name;
};
#define EXPORT_SYMBOL(sym) \
	static const char __kstrtab_##sym[] = #sym; \
	static const struct kernel_symbol __ksymtab_##sym __used \
	__section("__ksymtab") __aligned(8) = { (uint64_t)&sym, __kstrtab_##sym }
#define EXPORT_SYMBOL_GPL(sym) EXPORT_SYMBOL(sym)

/* ---- printk (kernel/printk.c) ---- */

#define KERN_EMERG	"\0010"
#define KERN_ALERT	"\0011"
#define KERN_CRIT	"\0012"
#define KERN_ERR	"\0013"
#define KERN_WARNING	"\0014"
#define KERN_NOTICE	"\0015"
#define KERN_INFO	"\0016"
#define KERN_DEBUG	"\0017"

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);
#define pr_err(...)	printk(KERN_ERR __VA_ARGS__)
#define pr_warn(...)	printk(KERN_WARNING __VA_ARGS__)
#define pr_notice(...)	printk(KERN_NOTICE __VA_ARGS__)
#define pr_info(...)	printk(KERN_INFO __VA_ARGS__)
#define pr_debug(...)	printk(KERN_DEBUG __VA_ARGS__)

/* Messages at or below this level reach the console (all reach the log). */
extern int console_loglevel;

/* Walk the log ring buffer, oldest first, calling fn on each line. */
void log_for_each(void (*fn)(const char *line, void *arg), void *arg);
/* Raw console output, bypassing the log (the shell's own output). */
void console_write(const char *s, size_t n);
/* The console driver registers its output routine here. */
void console_set_output(void (*fn)(const char *s, size_t n));
/* The console driver hands each received byte here (from its interrupt). */
void console_rx(char c);

/*
 * A debug port (kernel/debug_port.c): a polled byte channel a driver offers
 * (drivers/serial_com2.c) and a debugger uses (the GDB stub), so neither
 * includes the other.
 */
struct debug_port {
	const char *name;
	int (*read_char)(void);		/* next received byte, or -1; never blocks */
	void (*write_char)(uint8_t c);	/* polled; may spin briefly */
};
/* The first port registered is the one used; -EBUSY after that. */
int debug_port_register(const struct debug_port *port);
/* The registered port, or NULL. */
const struct debug_port *debug_port(void);

/* ---- oops and panic (kernel/panic.c) ---- */

/* Print the oops report for a trap (exception, registers, backtrace). */
void oops_report(struct pt_regs *regs, int trapnr, const char *why);
/*
 * Called (when set) after an oops report, before the kernel stops: the GDB
 * stub sets it for `kgdb on-oops`, so a dead kernel can still be inspected.
 */
extern void (*oops_notifier)(struct pt_regs *regs, int trapnr);
/* Print an oops report for a trap and stop (or exit QEMU). */
void oops(struct pt_regs *regs, int trapnr, const char *why) __noreturn;
void panic(const char *fmt, ...) __noreturn __attribute__((format(printf, 1, 2)));
/* Print a frame-pointer backtrace starting at the given frame. */
void show_backtrace(uint64_t bp);

/* ---- stack traces (kernel/stacktrace.c) ---- */

/* Return addresses of the frames from bp up; returns how many. */
int stack_trace_save_bp(uint64_t bp, uint64_t *entries, int max);
/*
 * The same, but it stops after a return into the trap entry and points
 * *trap at the trapped code's registers (else NULL): a caller can then go
 * on through the interrupted frames from there (show_backtrace does).
 */
int stack_trace_save_to_trap(uint64_t bp, uint64_t *entries, int max,
			     const struct pt_regs **trap);
/*
 * Rewrites a return address found at stack address 'where' (the kretprobe
 * trampoline -> the real caller); returning 0 drops the entry.
 */
typedef uint64_t (*stack_ret_fixup_t)(uint64_t ret, uint64_t where);
void stack_trace_set_fixup(stack_ret_fixup_t fn);
void show_regs(const struct pt_regs *regs);

#define BUG_ON(cond) do { if (unlikely(cond)) \
	panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); } while (0)

/* ---- init calls ---- */

typedef int (*initcall_t)(void);
struct initcall {
	initcall_t fn;
	const char *name;
	int level;
};
/*
 * level 0: the console, before anything else (runs on boot page tables);
 * 1 core, 2 arch devices, 3 subsystems, 4 drivers, 5 late: after memory,
 * interrupts and time are up.
 */
#define INITCALL(fn, lvl) \
	static const struct initcall __initcall_##fn __used \
	__section(".initcall." #lvl) __aligned(8) = { fn, #fn, lvl }

/* FNV-1a of [_text, _etext): probes leave no trace once unregistered. */
uint64_t kernel_text_checksum(void);

/*
 * Files GRUB loaded beside the kernel as multiboot2 modules (make iso
 * MODULES=... or BPF=...), by name; their frames are never reused.
 */
const void *boot_file(const char *name, size_t *size);
int boot_file_for_each(int (*fn)(const char *name, size_t size, void *arg), void *arg);

/*
 * File sources (kernel/file_source.c): where `insmod` and `bpf load` get an
 * object, named "SCHEME:NAME". Each scheme is registered by the layer that
 * can fetch it ("boot" here, "tftp" by net/), so the loaders never include
 * the network stack. A fetched file is read-only and stays valid until
 * file_put().
 */
struct file_blob {
	const void *data;
	size_t len;
	const struct file_source *src;
};
struct file_source {
	const char *scheme;		/* "boot", "tftp" */
	/* Fetch name into *b (data, len); 0, or -errno with err set. May sleep-wait. */
	int (*get)(const char *name, struct file_blob *b, char *err, size_t errlen);
	void (*put)(struct file_blob *b);	/* NULL when nothing was allocated */
	struct file_source *next;
};
int file_source_register(struct file_source *fs);
/* Fetch "SCHEME:NAME"; on failure err says why in one phrase. */
int file_get(const char *spec, struct file_blob *b, char *err, size_t errlen);
void file_put(struct file_blob *b);
/* "boot:FILE|tftp:FILE", the registered schemes, for usage lines. */
const char *file_source_schemes(void);

/*
 * `stress NAME ...` (kernel/stress.c): load generators registered by the
 * subsystem they exercise (net/ registers "net"), so the command lives in
 * one place and none of them needs the others.
 */
struct stress_test {
	const char *name;
	const char *usage;		/* "net SECONDS" */
	int (*run)(int argc, char **argv);	/* argv[0] is the name; a console command's result */
	struct stress_test *next;
};
void stress_register(struct stress_test *t);

/* Boot command line (from the multiboot2 loader). */
extern char boot_cmdline[256];
bool cmdline_has(const char *flag);

#endif
