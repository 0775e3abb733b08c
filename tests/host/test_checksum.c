/*
 * net/checksum.c on the host: RFC 1071 vectors, then random buffers of every
 * length and alignment against a plain big-endian reference, the UDP
 * pseudo-header against building it in memory, and RFC 1624 incremental
 * updates against recomputing.
 */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "net.h"

/* The textbook definition: big-endian 16-bit words, end-around carry. */
static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

static void t_rfc1071_example(void)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK_EQ(ntohs(csum_fold(csum_partial(b, sizeof(b), 0))), 0x220d);
	CHECK_EQ(ref_csum(b, sizeof(b)), 0x220d);
	CHECK_EQ(ntohs(csum_fold(csum_partial(b, 0, 0))), 0xffff);
}

static void t_ipv4_header(void)
{
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	CHECK_EQ(ip_fast_csum(h, 5), 0);
	h[10] = h[11] = 0;
	CHECK_EQ(ntohs(ip_fast_csum(h, 5)), 0xb861);
}

static void t_random_lengths_and_alignments(void)
{
	static uint8_t buf[2100];

	for (int iter = 0; iter < 20000; iter++) {
		size_t off = rnd() % 8, n = rnd() % 2048;

		for (size_t i = 0; i < n; i++)
			buf[off + i] = rnd();
		CHECK_EQ(ntohs(csum_fold(csum_partial(buf + off, n, 0))), ref_csum(buf + off, n));
		if (check_failed_now)
			return;
	}
	/* all ones: the carries pile up in the 64-bit accumulator */
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(ntohs(csum_fold(csum_partial(buf, sizeof(buf), 0))), ref_csum(buf, sizeof(buf)));
}

static void t_split_sums_chain(void)
{
	uint8_t buf[600];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd();
	/* summing in even-sized pieces and chaining gives the same result */
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		uint32_t s = csum_partial(buf, cut, 0);

		CHECK_EQ(csum_fold(csum_partial(buf + cut, sizeof(buf) - cut, s)),
			 csum_fold(csum_partial(buf, sizeof(buf), 0)));
	}
}

static void t_udp_pseudo_header(void)
{
	uint8_t mem[12 + 8 + 7];
	uint32_t src = htonl(0x0a000263), dst = htonl(0x0a00020f);
	uint16_t len = 8 + 7;

	for (int iter = 0; iter < 1000; iter++) {
		src = rnd();
		dst = rnd();
		memcpy(mem, &src, 4);
		memcpy(mem + 4, &dst, 4);
		mem[8] = 0;
		mem[9] = 17;
		mem[10] = len >> 8;
		mem[11] = len & 0xff;
		for (size_t i = 12; i < sizeof(mem); i++)
			mem[i] = rnd();
		CHECK_EQ(ntohs(csum_fold(csum_partial(mem + 12, len,
				csum_tcpudp_nofold(src, dst, len, 17, 0)))), ref_csum(mem, sizeof(mem)));
		if (check_failed_now)
			return;
	}
}

static void t_incremental_update(void)
{
	uint8_t h[20];

	for (int iter = 0; iter < 5000; iter++) {
		uint16_t check, old, new_;
		size_t w = (rnd() % 10) * 2;

		for (size_t i = 0; i < sizeof(h); i++)
			h[i] = rnd();
		h[10] = h[11] = 0;
		check = ip_fast_csum(h, 5);
		if (w == 10)
			continue;	/* the checksum field itself */
		memcpy(&old, h + w, 2);
		new_ = rnd();
		memcpy(h + w, &new_, 2);
		CHECK_EQ(csum_replace2(check, old, new_), ip_fast_csum(h, 5));
		if (check_failed_now)
			return;
	}
}

int main(void)
{
	RUN(t_rfc1071_example);
	RUN(t_ipv4_header);
	RUN(t_random_lengths_and_alignments);
	RUN(t_split_sums_chain);
	RUN(t_udp_pseudo_header);
	RUN(t_incremental_update);
	return check_done();
}
