/*
 * cmd_log.c: `twhook log [-f] [--json] [-n COUNT] [-e ENDPOINT] [-s SID] [--status STATUS]
 * [--since WHEN] [--until WHEN]` prints the webhook deliveries the endpoints logged
 * (twh_deliverylog.c), oldest first: one line each of time (UTC), endpoint, status, latency,
 * signature verdict, idempotency token and parameters, separated by tabs, or the logged JSON
 * itself.  -f keeps printing new deliveries as they are logged, like tail -f, confined to
 * reading the log (twh_sandbox.h).
 */
#define _GNU_SOURCE	/* strptime, timegm */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "twh_deliverylog_read.h"
#include "twh_sandbox.h"
#include "twhook.h"

static const char *const endpoints[] = { "crm", "outgoing", "templates", "routing",
    "conversations", "proxy-callback", "proxy-intercept", "proxy-out-of-session",
    "call-notify", NULL };

/* What the options select; the times are the log's own "YYYY-MM-DDTHH:MM:SS.mmmZ". */
struct filter {
	const char	*endpoint;
	const char	*sid;
	int		 status_min, status_max;
	char		 since[32], until[32];
	bool		 json;
};

/* Prints S with control characters as '?', so that logged data cannot forge a line. */
static void
print_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar(iscntrl((unsigned char)*s) ? '?' : *s);
}

static const char *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
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
	const char		*note = member(d, "note");
	size_t			 i, n;

	print_field(member(d, "time"));
	print_field(member(d, "endpoint"));
	print_field(member(d, "status"));
	print_field(member(d, "ms"));
	print_field(member(d, "signature"));
	print_field(member(d, "token"));
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

/* Whether the delivery D involves SID: as a SID among its parameters, or as its token. */
static bool
involves(struct json_object *d, const char *sid)
{
	struct json_object	*sids;
	const char		*token = member(d, "token");
	size_t			 i, n;

	if (token != NULL && strcmp(token, sid) == 0)
		return true;
	n = json_object_object_get_ex(d, "sids", &sids) ? json_object_array_length(sids) : 0;
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(sids, i)), sid) == 0)
			return true;
	return false;
}

static bool
matches(const struct filter *f, struct json_object *d)
{
	const char	*time = member(d, "time"), *endpoint = member(d, "endpoint");
	struct json_object *status;
	int		 code;

	if (time == NULL || endpoint == NULL || !json_object_object_get_ex(d, "status", &status))
		return false;
	code = json_object_get_int(status);
	return (f->endpoint == NULL || strcmp(endpoint, f->endpoint) == 0) &&
	    code >= f->status_min && code <= f->status_max &&
	    strcmp(time, f->since) >= 0 && (f->until[0] == '\0' || strcmp(time, f->until) < 0) &&
	    (f->sid == NULL || involves(d, f->sid));
}

/* Whether LINE is a delivery the filter selects; most lines are refused without parsing. */
static bool
select_line(void *arg, const char *line, size_t len)
{
	const struct filter	*f = arg;
	struct json_object	*d;
	bool			 ok;

	if (f->sid != NULL && strstr(line, f->sid) == NULL)
		return false;
	if ((d = json_tokener_parse(line)) == NULL)
		return false;
	ok = matches(f, d);
	json_object_put(d);
	(void)len;
	return ok;
}

static void
emit_line(void *arg, const char *line, size_t len)
{
	const struct filter	*f = arg;
	struct json_object	*d;

	if (f->json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else if ((d = json_tokener_parse(line)) != NULL) {
		print_delivery(d);
		json_object_put(d);
	}
}

/*
 * WHEN as the log's time text in OUT: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC, an optional Z),
 * or a duration before now: a number and s, m, h or d.  -1 when it is none of these.
 */
static int
parse_when(const char *when, char out[32])
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
	    "%Y-%m-%d", NULL };
	const char	*const *f, *end;
	struct tm	 tm;
	char		*unit;
	double		 n;
	time_t		 t = (time_t)-1;

	for (f = formats; *f != NULL && t == (time_t)-1; f++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(when, *f, &tm)) != NULL &&
		    (*end == '\0' || strcmp(end, "Z") == 0))
			t = timegm(&tm);
	}
	if (t == (time_t)-1) {
		n = strtod(when, &unit);
		if (unit == when || n < 0 || n > 1e8 || unit[0] == '\0' || unit[1] != '\0' ||
		    strchr("smhd", unit[0]) == NULL)
			return -1;
		t = time(NULL) - (time_t)(n * (unit[0] == 's' ? 1 : unit[0] == 'm' ? 60 :
		    unit[0] == 'h' ? 3600 : 86400));
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", gmtime_r(&t, &tm));
	return 0;
}

/* STATUS as a range: 403, or 4xx for 400 to 499.  -1 when it is neither. */
static int
parse_status(const char *status, struct filter *f)
{
	char	*end;
	long	 n;

	if (strlen(status) == 3 && status[0] >= '1' && status[0] <= '5' &&
	    strcmp(status + 1, "xx") == 0) {
		f->status_min = (status[0] - '0') * 100;
		f->status_max = f->status_min + 99;
		return 0;
	}
	n = strtol(status, &end, 10);
	if (*end != '\0' || n < 100 || n > 599)
		return -1;
	f->status_min = f->status_max = (int)n;
	return 0;
}

static const char *
known_endpoint(const char *name)
{
	const char	*const *e;

	if (strncmp(name, "twhook-", 7) == 0)
		name += 7;
	for (e = endpoints; *e != NULL; e++)
		if (strcmp(*e, name) == 0)
			return *e;
	return NULL;
}

/* Parses the options into F and Q: 0, or the exit status of a usage error. */
static int
options(int argc, char *argv[], struct filter *f, struct twh_deliverylog_query *q)
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
			f->json = true;
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1 || errno != 0)
				return twhook_usage("log");
			q->count = (size_t)count;
			break;
		case 'e':
			if ((f->endpoint = known_endpoint(optarg)) == NULL) {
				fprintf(stderr, "twhook: no endpoint '%s' (crm, outgoing, templates, "
				    "routing, conversations, proxy-callback, proxy-intercept, "
				    "proxy-out-of-session, call-notify)\n", optarg);
				return 2;
			}
			break;
		case 's':
			f->sid = optarg;
			break;
		case 'x':
			if (parse_status(optarg, f) == -1) {
				fprintf(stderr, "twhook: --status '%s': give a status such as 403, "
				    "or a class such as 4xx\n", optarg);
				return 2;
			}
			break;
		case 'S':
		case 'U':
			if (parse_when(optarg, ch == 'S' ? f->since : f->until) == -1) {
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
	struct filter		 f = { .status_min = 100, .status_max = 599 };
	struct twh_deliverylog_query	 q = { .count = 50, .select = select_line, .emit = emit_line,
				    .arg = &f };
	char			 from_day[11], err[512];
	int			 rc;

	if ((rc = options(argc, argv, &f, &q)) != 0)
		return rc;
	/* Following runs for as long as it is left to: it reads the log and nothing else. */
	if (q.follow && twh_sandbox_enter(conf, TWH_SANDBOX_LOG_READER, NULL, true, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s: cannot confine twhook log -f: %s (sandbox = off in "
		    "that file runs it unconfined)\n", conf->path, err);
		return 1;
	}
	snprintf(from_day, sizeof(from_day), "%.10s", f.since);
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
