/*
 * twh_deliverylog.h: the delivery log, a record of every webhook request an endpoint answered, read
 * by `twhook log`.  One JSON object a line, appended to DIR/YYYY-MM-DD.jsonl (the UTC day);
 * files older than delivery_log_days are removed.  The format is in twhook(1), "twhook log".
 */
#ifndef TWH_DELIVERYLOG_H
#define TWH_DELIVERYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "twh_conf.h"
#include "twh_http.h"

/* The name of a day's file is YYYY-MM-DD.jsonl. */
#define TWH_DELIVERYLOG_SUFFIX	".jsonl"
#define TWH_DELIVERYLOG_NAME_LEN	(10 + sizeof(TWH_DELIVERYLOG_SUFFIX) - 1)

struct twh_deliverylog;

/* What one answered request was; the request and response as the pipeline left them. */
struct twh_deliverylog_entry {
	const char			*endpoint;	/* e.g. "crm" */
	struct timespec			 arrived;	/* CLOCK_REALTIME */
	double				 ms;		/* arrival to answer written */
	const struct twh_request	*req;
	const struct twh_response	*res;
};

struct twh_deliverylog	*twh_deliverylog_open(const struct twh_conf *);
void			 twh_deliverylog_record(struct twh_deliverylog *, const struct twh_deliverylog_entry *);
void			 twh_deliverylog_close(struct twh_deliverylog *);
bool			 twh_deliverylog_file_name(const char *name);
bool			 twh_deliverylog_secret_name(const char *name);

#endif
