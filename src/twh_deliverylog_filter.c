/*
 * twh_deliverylog_filter.c: which lines of the delivery log a reader wants.  A line is tested
 * twice: on its text, where the writer (twh_deliverylog.c) always puts the time, the endpoint
 * and the status first, which refuses most lines without parsing them; then, parsed, on its
 * members, which decides.  A line the writer did not lay out (a hand edit) skips the first
 * test; one that is not a whole JSON object (a crash mid-write) is never selected.
 */
#define _GNU_SOURCE	/* memmem, strptime, timegm */

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "twh_deliverylog_filter.h"
#include "twh_json.h"

const char *const twh_deliverylog_endpoints[] = { "crm", "outgoing", "templates", "routing",
    "conversations", "proxy-callback", "proxy-intercept", "proxy-out-of-session",
    "call-notify", NULL };

/* The shape of the log's time text: 'd' a digit, anything else itself.  Its earliest
 * completion puts zeros after a prefix (a day 00 is the day before the 01st for timegm). */
static const char time_shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
static const char time_zeros[] = "0000-00-00T00:00:00.000Z";

/* How every line begins, and what follows the time and the endpoint. */
static const char line_head[] = "{\"time\":\"";
static const char after_time[] = "\",\"endpoint\":\"";
static const char after_endpoint[] = "\",\"status\":";

/* The endpoint NAME names, with or without "twhook-", as the log names it; NULL if none. */
const char *
twh_deliverylog_endpoint(const char *name)
{
	const char	*const *e;

	if (strncmp(name, "twhook-", 7) == 0)
		name += 7;
	for (e = twh_deliverylog_endpoints; *e != NULL; e++)
		if (strcmp(*e, name) == 0)
			return *e;
	return NULL;
}

/* STATUS as F's range: 403, or 4xx for 400 to 499.  -1 when it is neither. */
int
twh_delivery_filter_status(struct twh_delivery_filter *f, const char *status)
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
	if (*end != '\0' || end == status || n < 100 || n > 599)
		return -1;
	f->status_min = f->status_max = (int)n;
	return 0;
}

/*
 * WHEN as the log's time text in OUT: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] (UTC, an optional Z),
 * or a duration before now: a number and s, m, h or d.  -1 when it is none of these.
 */
int
twh_deliverylog_when(const char *when, char out[TWH_DELIVERYLOG_TIME_LEN + 1])
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
	strftime(out, TWH_DELIVERYLOG_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%S.000Z", gmtime_r(&t, &tm));
	return 0;
}

/* Whether the N bytes of TEXT have the shape of the start of the log's time text. */
static bool
time_shaped(const char *text, size_t n)
{
	size_t	 i;

	if (n > TWH_DELIVERYLOG_TIME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (time_shape[i] == 'd' ? !isdigit((unsigned char)text[i]) :
		    text[i] != time_shape[i])
			return false;
	return true;
}

/* The number in the N digits at S. */
static int
digits(const char *s, size_t n)
{
	int	 v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * TIME, a prefix of the log's time text, moved by SECONDS, in full in OUT; a prefix stands for
 * its earliest completion.  0, or -1 when TIME is not such a prefix or the result not a time
 * of years 1000 to 9999.
 */
int
twh_deliverylog_time_shift(const char *time, long seconds, char out[TWH_DELIVERYLOG_TIME_LEN + 1])
{
	char		 full[TWH_DELIVERYLOG_TIME_LEN + 1];
	size_t		 n = strlen(time);
	struct tm	 tm;
	time_t		 t;

	if (!time_shaped(time, n))
		return -1;
	memcpy(full, time, n);
	memcpy(full + n, time_zeros + n, sizeof(full) - n);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(full, 4) - 1900;
	tm.tm_mon = digits(full + 5, 2) - 1;
	tm.tm_mday = digits(full + 8, 2);
	tm.tm_hour = digits(full + 11, 2);
	tm.tm_min = digits(full + 14, 2);
	tm.tm_sec = digits(full + 17, 2);
	t = timegm(&tm) + seconds;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 1000 - 1900 || tm.tm_year > 9999 - 1900)
		return -1;
	strftime(out, TWH_DELIVERYLOG_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%S.", &tm);
	memcpy(out + 20, full + 20, 5);
	return 0;
}

/* The time at the start of LINE, where the writer puts it (not NUL-terminated); NULL if LINE
 * does not begin as the writer begins a line. */
const char *
twh_deliverylog_line_time(const char *line, size_t len)
{
	const size_t	 at = sizeof(line_head) - 1;

	if (len < at + TWH_DELIVERYLOG_TIME_LEN + 1 || memcmp(line, line_head, at) != 0 ||
	    !time_shaped(line + at, TWH_DELIVERYLOG_TIME_LEN) ||
	    line[at + TWH_DELIVERYLOG_TIME_LEN] != '"')
		return NULL;
	return line + at;
}

/* strcmp of the log's time text TIME (not NUL-terminated) and BOUND, a prefix of one. */
static int
cmp_time(const char *time, const char *bound)
{
	size_t	 n = strlen(bound);
	int	 c = memcmp(time, bound, n < TWH_DELIVERYLOG_TIME_LEN ? n :
		    TWH_DELIVERYLOG_TIME_LEN);

	if (c != 0 || n == TWH_DELIVERYLOG_TIME_LEN)
		return c;
	return n < TWH_DELIVERYLOG_TIME_LEN ? 1 : -1;
}

/* Whether F selects the status CODE: a filter without a range (both 0) selects any. */
static bool
status_within(const struct twh_delivery_filter *f, int code)
{
	return (f->status_min == 0 && f->status_max == 0) ||
	    (code >= f->status_min && code <= f->status_max);
}

static bool
time_within(const struct twh_delivery_filter *f, const char *time)
{
	return (f->since == NULL || cmp_time(time, f->since) >= 0) &&
	    (f->until == NULL || f->until[0] == '\0' || cmp_time(time, f->until) < 0);
}

/* Whether the text at *P (before END) starts with S; if so, *P moves past it. */
static bool
skip(const char **p, const char *end, const char *s)
{
	size_t	 n = strlen(s);

	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/*
 * Whether SID may be the token or among the "sids" of a line the writer laid out, from P (after
 * its status) to END.  The first ,"token":" and ,"sids":[ in the text are those members: a
 * quote after a comma cannot be within a string.  A SID that the writer would have escaped,
 * or that holds the array's end, is left to the parsed test.
 */
static bool
sid_may_be_in(const char *p, const char *end, const char *sid)
{
	static const char	 token[] = ",\"token\":\"", sids[] = ",\"sids\":[";
	const char		*at, *close, *c;
	size_t			 n = strlen(sid);

	for (c = sid; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\' || *c == ']')
			return true;
	if ((at = memmem(p, (size_t)(end - p), token, sizeof(token) - 1)) != NULL) {
		at += sizeof(token) - 1;
		if ((size_t)(end - at) > n && memcmp(at, sid, n) == 0 && at[n] == '"')
			return true;
	}
	if ((at = memmem(p, (size_t)(end - p), sids, sizeof(sids) - 1)) == NULL)
		return true;
	at += sizeof(sids) - 1;
	if ((close = memchr(at, ']', (size_t)(end - at))) == NULL)
		return true;
	for (; (at = memmem(at, (size_t)(close - at), sid, n)) != NULL; at++)
		if (at[-1] == '"' && at + n < close && at[n] == '"')
			return true;
	return false;
}

/*
 * Whether LINE may be one F selects: false only when it is surely not.  The time, the endpoint,
 * the status, the token and the SIDs are read where the writer puts them: for its lines, this
 * decides, and only the lines selected are parsed.  A line not laid out by the writer is left
 * to the parsed test, once the SID is found in its text.
 */
bool
twh_delivery_filter_may_match(const struct twh_delivery_filter *f, const char *line, size_t len)
{
	const char	*end = line + len, *time, *name, *p;
	int		 status = 0;

	if (f->sid != NULL && memmem(line, len, f->sid, strlen(f->sid)) == NULL)
		return false;
	if ((time = twh_deliverylog_line_time(line, len)) == NULL)
		return true;
	if (!time_within(f, time))
		return false;
	p = time + TWH_DELIVERYLOG_TIME_LEN;
	if (!skip(&p, end, after_time))
		return true;
	for (name = p; p < end && *p != '"' && *p != '\\'; p++)
		continue;
	if (f->endpoint != NULL && p < end && *p == '"' &&
	    (strlen(f->endpoint) != (size_t)(p - name) ||
	    memcmp(name, f->endpoint, (size_t)(p - name)) != 0))
		return false;
	if (!skip(&p, end, after_endpoint))
		return true;
	for (; p < end && isdigit((unsigned char)*p) && status < 1000; p++)
		status = status * 10 + (*p - '0');
	if (p == end || *p != ',')
		return true;
	if (!status_within(f, status))
		return false;
	return f->sid == NULL || sid_may_be_in(p, end, f->sid);
}

/* Whether the delivery D involves SID: as a SID among its parameters, or as its token. */
static bool
involves(struct json_object *d, const char *sid)
{
	struct json_object	*sids;
	const char		*token = twh_json_member_text(d, "token"), *s;
	size_t			 i, n;

	if (token != NULL && strcmp(token, sid) == 0)
		return true;
	if (!json_object_object_get_ex(d, "sids", &sids) ||
	    !json_object_is_type(sids, json_type_array))
		return false;
	n = json_object_array_length(sids);
	for (i = 0; i < n; i++)
		if ((s = json_object_get_string(json_object_array_get_idx(sids, i))) != NULL &&
		    strcmp(s, sid) == 0)
			return true;
	return false;
}

/* Whether the parsed line D is a delivery F selects. */
bool
twh_delivery_filter_matches(const struct twh_delivery_filter *f, struct json_object *d)
{
	const char		*time = twh_json_member_text(d, "time");
	const char		*endpoint = twh_json_member_text(d, "endpoint");
	struct json_object	*status;
	int			 code;

	if (time == NULL || strlen(time) != TWH_DELIVERYLOG_TIME_LEN || endpoint == NULL ||
	    !json_object_object_get_ex(d, "status", &status) ||
	    !json_object_is_type(status, json_type_int))
		return false;
	code = json_object_get_int(status);
	return (f->endpoint == NULL || strcmp(endpoint, f->endpoint) == 0) &&
	    status_within(f, code) && time_within(f, time) &&
	    (f->sid == NULL || involves(d, f->sid));
}

/* LINE parsed when it is one JSON object and F selects it, for the caller to put; else NULL.
 * Most lines are refused on their text, without parsing. */
struct json_object *
twh_delivery_filter_line(const struct twh_delivery_filter *f, const char *line, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*d = NULL;

	if (!twh_delivery_filter_may_match(f, line, len) || len > INT_MAX ||
	    (tok = json_tokener_new()) == NULL)
		return NULL;
	d = json_tokener_parse_ex(tok, line, (int)len);
	if (d != NULL && (json_tokener_get_parse_end(tok) != len ||
	    !twh_delivery_filter_matches(f, d))) {
		json_object_put(d);
		d = NULL;
	}
	json_tokener_free(tok);
	return d;
}
