// SPDX-License-Identifier: GPL-2.0
/* Count frames per IPv4 protocol (index 0: not IPv4) in a per-CPU array. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 256);
} proto_count SEC(".maps");

SEC("xdp")
int xdp_proto_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 proto = 0;
	__u64 *count;

	if ((void *)(ip + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IP))
		proto = ip->protocol;
	count = bpf_map_lookup_elem(&proto_count, &proto);
	if (count)
		*count += 1;	/* per-CPU: no other CPU writes this copy */
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
