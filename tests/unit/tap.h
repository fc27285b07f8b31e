/* tap.h: the smallest Test Anything Protocol emitter, for the C unit tests (header only). */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	 tap_count;
static int	 tap_failed;

static int ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));

static int
ok(int pass, const char *fmt, ...)
{
	va_list	 ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass)
		tap_failed++;
	return pass;
}

/* Compares two strings, showing both when they differ (not every test needs it). */
static int	 is_str(const char *, const char *, const char *) __attribute__((unused));

static int
is_str(const char *got, const char *want, const char *name)
{
	int	 pass = (got == NULL && want == NULL) ||
		    (got != NULL && want != NULL && strcmp(got, want) == 0);

	ok(pass, "%s", name);
	if (!pass)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return pass;
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
