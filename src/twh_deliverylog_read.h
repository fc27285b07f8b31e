/* twh_deliverylog_read.h: reading the delivery log (twh_deliverylog.h) for `twhook log`. */
#ifndef TWH_DELIVERYLOG_READ_H
#define TWH_DELIVERYLOG_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_deliverylog.h"

struct twh_deliverylog_query {
	size_t		 count;		/* the last COUNT selected lines (at least 1) */
	const char	*from_day;	/* YYYY-MM-DD: no file before it holds one */
	bool		 follow;	/* then the lines appended, until killed */
	bool		(*select)(void *arg, const char *line, size_t len);
	void		(*emit)(void *arg, const char *line, size_t len);
	void		*arg;
};

/* 0, or -1 with errno set (ENOENT: no log yet). */
int	 twh_deliverylog_read(const char *dir, const struct twh_deliverylog_query *);
int	 twh_deliverylog_days(const char *dir, char ***names, size_t *n);
void	 twh_deliverylog_days_free(char **names, size_t n);

#endif
