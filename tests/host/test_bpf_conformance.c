/*
 * The bpf_conformance suite on the interpreter. Each .data file's `-- asm`
 * is assembled, passed through bpf_check_basic(), then run twice: checked
 * (every access bounded to the test's memory and the stack) and trusted, as
 * the kernel runs verified programs; both must give the `-- result` value.
 * A file with `-- error` must be refused by the assembler or the check.
 * r1 points at the `-- mem` bytes, r2 is their length, as the suite's
 * plugins do. Helper 5 (used by the call tests) returns its first argument.
 *
 * The suite lives outside the repository: BPF_CONFORMANCE_DIR, or
 * ../shared/conformance/bpf/tests from the repository root, or
 * /work/shared/conformance/bpf/tests.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "bpf.h"
#include "bpf_asm.h"

#define MAX_WORDS	4096

static uint64_t helper_identity(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	return r1;
}

static const bpf_helper_fn helpers[6] = { [5] = helper_identity };

struct test_file {
	char *asm_text, *mem_text, *result_text, *error_text;
};

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Split at "-- name" lines; each section's text runs to the next one. */
static void split(char *text, struct test_file *t)
{
	char *p = text;

	memset(t, 0, sizeof(*t));
	while ((p = strstr(p, "-- ")) != NULL) {
		char *name, *body;

		if (p != text && p[-1] != '\n' && p[-1] != '\0') {
			p += 3;
			continue;
		}
		name = p + 3;
		body = strchr(name, '\n');
		if (!body)
			break;
		*body++ = '\0';
		p[0] = '\0';
		if (!strcmp(name, "asm"))
			t->asm_text = body;
		else if (!strcmp(name, "mem"))
			t->mem_text = body;
		else if (!strcmp(name, "result"))
			t->result_text = body;
		else if (!strcmp(name, "error"))
			t->error_text = body;
		p = body;
	}
}

static size_t parse_mem(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	char *end;

	while (s && *s && n < max) {
		unsigned long v = strtoul(s, &end, 16);

		if (end == s)
			break;
		out[n++] = (uint8_t)v;
		s = end;
	}
	return n;
}

static void run_file(const char *dir, const char *file)
{
	static struct bpf_insn insns[MAX_WORDS];
	char path[1024], err[256];
	struct test_file t;
	uint8_t *mem = malloc(4096);
	size_t mem_len;
	char *text;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = read_all(path);
	check_failed_now = 0;
	if (!text) {
		printf("    # cannot read %s\n", path);
		check_failed_now = 1;
		goto out;
	}
	split(text, &t);
	n = t.asm_text ? bpf_asm(t.asm_text, insns, MAX_WORDS, err, sizeof(err)) : -1;
	if (n > 0) {
		struct bpf_prog prog = {
			.insnsi = insns, .len = (uint32_t)n,
			.helpers = helpers, .nr_helpers = 6,
		};

		if (bpf_check_basic(&prog, err, sizeof(err)))
			n = -1;
		else if (!t.error_text) {
			uint64_t want = strtoull(t.result_text ? t.result_text : "", NULL, 16), got = 0;
			struct bpf_region rg;
			struct bpf_checked_run cr = { .regions = &rg, .nr_regions = 1,
						      .insn_budget = 1000000 };
			int e;

			mem_len = parse_mem(t.mem_text, mem, 4096);
			rg = (struct bpf_region){ (uintptr_t)mem, (uintptr_t)mem + mem_len, true };
			e = bpf_prog_run_checked(&prog, mem_len ? (uintptr_t)mem : 0, mem_len, &cr, &got);
			if (e) {
				printf("    # checked run failed: %d at insn %u\n", e, cr.fault_pc);
				check_failed_now = 1;
			} else if (got != want) {
				printf("    # checked run: r0 = %#llx, expected %#llx\n",
				       (unsigned long long)got, (unsigned long long)want);
				check_failed_now = 1;
			}
			parse_mem(t.mem_text, mem, 4096);	/* atomics may have changed it */
			got = bpf_prog_run(&prog, mem_len ? mem : NULL);
			if (got != want) {
				printf("    # trusted run: r0 = %#llx, expected %#llx\n",
				       (unsigned long long)got, (unsigned long long)want);
				check_failed_now = 1;
			}
		}
	}
	if (n < 0 && !t.error_text) {
		printf("    # refused: %s\n", err);
		check_failed_now = 1;
	} else if (n >= 0 && t.error_text) {
		printf("    # accepted, expected the error %s", t.error_text);
		check_failed_now = 1;
	}
out:
	check_report(file, check_failed_now);
	free(text);
	free(mem);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char *dir = getenv("BPF_CONFORMANCE_DIR");
	char *names[1024];
	int count = 0;
	struct dirent *de;
	DIR *d;

	/* beside the checkout (../shared), or where the workplace mounts it */
	static const char *const places[] = { "../shared/conformance/bpf/tests",
					      "/work/shared/conformance/bpf/tests" };

	for (size_t i = 0; !dir && i < sizeof(places) / sizeof(places[0]); i++)
		if ((d = opendir(places[i]))) {
			closedir(d);
			dir = places[i];
		}
	if (!dir)
		dir = places[0];
	d = opendir(dir);
	if (!d) {
		printf("KTAP version 1\n1..1\nnot ok 1 conformance suite # cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL && count < 1024) {
		size_t n = strlen(de->d_name);

		if (n > 5 && !strcmp(de->d_name + n - 5, ".data"))
			names[count++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(names[0]), by_name);
	for (int i = 0; i < count; i++) {
		run_file(dir, names[i]);
		free(names[i]);
	}
	return check_done();
}
