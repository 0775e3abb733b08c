// SPDX-License-Identifier: GPL-2.0
/*
 * Send every frame out of another interface. xdp_redirect_port goes
 * through slot 0 of a devmap (`bpf map update tx_port 0 value 2` puts
 * eth1's ifindex there) and passes frames while the slot is empty;
 * xdp_redirect_ifindex names the interface itself with bpf_redirect(),
 * from a read-only global a libbpf skeleton would set before loading.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} tx_port SEC(".maps");

const volatile __u32 out_ifindex = 2;

SEC("xdp")
int xdp_redirect_port(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_port, 0, XDP_PASS);
}

SEC("xdp")
int xdp_redirect_ifindex(struct xdp_md *ctx)
{
	return bpf_redirect(out_ifindex, 0);
}

char _license[] SEC("license") = "GPL";
