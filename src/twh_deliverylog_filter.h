/*
 * twh_deliverylog_filter.h: which lines of the delivery log (twh_deliverylog.h) a reader wants,
 * for `twhook log` and the console: the filter, its parts parsed from what a person typed, and
 * the test of a line, first on its text as the writer lays it out, then parsed.
 */
#ifndef TWH_DELIVERYLOG_FILTER_H
#define TWH_DELIVERYLOG_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* The length of the log's time text, "YYYY-MM-DDTHH:MM:SS.mmmZ". */
#define TWH_DELIVERYLOG_TIME_LEN	24

struct twh_delivery_filter {
	const char	*endpoint;	/* NULL: any; else as logged, e.g. "crm" */
	int		 status_min, status_max;	/* 0..0 or 0..999: any; 400..499: 4xx;
					   404..404 */
	const char	*sid;		/* NULL: any; else in the line's "sids", or its "token" */
	const char	*since, *until;	/* NULL or "": no bound; else prefixes of the log's
					   time text, since <= time < until */
};

/* The endpoints, by the names the log gives them, NULL-terminated. */
extern const char *const twh_deliverylog_endpoints[];

const char	*twh_deliverylog_endpoint(const char *name);
int		 twh_delivery_filter_status(struct twh_delivery_filter *, const char *status);
int		 twh_deliverylog_when(const char *when, char out[TWH_DELIVERYLOG_TIME_LEN + 1]);
int		 twh_deliverylog_time_shift(const char *time, long seconds,
		    char out[TWH_DELIVERYLOG_TIME_LEN + 1]);
const char	*twh_deliverylog_line_time(const char *line, size_t len);
bool		 twh_delivery_filter_may_match(const struct twh_delivery_filter *, const char *line,
		    size_t len);
bool		 twh_delivery_filter_matches(const struct twh_delivery_filter *,
		    struct json_object *);
struct json_object *twh_delivery_filter_line(const struct twh_delivery_filter *,
		    const char *line, size_t len);

#endif
