/* Hex strings to decoded instructions for the decoder's host tests (insn_hex.h). */
#include <stdlib.h>
#include <string.h>

#include "insn_hex.h"

size_t parse_hex(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		out[n++] = (uint8_t)strtoul((char[3]){ s[0], s[1], 0 }, NULL, 16);
		s += 2;
	}
	return n;
}

int dec_n(struct insn *in, const char *hex, long len, uint64_t addr)
{
	uint8_t tmp[64], *buf;
	size_t n = parse_hex(hex, tmp);
	int ret;

	if (len >= 0 && (size_t)len < n)
		n = len;
	buf = malloc(n ? n : 1);
	memcpy(buf, tmp, n);
	ret = insn_decode(in, buf, n, addr);
	free(buf);
	return ret;
}

int dec(struct insn *in, const char *hex)
{
	return dec_n(in, hex, -1, ADDR);
}
