/* Kernel symbol table built into the image (kernel/kallsyms.c, scripts/kallsyms.py). */
#ifndef KP_KALLSYMS_H
#define KP_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	uint32_t size;
	uint32_t name;	/* offset into the name blob */
	char type;	/* nm's letter: 't' text, 'd' data, 'r' rodata, 'b' bss */
};

/* Address of a symbol by name, or 0. */
uint64_t kallsyms_lookup_name(const char *name);
/* The symbol containing addr; NULL when none. *off gets addr - start. */
const struct ksym *kallsyms_lookup(uint64_t addr, uint64_t *off);
const char *ksym_name(const struct ksym *s);
/* "name+0xoff/0xsize" or "0x...", into buf; returns buf. */
char *kallsyms_sprint(uint64_t addr, char *buf, size_t len);
/* The same for a return address, which may sit just past its caller's end. */
char *kallsyms_sprint_ret(uint64_t ret, char *buf, size_t len);
/* Iterate all symbols in address order; stop when fn returns nonzero. */
int kallsyms_for_each(int (*fn)(const struct ksym *s, void *arg), void *arg);
unsigned int kallsyms_count(void);
/* Parse "SYM", "SYM+OFF", "SYM-OFF" or a number into an address. 0 / -errno. */
int parse_address(const char *s, uint64_t *addr);

#endif
