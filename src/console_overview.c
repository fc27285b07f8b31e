/*
 * console_overview.c: the Overview (/), the console's first page: a summary of the store (its
 * table counts) and of the outbox (its jobs in each state), each a section of its own page.
 */
#include "console.h"

/* GET /. */
void
console_overview_page(struct console *c)
{
	console_page_begin(c, "Overview");
	if (console_store_counts(c, "Store") == 0 && console_jobs_summary(c) == 0)
		console_page_end(c, 200);
}
