/*
 * A host-side eBPF assembler for the syntax of the bpf_conformance suite's
 * `-- asm` sections (the uBPF dialect): `add32 %r0, 1`, `ldxw %r0, [%r1+4]`,
 * `lock fetch add [%r10-8], %r1`, `jne %r0, 15, label`, `call local f`,
 * `lddw %r0, 0x1122334455667788`, labels as `name:`, `#` comments.
 */
#ifndef KP_TEST_BPF_ASM_H
#define KP_TEST_BPF_ASM_H

#include <stddef.h>
#include "bpf_isa.h"

/* Assemble src into out (at most max words); the count, or -1 with err set. */
int bpf_asm(const char *src, struct bpf_insn *out, int max, char *err, size_t errlen);

#endif
