/*
 * Decoding instructions written as hex strings ("48 8b 05 00 00 00 00"),
 * for the decoder's hand-written host tests. The bytes go into a malloc'ed
 * buffer of exactly their length, so ASan catches any read past the end.
 */
#ifndef KP_TESTS_INSN_HEX_H
#define KP_TESTS_INSN_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "insn.h"

#define ADDR 0x1000ull

/* "48 8b" to bytes: returns how many. */
size_t parse_hex(const char *s, uint8_t *out);
/* Decode hex (at most len bytes of it, all if len < 0) at addr. */
int dec_n(struct insn *in, const char *hex, long len, uint64_t addr);
/* Decode all of hex at ADDR. */
int dec(struct insn *in, const char *hex);

/* Decodes, and has exactly the given length (CHECK_* are from check.h). */
#define LEN(hex, n) do { struct insn _i; int _r = dec(&_i, hex); \
	CHECK_EQ(_r, 0); CHECK_EQ(_i.len, n); } while (0)
#define BAD(hex, err) do { struct insn _i; CHECK_EQ(dec(&_i, hex), err); \
	CHECK_EQ(_i.len, 0); } while (0)

#endif
