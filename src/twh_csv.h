/* twh_csv.h: CSV as RFC 4180 has it, read a record at a time from a stream, and written. */
#ifndef TWH_CSV_H
#define TWH_CSV_H

#include <stdio.h>

#include "twh_buf.h"

struct twh_csv {
	FILE		*fp;
	long		 line;		/* the line the last record began on, from 1 */
	long		 next_line;	/* the line the next one begins on */
	struct twh_buf	 text;		/* the last record's fields, each ending in NUL */
	size_t		*starts;	/* where each field begins in text */
	size_t		 n;		/* how many fields the last record has */
	size_t		 cap;
	char		 err[160];	/* why twh_csv_read failed */
	long		 err_line;	/* and on which line */
};

void		 twh_csv_init(struct twh_csv *, FILE *);
int		 twh_csv_read(struct twh_csv *);
const char	*twh_csv_field(const struct twh_csv *, size_t);
void		 twh_csv_free(struct twh_csv *);
int		 twh_csv_put(struct twh_buf *, const char *field, int last);

#endif
