# x86-64 instruction decoder (issue 3): unit tests, differential test
# against objdump + Capstone (needs binutils and libcapstone-dev), fuzzing,
# and a throughput benchmark (make bench).
HOST_TESTS += insn insn_class insn_diff insn_fuzz

insn_SRCS := tests/host/test_insn.c tests/host/insn_hex.c arch/x86_64/insn.c arch/x86_64/insn_tables.c
insn_class_SRCS := tests/host/test_insn_class.c tests/host/insn_hex.c arch/x86_64/insn.c \
	arch/x86_64/insn_tables.c

insn_diff_SRCS := tests/host/test_insn_diff.c tests/host/insn_corpus.c arch/x86_64/insn.c arch/x86_64/insn_tables.c
insn_diff_LIBS := -lcapstone

insn_fuzz_SRCS := tests/host/insn_fuzz.c arch/x86_64/insn.c arch/x86_64/insn_tables.c

HOST_BENCH += insn
bench_insn_SRCS := tests/host/bench_insn.c arch/x86_64/insn.c arch/x86_64/insn_tables.c
