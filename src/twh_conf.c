/*
 * twh_conf.c: parses twhook.conf(5): "key = value" lines, '#' comment lines, blank lines.
 * Every error names the file, the line and the key, and says what was expected; unknown keys
 * are errors too, so that a misspelt key is not silently ignored.  Values are kept verbatim
 * (an auth token may hold any printable character) and never written to a log.
 *
 * It owns the table of keys, conf_keys[]: each row names a key, its type and its field in
 * struct twh_conf, and one setter per type checks and stores a value; the same table tells
 * twh_conf_free what to free.  The syntax of a URL is twh_url's (twh_url_split).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "twh_buf.h"
#include "twh_conf.h"
#include "twh_db.h"
#include "twh_diag.h"
#include "twh_url.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define MAX_BODY_LIMIT	(16L * 1024 * 1024)

struct conf_cursor {
	struct twh_conf	*conf;
	const char	*path;
	unsigned	 line;
	const char	*key;
	char		*err;
	size_t		 errlen;
	unsigned long	 seen;	/* bit i: conf_keys[i] was given */
};

static int conf_fail(struct conf_cursor *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
conf_fail(struct conf_cursor *c, const char *fmt, ...)
{
	char	 what[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->key != NULL)
		snprintf(c->err, c->errlen, "%s:%u: key '%s': %s", c->path, c->line, c->key, what);
	else
		snprintf(c->err, c->errlen, "%s:%u: %s", c->path, c->line, what);
	return -1;
}

/*
 * The kinds of value a key takes.  Each has one setter in conf_types[] below, which checks a
 * value and stores it in the key's field; the key's row in conf_keys[] gives the parameters.
 */
enum conf_type {
	CONF_STRING,	/* any text but the empty one */
	CONF_SECRET,	/* the same, of at least min characters when min > 0; wiped when freed */
	CONF_URL,	/* http(s)://host[:port] and any path, kept without trailing slashes */
	CONF_ORIGIN,	/* the same without a path */
	CONF_BOOL,	/* yes or no */
	CONF_NUMBER,	/* a whole number from min to max, into a long */
	CONF_BYTES,	/* the same, a number of bytes, into a size_t */
	CONF_NAME,	/* min to max letters, digits or any of chars */
	CONF_SID,	/* chars (two letters) followed by 32 hexadecimal digits */
	CONF_WORD,	/* one of words, stored as its index: an enum's value */
	CONF_LOG_LEVEL,	/* error, warning, info or debug */
	CONF_TOKENS	/* repeatable: up to max secrets, counted in the size_t at count */
};

/* The words of delivery_log_params, in the order of enum twh_deliverylog_params. */
static const char *const deliverylog_params_words[] = { "redacted", "all", "none", NULL };
/* The words of sandbox, in the order of enum twh_sandbox_mode. */
static const char *const sandbox_words[] = { "on", "off", "log", NULL };
/* The words of console_auth, in the order of enum twh_console_auth. */
static const char *const console_auth_words[] = { "remote_user", "none", NULL };

static const struct conf_key {
	const char		*name;
	enum conf_type		 type;
	size_t			 offset;	/* of the key's field in struct twh_conf */
	long			 min, max;	/* a number's range, a name's or secret's length */
	const char		*chars;		/* CONF_NAME: its punctuation; CONF_SID: prefix */
	const char *const	*words;		/* CONF_WORD: NULL-terminated */
	size_t			 count;		/* CONF_TOKENS: the offset of the count */
} conf_keys[] = {
#define KEY(key, t, field) \
	.name = (key), .type = (t), .offset = offsetof(struct twh_conf, field)
	{ KEY("database", CONF_STRING, database) },
	{ KEY("auth_token", CONF_TOKENS, auth_tokens), .max = TWH_CONF_MAX_TOKENS,
	    .count = offsetof(struct twh_conf, n_auth_tokens) },
	{ KEY("auth_token_file", CONF_STRING, auth_token_file) },
	{ KEY("account_sid", CONF_SID, account_sid), .chars = "AC" },
	{ KEY("public_url", CONF_ORIGIN, public_url) },
	{ KEY("trust_forwarded", CONF_BOOL, trust_forwarded) },
	{ KEY("validate_signature", CONF_BOOL, validate_signature) },
	{ KEY("api_base_url", CONF_URL, api_base_url) },
	{ KEY("api_key_sid", CONF_SID, api_key_sid), .chars = "SK" },
	{ KEY("api_key_secret", CONF_SECRET, api_key_secret) },
	{ KEY("dispatch_backoff_ms", CONF_NUMBER, dispatch_backoff_ms), .min = 1, .max = 3600000 },
	{ KEY("dispatch_backoff_max_ms", CONF_NUMBER, dispatch_backoff_max_ms),
	    .min = 1, .max = 3600000 },
	{ KEY("dispatch_give_up", CONF_NUMBER, dispatch_give_up), .min = 1, .max = 7 * 86400 },
	{ KEY("push_give_up", CONF_NUMBER, push_give_up), .min = 1, .max = 3600 },
	{ KEY("push_webhook_secret", CONF_SECRET, push_webhook_secret), .min = 16 },
	{ KEY("ca_file", CONF_STRING, ca_file) },
	{ KEY("fcm_service_account", CONF_STRING, fcm_service_account) },
	{ KEY("fcm_url", CONF_URL, fcm_url) },
	{ KEY("fcm_token_url", CONF_URL, fcm_token_url) },
	{ KEY("fcm_project", CONF_NAME, fcm_project), .min = 1, .max = 100, .chars = "-" },
	{ KEY("apns_key", CONF_STRING, apns_key) },
	{ KEY("apns_key_id", CONF_NAME, apns_key_id), .min = 10, .max = 10, .chars = "" },
	{ KEY("apns_team_id", CONF_NAME, apns_team_id), .min = 10, .max = 10, .chars = "" },
	{ KEY("apns_bundle_id", CONF_NAME, apns_bundle_id), .min = 1, .max = 155, .chars = ".-" },
	{ KEY("apns_url", CONF_ORIGIN, apns_url) },
	{ KEY("max_body", CONF_BYTES, max_body), .min = 1024, .max = MAX_BODY_LIMIT },
	{ KEY("delivery_log", CONF_STRING, delivery_log) },
	{ KEY("delivery_log_days", CONF_NUMBER, delivery_log_days), .min = 0, .max = 3650 },
	{ KEY("delivery_log_params", CONF_WORD, delivery_log_params),
	    .words = deliverylog_params_words },
	{ KEY("proxy_records_days", CONF_NUMBER, proxy_records_days), .min = 0, .max = 3650 },
	{ KEY("read_cache_ms", CONF_NUMBER, read_cache_ms), .min = 0, .max = 60000 },
	{ KEY("log_level", CONF_LOG_LEVEL, log_level) },
	{ KEY("sandbox", CONF_WORD, sandbox), .words = sandbox_words },
	{ KEY("console_auth", CONF_WORD, console_auth), .words = console_auth_words },
	{ KEY("console_write", CONF_BOOL, console_write) },
#undef KEY
};
#define N_CONF_KEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))
_Static_assert(N_CONF_KEYS <= 8 * sizeof(unsigned long), "a conf_cursor's seen has a bit per key");
/* CONF_WORD stores an int (the enum's value is the word's index). */
_Static_assert(sizeof(enum twh_deliverylog_params) == sizeof(int), "an enum is an int");
_Static_assert(sizeof(enum twh_sandbox_mode) == sizeof(int), "an enum is an int");
_Static_assert(sizeof(enum twh_console_auth) == sizeof(int), "an enum is an int");

/* The key's field in the configuration being read. */
static void *
conf_field(struct twh_conf *conf, size_t offset)
{
	return (char *)conf + offset;
}

/* Keeps a copy of VALUE in *SLOT. */
static int
store_string(struct conf_cursor *c, char **slot, const char *value)
{
	if (*value == '\0')
		return conf_fail(c, "the value is empty");
	free(*slot);
	if ((*slot = strdup(value)) == NULL)
		return conf_fail(c, "out of memory");
	return 0;
}

static int
set_string(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	(void)k;
	return store_string(c, slot, v);
}

static int
set_secret(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	if (k->min > 0 && strlen(v) < (size_t)k->min)
		return conf_fail(c, "a secret of at least %ld characters is needed", k->min);
	return store_string(c, slot, v);
}

/* How many '/' end S. */
static size_t
trailing_slashes(const char *s)
{
	size_t	 n = strlen(s), k = 0;

	while (k < n && s[n - 1 - k] == '/')
		k++;
	return k;
}

/* CONF_URL and CONF_ORIGIN. */
static int
set_url(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	struct twh_url_parts	 parts;
	char			**url = slot;

	if (twh_url_split(v, &parts) == -1)
		return conf_fail(c, "expected http://host[:port] or https://host[:port], not '%s'",
		    v);
	if (k->type == CONF_ORIGIN && strcmp(parts.rest, "") != 0 && strcmp(parts.rest, "/") != 0)
		return conf_fail(c, "give scheme://host[:port] only, without a path: '%s'", v);
	if (store_string(c, url, v) == -1)
		return -1;
	/* Kept without trailing slashes, so that every user can append a path starting with '/'. */
	(*url)[strlen(*url) - trailing_slashes(*url)] = '\0';
	return 0;
}

static int
set_bool(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	bool	*b = slot;

	(void)k;
	if (strcmp(v, "yes") == 0)
		*b = true;
	else if (strcmp(v, "no") == 0)
		*b = false;
	else
		return conf_fail(c, "expected yes or no, not '%s'", v);
	return 0;
}

/* CONF_NUMBER into a long, CONF_BYTES into a size_t. */
static int
set_number(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	long	 n;
	char	*end;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < k->min || n > k->max)
		return conf_fail(c, "expected %s from %ld to %ld, not '%s'",
		    k->type == CONF_BYTES ? "a number of bytes" : "a whole number", k->min, k->max,
		    v);
	if (k->type == CONF_BYTES)
		*(size_t *)slot = (size_t)n;
	else
		*(long *)slot = n;
	return 0;
}

static int
set_name(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	const char	*punct = k->chars;
	size_t		 n = strlen(v), i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && (*punct == '\0' || strchr(punct, v[i]) == NULL))
			break;
	if (i < n || n < (size_t)k->min || n > (size_t)k->max)
		return conf_fail(c, "expected %ld to %ld letters or digits%s%s, not '%s'", k->min,
		    k->max, *punct != '\0' ? " or any of " : "", punct, v);
	return store_string(c, slot, v);
}

/* An account or API key SID: its two letters and 32 hexadecimal digits. */
static int
set_sid(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	if (strncmp(v, k->chars, 2) != 0 || strlen(v) != 34 ||
	    strspn(v + 2, "0123456789abcdefABCDEF") != 32)
		return conf_fail(c, "expected %s followed by 32 hexadecimal digits, not '%s'",
		    k->chars, v);
	return store_string(c, slot, v);
}

static int
set_word(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	char	 list[128] = "";
	size_t	 i, len;

	for (i = 0; k->words[i] != NULL; i++)
		if (strcmp(v, k->words[i]) == 0) {
			*(int *)slot = (int)i;
			return 0;
		}
	/* "a, b or c" */
	for (i = 0; k->words[i] != NULL; i++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0 ? "" : k->words[i + 1] == NULL ? " or " : ", ", k->words[i]);
	}
	return conf_fail(c, "expected %s, not '%s'", list, v);
}

static int
set_log_level(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	(void)k;
	if (twh_diag_level_parse(v, slot) == -1)
		return conf_fail(c, "expected error, warning, info or debug, not '%s'", v);
	return 0;
}

static int
set_tokens(struct conf_cursor *c, const struct conf_key *k, void *slot, const char *v)
{
	char	**tokens = slot;
	size_t	 *n = conf_field(c->conf, k->count);

	if (*v == '\0')
		return conf_fail(c, "the value is empty");
	if (*n == (size_t)k->max)
		return conf_fail(c, "more than %ld tokens", k->max);
	if ((tokens[*n] = strdup(v)) == NULL)
		return conf_fail(c, "out of memory");
	(*n)++;
	return 0;
}

/* What a field of each type holds, for twh_conf_free. */
enum conf_holds {
	HOLDS_VALUE,	/* nothing to free */
	HOLDS_STRING,
	HOLDS_SECRET,	/* a string wiped before it is freed */
	HOLDS_SECRETS	/* CONF_TOKENS: an array of them */
};

static const struct conf_type_ops {
	int		(*set)(struct conf_cursor *, const struct conf_key *, void *slot,
			    const char *value);
	enum conf_holds	 holds;
} conf_types[] = {
	[CONF_STRING] = { set_string, HOLDS_STRING },
	[CONF_SECRET] = { set_secret, HOLDS_SECRET },
	[CONF_URL] = { set_url, HOLDS_STRING },
	[CONF_ORIGIN] = { set_url, HOLDS_STRING },
	[CONF_BOOL] = { set_bool, HOLDS_VALUE },
	[CONF_NUMBER] = { set_number, HOLDS_VALUE },
	[CONF_BYTES] = { set_number, HOLDS_VALUE },
	[CONF_NAME] = { set_name, HOLDS_STRING },
	[CONF_SID] = { set_sid, HOLDS_STRING },
	[CONF_WORD] = { set_word, HOLDS_VALUE },
	[CONF_LOG_LEVEL] = { set_log_level, HOLDS_VALUE },
	[CONF_TOKENS] = { set_tokens, HOLDS_SECRETS },
};
_Static_assert(sizeof(conf_types) / sizeof(conf_types[0]) == CONF_TOKENS + 1,
    "a setter for every type");

/* The row of KEY in conf_keys[], or NULL. */
static const struct conf_key *
conf_key_named(const char *key)
{
	size_t	 i;

	for (i = 0; i < N_CONF_KEYS; i++)
		if (strcmp(key, conf_keys[i].name) == 0)
			return &conf_keys[i];
	return NULL;
}

static int
conf_set(struct conf_cursor *c, const char *key, const char *value)
{
	const struct conf_key	*k = conf_key_named(key);
	unsigned long		 bit;

	c->key = key;
	if (k == NULL)
		return conf_fail(c, "unknown key (see twhook.conf(5))");
	bit = 1ul << (k - conf_keys);
	if (k->type != CONF_TOKENS && (c->seen & bit))
		return conf_fail(c, "given twice");
	c->seen |= bit;
	return conf_types[k->type].set(c, k, conf_field(c->conf, k->offset), value);
}

static char *
trim(char *s)
{
	char	*end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static int
conf_line(struct conf_cursor *c, char *line)
{
	char	*eq, *key, *value;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	if ((eq = strchr(line, '=')) == NULL)
		/* The line is not echoed: it may be a mistyped "auth_token SECRET". */
		return conf_fail(c, "expected 'key = value'");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*key == '\0')
		return conf_fail(c, "a line with '=' but no key");
	return conf_set(c, key, value);
}

/* The delivery log's directory by default: beside the store, named after it. */
static int
default_delivery_log(struct twh_conf *conf)
{
	size_t	 n = strlen(conf->database) + sizeof("-deliveries");

	if ((conf->delivery_log = malloc(n)) == NULL)
		return -1;
	snprintf(conf->delivery_log, n, "%s-deliveries", conf->database);
	return 0;
}

static int
conf_check(struct conf_cursor *c)
{
	struct twh_conf	*conf = c->conf;

	c->key = NULL;
	if (conf->database == NULL) {
		snprintf(c->err, c->errlen, "%s: no 'database' key: name the SQLite store or the "
		    "PostgreSQL database (postgresql://...)", c->path);
		return -1;
	}
	/* A database has no directory beside it: each machine keeps its own log. */
	if (conf->delivery_log == NULL && twh_db_is_postgres(conf->database) &&
	    conf->delivery_log_days > 0) {
		snprintf(c->err, c->errlen, "%s: the database is PostgreSQL: set delivery_log to a "
		    "directory on this machine (or delivery_log_days = 0)", c->path);
		return -1;
	}
	if (conf->delivery_log == NULL && default_delivery_log(conf) == -1) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->path);
		return -1;
	}
	if (conf->auth_token_file != NULL && conf->n_auth_tokens > 0) {
		snprintf(c->err, c->errlen, "%s: auth_token and auth_token_file both give tokens: "
		    "keep them in one place (several tokens go one per line in the file)", c->path);
		return -1;
	}
	if (conf->dispatch_backoff_max_ms < conf->dispatch_backoff_ms) {
		snprintf(c->err, c->errlen, "%s: dispatch_backoff_max_ms is smaller than "
		    "dispatch_backoff_ms", c->path);
		return -1;
	}
	if ((conf->api_key_sid == NULL) != (conf->api_key_secret == NULL)) {
		snprintf(c->err, c->errlen, "%s: api_key_sid and api_key_secret go together: "
		    "give both or neither", c->path);
		return -1;
	}
	if (conf->apns_key != NULL && (conf->apns_key_id == NULL || conf->apns_team_id == NULL ||
	    conf->apns_bundle_id == NULL)) {
		snprintf(c->err, c->errlen, "%s: apns_key needs apns_key_id, apns_team_id and "
		    "apns_bundle_id (the key's id, the team's, and the app's bundle id)", c->path);
		return -1;
	}
	return 0;
}

/*
 * -1 with ERR set when CONF checks signatures without a token to check them with: an endpoint
 * would refuse every request.  (twhook(1) can do much without one, `twhook init` first.)
 */
int
twh_conf_require_auth_token(const struct twh_conf *conf, char *err, size_t errlen)
{
	if (!conf->validate_signature || conf->n_auth_tokens > 0)
		return 0;
	snprintf(err, errlen, "%s: no 'auth_token' key: every request would be refused (copy the "
	    "auth token from the Twilio console, or name a file holding it with "
	    "auth_token_file)", conf->path);
	return -1;
}

/* Parses TEXT as if read from PATH; on error fills ERR and leaves CONF empty. */
int
twh_conf_parse(struct twh_conf *conf, const char *path, const char *text, char *err, size_t errlen)
{
	struct conf_cursor	 c = { conf, path, 0, NULL, err, errlen, 0 };
	const char		*p = text, *nl;
	char			*line;
	size_t			 n;
	int			 rc = 0;

	memset(conf, 0, sizeof(*conf));
	conf->validate_signature = true;
	conf->max_body = TWH_CONF_DEFAULT_MAX_BODY;
	conf->dispatch_backoff_ms = 500;
	conf->dispatch_backoff_max_ms = 60000;
	conf->dispatch_give_up = 900;
	conf->push_give_up = 30;
	conf->delivery_log_days = 14;
	conf->proxy_records_days = 90;
	conf->read_cache_ms = TWH_DB_READ_CACHE_MS;
	conf->log_level = TWH_DIAG_INFO;
	if ((conf->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while (rc == 0 && *p != '\0') {
		c.line++;
		c.key = NULL;
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if ((line = strndup(p, n)) == NULL) {
			rc = conf_fail(&c, "out of memory");
			break;
		}
		rc = conf_line(&c, line);
		free(line);
		p += n + (nl != NULL);
	}
	if (rc == 0)
		rc = conf_check(&c);
	if (rc == -1)
		twh_conf_free(conf);
	return rc;
}

const char *
twh_conf_default_path(void)
{
	const char	*env = getenv("TWHOOK_CONFIG");

	return env != NULL && *env != '\0' ? env : SYSCONFDIR "/twhook.conf";
}

/*
 * Reads the text file PATH whole into TEXT: 0, or -1 with ERR set, naming it WHAT and, when it
 * cannot be opened, adding HINT.
 */
static int
read_text(const char *path, const char *what, const char *hint, struct twh_buf *text, char *err,
    size_t errlen)
{
	FILE	*fp;
	char	 chunk[4096];
	size_t	 n;

	twh_buf_init(text);
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read the %s: %s%s", path, what, strerror(errno),
		    hint);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (twh_buf_add(text, chunk, n) == -1)
			break;
	if (ferror(fp) || n > 0) {
		snprintf(err, errlen, "%s: cannot read the %s", path, what);
		fclose(fp);
		twh_buf_free(text);
		return -1;
	}
	fclose(fp);
	if (text->len != 0 && strlen(text->data) != text->len) {
		snprintf(err, errlen, "%s: the %s holds a NUL byte", path, what);
		twh_buf_free(text);
		return -1;
	}
	return 0;
}

/*
 * The tokens of auth_token_file: one per line, the first the primary, blank lines and
 * surrounding blanks ignored (a trailing newline, say).  Its text is wiped once read.
 */
static int
load_token_file(struct twh_conf *conf, char *err, size_t errlen)
{
	struct conf_cursor	 c = { conf, conf->auth_token_file, 0, "auth_token", err, errlen,
				    0 };
	const struct conf_key	*k = conf_key_named("auth_token");
	struct twh_buf		 text;
	char			*line, *next, *token;
	int			 rc = 0;

	if (read_text(conf->auth_token_file, "auth_token_file", " (it names the file that holds "
	    "the auth token)", &text, err, errlen) == -1)
		return -1;
	for (line = text.data; rc == 0 && line != NULL && *line != '\0'; line = next) {
		c.line++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*(token = trim(line)) != '\0')
			rc = set_tokens(&c, k, conf_field(conf, k->offset), token);
	}
	if (rc == 0 && conf->n_auth_tokens == 0) {
		snprintf(err, errlen, "%s: auth_token_file holds no token (one per line)",
		    conf->auth_token_file);
		rc = -1;
	}
	if (text.data != NULL)
		explicit_bzero(text.data, text.len);
	twh_buf_free(&text);
	return rc;
}

int
twh_conf_load(struct twh_conf *conf, const char *path, char *err, size_t errlen)
{
	struct twh_buf	 text;
	int		 rc;

	if (path == NULL)
		path = twh_conf_default_path();
	memset(conf, 0, sizeof(*conf));
	if (read_text(path, "configuration", " (set TWHOOK_CONFIG or -c to name another file)",
	    &text, err, errlen) == -1)
		return -1;
	rc = twh_conf_parse(conf, path, text.data != NULL ? text.data : "", err, errlen);
	if (text.data != NULL)
		explicit_bzero(text.data, text.len);
	twh_buf_free(&text);
	if (rc == 0 && conf->auth_token_file != NULL &&
	    (rc = load_token_file(conf, err, errlen)) == -1)
		twh_conf_free(conf);
	return rc;
}

/*
 * Whether every user can read PATH: it is readable by others, and so is every directory on
 * the way to it searchable.  Its mode into *MODE.
 */
static bool
world_readable(const char *path, mode_t *mode)
{
	struct stat	 st;
	char		*dir, *slash;
	bool		 reachable = true;

	if (stat(path, &st) == -1 || !(st.st_mode & S_IROTH))
		return false;
	*mode = st.st_mode & 07777;
	if ((dir = realpath(path, NULL)) == NULL)
		return true;
	while (reachable && (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		reachable = stat(dir, &st) == 0 && (st.st_mode & S_IXOTH);
	}
	free(dir);
	return reachable;
}

/* Warns when the file that holds the auth tokens can be read by any user on the machine. */
void
twh_conf_warn_exposed(const struct twh_conf *conf)
{
	const char	*holder = conf->auth_token_file != NULL ? conf->auth_token_file :
			    conf->path;
	mode_t		 mode;

	if (conf->n_auth_tokens > 0 && world_readable(holder, &mode))
		twh_warn("%s holds the auth token and every user can read it (mode %04o): "
		    "chmod o-r %s", holder, (unsigned)mode, holder);
}

/* Frees a secret, leaving no copy behind in freed memory. */
static void
free_secret(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

/* Frees what CONF holds, wiping the secrets: every field that conf_keys[] names, and the path. */
void
twh_conf_free(struct twh_conf *conf)
{
	const struct conf_key	*k;
	char			**field;
	size_t			 j, n;

	free(conf->path);
	for (k = conf_keys; k < conf_keys + N_CONF_KEYS; k++) {
		field = conf_field(conf, k->offset);
		switch (conf_types[k->type].holds) {
		case HOLDS_VALUE:
			break;
		case HOLDS_STRING:
			free(*field);
			break;
		case HOLDS_SECRET:
			free_secret(*field);
			break;
		case HOLDS_SECRETS:
			n = *(size_t *)conf_field(conf, k->count);
			for (j = 0; j < n; j++)
				free_secret(field[j]);
			break;
		}
	}
	memset(conf, 0, sizeof(*conf));
}
