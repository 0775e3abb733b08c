/* In-kernel tests of the file-source registry and of IRQ routing. */
#include "ktest.h"
#include "arch.h"
#include "kernel.h"

static int fake_get(const char *name, struct file_blob *b, char *err, size_t errlen)
{
	static const char data[] = "fake file";

	if (strcmp(name, "one")) {
		snprintf(err, errlen, "fake: no '%s'", name);
		return -ENOENT;
	}
	b->data = data;
	b->len = sizeof(data);
	return 0;
}

static int puts_seen;

static void fake_put(struct file_blob *b)
{
	(void)b;
	puts_seen++;
}

static struct file_source fake = { .scheme = "ktfake", .get = fake_get, .put = fake_put };
static struct file_source fake_again = { .scheme = "ktfake", .get = fake_get };

KTEST(sources, registry_dispatches_by_scheme)
{
	struct file_blob b;
	char err[96];

	if (!strstr(file_source_schemes(), "ktfake:"))	/* once per boot: nothing unregisters */
		KT_ASSERT(file_source_register(&fake) == 0);
	KT_EXPECT_EQ(file_source_register(&fake_again), -EEXIST);
	KT_EXPECT(strstr(file_source_schemes(), "boot:FILE") != NULL);
	KT_EXPECT_EQ(file_get("ktfake:one", &b, err, sizeof(err)), 0);
	KT_EXPECT(b.len == 10 && !memcmp(b.data, "fake file", 10) && b.src == &fake);
	puts_seen = 0;
	file_put(&b);
	KT_EXPECT_EQ(puts_seen, 1);
	KT_EXPECT(b.data == NULL && b.src == NULL);
	KT_EXPECT_EQ(file_get("ktfake:two", &b, err, sizeof(err)), -ENOENT);
	KT_EXPECT(!strcmp(err, "fake: no 'two'"));
	KT_EXPECT_EQ(file_get("ktfake:", &b, err, sizeof(err)), -EINVAL);
	KT_EXPECT_EQ(file_get("nfs:x", &b, err, sizeof(err)), -EINVAL);
	KT_EXPECT(strstr(err, "is not a source") != NULL);
	KT_EXPECT_EQ(file_get("noscheme", &b, err, sizeof(err)), -EINVAL);
	KT_EXPECT_EQ(file_get("boot:no-such-file", &b, err, sizeof(err)), -ENOENT);
}

KTEST(irq, find_and_route)
{
	unsigned int last = num_cpus() - 1;
	int com1 = irq_find("com1");
	struct irq_info in;
	bool found = false;

	KT_ASSERT(com1 == 4);
	KT_EXPECT_EQ(irq_find("4"), 4);
	KT_EXPECT_EQ(irq_find("no-such-irq"), -ENOENT);
	KT_EXPECT_EQ(irq_find("3"), -ENOENT);		/* nothing requested it */
	KT_EXPECT_EQ(irq_set_cpu(4, num_cpus()), -EINVAL);
	KT_EXPECT_EQ(irq_set_cpu(3, 0), -ENOENT);
	KT_EXPECT_EQ(irq_set_cpu(4, last), 0);
	for (unsigned int g = 0; g < IRQ_MAX_GSI; g++) {
		if (!irq_get_info(g, 0, &in) && in.irq == 4) {
			found = true;
			KT_EXPECT_EQ(in.cpu, last);
			KT_EXPECT(in.name && !strcmp(in.name, "com1"));
			KT_EXPECT_EQ(in.vector, IRQ_BASE_VECTOR + g);
		}
	}
	KT_EXPECT(found);
	KT_EXPECT_EQ(irq_set_cpu(4, 0), 0);
	KT_EXPECT_EQ(irq_get_info(IRQ_MAX_GSI, 0, &in), -ENOENT);
	KT_EXPECT_EQ(irq_get_info(0, IRQ_MAX_SHARED, &in), -ENOENT);
}
