/*
 * The Internet checksum (RFC 1071): the one's-complement of the one's-
 * complement sum of 16-bit words. The sum does not depend on byte order if
 * it is computed and stored in the same order, so words are summed as the
 * CPU loads them (little-endian on x86) and the folded result is stored
 * straight into the header field. Portable: tests/host/test_checksum.c runs
 * this file on the host.
 */
#include "lib.h"
#include "net.h"

/*
 * Sum 32-bit loads into a 64-bit accumulator (carries pile up in the high
 * half and are folded once at the end), then the odd tail.
 */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len)	/* a last odd byte is the high-order byte of a zero-padded word */
		acc += *p;
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t ip_fast_csum(const void *iph, unsigned int ihl)
{
	return csum_fold(csum_partial(iph, ihl * 4, 0));
}

/*
 * The pseudo-header is source, destination, a zero byte, the protocol and
 * the TCP/UDP length. Protocol and length are added as the words they form
 * in network order, loaded the way csum_partial loads them.
 */
uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len,
			    uint8_t proto, uint32_t sum)
{
	uint64_t acc = sum;

	acc += (saddr & 0xffff) + (saddr >> 16);
	acc += (daddr & 0xffff) + (daddr >> 16);
	acc += htons(proto);
	acc += htons((uint16_t)len);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/* RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), which never yields -0 wrongly. */
uint16_t csum_replace2(uint16_t check, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~check;

	sum += (uint16_t)~old;
	sum += new_;
	return csum_fold(sum);
}
