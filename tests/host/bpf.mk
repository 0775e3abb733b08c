# eBPF (issue 14): the conformance suite on the interpreter through an
# assembler for its syntax, and random programs through the structural
# check and a checked run.
HOST_TESTS += bpf_conformance

BPF_ASM_SRCS := tests/host/bpf_asm.c
BPF_CORE_SRCS := bpf/check.c bpf/interp.c

bpf_conformance_SRCS := tests/host/test_bpf_conformance.c $(BPF_ASM_SRCS) $(BPF_CORE_SRCS)

HOST_TESTS += bpf_check
bpf_check_SRCS := tests/host/test_bpf_check.c $(BPF_ASM_SRCS) $(BPF_CORE_SRCS)

# Maps, on the host with libc memory and two pretend CPUs.
BPF_MAP_SRCS := bpf/map.c bpf/map_array.c bpf/map_hash.c bpf/map_ringbuf.c tests/host/bpf_env.c
HOST_TESTS += bpf_maps
bpf_maps_SRCS := tests/host/test_bpf_maps.c $(BPF_MAP_SRCS) bpf/helpers.c $(BPF_CORE_SRCS) \
	$(BPF_ASM_SRCS)
$(B)/host/test_bpf_maps: bpf/map_internal.h

# The ELF loader, on the samples clang builds (build/samples/bpf/*.o).
HOST_TESTS += bpf_loader
bpf_loader_SRCS := tests/host/test_bpf_loader.c bpf/loader.c bpf/elf.c bpf/btf.c bpf/btf_dump.c \
	bpf/helpers.c $(BPF_MAP_SRCS) $(BPF_CORE_SRCS)
$(B)/host/test_bpf_loader: bpf/elf.h bpf/btf.h $(BPF_SAMPLES)

# bpf_trace_printk's format rules.
HOST_TESTS += bpf_printk
bpf_printk_SRCS := tests/host/test_bpf_printk.c bpf/printk.c

# Interpreter throughput for make bench.
HOST_BENCH += bpf
bench_bpf_SRCS := tests/host/bench_bpf.c $(BPF_CORE_SRCS)
