/* module_param() setters: parse a PARAM=VALUE word from insmod into the module's variable. */
#include "kernel.h"
#include "module.h"

static int parse_signed(const char *val, long long *out)
{
	char *end;

	if (!*val)
		return -EINVAL;
	*out = strtoll(val, &end, 0);
	return *end ? -EINVAL : 0;
}

static int parse_unsigned(const char *val, unsigned long long *out)
{
	char *end;

	if (!*val || *val == '-')
		return -EINVAL;
	*out = strtoull(val, &end, 0);
	return *end ? -EINVAL : 0;
}

int param_set_int(const char *val, void *arg)
{
	long long v;

	if (parse_signed(val, &v) || v != (int)v)
		return -EINVAL;
	*(int *)arg = (int)v;
	return 0;
}
EXPORT_SYMBOL(param_set_int);

int param_set_uint(const char *val, void *arg)
{
	unsigned long long v;

	if (parse_unsigned(val, &v) || v != (unsigned int)v)
		return -EINVAL;
	*(unsigned int *)arg = (unsigned int)v;
	return 0;
}
EXPORT_SYMBOL(param_set_uint);

int param_set_long(const char *val, void *arg)
{
	long long v;

	if (parse_signed(val, &v))
		return -EINVAL;
	*(long *)arg = (long)v;
	return 0;
}
EXPORT_SYMBOL(param_set_long);

int param_set_ulong(const char *val, void *arg)
{
	unsigned long long v;

	if (parse_unsigned(val, &v))
		return -EINVAL;
	*(unsigned long *)arg = (unsigned long)v;
	return 0;
}
EXPORT_SYMBOL(param_set_ulong);

/* Linux's spellings: y/n, 1/0, Y/N */
int param_set_bool(const char *val, void *arg)
{
	if (!strcmp(val, "1") || !strcmp(val, "y") || !strcmp(val, "Y"))
		*(bool *)arg = true;
	else if (!strcmp(val, "0") || !strcmp(val, "n") || !strcmp(val, "N"))
		*(bool *)arg = false;
	else
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL(param_set_bool);

/* The string lives in the module's param_buf until it is removed. */
int param_set_charp(const char *val, void *arg)
{
	*(const char **)arg = val;
	return 0;
}
EXPORT_SYMBOL(param_set_charp);
