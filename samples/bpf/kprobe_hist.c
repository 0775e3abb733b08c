// SPDX-License-Identifier: GPL-2.0
/*
 * A log2 histogram of the first argument of a kernel function, in a hash
 * map keyed by the bucket. Attach with `bpf attach kprobe_hist [SYM]` here;
 * on Linux the section name picks the function.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} arg_hist SEC(".maps");

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		b++;
	}
	return b;
}

SEC("kprobe/kp_target_add")
int BPF_KPROBE(kprobe_hist, __u64 arg)
{
	__u32 bucket = log2_bucket(arg);
	__u64 one = 1, *count;

	count = bpf_map_lookup_elem(&arg_hist, &bucket);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&arg_hist, &bucket, &one, BPF_NOEXIST);
	return 0;
}

char _license[] SEC("license") = "GPL";
