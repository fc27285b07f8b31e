/*
 * twh_deliverylog_browse.h: browsing the delivery log (twh_deliverylog.h) a page at a time,
 * newest first, and fetching one line, for the console.  A line's id, "YYYY-MM-DD:OFFSET", is
 * its day's file and its byte offset there: stable for the file's life, usable in a URL, and
 * checked before use (its shape, an existing day's file, an offset at a line's start).
 *
 * The lines are as the writer logged them: redacted then, by delivery_log_params (a value that
 * is shown must still be escaped for where it is shown).
 */
#ifndef TWH_DELIVERYLOG_BROWSE_H
#define TWH_DELIVERYLOG_BROWSE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "twh_deliverylog_filter.h"

/* How many bytes of the log one page reads at most: past it, only to end a read of up to 1 MiB
 * or a line. */
#define TWH_DELIVERYLOG_BROWSE_BUDGET	((size_t)64 * 1024 * 1024)
/* The longest id, with its NUL. */
#define TWH_DELIVERYLOG_ID_SIZE		32

/* A line selected: its id, and the line parsed (the callee's to read during the call; it
 * takes a reference, json_object_get, to keep it). */
typedef void twh_delivery_row_fn(void *arg, const char *id, struct json_object *line);

struct twh_delivery_page {
	size_t	 rows;		/* the rows given to the callback */
	char	 next[TWH_DELIVERYLOG_ID_SIZE];	/* BEFORE for the next (older) page; "" at the
					   end of the log */
	bool	 budget_spent;	/* the budget ran out before the page was full: NEXT goes on */
};

/*
 * Calls FN with up to LIMIT lines that F selects, newest first, strictly older than the line
 * BEFORE (an id, or NULL for the newest), reading at most TWH_DELIVERYLOG_BROWSE_BUDGET bytes.
 * 0, or -1 with errno set: EINVAL (LIMIT 0, or BEFORE is not shaped as an id), ENOENT (no
 * log yet, or no line BEFORE).
 */
int	 twh_deliverylog_browse(const char *dir, const struct twh_delivery_filter *f,
	    const char *before, size_t limit, twh_delivery_row_fn *fn, void *arg,
	    struct twh_delivery_page *page);
/* The same with a budget of BUDGET bytes instead (a call always passes at least one line). */
int	 twh_deliverylog_browse_budget(const char *dir, const struct twh_delivery_filter *f,
	    const char *before, size_t limit, size_t budget, twh_delivery_row_fn *fn, void *arg,
	    struct twh_delivery_page *page);
/* The line ID, parsed, in *LINE (the caller's to put): 0, or -1 with errno set: EINVAL (not
 * shaped as an id), ENOENT (no such line, or not a delivery). */
int	 twh_deliverylog_fetch(const char *dir, const char *id, struct json_object **line);

#endif
