/*
 * TFTP as a file source ("tftp:FILE" for insmod and bpf load, through the
 * registry in kernel/file_source.c) and the `tftp` console command: get a
 * file and print its size and CRC-32 (so a test can compare it with the
 * file it served), or show and set the server.
 */
#include "kernel.h"
#include "console.h"
#include "mm.h"
#include "net.h"

#define TFTP_MAX_FILE	(16UL << 20)
#define DEFAULT_SERVER	0x0202000a	/* 10.0.2.2, network order: QEMU's user networking */

static uint32_t server = DEFAULT_SERVER;

static int tftp_source_get(const char *name, struct file_blob *b, char *err, size_t errlen)
{
	struct tftp_stats stats;
	void *buf;
	int ret;

	ret = tftp_get(netif_default(), server, name, TFTP_MAX_FILE, &buf, &b->len, &stats,
		       err, errlen);
	b->data = buf;
	return ret;
}

static void tftp_source_put(struct file_blob *b)
{
	kfree((void *)b->data);
}

static struct file_source tftp_source = {
	.scheme = "tftp",
	.get = tftp_source_get,
	.put = tftp_source_put,
};

static int tftp_source_init(void)
{
	return file_source_register(&tftp_source);
}
INITCALL(tftp_source_init, 3);

/* CRC-32 as zlib computes it (reflected, polynomial 0xedb88320). */
static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffff;

	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320 & -(c & 1));
	}
	return ~c;
}

static int cmd_tftp(int argc, char **argv)
{
	struct tftp_stats stats;
	char err[160], a[16];
	void *buf;
	size_t len;
	uint32_t ip;

	if (argc == 2 && !strcmp(argv[1], "server")) {
		cprintf("tftp server %s, files up to %lu bytes, %u tries a second apart\n",
			inet_fmt(server, a), TFTP_MAX_FILE, TFTP_TRIES);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "server")) {
		if (inet_parse(argv[2], &ip) || !ip || ip == 0xffffffff)
			return cmd_error("tftp: '%s' is not a unicast IPv4 address", argv[2]);
		server = ip;
		cprintf("tftp server %s\n", inet_fmt(server, a));
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "get"))
		return cmd_error("usage: tftp get FILE | tftp server [IP]");
	if (tftp_get(netif_default(), server, argv[2], TFTP_MAX_FILE, &buf, &len, &stats, err,
		     sizeof(err)))
		return cmd_error("tftp: %s: %s", argv[2], err);
	cprintf("tftp: %s: %lu bytes, crc32 %08x; blksize %u, %lu packets, %lu retransmits, "
		"%lu dropped, %lu ms\n", argv[2], (uint64_t)len, crc32(buf, len), stats.blksize,
		stats.packets, stats.retransmits, stats.dropped, stats.ns / 1000000);
	kfree(buf);
	return 0;
}
CONSOLE_CMD(tftp, cmd_tftp, "tftp get FILE | tftp server [IP]",
	    "fetch a file over TFTP (size and CRC-32), or show/set the server (default 10.0.2.2)");
