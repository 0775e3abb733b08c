/*
 * GDB remote serial protocol on the wire, for the in-kernel stub: hex,
 * checksums, acks, receiving ("$payload#cs" with '}' escapes, resynchronised
 * after garbage) and framing. Like probes/kgdb_rsp.c (the packets) it has no
 * kernel includes: tests/host/test_kgdb_rsp.c builds both on the host.
 */
#include "kgdb.h"

enum { RX_IDLE, RX_DATA, RX_CSUM1, RX_CSUM2 };

static const char hexdig[] = "0123456789abcdef";

int rsp_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t rsp_checksum(const char *s, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (uint8_t)s[i];
	return sum;
}

size_t rsp_hex_encode(char *out, const void *buf, size_t n)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[b[i] >> 4];
		out[2 * i + 1] = hexdig[b[i] & 15];
	}
	out[2 * n] = '\0';
	return 2 * n;
}

long rsp_hex_decode(void *buf, size_t cap, const char *hex, size_t hexlen)
{
	uint8_t *b = buf;
	size_t n = hexlen / 2;

	if (hexlen % 2 || n > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = rsp_hexval(hex[2 * i]), lo = rsp_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)n;
}

/* ---- receiving ---- */

void rsp_rx_reset(struct rsp_rx *rx)
{
	rx->state = RX_IDLE;
	rx->len = 0;
	rx->sum = 0;
	rx->esc = false;
	rx->overflow = false;
	rx->buf[0] = '\0';
}

static void rx_start(struct rsp_rx *rx)
{
	rsp_rx_reset(rx);
	rx->state = RX_DATA;
}

/*
 * One byte in. Outside a packet only '$', '+', '-' and 0x03 mean anything;
 * every other byte is line noise and is dropped. A '$' inside a packet
 * starts over (the one before it was cut short), so a stream of garbage
 * can never wedge the receiver: the worst it does is cost a '-'.
 */
enum rsp_rx_event rsp_rx_feed(struct rsp_rx *rx, uint8_t c)
{
	int v;

	switch (rx->state) {
	case RX_IDLE:
		if (c == '$')
			rx_start(rx);
		else if (c == '+')
			return RSP_RX_ACK;
		else if (c == '-')
			return RSP_RX_NACK;
		else if (c == 0x03)
			return RSP_RX_BREAK;
		return RSP_RX_NONE;
	case RX_DATA:
		if (c == '$') {
			rx_start(rx);
		} else if (c == '#') {
			rx->state = RX_CSUM1;
		} else {
			rx->sum += c;
			if (!rx->esc && c == '}') {
				rx->esc = true;
				return RSP_RX_NONE;
			}
			if (rx->esc)
				c ^= 0x20;
			rx->esc = false;
			if (rx->len < RSP_MAX_PACKET)
				rx->buf[rx->len++] = (char)c;
			else
				rx->overflow = true;
		}
		return RSP_RX_NONE;
	case RX_CSUM1:
	case RX_CSUM2:
		if (c == '$') {
			rx_start(rx);
			return RSP_RX_NONE;
		}
		v = rsp_hexval((char)c);
		if (v < 0) {
			rsp_rx_reset(rx);
			return RSP_RX_BADSUM;
		}
		if (rx->state == RX_CSUM1) {
			rx->want = (uint8_t)(v << 4);
			rx->state = RX_CSUM2;
			return RSP_RX_NONE;
		}
		rx->want |= (uint8_t)v;
		rx->state = RX_IDLE;
		rx->buf[rx->len] = '\0';
		if (rx->want != rx->sum) {
			rx->len = 0;
			return RSP_RX_BADSUM;
		}
		return rx->overflow ? RSP_RX_TOOLONG : RSP_RX_PACKET;
	}
	rsp_rx_reset(rx);
	return RSP_RX_NONE;
}

/* ---- sending ---- */

size_t rsp_frame(char *out, size_t cap, const char *payload, size_t len)
{
	size_t o = 0;
	uint8_t sum = 0;

	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		char c = payload[i];

		if (o + 2 > cap - 3)
			return 0;
		if (c == '$' || c == '#' || c == '}' || c == '*') {
			out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[o++] = c;
		sum += (uint8_t)c;
	}
	out[o++] = '#';
	out[o++] = hexdig[sum >> 4];
	out[o++] = hexdig[sum & 15];
	if (o < cap)
		out[o] = '\0';
	return o;
}
