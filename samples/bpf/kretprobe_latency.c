// SPDX-License-Identifier: GPL-2.0
/*
 * Latency of a kernel function: the entry probe stores the time per CPU,
 * the return probe adds log2(ns) to a histogram (hash map). A bpf-to-bpf
 * call computes the bucket.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
} lat_hist SEC(".maps");

static __noinline __u32 log2_bucket(__u64 v)
{
	__u32 b = 0;

	for (int i = 0; i < 64 && v > 1; i++) {
		v >>= 1;
		b++;
	}
	return b;
}

SEC("kprobe/kp_target_add")
int BPF_KPROBE(lat_entry)
{
	__u32 zero = 0;
	__u64 *t = bpf_map_lookup_elem(&start, &zero);

	if (t)
		*t = bpf_ktime_get_ns();
	return 0;
}

SEC("kretprobe/kp_target_add")
int BPF_KRETPROBE(lat_exit)
{
	__u32 zero = 0, bucket;
	__u64 *t = bpf_map_lookup_elem(&start, &zero), one = 1, *count;

	if (!t || !*t)
		return 0;
	bucket = log2_bucket(bpf_ktime_get_ns() - *t);
	*t = 0;
	count = bpf_map_lookup_elem(&lat_hist, &bucket);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&lat_hist, &bucket, &one, BPF_NOEXIST);
	return 0;
}

char _license[] SEC("license") = "GPL";
