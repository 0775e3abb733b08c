# eBPF (issue 14): the conformance suite on the interpreter through an
# assembler for its syntax, and random programs through the structural
# check and a checked run.
HOST_TESTS += bpf_conformance

BPF_ASM_SRCS := tests/host/bpf_asm.c
BPF_CORE_SRCS := bpf/check.c bpf/interp.c

bpf_conformance_SRCS := tests/host/test_bpf_conformance.c $(BPF_ASM_SRCS) $(BPF_CORE_SRCS)

HOST_TESTS += bpf_check
bpf_check_SRCS := tests/host/test_bpf_check.c $(BPF_ASM_SRCS) $(BPF_CORE_SRCS)
