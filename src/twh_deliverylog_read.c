/*
 * twh_deliverylog_read.c: reading the delivery log for `twhook log`: the last lines that a filter
 * selects, across the days' files, and then, when following, the lines appended since, from
 * the newest file and the ones that come after it.  Only whole lines are read: an endpoint may
 * be writing the last one.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twh_deliverylog_read.h"

/* How often a follower looks for new lines. */
#define FOLLOW_INTERVAL_US	250000

/* The last N selected lines of the files read so far: a ring. */
struct ring {
	char	**line;
	size_t	 size, start, n;
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
twh_deliverylog_days_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* The days' files in DIR, oldest first, in *OUT (for twh_deliverylog_days_free): 0, or -1 with
 * errno set. */
int
twh_deliverylog_days(const char *dir, char ***out, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	char		**names = NULL, **grown;
	size_t		 cap = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!twh_deliverylog_file_name(e->d_name))
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL)
				break;
			names = grown;
		}
		if ((names[*n] = strdup(e->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (e != NULL) {
		twh_deliverylog_days_free(names, *n);
		errno = ENOMEM;
		return -1;
	}
	qsort(names, *n, sizeof(*names), cmp_names);
	*out = names;
	return 0;
}

/*
 * Reads the whole lines of DIR/NAME from *OFFSET on, calling EACH with the ones Q selects;
 * *OFFSET ends after the last whole line.  0, or -1 with errno set.
 */
static int
read_lines(const char *dir, const char *name, off_t *offset, const struct twh_deliverylog_query *q,
    void (*each)(void *, const char *, size_t), void *arg)
{
	char	 path[4096], *line = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	if (fseeko(fp, *offset, SEEK_SET) == -1) {
		fclose(fp);
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) > 0 && line[len - 1] == '\n') {
		*offset += len;
		line[--len] = '\0';
		if (q->select(q->arg, line, (size_t)len))
			each(arg, line, (size_t)len);
	}
	free(line);
	fclose(fp);
	return 0;
}

static void
ring_add(void *arg, const char *line, size_t len)
{
	struct ring	*r = arg;
	char		**slot;

	slot = &r->line[(r->start + r->n) % r->size];
	if (r->n == r->size) {
		free(*slot);
		r->start = (r->start + 1) % r->size;
	} else
		r->n++;
	*slot = strndup(line, len);
}

static void
emit_line(void *arg, const char *line, size_t len)
{
	const struct twh_deliverylog_query	*q = arg;

	q->emit(q->arg, line, len);
}

/*
 * Emits the last Q->count selected lines of the files NAMES[0 .. N-1], oldest first: the
 * newest file first, and older ones only while lines are wanted.  *END is the newest file's
 * length in whole lines.
 */
static int
tail(const char *dir, char **names, size_t n, const struct twh_deliverylog_query *q, off_t *end)
{
	struct ring	*rings;
	size_t		 i, k, want = q->count, used = 0;
	off_t		 offset;
	int		 rc = 0;

	*end = 0;
	if (n == 0 || want == 0)
		return 0;
	if ((rings = calloc(n, sizeof(*rings))) == NULL)
		return -1;
	for (i = n; i-- > 0 && want > 0; used++) {
		if (strncmp(names[i], q->from_day, 10) < 0)
			break;
		rings[i].size = want;
		if ((rings[i].line = calloc(want, sizeof(char *))) == NULL) {
			rc = -1;
			break;
		}
		offset = 0;
		if (read_lines(dir, names[i], &offset, q, ring_add, &rings[i]) == -1)
			rc = -1;
		if (i == n - 1)
			*end = offset;
		want -= rings[i].n;
	}
	for (i = n - used; i < n; i++) {
		for (k = 0; k < rings[i].n; k++) {
			char	*line = rings[i].line[(rings[i].start + k) % rings[i].size];

			if (line != NULL && rc == 0)
				q->emit(q->arg, line, strlen(line));
			free(line);
		}
		free(rings[i].line);
	}
	free(rings);
	return rc;
}

/* Emits what is appended to the log from the newest file's END on, until killed. */
static int
follow(const char *dir, char *newest, off_t end, const struct twh_deliverylog_query *q)
{
	char	**names, current[TWH_DELIVERYLOG_NAME_LEN + 1];
	size_t	 n;

	snprintf(current, sizeof(current), "%s", newest != NULL ? newest : "");
	for (;;) {
		fflush(stdout);
		usleep(FOLLOW_INTERVAL_US);
		if (current[0] != '\0' && read_lines(dir, current, &end, q, emit_line,
		    (void *)q) == -1)
			return -1;
		if (twh_deliverylog_days(dir, &names, &n) == -1) {
			if (errno == ENOENT)
				continue;
			return -1;
		}
		/* A new day: the rest of the old file was read above; the new one from its start. */
		if (n > 0 && strcmp(names[n - 1], current) > 0) {
			snprintf(current, sizeof(current), "%s", names[n - 1]);
			end = 0;
		}
		twh_deliverylog_days_free(names, n);
	}
}

int
twh_deliverylog_read(const char *dir, const struct twh_deliverylog_query *q)
{
	char	**names = NULL;
	size_t	 n = 0;
	off_t	 end;
	int	 rc;

	if (twh_deliverylog_days(dir, &names, &n) == -1 && !(errno == ENOENT && q->follow))
		return -1;
	rc = tail(dir, names, n, q, &end);
	if (rc == 0 && q->follow)
		rc = follow(dir, n > 0 ? names[n - 1] : NULL, end, q);
	twh_deliverylog_days_free(names, n);
	return rc;
}
