// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_printk() from a kprobe: one trace line per call of the probed
 * function with its first two arguments (`trace` shows them, as Linux's
 * trace_pipe does).
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("kprobe/kp_target_add")
int BPF_KPROBE(kprobe_printk, long a, long b)
{
	bpf_printk("kp_target_add(%ld, %ld) on cpu %u", a, b, bpf_get_smp_processor_id());
	return 0;
}

char _license[] SEC("license") = "GPL";
