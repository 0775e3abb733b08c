# The eBPF verifier (issue 14): accept/refuse table, context rewrite, log;
# a fuzzer of random and mutated programs under ASan/UBSan.
HOST_TESTS += bpf_verifier bpf_verifier_fuzz

BPF_VERIFIER_SRCS := $(wildcard bpf/verifier*.c) tests/host/bpf_env.c
bpf_verifier_SRCS := tests/host/test_bpf_verifier.c $(BPF_VERIFIER_SRCS)
bpf_verifier_fuzz_SRCS := tests/host/test_bpf_verifier_fuzz.c $(BPF_VERIFIER_SRCS)

$(B)/host/test_bpf_verifier $(B)/host/test_bpf_verifier_fuzz: bpf/verifier_internal.h
