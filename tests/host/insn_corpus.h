/* The differential test's corpus and objdump's listing (insn_corpus.c). */
#ifndef KP_TESTS_INSN_CORPUS_H
#define KP_TESTS_INSN_CORPUS_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_SECT	64

struct sect {
	uint64_t addr, size;
	const uint8_t *data;
};

struct image {
	const char *path;
	uint8_t *file;
	struct sect sec[MAX_SECT];
	int nsec;
	uint64_t text_bytes;
};

/* Load PATH's executable sections; KERNEL leaves out the 32-bit boot code. */
bool load_image(struct image *im, const char *path, bool kernel);
const struct sect *find_sect(const struct image *im, uint64_t addr);
/* One objdump -d -w line: its byte count (bytes and text filled), or 0. */
int objdump_parse_line(char *line, uint64_t *addr, uint8_t *bytes, char **text);
/* The corpus files (malloc'ed); *missing counts listed files not found. */
char **corpus_files(int *count, int *missing);
/* How many corpus instructions the test needs (INSN_DIFF_MIN). */
unsigned long corpus_min(void);

#endif
