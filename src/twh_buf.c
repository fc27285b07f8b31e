/* twh_buf.c: growable byte buffer; every append returns -1 on allocation failure and leaves the buffer as it was. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"

void
twh_buf_init(struct twh_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
twh_buf_free(struct twh_buf *b)
{
	free(b->data);
	twh_buf_init(b);
}

void
twh_buf_reset(struct twh_buf *b)
{
	twh_buf_truncate(b, 0);
}

/* Keeps the first LEN bytes (no more than there are). */
void
twh_buf_truncate(struct twh_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

static int
twh_buf_reserve(struct twh_buf *b, size_t more)
{
	size_t	 need, cap;
	char	*p;

	if (more > (size_t)-1 / 2 - b->len)
		return -1;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
twh_buf_add(struct twh_buf *b, const void *p, size_t n)
{
	if (twh_buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
twh_buf_adds(struct twh_buf *b, const char *s)
{
	return twh_buf_add(b, s, strlen(s));
}

int
twh_buf_addc(struct twh_buf *b, char c)
{
	return twh_buf_add(b, &c, 1);
}

int
twh_buf_vprintf(struct twh_buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	int	 n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || twh_buf_reserve(b, (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
twh_buf_printf(struct twh_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = twh_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* Hands the string to the caller (never NULL unless allocation fails) and empties the buffer. */
char *
twh_buf_take(struct twh_buf *b)
{
	char	*s;

	if (b->data == NULL && twh_buf_reserve(b, 0) == -1)
		return NULL;
	b->data[b->len] = '\0';
	s = b->data;
	twh_buf_init(b);
	return s;
}
