/*
 * twh_weblog.h: the delivery log, a record of every webhook request an endpoint answered, read
 * by `twhook log`.  One JSON object a line, appended to DIR/YYYY-MM-DD.jsonl (the UTC day);
 * files older than delivery_log_days are removed.  The format is in twhook(1), "twhook log".
 */
#ifndef TWH_WEBLOG_H
#define TWH_WEBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "twh_conf.h"
#include "twh_http.h"

/* The name of a day's file is YYYY-MM-DD.jsonl. */
#define TWH_WEBLOG_SUFFIX	".jsonl"
#define TWH_WEBLOG_NAME_LEN	(10 + sizeof(TWH_WEBLOG_SUFFIX) - 1)

struct twh_weblog;

/* What one answered request was; the request and response as the pipeline left them. */
struct twh_weblog_entry {
	const char			*endpoint;	/* e.g. "crm" */
	struct timespec			 arrived;	/* CLOCK_REALTIME */
	double				 ms;		/* arrival to answer written */
	const struct twh_request	*req;
	const struct twh_response	*res;
};

struct twh_weblog	*twh_weblog_open(const struct twh_conf *);
void			 twh_weblog_record(struct twh_weblog *, const struct twh_weblog_entry *);
void			 twh_weblog_close(struct twh_weblog *);
bool			 twh_weblog_file_name(const char *name);
bool			 twh_weblog_secret_name(const char *name);

#endif
