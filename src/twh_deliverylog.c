/*
 * twh_deliverylog.c: writing the delivery log.  Each endpoint process appends one line per request
 * to the day's file with a single write(2) on a descriptor opened with O_APPEND, so the lines
 * of concurrent processes never interleave, and costs no lock and no sync: the log is a record
 * for people, and losing its last lines in a power cut loses nothing else.  A log that cannot
 * be written is a warning, never a failed request.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twh_deliverylog.h"
#include "twh_diag.h"

/* How much of a request is kept: values are cut, parameters past the limit counted. */
#define VALUE_MAX	256
#define PARAMS_MAX	64
#define SIDS_MAX	16
/* A directory or file that could not be opened is tried again after this many seconds. */
#define RETRY_SECONDS	60

struct twh_deliverylog {
	char			*dir;
	long			 days;
	enum twh_deliverylog_params	 params;
	int			 fd;		/* the day's file, or -1 */
	char			 day[11];	/* its YYYY-MM-DD */
	long			 today;		/* the last record's day, in days since 1970 */
	char			 today_name[11];	/* and its YYYY-MM-DD */
	time_t			 retry_at;	/* after a failure, when to try again */
	struct twh_buf		 line, sids, param_text;	/* reused for each line */
	size_t			 n_sids, n_params;
};

struct twh_deliverylog *
twh_deliverylog_open(const struct twh_conf *conf)
{
	struct twh_deliverylog	*w;

	if (conf->delivery_log_days == 0)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL || (w->dir = strdup(conf->delivery_log)) == NULL) {
		free(w);
		twh_warn("out of memory: no delivery log");
		return NULL;
	}
	w->days = conf->delivery_log_days;
	w->params = conf->delivery_log_params;
	w->fd = -1;
	w->today = -1;
	twh_buf_init(&w->line);
	twh_buf_init(&w->sids);
	twh_buf_init(&w->param_text);
	return w;
}

void
twh_deliverylog_close(struct twh_deliverylog *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	twh_buf_free(&w->line);
	twh_buf_free(&w->sids);
	twh_buf_free(&w->param_text);
	free(w->dir);
	free(w);
}

/* Whether NAME is a day's file: YYYY-MM-DD.jsonl. */
bool
twh_deliverylog_file_name(const char *name)
{
	static const char	 shape[] = "dddd-dd-dd";
	size_t			 i;

	if (strlen(name) != TWH_DELIVERYLOG_NAME_LEN || strcmp(name + 10, TWH_DELIVERYLOG_SUFFIX) != 0)
		return false;
	for (i = 0; i < 10; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)name[i]) : name[i] != shape[i])
			return false;
	return true;
}

/* Whether S holds LOWER (lower case) in any case: names are short, so the plain way is the
 * fast one (strcasestr costs more to set up than to run here). */
static bool
contains_lower(const char *s, const char *lower)
{
	size_t	 i;

	for (; *s != '\0'; s++) {
		for (i = 0; lower[i] != '\0' && tolower((unsigned char)s[i]) == lower[i]; i++)
			continue;
		if (lower[i] == '\0')
			return true;
	}
	return false;
}

/*
 * Whether a parameter named NAME carries a secret or a message's text, which the log leaves
 * out unless delivery_log_params = all: message bodies and media (Body, interactionData,
 * Media, MediaUrl0 ...) and any name with token, secret or password in it.
 */
bool
twh_deliverylog_secret_name(const char *name)
{
	static const char *const exact[] = { "body", "interactiondata", "media", NULL };
	static const char *const within[] = { "token", "secret", "password", "mediaurl", NULL };
	const char		*const *p;

	for (p = exact; *p != NULL; p++)
		if (strcasecmp(name, *p) == 0)
			return true;
	for (p = within; *p != NULL; p++)
		if (contains_lower(name, *p))
			return true;
	return false;
}

/* Removes the days' files older than the log keeps: the ones before CUTOFF (YYYY-MM-DD). */
static void
prune(const struct twh_deliverylog *w, const char *cutoff)
{
	DIR		*d;
	struct dirent	*e;

	if ((d = opendir(w->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (twh_deliverylog_file_name(e->d_name) && strncmp(e->d_name, cutoff, 10) < 0 &&
		    unlinkat(dirfd(d), e->d_name, 0) == -1 && errno != ENOENT)
			twh_warn("%s/%s: %s (removing an old delivery log)", w->dir, e->d_name,
			    strerror(errno));
	closedir(d);
}

/* The file for DAY open in W->fd: 0, or -1 (warned, and not tried again for a while). */
static int
open_day(struct twh_deliverylog *w, const char *day, time_t now)
{
	char	 path[4096], cutoff[11];
	time_t	 old = now - (time_t)w->days * 86400;
	struct tm tm;

	if (w->fd != -1 && strcmp(w->day, day) == 0)
		return 0;
	if (w->fd == -1 && now < w->retry_at)
		return -1;
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	snprintf(path, sizeof(path), "%s/%s%s", w->dir, day, TWH_DELIVERYLOG_SUFFIX);
	if ((mkdir(w->dir, 0750) == -1 && errno != EEXIST) ||
	    (w->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		twh_warn("%s: %s: deliveries are not logged (set delivery_log in twhook.conf to "
		    "a directory this user can write, or delivery_log_days = 0)", path,
		    strerror(errno));
		w->retry_at = now + RETRY_SECONDS;
		return -1;
	}
	snprintf(w->day, sizeof(w->day), "%s", day);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%d", gmtime_r(&old, &tm));
	prune(w, cutoff);
	return 0;
}

/* Appends the N bytes of S to B as the inside of a JSON string. */
static void
add_escaped(struct twh_buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run = s, *end = s + n;
	char			 esc[7] = "\\u00";

	for (; s < end; s++) {
		if ((unsigned char)*s >= 0x20 && *s != '"' && *s != '\\')
			continue;
		twh_buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		if (*s == '"' || *s == '\\') {
			esc[1] = *s;
			twh_buf_add(b, esc, 2);
		} else {
			esc[1] = 'u';
			esc[4] = hex[(unsigned char)*s >> 4];
			esc[5] = hex[*s & 0xf];
			twh_buf_add(b, esc, 6);
		}
	}
	twh_buf_add(b, run, (size_t)(end - run));
}

/* Appends V to B as a JSON string of at most VALUE_MAX bytes of V, cut at a character's
 * start, with its length said. */
static void
add_value(struct twh_buf *b, const char *v)
{
	size_t	 n = strlen(v), cut = VALUE_MAX;

	twh_buf_addc(b, '"');
	if (n <= VALUE_MAX)
		add_escaped(b, v, n);
	else {
		while (cut > 0 && ((unsigned char)v[cut] & 0xC0) == 0x80)
			cut--;
		add_escaped(b, v, cut);
		twh_buf_printf(b, "... (%zu bytes)", n);
	}
	twh_buf_addc(b, '"');
}

/* Whether V looks like a Twilio SID: two capital letters and 32 hexadecimal digits. */
static bool
sid_shaped(const char *v)
{
	size_t	 i;

	if (strlen(v) != 34 || !isupper((unsigned char)v[0]) || !isupper((unsigned char)v[1]))
		return false;
	for (i = 2; i < 34; i++)
		if (!isxdigit((unsigned char)v[i]))
			return false;
	return true;
}

/* One parameter's part of the line: in W->params, and in W->sids if it is a SID. */
static void
add_param(struct twh_deliverylog *w, const char *name, const char *value)
{
	bool	 secret = twh_deliverylog_secret_name(name);

	if (!secret && sid_shaped(value) && w->n_sids < SIDS_MAX) {
		twh_buf_adds(&w->sids, w->n_sids++ == 0 ? "" : ",");
		add_value(&w->sids, value);
	}
	if (w->params == TWH_DELIVERYLOG_PARAMS_NONE || w->n_params > PARAMS_MAX)
		return;
	twh_buf_adds(&w->param_text, w->n_params == 0 ? "" : ",");
	if (w->n_params++ == PARAMS_MAX) {
		twh_buf_adds(&w->param_text, "\"...\"");
		return;
	}
	twh_buf_addc(&w->param_text, '[');
	add_value(&w->param_text, name);
	twh_buf_addc(&w->param_text, ',');
	if (secret && w->params == TWH_DELIVERYLOG_PARAMS_REDACTED)
		twh_buf_printf(&w->param_text, "\"[redacted, %zu bytes]\"", strlen(value));
	else
		add_value(&w->param_text, value);
	twh_buf_addc(&w->param_text, ']');
}

/* The request's parameters: a form's, or a JSON object's top-level members. */
static void
add_params(struct twh_deliverylog *w, const struct twh_request *req)
{
	size_t	 i;

	twh_buf_reset(&w->sids);
	twh_buf_reset(&w->param_text);
	w->n_sids = w->n_params = 0;
	for (i = 0; i < req->params.n; i++)
		add_param(w, req->params.v[i].name, req->params.v[i].value);
	if (req->json != NULL && json_object_is_type(req->json, json_type_object)) {
		json_object_object_foreach(req->json, name, value)
			add_param(w, name, json_object_is_type(value, json_type_string) ?
			    json_object_get_string(value) :
			    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	}
	twh_buf_adds(&w->line, ",\"sids\":[");
	twh_buf_add(&w->line, w->sids.data, w->sids.len);
	twh_buf_addc(&w->line, ']');
	if (w->params != TWH_DELIVERYLOG_PARAMS_NONE) {
		twh_buf_adds(&w->line, ",\"params\":[");
		twh_buf_add(&w->line, w->param_text.data, w->param_text.len);
		twh_buf_addc(&w->line, ']');
	}
}

/* ,"KEY":"VALUE" unless VALUE is NULL or empty. */
static void
add_member(struct twh_buf *b, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	twh_buf_adds(b, ",\"");
	twh_buf_adds(b, key);
	twh_buf_adds(b, "\":");
	add_value(b, value);
}

/* Appends V in decimal, with leading zeros to WIDTH digits (at most 20).  Each line is made
 * of these rather than with printf, which would cost as much as the rest of the line. */
static void
add_number(struct twh_buf *b, unsigned long v, int width)
{
	char	 digits[20];
	int	 n = 0;

	do
		digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
	while ((v /= 10) != 0 || n < width);
	twh_buf_add(b, digits + sizeof(digits) - n, (size_t)n);
}

/* "time":"YYYY-MM-DDTHH:MM:SS.mmmZ" for W->today_name and the second of the day SECOND. */
static void
add_time(struct twh_deliverylog *w, long second, long nanoseconds)
{
	twh_buf_adds(&w->line, "\"time\":\"");
	twh_buf_add(&w->line, w->today_name, 10);
	twh_buf_addc(&w->line, 'T');
	add_number(&w->line, (unsigned long)(second / 3600), 2);
	twh_buf_addc(&w->line, ':');
	add_number(&w->line, (unsigned long)(second / 60 % 60), 2);
	twh_buf_addc(&w->line, ':');
	add_number(&w->line, (unsigned long)(second % 60), 2);
	twh_buf_addc(&w->line, '.');
	add_number(&w->line, (unsigned long)(nanoseconds / 1000000), 3);
	twh_buf_adds(&w->line, "Z\"");
}

void
twh_deliverylog_record(struct twh_deliverylog *w, const struct twh_deliverylog_entry *e)
{
	struct tm	 tm;
	time_t		 t;
	unsigned long	 hundredths;
	ssize_t		 written;

	if (w == NULL)
		return;
	t = e->arrived.tv_sec;
	if (t / 86400 != w->today) {
		w->today = (long)(t / 86400);
		strftime(w->today_name, sizeof(w->today_name), "%Y-%m-%d", gmtime_r(&t, &tm));
	}
	if (open_day(w, w->today_name, t) == -1)
		return;
	twh_buf_reset(&w->line);
	twh_buf_addc(&w->line, '{');
	add_time(w, (long)(t % 86400), e->arrived.tv_nsec);
	twh_buf_adds(&w->line, ",\"endpoint\":\"");
	twh_buf_adds(&w->line, e->endpoint);
	twh_buf_adds(&w->line, "\",\"status\":");
	add_number(&w->line, (unsigned long)e->res->status, 1);
	hundredths = e->ms > 0 ? (unsigned long)(e->ms * 100 + 0.5) : 0;
	twh_buf_adds(&w->line, ",\"ms\":");
	add_number(&w->line, hundredths / 100, 1);
	twh_buf_addc(&w->line, '.');
	add_number(&w->line, hundredths % 100, 2);
	add_member(&w->line, "method", e->req->method);
	add_member(&w->line, "signature", e->req->signature);
	add_member(&w->line, "token", twh_request_env(e->req, "HTTP_I_TWILIO_IDEMPOTENCY_TOKEN"));
	add_member(&w->line, "note", e->res->log_reason);
	add_params(w, e->req);
	/* Out of memory on the way, the line would lack a part: none is written. */
	if (twh_buf_adds(&w->line, "}\n") == -1 || w->line.len < 2 ||
	    strcmp(w->line.data + w->line.len - 2, "}\n") != 0)
		return;
	/* One write, so that no other process's line comes between its bytes. */
	written = write(w->fd, w->line.data, w->line.len);
	if (written != (ssize_t)w->line.len)
		twh_warn("%s/%s%s: %s (a delivery not logged)", w->dir, w->day, TWH_DELIVERYLOG_SUFFIX,
		    written == -1 ? strerror(errno) : "a short write");
}
