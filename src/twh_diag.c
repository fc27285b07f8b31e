/*
 * twh_diag.c: diagnostics on stderr, one line each, prefixed with the program name and level.
 * Control characters from request data are shown as '?' so that a hostile value cannot forge
 * extra log lines.  Nothing here ever sees an auth token: callers log keys, never secrets.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "twh_diag.h"

static const char		*log_progname = "twhook";
static enum twh_diag_level	 log_threshold = TWH_DIAG_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void
twh_diag_init(const char *progname, enum twh_diag_level level)
{
	const char	*slash;

	if (progname != NULL) {
		slash = strrchr(progname, '/');
		log_progname = slash != NULL ? slash + 1 : progname;
	}
	log_threshold = level;
}

void
twh_diag_set_level(enum twh_diag_level level)
{
	log_threshold = level;
}

int
twh_diag_level_parse(const char *s, enum twh_diag_level *level)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*level = (enum twh_diag_level)i;
			return 0;
		}
	return -1;
}

void
twh_diag(enum twh_diag_level level, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	size_t	 i;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	fprintf(stderr, "%s: %s: %s\n", log_progname, level_names[level], line);
	fflush(stderr);
}
