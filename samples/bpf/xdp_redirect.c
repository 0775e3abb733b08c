// SPDX-License-Identifier: GPL-2.0
/*
 * Send every frame out of the interface in slot 0 of a devmap (the loader
 * or `bpf map update` puts eth1's ifindex there); pass if the slot is empty.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} tx_port SEC(".maps");

SEC("xdp")
int xdp_redirect_port(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
