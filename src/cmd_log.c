/*
 * cmd_log.c: `twhook log [-f] [--json] [-n COUNT] [-e ENDPOINT] [-s SID] [--status STATUS]
 * [--since WHEN] [--until WHEN]` prints the webhook deliveries the endpoints logged
 * (twh_deliverylog.c), oldest first: one line each of time (UTC), endpoint, status, latency,
 * signature verdict, idempotency token and parameters, separated by tabs, or the logged JSON
 * itself.  -f keeps printing new deliveries as they are logged, like tail -f, confined to
 * reading the log (twh_sandbox.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "twh_deliverylog_filter.h"
#include "twh_deliverylog_read.h"
#include "twh_json.h"
#include "twh_sandbox.h"
#include "twhook.h"

/* What the options select; the times are the log's own text, "YYYY-MM-DDTHH:MM:SS.mmmZ". */
struct options {
	struct twh_delivery_filter	 filter;
	char				 since[TWH_DELIVERYLOG_TIME_LEN + 1];
	char				 until[TWH_DELIVERYLOG_TIME_LEN + 1];
	bool				 json;
};

/* Prints S with control characters as '?', so that logged data cannot forge a line. */
static void
print_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar(iscntrl((unsigned char)*s) ? '?' : *s);
}

static void
print_field(const char *s)
{
	print_clean(s != NULL && *s != '\0' ? s : "-");
	putchar('\t');
}

/* TIME ENDPOINT STATUS MS SIGNATURE TOKEN, then NAME=VALUE ... and (NOTE). */
static void
print_delivery(struct json_object *d)
{
	struct json_object	*params, *pair;
	const char		*note = twh_json_member_text(d, "note");
	size_t			 i, n;

	print_field(twh_json_member_text(d, "time"));
	print_field(twh_json_member_text(d, "endpoint"));
	print_field(twh_json_member_text(d, "status"));
	print_field(twh_json_member_text(d, "ms"));
	print_field(twh_json_member_text(d, "signature"));
	print_field(twh_json_member_text(d, "token"));
	n = json_object_object_get_ex(d, "params", &params) ? json_object_array_length(params) : 0;
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(params, i);
		if (i > 0)
			putchar(' ');
		if (json_object_is_type(pair, json_type_array)) {
			print_clean(json_object_get_string(json_object_array_get_idx(pair, 0)));
			putchar('=');
			print_clean(json_object_get_string(json_object_array_get_idx(pair, 1)));
		} else
			print_clean(json_object_get_string(pair));
	}
	if (n == 0)
		putchar('-');
	if (note != NULL) {
		fputs(" (", stdout);
		print_clean(note);
		putchar(')');
	}
	putchar('\n');
}

/* Whether LINE is a delivery the filter selects; most lines are refused without parsing. */
static bool
select_line(void *arg, const char *line, size_t len)
{
	const struct options	*o = arg;
	struct json_object	*d;

	if ((d = twh_delivery_filter_line(&o->filter, line, len)) == NULL)
		return false;
	json_object_put(d);
	return true;
}

static void
emit_line(void *arg, const char *line, size_t len)
{
	const struct options	*o = arg;
	struct json_object	*d;

	if (o->json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else if ((d = json_tokener_parse(line)) != NULL) {
		print_delivery(d);
		json_object_put(d);
	}
}

/* Parses the options into O and Q: 0, or the exit status of a usage error. */
static int
parse_options(int argc, char *argv[], struct options *o, struct twh_deliverylog_query *q)
{
	static const struct option longopts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "sid", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'x' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	char		*end;
	long		 count;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "+fn:e:s:", longopts, NULL)) != -1)
		switch (ch) {
		case 'f':
			q->follow = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1 || errno != 0)
				return twhook_usage("log");
			q->count = (size_t)count;
			break;
		case 'e':
			if ((o->filter.endpoint = twh_deliverylog_endpoint(optarg)) == NULL) {
				fprintf(stderr, "twhook: no endpoint '%s' (crm, outgoing, templates, "
				    "routing, conversations, proxy-callback, proxy-intercept, "
				    "proxy-out-of-session, call-notify)\n", optarg);
				return 2;
			}
			break;
		case 's':
			o->filter.sid = optarg;
			break;
		case 'x':
			if (twh_delivery_filter_status(&o->filter, optarg) == -1) {
				fprintf(stderr, "twhook: --status '%s': give a status such as 403, "
				    "or a class such as 4xx\n", optarg);
				return 2;
			}
			break;
		case 'S':
		case 'U':
			if (twh_deliverylog_when(optarg, ch == 'S' ? o->since : o->until) == -1) {
				fprintf(stderr, "twhook: --%s '%s': give YYYY-MM-DD, "
				    "YYYY-MM-DDTHH:MM[:SS] (UTC) or a duration such as 30m, 2h, 7d\n",
				    ch == 'S' ? "since" : "until", optarg);
				return 2;
			}
			break;
		default:
			return twhook_usage("log");
		}
	return optind == argc ? 0 : twhook_usage("log");
}

int
cmd_log(struct twh_conf *conf, int argc, char *argv[])
{
	struct options		 o = { .filter = { .status_min = 100, .status_max = 599 } };
	struct twh_deliverylog_query	 q = { .count = 50, .select = select_line, .emit = emit_line,
				    .arg = &o };
	char			 from_day[11], err[512];
	int			 rc;

	if ((rc = parse_options(argc, argv, &o, &q)) != 0)
		return rc;
	/* Following runs for as long as it is left to: it reads the log and nothing else. */
	if (q.follow && twh_sandbox_enter(conf, TWH_SANDBOX_LOG_READER, NULL, true, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s: cannot confine twhook log -f: %s (sandbox = off in "
		    "that file runs it unconfined)\n", conf->path, err);
		return 1;
	}
	o.filter.since = o.since;
	o.filter.until = o.until;
	snprintf(from_day, sizeof(from_day), "%.10s", o.since);
	q.from_day = from_day;
	if (conf->delivery_log_days == 0)
		fprintf(stderr, "twhook: delivery_log_days = 0 in %s: the endpoints log nothing\n",
		    conf->path);
	if (twh_deliverylog_read(conf->delivery_log, &q) == -1) {
		if (errno != ENOENT) {
			fprintf(stderr, "twhook: %s: %s\n", conf->delivery_log, strerror(errno));
			return 1;
		}
		fprintf(stderr, "twhook: %s: no delivery logged yet (the endpoints make this "
		    "directory on their first request; see delivery_log in twhook.conf(5))\n",
		    conf->delivery_log);
	}
	return 0;
}
