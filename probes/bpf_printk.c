/*
 * bpf_trace_printk (helper 6) for every program type: the format is
 * expanded by bpf/printk.c and the text becomes one trace buffer entry,
 * which `trace` prints as Linux's trace file shows the helper's output:
 *
 *   kp-shell-1       [000] d.h..    12.345678: bpf_trace_printk: TEXT
 *
 * One trailing newline is taken off the text, since each entry is a line
 * already (libbpf's bpf_printk callers usually end their formats in one).
 */
#include "kernel.h"
#include "arch.h"
#include "bpf.h"
#include "kprobe_events.h"

static int read_mem(void *dst, uint64_t src, size_t n)
{
	if (copy_from_kernel_nofault(dst, (const void *)(uintptr_t)src, n)) {
		memset(dst, 0, n);
		return -EFAULT;
	}
	return 0;
}

/* The length of the text (as Linux returns it), or -EINVAL for a bad format. */
static uint64_t trace_printk(uint64_t fmt, uint64_t fmt_size, uint64_t a1, uint64_t a2,
			     uint64_t a3)
{
	const uint64_t args[3] = { a1, a2, a3 };
	char text[TRACE_TEXT_MAX + 1];
	int n = bpf_trace_format(text, sizeof(text), (const char *)(uintptr_t)fmt,
				 (uint32_t)fmt_size, args, read_mem);
	size_t len;

	if (n < 0)
		return (uint64_t)(int64_t)n;
	len = strlen(text);
	if (len && text[len - 1] == '\n')	/* the line ends anyway, as Linux prints it */
		text[len - 1] = '\0';
	trace_write_text("bpf_trace_printk", text);
	return (uint64_t)n;
}

static int bpf_printk_init(void)
{
	return bpf_helper_register(BPF_FUNC_trace_printk, "trace_printk", trace_printk,
				   BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE) |
				   BPF_PROG_MASK(BPF_PROG_TYPE_XDP));
}
INITCALL(bpf_printk_init, 3);
