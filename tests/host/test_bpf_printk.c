/*
 * bpf/printk.c on the host: bpf_trace_printk's conversions, widths and
 * 32/64-bit arguments, strings read through the fault-safe reader (and a
 * faulting one), and every format Linux refuses.
 */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "bpf.h"
#include "kerrno.h"

static uintptr_t fault_at;	/* reads at or past this address fault */

static int read_mem(void *dst, uint64_t src, size_t n)
{
	if (fault_at && src + n > fault_at) {
		memset(dst, 0, n);
		return -EFAULT;
	}
	memcpy(dst, (const void *)(uintptr_t)src, n);
	return 0;
}

static const char *fmt3(const char *fmt, uint64_t a, uint64_t b, uint64_t c, int *ret)
{
	static char out[256];
	const uint64_t args[3] = { a, b, c };

	*ret = bpf_trace_format(out, sizeof(out), fmt, (uint32_t)strlen(fmt) + 1, args, read_mem);
	return out;
}

static void t_conversions(void)
{
	int n;

	CHECK_STR(fmt3("x=%d y=%u z=%x", (uint64_t)-5, 7, 255, &n), "x=-5 y=7 z=ff");
	CHECK_EQ(n, 13);
	/* without l the low 32 bits, with l or ll all 64 */
	CHECK_STR(fmt3("%d %u %lld", 0x1ffffffffull, 0x100000002ull, (uint64_t)-3, &n),
		  "-1 2 -3");
	CHECK_STR(fmt3("%lx %llu %X", 0x123456789aull, 18446744073709551615ull, 0xabc, &n),
		  "123456789a 18446744073709551615 ABC");
	CHECK_STR(fmt3("[%5d|%-4u|%08x]", 42, 7, 0xbeef, &n), "[   42|7   |0000beef]");
	CHECK_STR(fmt3("%c%c 100%%", 'o', 'k', 0, &n), "ok 100%");
	CHECK_STR(fmt3("%p %px", 0xffffffff80001000ull, 16, 0, &n), "0xffffffff80001000 0x10");
	CHECK_STR(fmt3("no args\n", 0, 0, 0, &n), "no args\n");
}

static void t_strings(void)
{
	static const char name[] = "eth0";
	static const uint8_t ip[4] = { 10, 0, 2, 15 };
	int n;

	CHECK_STR(fmt3("dev %s ip %pI4 %pks", (uintptr_t)name, (uintptr_t)ip, (uintptr_t)name, &n),
		  "dev eth0 ip 10.0.2.15 eth0");
	CHECK_STR(fmt3("[%6s]", (uintptr_t)name, 0, 0, &n), "[  eth0]");
	/* a string that faults part way prints as empty, as Linux */
	fault_at = (uintptr_t)name + 2;
	CHECK_STR(fmt3("<%s>", (uintptr_t)name, 0, 0, &n), "<>");
	CHECK_STR(fmt3("<%pI4>", (uintptr_t)name, 0, 0, &n), "<0.0.0.0>");
	fault_at = 0;
}

static void t_refused(void)
{
	static const char *const bad[] = {
		"%d %d %d %d", "%f", "%n", "%ls", "%lc", "%hd", "%.3d", "%*d", "%pB", "%5p",
		"tab\x01", "%", "%lll", "%pS", "%pi6", "%pfoo",
	};
	const uint64_t args[3] = { 0 };
	char out[64];
	int n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = bpf_trace_format(out, sizeof(out), bad[i], (uint32_t)strlen(bad[i]) + 1, args,
				     read_mem);
		if (n != -EINVAL)
			printf("    # '%s' gave %d\n", bad[i], n);
		CHECK_EQ(n, -EINVAL);
	}
	/* the NUL must be inside fmt_size */
	CHECK_EQ(bpf_trace_format(out, sizeof(out), "abc", 3, args, read_mem), -EINVAL);
	CHECK_EQ(bpf_trace_format(out, sizeof(out), "abc", 0, args, read_mem), -EINVAL);
	CHECK_EQ(bpf_trace_format(out, sizeof(out), "abc", 4, args, read_mem), 3);
}

static void t_truncation(void)
{
	const uint64_t args[3] = { 123456, 0, 0 };
	char out[8];

	/* the length wanted comes back; the text is cut and terminated */
	CHECK_EQ(bpf_trace_format(out, sizeof(out), "value %d", 9, args, read_mem), 12);
	CHECK_STR(out, "value 1");
}

int main(void)
{
	RUN(t_conversions);
	RUN(t_strings);
	RUN(t_refused);
	RUN(t_truncation);
	return check_done();
}
