/*
 * cmd_log.c: `twhook log [-f] [-n COUNT] [-e ENDPOINT] [-s SID] [--since WHEN]` prints the
 * events the endpoints recorded (for now the Proxy interaction callbacks and intercept
 * decisions), oldest first, one line each: time (UTC), endpoint, interaction SID and what
 * happened, separated by tabs.  -f keeps printing new events as they are recorded.
 */
#define _GNU_SOURCE	/* strptime */

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "twh_store.h"
#include "twhook.h"

/* How often -f looks for new events. */
#define FOLLOW_INTERVAL_US	250000

static const char *const endpoints[] = { "proxy-callback", "proxy-intercept", NULL };

/* Prints S with control characters as '?', so that stored data cannot forge a line. */
static void
print_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar(iscntrl((unsigned char)*s) ? '?' : *s);
}

static const char *
or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static int
print_event(void *arg, const struct twh_log_event *e)
{
	char		 when[32];
	time_t		 t = (time_t)e->time;
	struct tm	 tm;

	(void)arg;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", gmtime_r(&t, &tm));
	printf("%s.%03dZ\t%s\t", when, (int)((e->time - (double)t) * 1000.0), e->endpoint);
	print_clean(e->interaction_sid);
	putchar('\t');
	if (e->verdict == NULL) {
		print_clean(or_dash(e->type));
		fputs(" inbound=", stdout);
		print_clean(or_dash(e->inbound_status));
		fputs(" outbound=", stdout);
		print_clean(or_dash(e->outbound_status));
		fputs(" session=", stdout);
		print_clean(or_dash(e->session_sid));
	} else if (e->rule_kind != NULL) {
		printf("%s rule %lld %s \"", e->verdict, e->rule_rowid, e->rule_kind);
		print_clean(e->rule_pattern);
		putchar('"');
	} else
		fputs(e->verdict, stdout);
	if (e->note != NULL) {
		fputs(" (", stdout);
		print_clean(e->note);
		putchar(')');
	}
	putchar('\n');
	return 0;
}

/*
 * WHEN as Unix time: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC, an optional Z), or a duration
 * before now: a number and s, m, h or d.  -1 when it is none of these.
 */
static double
parse_since(const char *when)
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
	    "%Y-%m-%d", NULL };
	const char	*const *f, *end;
	struct tm	 tm;
	char		*unit;
	double		 n;

	for (f = formats; *f != NULL; f++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(when, *f, &tm)) != NULL &&
		    (*end == '\0' || strcmp(end, "Z") == 0))
			return (double)timegm(&tm);
	}
	n = strtod(when, &unit);
	if (unit == when || n < 0 || unit[0] == '\0' || unit[1] != '\0')
		return -1;
	switch (unit[0]) {
	case 's': return (double)time(NULL) - n;
	case 'm': return (double)time(NULL) - n * 60;
	case 'h': return (double)time(NULL) - n * 3600;
	case 'd': return (double)time(NULL) - n * 86400;
	default: return -1;
	}
}

static int
known_endpoint(const char *name)
{
	const char	*const *e;

	for (e = endpoints; *e != NULL; e++)
		if (strcmp(*e, name) == 0)
			return 1;
	return 0;
}

/* Prints what FILTER selects; with FOLLOW, then what is recorded later, until killed. */
static int
show(struct twh_store *store, struct twh_log_filter *filter, int follow)
{
	for (;;) {
		if (twh_store_log(store, filter, print_event, NULL) != TWH_STORE_OK) {
			fprintf(stderr, "twhook: %s\n", twh_store_error(store));
			return 1;
		}
		if (!follow)
			return 0;
		fflush(stdout);
		filter->limit = 0;
		usleep(FOLLOW_INTERVAL_US);
	}
}

int
cmd_log(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "sid", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct twh_log_filter	 filter;
	struct twh_store	*store;
	char			 err[512], *end;
	long			 count;
	int			 ch, follow = 0, rc;

	memset(&filter, 0, sizeof(filter));
	filter.limit = 50;
	while ((ch = getopt_long(argc, argv, "+fn:e:s:", longopts, NULL)) != -1)
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1)
				return twhook_usage("log");
			filter.limit = (size_t)count;
			break;
		case 'e':
			filter.endpoint = strncmp(optarg, "twhook-", 7) == 0 ? optarg + 7 : optarg;
			if (!known_endpoint(filter.endpoint)) {
				fprintf(stderr, "twhook: no endpoint '%s' in the log (proxy-callback, "
				    "proxy-intercept)\n", optarg);
				return 2;
			}
			break;
		case 's':
			filter.sid = optarg;
			break;
		case 'S':
			if ((filter.since = parse_since(optarg)) < 0) {
				fprintf(stderr, "twhook: --since '%s': give YYYY-MM-DD, "
				    "YYYY-MM-DDTHH:MM[:SS] (UTC) or a duration such as 30m, 2h, 7d\n",
				    optarg);
				return 2;
			}
			break;
		default:
			return twhook_usage("log");
		}
	if (optind != argc)
		return twhook_usage("log");
	if (twh_store_open(conf->database, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	rc = show(store, &filter, follow);
	twh_store_close(store);
	return rc;
}
