// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_printk() from a kprobe: one trace line per call of the probed
 * function with its first two arguments (`trace` shows them, as Linux's
 * trace_pipe does). The last call is also kept in a struct-valued array,
 * which `bpf map dump` prints field by field through BTF.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct last_call {
	__u64 calls;
	__s32 a;
	__s32 b;
	char tag[8];
	__u16 ab[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct last_call);
	__uint(max_entries, 1);
} last SEC(".maps");

SEC("kprobe/kp_target_add")
int BPF_KPROBE(kprobe_printk, long a, long b)
{
	__u32 zero = 0;
	struct last_call *l = bpf_map_lookup_elem(&last, &zero);

	bpf_printk("kp_target_add(%ld, %ld) on cpu %u", a, b, bpf_get_smp_processor_id());
	if (l) {
		l->calls++;
		l->a = a;
		l->b = b;
		__builtin_memcpy(l->tag, "add", 4);
		l->ab[0] = a;
		l->ab[1] = b;
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
