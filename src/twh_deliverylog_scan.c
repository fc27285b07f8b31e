/*
 * twh_deliverylog_scan.c: reading a day's file of the delivery log backwards.  The bytes not yet
 * given out as lines are kept at the start of one buffer; each read puts the file's bytes
 * before them in front, in reads that grow from 64 KiB to 1 MiB, so that the newest page costs
 * one small read and a long search few large ones.  A line is the bytes after a newline up to
 * the next one, or to the end of the file: the last line may lack its newline.  A line that is
 * not a delivery (empty, cut by a crash) is the caller's to refuse.
 *
 * Finding a time is a binary search on the times at the start of lines.  Lines are written as
 * answers are, so a line's time (the request's arrival) may come after the next line's by as
 * long as the request took: the caller searches for a time later than the one it wants by as
 * long as a request may take.
 */
#define _GNU_SOURCE	/* memrchr */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twh_deliverylog_filter.h"
#include "twh_deliverylog_scan.h"

#define FIRST_CHUNK	(64 * 1024)
#define LAST_CHUNK	(1024 * 1024)
/* How much a probe of the binary search reads at a time, and how many lines that do not begin
 * with a time it passes over before it gives up on the probe. */
#define PROBE_BYTES	4096
#define PROBE_LINES	8

void
twh_deliverylog_scan_init(struct twh_deliverylog_scan *s, size_t budget)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->budget = budget;
}

/* Reading FD back from END, a line start or its size, keeping the buffer and what was spent. */
void
twh_deliverylog_scan_start(struct twh_deliverylog_scan *s, int fd, off_t end)
{
	s->fd = fd;
	s->lo = s->boundary = end;
	s->len = 0;
	s->chunk = FIRST_CHUNK;
	s->skipping = false;
}

void
twh_deliverylog_scan_free(struct twh_deliverylog_scan *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = s->len = 0;
}

/* Reads the N bytes of FD at OFFSET into BUF: 0, or -1 with errno set (EIO: the file shrank). */
static int
read_fully(int fd, char *buf, size_t n, off_t offset)
{
	ssize_t	 got;

	while (n > 0) {
		if ((got = pread(fd, buf, n, offset)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0) {
			errno = EIO;
			return -1;
		}
		buf += got;
		n -= (size_t)got;
		offset += got;
	}
	return 0;
}

/* Puts the bytes before S->lo in front of the buffer: 0, or -1 with errno set. */
static int
read_before(struct twh_deliverylog_scan *s)
{
	size_t	 want = s->lo < (off_t)s->chunk ? (size_t)s->lo : s->chunk;
	char	*grown;

	/* One byte more than the bytes, for the NUL after the last line. */
	if (s->len + want + 1 > s->cap) {
		if ((grown = realloc(s->buf, s->len + want + 1)) == NULL)
			return -1;
		s->buf = grown;
		s->cap = s->len + want + 1;
	}
	memmove(s->buf + want, s->buf, s->len);
	if (read_fully(s->fd, s->buf, want, s->lo - (off_t)want) == -1)
		return -1;
	s->lo -= (off_t)want;
	s->len += want;
	s->spent += want;
	if (s->chunk < LAST_CHUNK)
		s->chunk *= 2;
	return 0;
}

/* Gives out the last line of the buffer, from FROM, as a NUL-terminated string. */
static enum twh_deliverylog_step
give(struct twh_deliverylog_scan *s, size_t from, size_t to, char **line, size_t *len,
    off_t *offset)
{
	s->buf[to] = '\0';
	*line = s->buf + from;
	*len = to - from;
	*offset = s->boundary = s->lo + (off_t)from;
	s->moved = true;
	s->len = from;
	return TWH_DELIVERYLOG_LINE;
}

/*
 * The line before the last one given out (or before the end given to
 * twh_deliverylog_scan_start): *LINE (LEN bytes, NUL-terminated, valid until the next call)
 * and its OFFSET in the file.  TWH_DELIVERYLOG_SPENT when the next line needs a read and
 * the budget is spent: S->boundary says where to go on from.
 */
enum twh_deliverylog_step
twh_deliverylog_scan_prev(struct twh_deliverylog_scan *s, char **line, size_t *len, off_t *offset)
{
	const char	*nl;
	size_t		 end;

	for (;;) {
		if (s->skipping && s->len > 0) {
			/* The rest of the long line is dropped, up to the newline that ends the
			 * one before it; a page cut short goes on from there. */
			if ((nl = memrchr(s->buf, '\n', s->len)) == NULL)
				s->len = 0;
			else {
				s->len = (size_t)(nl - s->buf) + 1;
				s->boundary = s->lo + (off_t)s->len;
				s->moved = true;
				s->skipping = false;
			}
		}
		if (!s->skipping && s->len > 0) {
			end = s->buf[s->len - 1] == '\n' ? s->len - 1 : s->len;
			if ((nl = memrchr(s->buf, '\n', end)) != NULL)
				return give(s, (size_t)(nl - s->buf) + 1, end, line, len, offset);
			if (s->lo == 0)
				return give(s, 0, end, line, len, offset);
			if (s->len >= TWH_DELIVERYLOG_LINE_MAX) {
				s->skipping = true;
				s->len = 0;
			}
		}
		if (s->lo == 0) {
			if (s->skipping) {
				s->boundary = 0;
				s->moved = true;
			}
			s->skipping = false;
			s->len = 0;
			return TWH_DELIVERYLOG_START;
		}
		/* The budget stops nothing before a line is passed (so that each call goes
		 * further back), nor within a line: that would leave no line start to go on
		 * from. */
		if (s->spent >= s->budget && s->moved && !s->skipping)
			return TWH_DELIVERYLOG_SPENT;
		if (read_before(s) == -1)
			return TWH_DELIVERYLOG_ERROR;
	}
}

/* The first line start at or after POS in FD, before END; END if there is none within
 * TWH_DELIVERYLOG_LINE_MAX bytes (or on an error). */
static off_t
line_start_from(int fd, off_t pos, off_t end)
{
	char		 window[PROBE_BYTES];
	const char	*nl;
	off_t		 at;
	ssize_t		 got;

	if (pos == 0)
		return 0;
	for (at = pos - 1; at < end && at - pos < TWH_DELIVERYLOG_LINE_MAX; at += got) {
		got = pread(fd, window, end - at < PROBE_BYTES ? (size_t)(end - at) : PROBE_BYTES,
		    at);
		if (got <= 0)
			break;
		if ((nl = memchr(window, '\n', (size_t)got)) != NULL)
			return at + (nl - window) + 1;
	}
	return end;
}

/* The end of the line at OFFSET in FD, a file of SIZE bytes: the next line's start, or SIZE. */
off_t
twh_deliverylog_line_end(int fd, off_t offset, off_t size)
{
	return line_start_from(fd, offset + 1, size);
}

/* Whether OFFSET begins a line of FD, a file of SIZE bytes: it is 0, or a newline is before. */
bool
twh_deliverylog_line_start(int fd, off_t offset, off_t size)
{
	char	 c;

	if (offset < 0 || offset > size)
		return false;
	return offset == 0 || (pread(fd, &c, 1, offset - 1) == 1 && c == '\n');
}

/*
 * Whether the first line at or after POS (before END) that begins with a time begins with
 * TIME or a later one; also when there is no line.  A probe that finds only lines without a
 * time says no: the search then ends later, and the caller reads more, never less.
 */
static bool
at_or_after(int fd, off_t pos, off_t end, const char *time)
{
	char		 head[64];
	const char	*t;
	off_t		 start;
	ssize_t		 got;
	int		 i;

	for (i = 0; i < PROBE_LINES; i++, pos = start + 1) {
		if ((start = line_start_from(fd, pos, end)) >= end)
			return true;
		got = pread(fd, head, end - start < (off_t)sizeof(head) ? (size_t)(end - start) :
		    sizeof(head), start);
		if (got > 0 && (t = twh_deliverylog_line_time(head, (size_t)got)) != NULL)
			return memcmp(t, time, TWH_DELIVERYLOG_TIME_LEN) >= 0;
	}
	return false;
}

/* The first line start of FD before END from which on every line's time is TIME (the log's
 * full time text) or later, as far as a binary search on the times can tell; END if none. */
off_t
twh_deliverylog_scan_find(int fd, off_t end, const char *time)
{
	off_t	 lo = 0, hi = end, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (at_or_after(fd, mid, end, time))
			hi = mid;
		else
			lo = mid + 1;
	}
	return line_start_from(fd, lo, end);
}
