/* In-kernel tests of the foundation: lib, heap, frames, paging, extable, kallsyms, time. */
#include "ktest.h"
#include "arch.h"
#include "mm.h"
#include "kallsyms.h"

KTEST(lib, snprintf_formats)
{
	char b[64];

	snprintf(b, sizeof(b), "%d|%5d|%-4d|%05d|%x|%#lx|%s|%c", -12, 42, 7, -3, 0xbeef,
		 0xffffffff80000000UL, "abc", 'z');
	KT_EXPECT(!strcmp(b, "-12|   42|7   |-0003|beef|0xffffffff80000000|abc|z"));
	KT_EXPECT_EQ(snprintf(b, 4, "%s", "truncated"), 9);
	KT_EXPECT(!strcmp(b, "tru"));
}

KTEST(lib, kstrtou64)
{
	uint64_t v;

	KT_EXPECT(!kstrtou64("0x1f", &v) && v == 0x1f);
	KT_EXPECT(!kstrtou64("123", &v) && v == 123);
	KT_EXPECT_EQ(kstrtou64("12z", &v), -EINVAL);
	KT_EXPECT_EQ(kstrtou64("", &v), -EINVAL);
	KT_EXPECT_EQ(kstrtou64("0x", &v), -EINVAL);
	KT_EXPECT_EQ(kstrtou64("0x10000000000000000", &v), -ERANGE);
}

KTEST(heap, alloc_free_counters)
{
	struct heap_stats before, mid, after;
	void *p[64];

	heap_stats(&before);
	for (int i = 0; i < 64; i++) {
		p[i] = kmalloc(i * 97 + 1);
		KT_ASSERT(p[i]);
		memset(p[i], 0xa5, i * 97 + 1);
	}
	heap_stats(&mid);
	KT_EXPECT_EQ(mid.objects_in_use - before.objects_in_use, 64);
	for (int i = 0; i < 64; i++)
		kfree(p[i]);
	heap_stats(&after);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
	KT_EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
	KT_EXPECT_EQ(after.corruptions, before.corruptions);
}

KTEST(heap, large_blocks)
{
	char *p = kmalloc(3 * PAGE_SIZE + 5);

	KT_ASSERT(p);
	p[0] = 1;
	p[3 * PAGE_SIZE + 4] = 2;
	kfree(p);
	KT_EXPECT(kmalloc(1ULL << 40) == NULL);
}

KTEST(heap, free_pages_go_back)
{
	static void *p[2048];
	struct heap_stats before, mid, after;

	heap_stats(&before);
	for (int i = 0; i < 2048; i++) {
		p[i] = kmalloc(100);	/* the 128-byte class: 32 to a page */
		KT_ASSERT(p[i]);
	}
	heap_stats(&mid);
	KT_EXPECT(mid.pages >= before.pages + 2048 / 32 - 1);
	for (int i = 0; i < 2048; i++)
		kfree(p[i]);
	heap_stats(&after);
	/* what stays is at most the cache a trim keeps: a few pages of the class */
	KT_EXPECT(after.pages <= before.pages + 8);
	KT_EXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

KTEST(heap, detects_double_free)
{
	struct heap_stats a, b;
	void *p = kmalloc(40);

	heap_stats(&a);
	kfree(p);
	kfree(p);
	heap_stats(&b);
	KT_EXPECT_EQ(b.corruptions - a.corruptions, 1);
	KT_EXPECT_EQ(b.frees - a.frees, 1);
}

KTEST(heap, detects_overrun)
{
	struct heap_stats a, b;
	char *p = kmalloc(40);

	KT_ASSERT(p);
	heap_stats(&a);
	p[40] = 'X';	/* one past the end, on purpose */
	kfree(p);
	heap_stats(&b);
	KT_EXPECT_EQ(b.corruptions - a.corruptions, 1);
}

KTEST(frames, alloc_contiguous)
{
	struct frame_stats a, b;
	uint64_t pa;

	frame_stats(&a);
	pa = frame_alloc(8);
	KT_ASSERT(pa);
	KT_EXPECT_EQ(pa % PAGE_SIZE, 0);
	frame_stats(&b);
	KT_EXPECT_EQ(a.free - b.free, 8);
	frame_free(pa, 8);
	frame_stats(&b);
	KT_EXPECT_EQ(a.free, b.free);
}

extern char _text[], __rodata_start[], __data_start[];

KTEST(paging, permissions)
{
	static int data_var;
	extern char kernel_stack[];	/* its first page is the guard */

	KT_EXPECT(va_is_mapped(kallsyms_lookup_name("kmain"), 1, false));
	KT_EXPECT(!va_is_mapped((uint64_t)_text, 1, true));
	KT_EXPECT(!va_is_mapped((uint64_t)__rodata_start, 1, true));
	KT_EXPECT(va_is_mapped((uint64_t)&data_var, sizeof(data_var), true));
	KT_EXPECT(!va_is_mapped((uint64_t)kernel_stack, 1, false));
	KT_EXPECT(va_is_mapped((uint64_t)kernel_stack + PAGE_SIZE, 1, true));
	KT_EXPECT(!va_is_mapped(0, 1, false));
	KT_EXPECT(!va_is_canonical(0x0000800000000000UL));
}

KTEST(paging, text_write_refused)
{
	uint8_t b = 0x90;

	/* the fault-safe writer refuses text; crash text shows the raw #PF */
	KT_EXPECT_EQ(copy_to_kernel_nofault(_text, &b, 1), -EFAULT);
}

KTEST(paging, text_poke_roundtrip)
{
	uint8_t *page = exec_alloc_page(), v = 0x5a, got;

	KT_ASSERT(page);
	KT_EXPECT(!va_is_mapped((uint64_t)page, 1, true));
	KT_EXPECT_EQ(page[7], 0xcc);
	text_poke(page + 7, &v, 1);
	KT_EXPECT(!copy_from_kernel_nofault(&got, page + 7, 1) && got == 0x5a);
	v = 0xcc;
	text_poke(page + 7, &v, 1);
	KT_EXPECT_EQ(page[7], 0xcc);
}

KTEST(extable, nofault_reads)
{
	uint64_t v = 0x1122334455667788UL, got = 0;

	KT_EXPECT_EQ(copy_from_kernel_nofault(&got, NULL, 8), -EFAULT);
	KT_EXPECT_EQ(copy_from_kernel_nofault(&got, (void *)0x0000800000000000UL, 8), -EFAULT);
	KT_EXPECT_EQ(copy_from_kernel_nofault(&got, &v, 8), 0);
	KT_EXPECT_EQ(got, v);
}

KTEST(kallsyms, roundtrip)
{
	uint64_t a = kallsyms_lookup_name("kmain"), off;
	const struct ksym *s = kallsyms_lookup(a + 3, &off);
	char buf[96];

	KT_ASSERT(a);
	KT_ASSERT(s);
	KT_EXPECT(!strcmp(ksym_name(s), "kmain"));
	KT_EXPECT_EQ(off, 3);
	KT_EXPECT(s->size > 3);
	kallsyms_sprint(a + 3, buf, sizeof(buf));
	KT_EXPECT(!strncmp(buf, "kmain+0x3/0x", 12));
	KT_EXPECT_EQ(kallsyms_lookup_name("no_such_symbol_here"), 0);
	KT_EXPECT(!parse_address("kmain+0x10", &off) && off == a + 0x10);
	KT_EXPECT_EQ(parse_address("nosuch+1", &off), -ENOENT);
}

/*
 * Every sized function's first byte resolves to that function (or to another
 * sized symbol at the same address, its alias), never to a label such as
 * _text that happens to start there.
 */
static int check_start(const struct ksym *s, void *arg)
{
	const struct ksym **bad = arg;
	const struct ksym *got;
	uint64_t off;

	if (s->type != 't' || !s->size)
		return 0;
	got = kallsyms_lookup(s->addr, &off);
	if (!got || got->addr != s->addr || got->size != s->size || off) {
		*bad = s;
		return 1;
	}
	return 0;
}

KTEST(kallsyms, every_function_start_names_it)
{
	const struct ksym *bad = NULL;
	char buf[96];

	kallsyms_for_each(check_start, &bad);
	if (bad)
		ktest_fail(__FILE__, __LINE__, "%s resolves to %s", ksym_name(bad),
			   kallsyms_sprint(bad->addr, buf, sizeof(buf)));
}

KTEST(time, clock_advances)
{
	uint64_t t0 = uptime_ns(), j0 = jiffies();

	mdelay(30);
	KT_EXPECT(uptime_ns() - t0 >= 30000000);
	KT_EXPECT(jiffies() > j0);
}
