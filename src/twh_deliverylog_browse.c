/*
 * twh_deliverylog_browse.c: pages of the delivery log, newest first, and one line by its id.
 * Days are walked newest first by their files' names, and the days outside the filter's time
 * range are passed over by name alone; within the day where the range ends, a binary search on
 * the lines' times finds where to start; each day is read backwards (twh_deliverylog_scan.h).
 * Every line is first tested on its text, and parsed only when it may be selected
 * (twh_deliverylog_filter.h).  A page reads a bounded number of bytes whatever the filter:
 * when they are spent, the page says where the next one goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twh_deliverylog_browse.h"
#include "twh_deliverylog_read.h"
#include "twh_deliverylog_scan.h"

/* How long a request may take: a line's time may be this much later than a later line's. */
#define SLACK_SECONDS	60
/* The most digits an id's offset has (a file of up to 1 PB). */
#define OFFSET_DIGITS	15
#define DAY_LEN		10

/* A line's place: its day's file, YYYY-MM-DD, and its offset there. */
struct position {
	char	 day[DAY_LEN + 1];
	off_t	 offset;
};

/* One call of twh_deliverylog_browse. */
struct browse {
	const struct twh_delivery_filter *f;
	size_t				 limit;
	twh_delivery_row_fn		*fn;
	void				*arg;
	struct twh_delivery_page	*page;
	struct twh_deliverylog_scan	 scan;
	/* Where the range ends, later by the slack; where it begins, earlier; or "". */
	char				 until_key[TWH_DELIVERYLOG_TIME_LEN + 1];
	char				 since_floor[TWH_DELIVERYLOG_TIME_LEN + 1];
};

/* ID as a position in *P: 0, or -1 (EINVAL: not the shape of an id). */
static int
parse_id(const char *id, struct position *p)
{
	char	 name[TWH_DELIVERYLOG_NAME_LEN + 1];
	size_t	 n, i;

	p->offset = 0;
	if (strnlen(id, DAY_LEN + 1) != DAY_LEN + 1 || id[DAY_LEN] != ':')
		goto malformed;
	snprintf(p->day, sizeof(p->day), "%.*s", DAY_LEN, id);
	snprintf(name, sizeof(name), "%s%s", p->day, TWH_DELIVERYLOG_SUFFIX);
	if (!twh_deliverylog_file_name(name))
		goto malformed;
	id += DAY_LEN + 1;
	n = strnlen(id, OFFSET_DIGITS + 1);
	if (n == 0 || n > OFFSET_DIGITS || (id[0] == '0' && n > 1))
		goto malformed;
	for (i = 0; i < n; i++) {
		if (id[i] < '0' || id[i] > '9')
			goto malformed;
		p->offset = p->offset * 10 + (id[i] - '0');
	}
	return 0;
malformed:
	errno = EINVAL;
	return -1;
}

static void
format_id(char out[TWH_DELIVERYLOG_ID_SIZE], const char *day, off_t offset)
{
	snprintf(out, TWH_DELIVERYLOG_ID_SIZE, "%.*s:%lld", DAY_LEN, day, (long long)offset);
}

/* The file of DAY (YYYY-MM-DD...) in the log DIRFD, open, its size in *SIZE: the descriptor,
 * or -1 with errno set (ENOENT: none, or not a regular file). */
static int
open_day(int dirfd, const char *day, off_t *size)
{
	char		 name[TWH_DELIVERYLOG_NAME_LEN + 1];
	struct stat	 st;
	int		 fd;

	snprintf(name, sizeof(name), "%.*s%s", DAY_LEN, day, TWH_DELIVERYLOG_SUFFIX);
	/* Not blocking, should a FIFO be there by that name. */
	if ((fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/*
 * The file of P's day, open, if P's offset starts a line in it (or, with END_TOO, is its end):
 * the descriptor, its size in *SIZE; or -1 with errno set (ENOENT: no such line).
 */
static int
open_position(int dirfd, const struct position *p, bool end_too, off_t *size)
{
	int	 fd;

	if ((fd = open_day(dirfd, p->day, size)) == -1)
		return -1;
	if ((end_too && p->offset == *size) || (p->offset < *size &&
	    twh_deliverylog_line_start(fd, p->offset, *size)))
		return fd;
	close(fd);
	errno = ENOENT;
	return -1;
}

/* strncmp of a day, YYYY-MM-DD, and the start of the time text BOUND; with its length. */
static int
cmp_day(const char *day, const char *bound, size_t *bound_len)
{
	*bound_len = strlen(bound);
	return strncmp(day, bound, *bound_len < DAY_LEN ? *bound_len : DAY_LEN);
}

/* Whether DAY's lines are all before F's range, or all after it. */
static bool
day_before(const struct twh_delivery_filter *f, const char *day)
{
	size_t	 n;

	return f->since != NULL && cmp_day(day, f->since, &n) < 0;
}

static bool
day_after(const struct twh_delivery_filter *f, const char *day)
{
	size_t	 n;
	int	 c;

	if (f->until == NULL || f->until[0] == '\0')
		return false;
	c = cmp_day(day, f->until, &n);
	return c > 0 || (c == 0 && n <= DAY_LEN);
}

/* Gives the line at OFFSET of DAY to the callback if the filter selects it: whether the page
 * is full. */
static bool
give_line(struct browse *b, const char *day, off_t offset, const char *line, size_t len)
{
	struct json_object	*d;
	char			 id[TWH_DELIVERYLOG_ID_SIZE];

	if ((d = twh_delivery_filter_line(b->f, line, len)) == NULL)
		return false;
	format_id(id, day, offset);
	b->fn(b->arg, id, d);
	json_object_put(d);
	if (++b->page->rows < b->limit)
		return false;
	snprintf(b->page->next, sizeof(b->page->next), "%s", id);
	return true;
}

/*
 * The lines of DAY's file FD, from END back, given to the callback as the filter selects
 * them: 1 when the page is done (full, its budget spent, or past the range's start), 0 when
 * the day's start is reached, -1 on an error.
 */
static int
browse_day(struct browse *b, const char *day, int fd, off_t end)
{
	const char	*time;
	char		*line;
	size_t		 len;
	off_t		 offset, until_at;

	if (b->until_key[0] != '\0' && strncmp(day, b->f->until, DAY_LEN) == 0 &&
	    (until_at = twh_deliverylog_scan_find(fd, end, b->until_key)) < end)
		end = until_at;
	twh_deliverylog_scan_start(&b->scan, fd, end);
	for (;;)
		switch (twh_deliverylog_scan_prev(&b->scan, &line, &len, &offset)) {
		case TWH_DELIVERYLOG_START:
			return 0;
		case TWH_DELIVERYLOG_SPENT:
			format_id(b->page->next, day, b->scan.boundary);
			b->page->budget_spent = true;
			return 1;
		case TWH_DELIVERYLOG_ERROR:
			return -1;
		case TWH_DELIVERYLOG_LINE:
			if (b->since_floor[0] != '\0' &&
			    (time = twh_deliverylog_line_time(line, len)) != NULL &&
			    memcmp(time, b->since_floor, TWH_DELIVERYLOG_TIME_LEN) < 0)
				return 1;
			if (give_line(b, day, offset, line, len))
				return 1;
			break;
		}
}

/*
 * The days' files of DIRFD (NAMES, N of them, oldest first) from the newest, or from FROM,
 * until the page is done: 0, or -1 with errno set.
 */
static int
browse_days(struct browse *b, int dirfd, char **names, size_t n, const struct position *from)
{
	const char	*visited = NULL;
	off_t		 size;
	size_t		 i;
	int		 fd, rc;

	for (i = n; i-- > 0; ) {
		if (from != NULL && strncmp(names[i], from->day, DAY_LEN) > 0)
			continue;
		if (day_before(b->f, names[i]))
			break;
		if (day_after(b->f, names[i]))
			continue;
		if (visited != NULL && b->scan.moved && b->scan.spent >= b->scan.budget) {
			format_id(b->page->next, visited, 0);
			b->page->budget_spent = true;
			break;
		}
		if ((fd = open_day(dirfd, names[i], &size)) == -1) {
			if (errno == ENOENT)
				continue;	/* removed as too old since it was listed */
			return -1;
		}
		if (from != NULL && strncmp(names[i], from->day, DAY_LEN) == 0 &&
		    from->offset < size)
			size = from->offset;
		rc = browse_day(b, names[i], fd, size);
		close(fd);
		if (rc != 0)
			return rc == 1 ? 0 : -1;
		visited = names[i];
	}
	return 0;
}

int
twh_deliverylog_browse_budget(const char *dir, const struct twh_delivery_filter *f,
    const char *before, size_t limit, size_t budget, twh_delivery_row_fn *fn, void *arg,
    struct twh_delivery_page *page)
{
	struct browse	 b = { .f = f, .limit = limit, .fn = fn, .arg = arg, .page = page };
	struct position	 from;
	char		**names = NULL;
	size_t		 n = 0;
	off_t		 size;
	int		 dirfd, fd, rc = -1;

	memset(page, 0, sizeof(*page));
	if (limit == 0 || (before != NULL && parse_id(before, &from) == -1)) {
		errno = EINVAL;
		return -1;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (before != NULL) {
		if ((fd = open_position(dirfd, &from, true, &size)) == -1)
			goto out;
		close(fd);
	}
	if (f->until != NULL && f->until[0] != '\0' && strlen(f->until) > DAY_LEN &&
	    twh_deliverylog_time_shift(f->until, SLACK_SECONDS, b.until_key) == -1)
		b.until_key[0] = '\0';
	if (f->since != NULL && f->since[0] != '\0' &&
	    twh_deliverylog_time_shift(f->since, -SLACK_SECONDS, b.since_floor) == -1)
		b.since_floor[0] = '\0';
	if (twh_deliverylog_days(dir, &names, &n) == -1)
		goto out;
	twh_deliverylog_scan_init(&b.scan, budget);
	rc = browse_days(&b, dirfd, names, n, before != NULL ? &from : NULL);
	twh_deliverylog_scan_free(&b.scan);
	twh_deliverylog_days_free(names, n);
out:
	close(dirfd);
	return rc;
}

int
twh_deliverylog_browse(const char *dir, const struct twh_delivery_filter *f, const char *before,
    size_t limit, twh_delivery_row_fn *fn, void *arg, struct twh_delivery_page *page)
{
	return twh_deliverylog_browse_budget(dir, f, before, limit, TWH_DELIVERYLOG_BROWSE_BUDGET,
	    fn, arg, page);
}

int
twh_deliverylog_fetch(const char *dir, const char *id, struct json_object **out)
{
	static const struct twh_delivery_filter any = { .status_min = 0, .status_max = 999 };
	struct twh_deliverylog_scan	 scan;
	struct position			 p;
	char				*line;
	size_t				 len;
	off_t				 size, offset;
	int				 dirfd, fd, saved;

	*out = NULL;
	if (parse_id(id, &p) == -1)
		return -1;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	fd = open_position(dirfd, &p, false, &size);
	saved = errno;
	close(dirfd);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	/* The line is the last before the next line's start. */
	twh_deliverylog_scan_init(&scan, SIZE_MAX);
	twh_deliverylog_scan_start(&scan, fd, twh_deliverylog_line_end(fd, p.offset, size));
	if (twh_deliverylog_scan_prev(&scan, &line, &len, &offset) == TWH_DELIVERYLOG_LINE &&
	    offset == p.offset)
		*out = twh_delivery_filter_line(&any, line, len);
	twh_deliverylog_scan_free(&scan);
	close(fd);
	if (*out == NULL) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}
