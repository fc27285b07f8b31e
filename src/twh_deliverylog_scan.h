/*
 * twh_deliverylog_scan.h: reading one day's file of the delivery log (twh_deliverylog.h) from
 * a position back to its start, a line at a time, in large reads, within a budget of bytes; and
 * finding by its times where a time begins in it.  For twh_deliverylog_browse.c.
 */
#ifndef TWH_DELIVERYLOG_SCAN_H
#define TWH_DELIVERYLOG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* No line is longer (the writer's longest is about 200 KiB): a longer one is skipped. */
#define TWH_DELIVERYLOG_LINE_MAX	(1024 * 1024)

struct twh_deliverylog_scan {
	int		 fd;
	off_t		 lo;		/* the file's bytes before LO are not read yet */
	char		*buf;		/* the bytes from LO on not given out yet ... */
	size_t		 len, cap;	/* ... LEN of them, in CAP */
	off_t		 boundary;	/* the start of the last line given out */
	size_t		 chunk;		/* the next read's size */
	bool		 skipping;	/* within a line longer than TWH_DELIVERYLOG_LINE_MAX */
	size_t		 spent, budget;	/* the bytes read, and how many may be */
	bool		 moved;		/* a line passed: the budget may stop the reading */
};

enum twh_deliverylog_step {
	TWH_DELIVERYLOG_LINE,		/* a line: the one before the last */
	TWH_DELIVERYLOG_START,		/* the file's start: no line before */
	TWH_DELIVERYLOG_SPENT,		/* no line without reading past the budget */
	TWH_DELIVERYLOG_ERROR		/* errno set */
};

void	 twh_deliverylog_scan_init(struct twh_deliverylog_scan *, size_t budget);
void	 twh_deliverylog_scan_start(struct twh_deliverylog_scan *, int fd, off_t end);
enum twh_deliverylog_step twh_deliverylog_scan_prev(struct twh_deliverylog_scan *, char **line,
	    size_t *len, off_t *offset);
void	 twh_deliverylog_scan_free(struct twh_deliverylog_scan *);
off_t	 twh_deliverylog_scan_find(int fd, off_t end, const char *time);
bool	 twh_deliverylog_line_start(int fd, off_t offset, off_t size);
off_t	 twh_deliverylog_line_end(int fd, off_t offset, off_t size);

#endif
