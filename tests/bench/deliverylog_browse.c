/*
 * deliverylog_browse.c: the driver of deliverylog_browse.sh and console.sh.  Not installed,
 * not a test.
 *
 *   deliverylog_browse write DIR LINES DAYS FIRST_DAY
 *	logs LINES deliveries spread evenly over DAYS days from FIRST_DAY (YYYY-MM-DD) with the
 *	writer itself (twh_deliverylog.c): Twilio-like forms to the nine endpoints, mostly 200,
 *	some 4xx and 5xx; the SID RARE_SID in one delivery of 50,000.
 *   deliverylog_browse totals DIR REQUESTS
 *	counts REQUESTS answered requests of the same mix in DIR/totals (twh_metrics.c), spread
 *	evenly over the 24 hours before now, oldest first, as the endpoints count them; the
 *	403s as signature failures.
 *   deliverylog_browse time [-w] [-n LIMIT] [-r REPEAT] [-e ENDPOINT] [-x STATUS] [-s SID]
 *	[-S SINCE] [-U UNTIL] DIR
 *	times REPEAT calls (default 20) of twh_deliverylog_browse for the newest page of LIMIT
 *	rows (default 50) and prints: p50 ms, p99 ms, rows, pages, budget_spent pages, next.
 *	With -w each call walks every page to the end instead, and the times are those of the
 *	pages.  The filter's options are read as `twhook log` reads them.
 */
#define _GNU_SOURCE	/* strptime, timegm */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "twh_conf.h"
#include "twh_deliverylog.h"
#include "twh_deliverylog_browse.h"
#include "twh_http.h"
#include "twh_metrics.h"

#define RARE_SID	"CH0123456789abcdef0123456789abcdef"
#define MAX_SAMPLES	100000

static unsigned long	 seed = 42;

static unsigned long
random_below(unsigned long n)
{
	seed = seed * 6364136223846793005UL + 1442695040888963407UL;
	return (seed >> 33) % n;
}

static const char *
no_env(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

static void
sid(char out[35], const char *prefix)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;

	memcpy(out, prefix, 2);
	for (i = 2; i < 34; i++)
		out[i] = hex[random_below(16)];
	out[34] = '\0';
}

/* A delivery's endpoint, status and latency, drawn as the log's and the totals' mix. */
struct delivery_shape {
	const char	*endpoint;
	int		 status;
	double		 ms;
};

static void
draw_shape(struct delivery_shape *d)
{
	static const char *const endpoints[] = { "crm", "outgoing", "templates", "routing",
	    "conversations", "proxy-callback", "proxy-intercept", "proxy-out-of-session",
	    "call-notify" };
	static const int statuses[] = { 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200,
	    200, 200, 200, 200, 200, 403, 404, 400, 500 };

	d->status = statuses[random_below(20)];
	d->endpoint = endpoints[random_below(9)];
	d->ms = 1 + random_below(3000) / 100.0;
}

static void
add(struct twh_params *p, const char *name, const char *value)
{
	if (twh_params_add(p, name, strlen(name), value, strlen(value)) == -1)
		exit(1);
}

static int
write_log(const char *dir, long lines, long days, const char *first_day)
{
	struct twh_conf		 conf;
	struct delivery_shape	 d;
	struct twh_io		 io = { .getenv = no_env };
	struct twh_request	 req;
	struct twh_response	 res;
	struct twh_deliverylog	*log;
	struct twh_deliverylog_entry e;
	struct tm		 tm;
	char			 account[35], message[35], conversation[35], from[16], body[64];
	long			 i;
	time_t			 start;

	memset(&conf, 0, sizeof(conf));
	conf.delivery_log = (char *)dir;
	conf.delivery_log_days = days + 2;
	conf.delivery_log_params = TWH_DELIVERYLOG_PARAMS_REDACTED;
	memset(&tm, 0, sizeof(tm));
	if (strptime(first_day, "%Y-%m-%d", &tm) == NULL || (log = twh_deliverylog_open(&conf)) ==
	    NULL)
		return 2;
	start = timegm(&tm);
	sid(account, "AC");
	sid(conversation, "CH");
	for (i = 0; i < lines; i++) {
		memset(&req, 0, sizeof(req));
		twh_response_init(&res);
		req.io = &io;
		req.method = "POST";
		req.signature = "valid";
		twh_params_init(&req.params);
		sid(message, "IM");
		if (i % 500 == 0)
			sid(conversation, "CH");
		snprintf(from, sizeof(from), "+1555%07lu", random_below(10000000));
		snprintf(body, sizeof(body), "message %ld of the benchmark", i);
		add(&req.params, "AccountSid", account);
		add(&req.params, "EventType", "onMessageAdded");
		add(&req.params, "ConversationSid", i % 50000 == 25000 ? RARE_SID : conversation);
		add(&req.params, "MessageSid", message);
		add(&req.params, "Author", from);
		add(&req.params, "Body", body);
		add(&req.params, "Source", "SMS");
		add(&req.params, "DateCreated", "2026-01-01T00:00:00Z");
		add(&req.params, "Index", "7");
		draw_shape(&d);
		res.status = d.status;
		if (res.status != 200)
			snprintf(res.log_reason, sizeof(res.log_reason), "refused: %d", res.status);
		e.endpoint = d.endpoint;
		e.arrived.tv_sec = start + (time_t)((double)i * (double)days * 86400 / lines);
		e.arrived.tv_nsec = (long)random_below(1000) * 1000000;
		e.ms = d.ms;
		e.req = &req;
		e.res = &res;
		twh_deliverylog_record(log, &e);
		twh_params_free(&req.params);
		twh_response_free(&res);
	}
	twh_deliverylog_close(log);
	return 0;
}

static int
count_totals(const char *dir, long requests)
{
	struct twh_conf		 conf;
	struct twh_metrics	*m;
	struct delivery_shape	 d;
	time_t			 now = time(NULL);
	long			 i;

	memset(&conf, 0, sizeof(conf));
	conf.delivery_log = (char *)dir;
	conf.delivery_log_days = 1;
	if (requests < 1 || (m = twh_metrics_open(&conf, true)) == NULL)
		return 2;
	for (i = 0; i < requests; i++) {
		draw_shape(&d);
		twh_metrics_record(m, d.endpoint, d.status, d.status == 403, d.ms,
		    now - 86400 + (time_t)((double)(i + 1) * 86400 / requests));
	}
	twh_metrics_close(m);
	return 0;
}

static void
ignore_row(void *arg, const char *id, struct json_object *line)
{
	(void)id;
	(void)line;
	(*(size_t *)arg)++;
}

static double
ms_since(const struct timespec *a)
{
	struct timespec	 b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
usage(void)
{
	fprintf(stderr, "usage: deliverylog_browse write DIR LINES DAYS FIRST_DAY\n"
	    "       deliverylog_browse totals DIR REQUESTS\n"
	    "       deliverylog_browse time [-w] [-n LIMIT] [-r REPEAT] [-e ENDPOINT] "
	    "[-x STATUS] [-s SID] [-S SINCE] [-U UNTIL] DIR\n");
	return 2;
}

static int
time_pages(int argc, char *argv[])
{
	struct twh_delivery_filter	 f = { .status_min = 0, .status_max = 999 };
	struct twh_delivery_page	 page;
	struct timespec			 t0;
	static double			 ms[MAX_SAMPLES];
	char				 since[32], until[32], before[TWH_DELIVERYLOG_ID_SIZE];
	size_t				 n = 0, rows = 0, limit = 50, pages = 0, spent = 0;
	long				 repeat = 20, r;
	int				 ch, walk = 0;

	while ((ch = getopt(argc, argv, "wn:r:e:x:s:S:U:")) != -1)
		switch (ch) {
		case 'w':
			walk = 1;
			break;
		case 'n':
			limit = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			repeat = strtol(optarg, NULL, 10);
			break;
		case 'e':
			if ((f.endpoint = twh_deliverylog_endpoint(optarg)) == NULL)
				return usage();
			break;
		case 'x':
			if (twh_delivery_filter_status(&f, optarg) == -1)
				return usage();
			break;
		case 's':
			f.sid = optarg;
			break;
		case 'S':
		case 'U':
			if (twh_deliverylog_when(optarg, ch == 'S' ? since : until) == -1)
				return usage();
			*(ch == 'S' ? &f.since : &f.until) = ch == 'S' ? since : until;
			break;
		default:
			return usage();
		}
	if (optind != argc - 1 || limit == 0 || repeat < 1)
		return usage();
	for (r = 0; r < repeat; r++) {
		before[0] = '\0';
		do {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (twh_deliverylog_browse(argv[optind], &f, before[0] != '\0' ? before :
			    NULL, limit, ignore_row, &rows, &page) == -1) {
				fprintf(stderr, "deliverylog_browse: %s\n", strerror(errno));
				return 1;
			}
			if (n < MAX_SAMPLES)
				ms[n++] = ms_since(&t0);
			pages++;
			spent += page.budget_spent;
			snprintf(before, sizeof(before), "%s", page.next);
		} while (walk && before[0] != '\0');
	}
	qsort(ms, n, sizeof(*ms), cmp_double);
	printf("%.2f %.2f %zu %zu %zu %s\n", ms[n / 2], ms[(n * 99 + 99) / 100 - 1],
	    rows / (size_t)repeat, pages / (size_t)repeat, spent / (size_t)repeat,
	    page.next[0] != '\0' ? page.next : "-");
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 6 && strcmp(argv[1], "write") == 0)
		return write_log(argv[2], strtol(argv[3], NULL, 10), strtol(argv[4], NULL, 10),
		    argv[5]);
	if (argc == 4 && strcmp(argv[1], "totals") == 0)
		return count_totals(argv[2], strtol(argv[3], NULL, 10));
	if (argc >= 3 && strcmp(argv[1], "time") == 0)
		return time_pages(argc - 1, argv + 1);
	return usage();
}
