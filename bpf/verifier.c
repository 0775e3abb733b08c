/*
 * TEMPORARY: replaced by the verifier branch. Until the verifier lands, a
 * program is accepted once it is structurally sound; nothing proves it safe.
 */
#include "bpf.h"

int bpf_verify(struct bpf_prog *prog, char *log, size_t log_size)
{
	return bpf_check_basic(prog, log, log_size);
}
