/*
 * customers_file.h: the files of `twhook import customers` and `twhook export customers`, read
 * one customer at a time: JSON in the format of Twilio's Frontline example
 * (customers_json.c) and CSV with a column per field (customers_csv.c; twhook(1) has both).
 */
#ifndef CUSTOMERS_FILE_H
#define CUSTOMERS_FILE_H

#include <stdio.h>

#include "twh_buf.h"
#include "twh_store.h"

struct customers_reader;

/*
 * Where a customer came from, and what is wrong with it: "line 3: record 1 (customer_id x)"
 * and "display_name: missing or empty".
 */
struct customers_error {
	char	 where[160];
	char	 msg[256];
};

struct customers_reader	*customers_json_open(FILE *, long line);
struct customers_reader	*customers_csv_open(FILE *, long line);
struct customers_reader	*customers_ahead_open(struct customers_reader *);

/* What each kind of reader does; each kind's state begins with it. */
struct customers_reader {
	/* The next customer into C: 1, 0 at the end, -1 with E set. */
	int	(*next)(struct customers_reader *, struct twh_customer *c,
		    struct customers_error *e);
	void	(*close)(struct customers_reader *);
	/* Done with the customer the last next gave (NULL: twh_customer_free it). */
	void	(*release)(struct customers_reader *, struct twh_customer *c);
};

static inline int
customers_next(struct customers_reader *r, struct twh_customer *c, struct customers_error *e)
{
	return r->next(r, c, e);
}

/* Done with C, which customers_next gave (whatever it returned): freed, now or by R. */
static inline void
customers_release(struct customers_reader *r, struct twh_customer *c)
{
	if (r->release != NULL)
		r->release(r, c);
	else
		twh_customer_free(c);
}

static inline void
customers_close(struct customers_reader *r)
{
	if (r != NULL)
		r->close(r);
}

int	 customers_csv_header(struct twh_buf *, const struct twh_customer_column *, size_t);
int	 customers_csv_row(struct twh_buf *, const struct twh_customer_column *, size_t,
	    const struct twh_customer *);

#endif
