/*
 * Helpers that need the kernel core: time, randomness, the CPU, reading
 * kernel memory without faulting, and the "current task": the execution
 * context kernel/task.c names (the console shell is pid 1 "kp-shell", each
 * CPU's idle loop pid 0 "swapper/N", as in Linux).
 */
#include "bpf.h"
#include "arch.h"
#include "kernel.h"
#include "task.h"

#define PTR(x)		((void *)(uintptr_t)(x))
#define ALL_TYPES	(BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE) | BPF_PROG_MASK(BPF_PROG_TYPE_XDP))
#define KPROBE_ONLY	BPF_PROG_MASK(BPF_PROG_TYPE_KPROBE)

static uint64_t ktime_get_ns(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return uptime_ns();
}

/* xorshift64 per CPU, seeded from the clock on first use. */
static uint64_t prandom_state[64];

static uint64_t get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	uint64_t *s = &prandom_state[this_cpu()->cpu % 64];

	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	if (!*s)
		*s = uptime_ns() * 0x9e3779b97f4a7c15ull | 1;
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

static uint64_t get_smp_processor_id(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return this_cpu()->cpu;
}

/* Linux's contract: on a fault the whole destination is zeroed, -EFAULT. */
static uint64_t probe_read_kernel(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
				  uint64_t r5)
{
	(void)r4, (void)r5;
	if (copy_from_kernel_nofault(PTR(dst), PTR(src), size)) {
		memset(PTR(dst), 0, size);
		return (uint64_t)-EFAULT;
	}
	return 0;
}

/* Up to size - 1 bytes and a NUL; the length with the NUL, or -EFAULT. */
static uint64_t probe_read_kernel_str(uint64_t dst, uint64_t size, uint64_t src, uint64_t r4,
				      uint64_t r5)
{
	char *d = PTR(dst);
	uint64_t i;

	(void)r4, (void)r5;
	if (!size)
		return (uint64_t)-EINVAL;
	for (i = 0; i + 1 < size; i++) {
		if (copy_from_kernel_nofault(&d[i], (const char *)PTR(src) + i, 1)) {
			memset(d, 0, size);
			return (uint64_t)-EFAULT;
		}
		if (!d[i])
			return i + 1;
	}
	d[i] = '\0';
	return i + 1;
}

static uint64_t get_current_pid_tgid(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
				     uint64_t r5)
{
	const struct task_struct *t = get_current();

	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return (uint64_t)(uint32_t)t->tgid << 32 | (uint32_t)t->pid;
}

/* Linux's: the name NUL-terminated and the rest of buf zeroed (size > 0, verified). */
static uint64_t get_current_comm(uint64_t buf, uint64_t size, uint64_t r3, uint64_t r4,
				 uint64_t r5)
{
	const char *comm = get_current()->comm;
	char *d = PTR(buf);
	size_t n = strnlen(comm, TASK_COMM_LEN);

	(void)r3, (void)r4, (void)r5;
	if (!size)
		return (uint64_t)-EINVAL;
	if (n >= size)
		n = size - 1;
	memcpy(d, comm, n);
	memset(d + n, 0, size - n);
	return 0;
}

static const struct {
	enum bpf_func_id id;
	const char *name;
	bpf_helper_fn fn;
	uint32_t types;
} kernel_helpers[] = {
	{ BPF_FUNC_ktime_get_ns, "ktime_get_ns", ktime_get_ns, ALL_TYPES },
	{ BPF_FUNC_get_prandom_u32, "get_prandom_u32", get_prandom_u32, ALL_TYPES },
	{ BPF_FUNC_get_smp_processor_id, "get_smp_processor_id", get_smp_processor_id, ALL_TYPES },
	{ BPF_FUNC_probe_read, "probe_read", probe_read_kernel, KPROBE_ONLY },
	{ BPF_FUNC_probe_read_str, "probe_read_str", probe_read_kernel_str, KPROBE_ONLY },
	{ BPF_FUNC_probe_read_kernel, "probe_read_kernel", probe_read_kernel, KPROBE_ONLY },
	{ BPF_FUNC_probe_read_kernel_str, "probe_read_kernel_str", probe_read_kernel_str,
	  KPROBE_ONLY },
	{ BPF_FUNC_get_current_pid_tgid, "get_current_pid_tgid", get_current_pid_tgid, KPROBE_ONLY },
	{ BPF_FUNC_get_current_comm, "get_current_comm", get_current_comm, KPROBE_ONLY },
};

static int bpf_kernel_helpers_init(void)
{
	for (size_t i = 0; i < sizeof(kernel_helpers) / sizeof(kernel_helpers[0]); i++)
		bpf_helper_register(kernel_helpers[i].id, kernel_helpers[i].name,
				    kernel_helpers[i].fn, kernel_helpers[i].types);
	return 0;
}
INITCALL(bpf_kernel_helpers_init, 3);
