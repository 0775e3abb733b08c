# Jump optimization's planning, relocation and branch-target scan (issue 12),
# against the decoder; relocated copies are also run on the host.
HOST_TESTS += opt_reloc

opt_reloc_SRCS := tests/host/test_opt_reloc.c probes/opt_reloc.c arch/x86_64/insn.c \
	arch/x86_64/insn_tables.c
opt_reloc_CFLAGS = $(HOST_CFLAGS_DEFAULT) -iquote probes
