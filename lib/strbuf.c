/*
 * Appending formatted text to a fixed buffer (include/lib.h). Output that
 * does not fit is cut, but pos keeps counting what would have been written,
 * so a caller can tell a cut result from a whole one (pos >= size).
 */
#include "lib.h"

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	bool room = sb->pos < sb->size;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->pos : NULL, room ? sb->size - sb->pos : 0, fmt, ap);
	va_end(ap);
	sb->pos += n > 0 ? (size_t)n : 0;
}
