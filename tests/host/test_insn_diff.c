/*
 * Differential test of insn_decode() against objdump and Capstone.
 *
 * Corpus: the executable sections of a pinned list of files
 * (tests/host/insn_corpus.list: build/kprobe64.elf and files named by their
 * Debian package), plus a synthetic blob with every
 * opcode of every map under several prefixes and ModRM forms. objdump -d
 * -w lists each instruction with its address and raw bytes; at every such
 * address we decode the same bytes and compare the length, and ask
 * Capstone for its length too. The rules (what objdump and Capstone do
 * differently on purpose, and what fails the test) are in docs/decoder.md.
 *
 * Environment: INSN_DIFF_FILES=a:b:c replaces the pinned corpus;
 * INSN_DIFF_MIN=N sets how many corpus instructions are needed (2000000).
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "insn.h"
#include "insn_corpus.h"
#include "kerrno.h"

/* Documented objdump quirks (docs/decoder.md), counted apart from agreement. */
enum quirk {
	Q_NONE,
	Q_OD_BAD,	/* objdump "(bad)": stricter operand checks; we decode */
	Q_OD_BYTE,	/* objdump ".byte": it could not fetch the whole insn */
	Q_PREFIX_LINE,	/* objdump printed prefixes alone (REX not last, >13 prefixes) */
	Q_FWAIT,	/* objdump merges 9B fwait with the next x87 insn */
	Q_REL16,	/* objdump (AMD64 mode) takes 66 E8/E9 as rel16 */
	Q_LOCK,		/* objdump accepts lock on non-lockable insns (#UD) */
	Q_VEX_PREFIX,	/* objdump accepts 66/F2/F3/REX before VEX/EVEX/XOP (#UD) */
	Q_SREG,		/* objdump accepts mov to cs / Sreg 6,7 ("%?") (#UD) */
	Q_MAX
};

static const char *const quirk_name[Q_MAX] = {
	[Q_OD_BAD] = "objdump-bad",
	[Q_OD_BYTE] = "objdump-byte",
	[Q_PREFIX_LINE] = "prefix-line",
	[Q_FWAIT] = "fwait-merge",
	[Q_REL16] = "66-rel16",
	[Q_LOCK] = "bad-lock",
	[Q_VEX_PREFIX] = "vex-prefix",
	[Q_SREG] = "bad-sreg",
};

/* Capstone disagreements by kind (never fatal alone, see the rules). */
enum cs_kind { CS_REJECTS, CS_ACCEPTS, CS_LENGTH, CS_MAX };
static const char *const cs_name[CS_MAX] = {
	"capstone-rejects", "capstone-accepts", "capstone-length",
};

struct stats {
	const char *name;
	unsigned long insns;		/* objdump instructions compared */
	unsigned long agree;		/* same length, or both invalid */
	unsigned long both_invalid;
	unsigned long quirk[Q_MAX];
	unsigned long quirks;
	unsigned long disagree;		/* fatal: not explained by a quirk */
	unsigned long referee;		/* fatal: objdump gave up, capstone and we differ */
	unsigned long outvoted;		/* objdump and capstone agree, we don't (quirks) */
	unsigned long cs_agree;
	unsigned long cs_diff[CS_MAX];
	int printed, cs_printed;
};

static csh cs;
static cs_insn *cs_one;
static int sabotage;	/* self-test: make the decoder wrong on purpose */
static int print_max = 12;	/* INSN_DIFF_VERBOSE raises it */
static bool verbose;

static int our_decode(struct insn *in, const uint8_t *p, size_t len,
		      uint64_t addr)
{
	int ret = insn_decode(in, p, len, addr);

	/* The self-test checks that a wrong length on a common insn is caught. */
	if (!ret && sabotage && in->map == INSN_MAP_ONEBYTE &&
	    in->opcode == 0x89 && in->len < len)
		in->len++;
	return ret;
}

static int cs_len(const uint8_t *p, size_t len, uint64_t addr)
{
	const uint8_t *code = p;
	size_t size = len < 16 ? len : 16;

	if (!cs_disasm_iter(cs, &code, &size, &addr, cs_one))
		return -1;
	return cs_one->size;
}

static bool is_prefix(uint8_t b)
{
	return (b & 0xf0) == 0x40 ||
	       insn_opcode_attr(INSN_ENC_LEGACY, INSN_MAP_ONEBYTE, b) & INSN_A_PREFIX;
}

/*
 * Decode a patched copy of the leading bytes: prefixes for which drop() is
 * true are removed from the prefix run, and an opcode equal to from[i] is
 * replaced by to[i]. Returns our length, or -1; *dropped counts removals.
 */
static int decode_patched(const uint8_t *p, size_t len, bool (*drop)(uint8_t),
			  const uint8_t *from, const uint8_t *to,
			  unsigned int *dropped)
{
	bool in_prefix = true;
	unsigned int i, n = 0;
	uint8_t tmp[16];
	struct insn in;
	const uint8_t *f;

	*dropped = 0;
	for (i = 0; i < len && i < 16; i++) {
		if (in_prefix && is_prefix(p[i])) {
			if (drop && drop(p[i])) {
				(*dropped)++;
				continue;
			}
		} else if (in_prefix) {
			in_prefix = false;
			f = from ? memchr(from, p[i], strlen((const char *)from)) : NULL;
			if (f) {
				tmp[n++] = to[f - from];
				continue;
			}
		}
		tmp[n++] = p[i];
	}
	if (our_decode(&in, tmp, n, 0))
		return -1;
	return in.len;
}

static bool drop_lock(uint8_t b) { return b == 0xf0; }
/* mov Sreg has the same ModRM shape as mov r32, r/m32 and back. */
static const uint8_t sreg_from[] = { 0x8c, 0x8e, 0 }, sreg_to[] = { 0x89, 0x8b };
static bool drop_vex_bad(uint8_t b)
{
	return b == 0x66 || b == 0xf2 || b == 0xf3 || b == 0xf0 ||
	       (b & 0xf0) == 0x40;
}

/*
 * objdump decoded n bytes at p, we did not agree: is it a documented quirk?
 * Each rule checks the specific shape, not just "some difference": where
 * we reject a #UD form, the same bytes without the offending part must
 * decode to objdump's length.
 */
static enum quirk objdump_quirk(const uint8_t *p, size_t avail, int n,
				int ret, const struct insn *in)
{
	unsigned int i = 0, dropped;
	struct insn in2;
	uint8_t op;

	while (i < (unsigned int)n && is_prefix(p[i]))
		i++;
	op = p[i];
	if (ret == 0 && op == 0x9b && in->len == i + 1 && n > (int)in->len &&
	    !our_decode(&in2, p + in->len, avail - in->len, 0) &&
	    in2.len == n - in->len && (in2.flags & INSN_F_X87))
		return Q_FWAIT;
	if (ret == 0 && in->opsize && n == in->len - 2 &&
	    (in->branch == INSN_BR_CALL_REL32 || in->branch == INSN_BR_JMP_REL32 ||
	     in->branch == INSN_BR_JCC_REL32))
		return Q_REL16;
	if (ret != -EILSEQ || i >= (unsigned int)n)
		return Q_NONE;
	if (memchr(p, 0xf0, i) &&
	    (decode_patched(p, avail, drop_lock, NULL, NULL, &dropped) == n - (int)dropped ||
	     decode_patched(p, avail, drop_lock, sreg_from, sreg_to, &dropped) == n - (int)dropped))
		return Q_LOCK;
	if ((op == 0xc4 || op == 0xc5 || op == 0x62 || op == 0x8f) &&
	    decode_patched(p, avail, drop_vex_bad, NULL, NULL, &dropped) == n - (int)dropped)
		return Q_VEX_PREFIX;
	if ((op == 0x8c || op == 0x8e) &&
	    decode_patched(p, avail, NULL, sreg_from, sreg_to, &dropped) == n)
		return Q_SREG;
	return Q_NONE;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 16; i++)
		out += sprintf(out, "%02x ", p[i]);
	*out = 0;
}

/*
 * Compare one objdump line: n bytes at p (avail bytes to the section end),
 * mnemonic text. Returns nothing; counts into st.
 */
static void compare(struct stats *st, const char *where, const uint8_t *p,
		    size_t avail, uint64_t addr, int n, const char *text)
{
	enum quirk q = Q_NONE;
	struct insn in;
	int ret, cl, i;
	bool od_bad = strstr(text, "(bad)") != NULL;
	bool od_byte = strncmp(text, ".byte", 5) == 0;
	bool all_prefix = true;
	char hb[64];

	for (i = 0; i < n; i++)
		all_prefix &= is_prefix(p[i]);
	st->insns++;
	ret = our_decode(&in, p, avail, addr);
	cl = cs_len(p, avail, addr);

	if (od_bad || od_byte) {
		if (ret) {
			st->agree++;
			st->both_invalid++;
		} else {
			q = od_bad ? Q_OD_BAD : Q_OD_BYTE;
		}
	} else if (ret == 0 && in.len == n) {
		st->agree++;
	} else if (all_prefix) {
		q = Q_PREFIX_LINE;
	} else {
		q = objdump_quirk(p, avail, n, ret, &in);
		if (q == Q_NONE) {
			st->disagree++;
			if (st->printed++ < print_max) {
				hex(hb, p, n > 15 ? 15 : n);
				printf("    # %s %s %#llx: bytes %s| objdump %d \"%s\" | ours %d (%s) | capstone %d\n",
				       st->name, where, (unsigned long long)addr, hb, n,
				       text, ret ? 0 : in.len, ret ? (ret == -EILSEQ ?
				       "EILSEQ" : "ENODATA") : "ok", cl);
			}
		}
	}
	if (q != Q_NONE) {
		st->quirk[q]++;
		st->quirks++;
		if (getenv("INSN_DIFF_QUIRKS")) {
			hex(hb, p, 15 < avail ? 15 : avail);
			printf("    # quirk %s %s %#llx: %s| objdump %d \"%s\" | ours %d\n",
			       quirk_name[q], where, (unsigned long long)addr, hb, n, text,
			       ret ? ret : in.len);
		}
	}

	/*
	 * Capstone: advisory where objdump answered. Where objdump gave no
	 * length ((bad), .byte, a prefix-only line) and Capstone and we both
	 * decode, the lengths must match: Capstone referees.
	 */
	if ((ret != 0 && cl < 0) || (ret == 0 && cl == in.len)) {
		st->cs_agree++;
		return;
	}
	st->cs_diff[cl < 0 ? CS_REJECTS : ret ? CS_ACCEPTS : CS_LENGTH]++;
	if (!od_bad && !od_byte && !all_prefix && cl == n)
		st->outvoted++;
	if ((od_bad || od_byte || all_prefix) && ret == 0 && cl >= 0) {
		st->referee++;
		if (st->printed++ < print_max) {
			hex(hb, p, 15 < avail ? 15 : avail);
			printf("    # %s %s %#llx: bytes %s| objdump %d \"%s\" | capstone %d | ours %d\n",
			       st->name, where, (unsigned long long)addr, hb, n, text,
			       cl, in.len);
		}
	} else if (verbose && st->cs_printed++ < print_max) {
		hex(hb, p, 15 < avail ? 15 : avail);
		printf("    # capstone %s %#llx: %s| capstone %d ours %d objdump %d \"%s\"\n",
		       where, (unsigned long long)addr, hb, cl, ret ? ret : in.len, n, text);
	}
}

/* ---- ELF corpus ---- */

/* Run objdump over one loaded image and compare every line. */
static void run_objdump(struct stats *st, const struct image *im,
			const char *objdump_target)
{
	char cmd[4200], line[4096], *text;
	uint8_t bytes[32];
	const struct sect *sec = NULL;
	uint64_t addr, off;
	FILE *f;
	int n;

	if (strpbrk(im->path, "'\\"))
		return;
	snprintf(cmd, sizeof(cmd), "LC_ALL=C objdump -d -w %s '%s' 2>/dev/null",
		 objdump_target ? objdump_target : "", im->path);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		text = (char *)"";
		n = objdump_parse_line(line, &addr, bytes, &text);
		if (n <= 0)
			continue;
		if (!sec || addr < sec->addr || addr - sec->addr >= sec->size)
			sec = find_sect(im, addr);
		if (!sec)
			continue;
		off = addr - sec->addr;
		if (off + n > sec->size || memcmp(sec->data + off, bytes, n)) {
			st->disagree++;	/* our view of the file is wrong */
			printf("    # %s: bytes at %#llx differ from objdump's\n",
			       im->path, (unsigned long long)addr);
			continue;
		}
		compare(st, im->path, sec->data + off, sec->size - off, addr, n, text);
	}
	pclose(f);
}

static struct stats corpus;
static struct stats synth;
static unsigned long corpus_files_used;

static void print_stats(const struct stats *st)
{
	unsigned long judged = st->insns - st->quirks;
	unsigned long cs_total = st->insns;
	int q;

	printf("# %s objdump: %lu insns, %.2f%% agree, %lu quirks (",
	       st->name, st->insns, judged ? 100.0 * st->agree / judged : 100.0,
	       st->quirks);
	for (q = 1; q < Q_MAX; q++)
		printf("%s%s %lu", q > 1 ? ", " : "", quirk_name[q], st->quirk[q]);
	printf("), %lu both invalid, %lu disagree\n", st->both_invalid, st->disagree);
	printf("# %s capstone: %lu insns, %.2f%% agree (", st->name, cs_total,
	       cs_total ? 100.0 * st->cs_agree / cs_total : 100.0);
	for (q = 0; q < CS_MAX; q++)
		printf("%s%s %lu", q ? ", " : "", cs_name[q], st->cs_diff[q]);
	printf("), %lu outvoted (quirks), %lu referee failures\n", st->outvoted,
	       st->referee);
}

static void t_corpus_agrees_with_objdump(void)
{
	unsigned long need = corpus_min();
	struct image im;
	char **files;
	int nfiles, missing, i;

	corpus.name = "corpus";
	files = corpus_files(&nfiles, &missing);
	for (i = 0; i < nfiles; i++) {
		if (load_image(&im, files[i], strstr(files[i], "kprobe64.elf"))) {
			run_objdump(&corpus, &im, NULL);
			corpus_files_used++;
			free(im.file);
		} else {
			printf("    # corpus file %s has no x86-64 code to decode\n", files[i]);
			missing++;
		}
		free(files[i]);
	}
	free(files);
	printf("# corpus: %lu files\n", corpus_files_used);
	print_stats(&corpus);
	if (corpus.insns < need)
		printf("    # only %lu instructions of code found, %lu needed%s\n",
		       corpus.insns, need, corpus.insns ? "" :
		       " (is objdump, from binutils, installed?)");
	CHECK_EQ(missing, 0);
	CHECK(corpus.insns >= need);
	CHECK_EQ(corpus.disagree, 0);
}

static void t_corpus_capstone_referee(void)
{
	CHECK_EQ(corpus.referee, 0);
}

/* ---- synthetic blob: every opcode of every map ---- */

#define SLOT 16

struct blob {
	uint8_t *buf;
	size_t len, cap;
};

/*
 * One candidate per 16-byte slot: the given bytes, then 0x90 (nop) to the
 * end of the slot. Whatever objdump or we take for the displacement and
 * immediate bytes, the leftovers are one-byte nops, so both resynchronise
 * at the next slot.
 */
static void add(struct blob *b, const uint8_t *p, size_t n)
{
	if (b->len + SLOT > b->cap) {
		b->cap = b->cap ? 2 * b->cap : 1 << 20;
		b->buf = realloc(b->buf, b->cap);
	}
	memset(b->buf + b->len, 0x90, SLOT);
	memcpy(b->buf + b->len, p, n);
	b->len += SLOT;
}

static const uint8_t modrms[][2] = {
	{ 0xc1 }, { 0x05 }, { 0x44, 0x24 }, { 0x84, 0x4c }, { 0x04, 0x25 },
	{ 0x08 }, { 0xf8 }, { 0x38 }, { 0x4d }, { 0x94, 0x05 },
};

static void gen_synthetic(struct blob *b)
{
	static const uint8_t pfx[][2] = {
		{ 0 }, { 0x66 }, { 0xf2 }, { 0xf3 }, { 0x48 }, { 0x66, 0x48 },
		{ 0x67 }, { 0x41 },
	};
	static const uint8_t esc[][3] = { { 0 }, { 0x0f }, { 0x0f, 0x38 }, { 0x0f, 0x3a } };
	static const uint8_t esclen[] = { 0, 1, 2, 2 };
	uint8_t c[16];
	unsigned int p, e, op, m, pl, n, map, pp, w, l;

	for (e = 0; e < 4; e++)
		for (p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++)
			for (op = 0; op < 256; op++)
				for (m = 0; m < sizeof(modrms) / sizeof(modrms[0]); m++) {
					pl = pfx[p][0] ? (pfx[p][1] ? 2 : 1) : 0;
					memcpy(c, pfx[p], pl);
					memcpy(c + pl, esc[e], esclen[e]);
					n = pl + esclen[e];
					c[n++] = op;
					memcpy(c + n, modrms[m], 2);
					n += modrms[m][1] ? 2 : 1;
					add(b, c, n);
				}
	/* VEX: C5 (map 1) and C4 maps 1-3, all pp, W, L. */
	for (map = 1; map <= 3; map++)
		for (pp = 0; pp < 4; pp++)
			for (w = 0; w < 2; w++)
				for (l = 0; l < 2; l++)
					for (op = 0; op < 256; op++)
						for (m = 0; m < 4; m++) {
							n = 0;
							c[n++] = 0xc4;
							c[n++] = 0xe0 | map;
							c[n++] = (w << 7) | 0x78 | (l << 2) | pp;
							c[n++] = op;
							memcpy(c + n, modrms[m], 2);
							n += modrms[m][1] ? 2 : 1;
							add(b, c, n);
							if (map == 1 && !w) {
								c[0] = 0xc5;
								c[1] = 0xf8 | (l << 2) | pp;
								memmove(c + 2, c + 3, n - 3);
								add(b, c, n - 1);
							}
						}
	/* EVEX maps 1, 2, 3, 5, 6. */
	for (map = 1; map <= 6; map++)
		for (pp = 0; pp < 4; pp++)
			for (w = 0; w < 2; w++)
				for (op = 0; op < 256; op++)
					for (m = 0; m < 4; m++) {
						if (map == 4)
							continue;
						n = 0;
						c[n++] = 0x62;
						c[n++] = 0xf0 | map;
						c[n++] = (w << 7) | 0x7c | pp;
						c[n++] = 0x48;
						c[n++] = op;
						memcpy(c + n, modrms[m], 2);
						n += modrms[m][1] ? 2 : 1;
						add(b, c, n);
					}
	/* XOP maps 8, 9, A. */
	for (map = 8; map <= 10; map++)
		for (w = 0; w < 2; w++)
			for (op = 0; op < 256; op++)
				for (m = 0; m < 4; m++) {
					n = 0;
					c[n++] = 0x8f;
					c[n++] = 0xe0 | map;
					c[n++] = (w << 7) | 0x78;
					c[n++] = op;
					memcpy(c + n, modrms[m], 2);
					n += modrms[m][1] ? 2 : 1;
					add(b, c, n);
				}
}

static void t_synthetic_agrees_with_objdump(void)
{
	char path[] = "/tmp/insn_synth_XXXXXX";
	char cmd[256], line[4096], *text;
	struct blob b = { 0 };
	uint8_t bytes[32];
	uint64_t addr;
	FILE *f;
	int fd, n;

	synth.name = "synthetic";
	gen_synthetic(&b);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "wb");
	CHECK(fwrite(b.buf, 1, b.len, f) == b.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "LC_ALL=C objdump -D -w -b binary -m i386:x86-64 %s", path);
	f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f)) {
		n = objdump_parse_line(line, &addr, bytes, &text);
		/* Only slot starts are candidates; the rest is nop padding. */
		if (n <= 0 || addr % SLOT || addr + n > b.len ||
		    memcmp(b.buf + addr, bytes, n))
			continue;
		compare(&synth, "blob", b.buf + addr, b.len - addr, addr, n, text);
	}
	if (f)
		pclose(f);
	unlink(path);
	free(b.buf);
	print_stats(&synth);
	CHECK(synth.insns > 100000);
	CHECK_EQ(synth.disagree, 0);
	CHECK_EQ(synth.referee, 0);
}

/* A decoder that is wrong on one common instruction must fail the test. */
static void t_selftest_detects_wrong_length(void)
{
	struct stats st = { .name = "selftest" };
	struct image im;

	if (!load_image(&im, "/usr/lib/x86_64-linux-gnu/libc.so.6", false)) {
		CHECK(0);
		return;
	}
	sabotage = 1;
	st.printed = st.cs_printed = print_max;	/* quiet */
	run_objdump(&st, &im, NULL);
	sabotage = 0;
	free(im.file);
	printf("# selftest: %lu of %lu insns flagged with a deliberately wrong 89 /r length\n",
	       st.disagree, st.insns);
	CHECK(st.disagree > 1000);
	CHECK(st.outvoted > 1000);
}

int main(void)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	verbose = getenv("INSN_DIFF_VERBOSE") != NULL;
	if (verbose)
		print_max = atoi(getenv("INSN_DIFF_VERBOSE"));
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		printf("# capstone: cs_open failed\n");
		return 1;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_OFF);
	cs_one = cs_malloc(cs);

	RUN(t_selftest_detects_wrong_length);
	RUN(t_corpus_agrees_with_objdump);
	RUN(t_corpus_capstone_referee);
	RUN(t_synthetic_agrees_with_objdump);

	cs_free(cs_one, 1);
	cs_close(&cs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# time: %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return check_done();
}
