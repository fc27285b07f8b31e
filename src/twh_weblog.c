/*
 * twh_weblog.c: writing the delivery log.  Each endpoint process appends one line per request
 * to the day's file with a single write(2) on a descriptor opened with O_APPEND, so the lines
 * of concurrent processes never interleave, and costs no lock and no sync: the log is a record
 * for people, and losing its last lines in a power cut loses nothing else.  A log that cannot
 * be written is a warning, never a failed request.
 */
#define _GNU_SOURCE	/* strcasestr */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "twh_log.h"
#include "twh_weblog.h"

/* How much of a request is kept: values are cut, parameters past the limit counted. */
#define VALUE_MAX	256
#define PARAMS_MAX	64
#define SIDS_MAX	16
/* A directory or file that could not be opened is tried again after this many seconds. */
#define RETRY_SECONDS	60

struct twh_weblog {
	char			*dir;
	long			 days;
	enum twh_log_params	 params;
	int			 fd;		/* the day's file, or -1 */
	char			 day[11];	/* its YYYY-MM-DD */
	time_t			 retry_at;	/* after a failure, when to try again */
};

struct twh_weblog *
twh_weblog_open(const struct twh_conf *conf)
{
	struct twh_weblog	*w;

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
	return w;
}

void
twh_weblog_close(struct twh_weblog *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	free(w->dir);
	free(w);
}

/* Whether NAME is a day's file: YYYY-MM-DD.jsonl. */
bool
twh_weblog_file_name(const char *name)
{
	static const char	 shape[] = "dddd-dd-dd";
	size_t			 i;

	if (strlen(name) != TWH_WEBLOG_NAME_LEN || strcmp(name + 10, TWH_WEBLOG_SUFFIX) != 0)
		return false;
	for (i = 0; i < 10; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)name[i]) : name[i] != shape[i])
			return false;
	return true;
}

/*
 * Whether a parameter named NAME carries a secret or a message's text, which the log leaves
 * out unless delivery_log_params = all: message bodies and media (Body, interactionData,
 * Media, MediaUrl0 ...) and any name with token, secret or password in it.
 */
bool
twh_weblog_secret_name(const char *name)
{
	static const char *const exact[] = { "body", "interactiondata", "media", NULL };
	static const char *const within[] = { "token", "secret", "password", "mediaurl", NULL };
	const char		*const *p;

	for (p = exact; *p != NULL; p++)
		if (strcasecmp(name, *p) == 0)
			return true;
	for (p = within; *p != NULL; p++)
		if (strcasestr(name, *p) != NULL)
			return true;
	return false;
}

/* Removes the days' files older than the log keeps: the ones before CUTOFF (YYYY-MM-DD). */
static void
prune(const struct twh_weblog *w, const char *cutoff)
{
	DIR		*d;
	struct dirent	*e;

	if ((d = opendir(w->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (twh_weblog_file_name(e->d_name) && strncmp(e->d_name, cutoff, 10) < 0 &&
		    unlinkat(dirfd(d), e->d_name, 0) == -1 && errno != ENOENT)
			twh_warn("%s/%s: %s (removing an old delivery log)", w->dir, e->d_name,
			    strerror(errno));
	closedir(d);
}

/* The file for DAY open in W->fd: 0, or -1 (warned, and not tried again for a while). */
static int
open_day(struct twh_weblog *w, const char *day, time_t now)
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
	snprintf(path, sizeof(path), "%s/%s%s", w->dir, day, TWH_WEBLOG_SUFFIX);
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

/* A string of at most VALUE_MAX bytes of V, cut at a character's start, its length said. */
static struct json_object *
value_of(const char *v)
{
	char	 buf[VALUE_MAX + 48];
	size_t	 n = strlen(v), cut = VALUE_MAX;

	if (n <= VALUE_MAX)
		return json_object_new_string(v);
	while (cut > 0 && ((unsigned char)v[cut] & 0xC0) == 0x80)
		cut--;
	snprintf(buf, sizeof(buf), "%.*s... (%zu bytes)", (int)cut, v, n);
	return json_object_new_string(buf);
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

/* Adds NAME=VALUE to PARAMS as the configuration says, and VALUE to SIDS if it is one. */
static void
add_param(const struct twh_weblog *w, struct json_object *params, struct json_object *sids,
    const char *name, const char *value)
{
	struct json_object	*pair;
	char			 redacted[48];
	bool			 secret = twh_weblog_secret_name(name);

	if (!secret && sid_shaped(value) && json_object_array_length(sids) < SIDS_MAX)
		json_object_array_add(sids, json_object_new_string(value));
	if (w->params == TWH_LOG_PARAMS_NONE)
		return;
	if (json_object_array_length(params) == PARAMS_MAX) {
		json_object_array_add(params, json_object_new_string("..."));
		return;
	}
	if (json_object_array_length(params) > PARAMS_MAX)
		return;
	pair = json_object_new_array();
	json_object_array_add(pair, value_of(name));
	if (secret && w->params == TWH_LOG_PARAMS_REDACTED) {
		snprintf(redacted, sizeof(redacted), "[redacted, %zu bytes]", strlen(value));
		json_object_array_add(pair, json_object_new_string(redacted));
	} else
		json_object_array_add(pair, value_of(value));
	json_object_array_add(params, pair);
}

/* The request's parameters: a form's, or a JSON object's top-level members. */
static void
add_params(const struct twh_weblog *w, const struct twh_request *req, struct json_object *line)
{
	struct json_object	*params = json_object_new_array(), *sids = json_object_new_array();
	size_t			 i;

	for (i = 0; i < req->params.n; i++)
		add_param(w, params, sids, req->params.v[i].name, req->params.v[i].value);
	if (req->json != NULL && json_object_is_type(req->json, json_type_object)) {
		json_object_object_foreach(req->json, name, value)
			add_param(w, params, sids, name, json_object_is_type(value,
			    json_type_string) ? json_object_get_string(value) :
			    json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	}
	json_object_object_add(line, "sids", sids);
	if (w->params != TWH_LOG_PARAMS_NONE)
		json_object_object_add(line, "params", params);
	else
		json_object_put(params);
}

static void
add_string(struct json_object *line, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_object_add(line, key, value_of(value));
}

void
twh_weblog_record(struct twh_weblog *w, const struct twh_weblog_entry *e)
{
	struct json_object	*line;
	struct tm		 tm;
	char			 when[40], day[11];
	char			 ms[32];
	struct iovec		 iov[2];
	ssize_t			 written;

	if (w == NULL)
		return;
	gmtime_r(&e->arrived.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	if (open_day(w, day, e->arrived.tv_sec) == -1)
		return;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
	    e->arrived.tv_nsec / 1000000);
	line = json_object_new_object();
	json_object_object_add(line, "time", json_object_new_string(when));
	json_object_object_add(line, "endpoint", json_object_new_string(e->endpoint));
	json_object_object_add(line, "status", json_object_new_int(e->res->status));
	snprintf(ms, sizeof(ms), "%.2f", e->ms);
	json_object_object_add(line, "ms", json_object_new_double_s(e->ms, ms));
	add_string(line, "method", e->req->method);
	add_string(line, "signature", e->req->signature);
	add_string(line, "token", twh_request_header(e->req, "I-Twilio-Idempotency-Token"));
	add_string(line, "note", e->res->log_reason);
	add_params(w, e->req, line);
	iov[0].iov_base = (void *)json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	iov[0].iov_len = strlen(iov[0].iov_base);
	iov[1].iov_base = (void *)"\n";
	iov[1].iov_len = 1;
	/* The line and its newline in one call, so that no other process's line comes between. */
	written = writev(w->fd, iov, 2);
	if (written != (ssize_t)(iov[0].iov_len + 1))
		twh_warn("%s/%s%s: %s (a delivery not logged)", w->dir, w->day, TWH_WEBLOG_SUFFIX,
		    written == -1 ? strerror(errno) : "a short write");
	json_object_put(line);
}
