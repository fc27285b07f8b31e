/*
 * twh_conf.c: parses twhook.conf(5): "key = value" lines, '#' comment lines, blank lines.
 * Every error names the file, the line and the key, and says what was expected; unknown keys
 * are errors too, so that a misspelt key is not silently ignored.  Values are kept verbatim
 * (an auth token may hold any printable character) and never written to a log.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_conf.h"
#include "twh_url.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define MAX_BODY_LIMIT	(16UL * 1024 * 1024)

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

static int
conf_set_string(struct conf_cursor *c, char **slot, const char *value)
{
	if (*value == '\0')
		return conf_fail(c, "the value is empty");
	free(*slot);
	if ((*slot = strdup(value)) == NULL)
		return conf_fail(c, "out of memory");
	return 0;
}

static int
conf_set_bool(struct conf_cursor *c, bool *slot, const char *value)
{
	if (strcmp(value, "yes") == 0)
		*slot = true;
	else if (strcmp(value, "no") == 0)
		*slot = false;
	else
		return conf_fail(c, "expected yes or no, not '%s'", value);
	return 0;
}

static int
conf_set_auth_token(struct conf_cursor *c, const char *value)
{
	struct twh_conf	*conf = c->conf;

	if (*value == '\0')
		return conf_fail(c, "the value is empty");
	if (conf->n_auth_tokens == TWH_CONF_MAX_TOKENS)
		return conf_fail(c, "more than %d tokens", TWH_CONF_MAX_TOKENS);
	if ((conf->auth_tokens[conf->n_auth_tokens] = strdup(value)) == NULL)
		return conf_fail(c, "out of memory");
	conf->n_auth_tokens++;
	return 0;
}

/* PREFIX and 32 hexadecimal digits: an account or API key SID. */
static bool
sid_like(const char *v, const char *prefix)
{
	return strncmp(v, prefix, 2) == 0 && strlen(v) == 34 &&
	    strspn(v + 2, "0123456789abcdefABCDEF") == 32;
}

static int
conf_set_account_sid(struct conf_cursor *c, const char *value)
{
	if (!sid_like(value, "AC"))
		return conf_fail(c, "expected AC followed by 32 hexadecimal digits, not '%s'", value);
	return conf_set_string(c, &c->conf->account_sid, value);
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

static int
conf_set_url(struct conf_cursor *c, char **slot, const char *value, bool origin_only)
{
	struct twh_url_parts	 parts;

	if (twh_url_split(value, &parts) == -1)
		return conf_fail(c, "expected http://host[:port] or https://host[:port], not '%s'",
		    value);
	if (origin_only && strcmp(parts.rest, "") != 0 && strcmp(parts.rest, "/") != 0)
		return conf_fail(c, "give scheme://host[:port] only, without a path: '%s'", value);
	if (conf_set_string(c, slot, value) == -1)
		return -1;
	/* Kept without trailing slashes, so that every user can append a path starting with '/'. */
	(*slot)[strlen(*slot) - trailing_slashes(*slot)] = '\0';
	return 0;
}

static int
conf_set_max_body(struct conf_cursor *c, const char *value)
{
	unsigned long	 n;
	char		*end;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 ||
	    n < 1024 || n > MAX_BODY_LIMIT)
		return conf_fail(c, "expected a number of bytes from 1024 to 16777216, not '%s'",
		    value);
	c->conf->max_body = n;
	return 0;
}

/* A whole number from MIN to MAX into *SLOT. */
static int
conf_set_number(struct conf_cursor *c, long *slot, const char *value, long min, long max)
{
	long	 n;
	char	*end;

	errno = 0;
	n = strtol(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || n < min || n > max)
		return conf_fail(c, "expected a whole number from %ld to %ld, not '%s'", min, max,
		    value);
	*slot = n;
	return 0;
}

static int
conf_set_log_level(struct conf_cursor *c, const char *value)
{
	if (twh_diag_level_parse(value, &c->conf->log_level) == -1)
		return conf_fail(c, "expected error, warning, info or debug, not '%s'", value);
	return 0;
}

/* Setters for the table below, one per key that needs a slot. */
static int
set_database(struct conf_cursor *c, const char *v)
{
	return conf_set_string(c, &c->conf->database, v);
}

static int
set_public_url(struct conf_cursor *c, const char *v)
{
	return conf_set_url(c, &c->conf->public_url, v, true);
}

static int
set_api_base_url(struct conf_cursor *c, const char *v)
{
	return conf_set_url(c, &c->conf->api_base_url, v, false);
}

static int
set_api_key_sid(struct conf_cursor *c, const char *v)
{
	if (!sid_like(v, "SK"))
		return conf_fail(c, "expected SK followed by 32 hexadecimal digits, not '%s'", v);
	return conf_set_string(c, &c->conf->api_key_sid, v);
}

static int
set_api_key_secret(struct conf_cursor *c, const char *v)
{
	return conf_set_string(c, &c->conf->api_key_secret, v);
}

static int
set_dispatch_backoff_ms(struct conf_cursor *c, const char *v)
{
	return conf_set_number(c, &c->conf->dispatch_backoff_ms, v, 1, 3600000);
}

static int
set_dispatch_backoff_max_ms(struct conf_cursor *c, const char *v)
{
	return conf_set_number(c, &c->conf->dispatch_backoff_max_ms, v, 1, 3600000);
}

static int
set_dispatch_give_up(struct conf_cursor *c, const char *v)
{
	return conf_set_number(c, &c->conf->dispatch_give_up, v, 1, 7 * 86400);
}

static int
set_push_give_up(struct conf_cursor *c, const char *v)
{
	return conf_set_number(c, &c->conf->push_give_up, v, 1, 3600);
}

static int
set_push_webhook_secret(struct conf_cursor *c, const char *v)
{
	if (strlen(v) < 16)
		return conf_fail(c, "a secret of at least 16 characters is needed");
	return conf_set_string(c, &c->conf->push_webhook_secret, v);
}

static int
set_delivery_log(struct conf_cursor *c, const char *v)
{
	return conf_set_string(c, &c->conf->delivery_log, v);
}

static int
set_delivery_log_days(struct conf_cursor *c, const char *v)
{
	return conf_set_number(c, &c->conf->delivery_log_days, v, 0, 3650);
}

static int
set_delivery_log_params(struct conf_cursor *c, const char *v)
{
	static const char *const names[] = { "redacted", "all", "none" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0) {
			c->conf->delivery_log_params = (enum twh_deliverylog_params)i;
			return 0;
		}
	return conf_fail(c, "expected redacted, all or none, not '%s'", v);
}

static int
set_ca_file(struct conf_cursor *c, const char *v)
{
	return conf_set_string(c, &c->conf->ca_file, v);
}

static int
set_fcm_service_account(struct conf_cursor *c, const char *v)
{
	return conf_set_string(c, &c->conf->fcm_service_account, v);
}

static int
set_fcm_url(struct conf_cursor *c, const char *v)
{
	return conf_set_url(c, &c->conf->fcm_url, v, false);
}

static int
set_fcm_token_url(struct conf_cursor *c, const char *v)
{
	return conf_set_url(c, &c->conf->fcm_token_url, v, false);
}

/* A name made of letters, digits and PUNCT, of MIN to MAX characters, into *SLOT. */
static int
conf_set_name(struct conf_cursor *c, char **slot, const char *v, const char *punct,
    size_t min, size_t max)
{
	size_t	 n = strlen(v), i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && (*punct == '\0' || strchr(punct, v[i]) == NULL))
			break;
	if (i < n || n < min || n > max)
		return conf_fail(c, "expected %zu to %zu letters or digits%s%s, not '%s'", min, max,
		    *punct != '\0' ? " or any of " : "", punct, v);
	return conf_set_string(c, slot, v);
}

static int
set_fcm_project(struct conf_cursor *c, const char *v)
{
	return conf_set_name(c, &c->conf->fcm_project, v, "-", 1, 100);
}

static int
set_apns_key(struct conf_cursor *c, const char *v)
{
	return conf_set_string(c, &c->conf->apns_key, v);
}

static int
set_apns_key_id(struct conf_cursor *c, const char *v)
{
	return conf_set_name(c, &c->conf->apns_key_id, v, "", 10, 10);
}

static int
set_apns_team_id(struct conf_cursor *c, const char *v)
{
	return conf_set_name(c, &c->conf->apns_team_id, v, "", 10, 10);
}

static int
set_apns_bundle_id(struct conf_cursor *c, const char *v)
{
	return conf_set_name(c, &c->conf->apns_bundle_id, v, ".-", 1, 155);
}

static int
set_apns_url(struct conf_cursor *c, const char *v)
{
	return conf_set_url(c, &c->conf->apns_url, v, true);
}

static int
set_trust_forwarded(struct conf_cursor *c, const char *v)
{
	return conf_set_bool(c, &c->conf->trust_forwarded, v);
}

static int
set_validate_signature(struct conf_cursor *c, const char *v)
{
	return conf_set_bool(c, &c->conf->validate_signature, v);
}

static const struct conf_key {
	const char	*name;
	bool		 repeatable;
	int		(*set)(struct conf_cursor *, const char *);
} conf_keys[] = {
	{ "database", false, set_database },
	{ "auth_token", true, conf_set_auth_token },
	{ "account_sid", false, conf_set_account_sid },
	{ "public_url", false, set_public_url },
	{ "trust_forwarded", false, set_trust_forwarded },
	{ "validate_signature", false, set_validate_signature },
	{ "api_base_url", false, set_api_base_url },
	{ "api_key_sid", false, set_api_key_sid },
	{ "api_key_secret", false, set_api_key_secret },
	{ "dispatch_backoff_ms", false, set_dispatch_backoff_ms },
	{ "dispatch_backoff_max_ms", false, set_dispatch_backoff_max_ms },
	{ "dispatch_give_up", false, set_dispatch_give_up },
	{ "push_give_up", false, set_push_give_up },
	{ "push_webhook_secret", false, set_push_webhook_secret },
	{ "ca_file", false, set_ca_file },
	{ "fcm_service_account", false, set_fcm_service_account },
	{ "fcm_url", false, set_fcm_url },
	{ "fcm_token_url", false, set_fcm_token_url },
	{ "fcm_project", false, set_fcm_project },
	{ "apns_key", false, set_apns_key },
	{ "apns_key_id", false, set_apns_key_id },
	{ "apns_team_id", false, set_apns_team_id },
	{ "apns_bundle_id", false, set_apns_bundle_id },
	{ "apns_url", false, set_apns_url },
	{ "max_body", false, conf_set_max_body },
	{ "delivery_log", false, set_delivery_log },
	{ "delivery_log_days", false, set_delivery_log_days },
	{ "delivery_log_params", false, set_delivery_log_params },
	{ "log_level", false, conf_set_log_level },
};
_Static_assert(sizeof(conf_keys) / sizeof(conf_keys[0]) <= 8 * sizeof(unsigned long),
    "a conf_cursor's seen has a bit per key");

static int
conf_set(struct conf_cursor *c, const char *key, const char *value)
{
	size_t	 i;

	c->key = key;
	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		if (strcmp(key, conf_keys[i].name) != 0)
			continue;
		if (!conf_keys[i].repeatable && (c->seen & (1ul << i)))
			return conf_fail(c, "given twice");
		c->seen |= 1ul << i;
		return conf_keys[i].set(c, value);
	}
	return conf_fail(c, "unknown key (see twhook.conf(5))");
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
		snprintf(c->err, c->errlen, "%s: no 'database' key: name the SQLite store", c->path);
		return -1;
	}
	if (conf->delivery_log == NULL && default_delivery_log(conf) == -1) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->path);
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
	    "auth token from the Twilio console)", conf->path);
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

int
twh_conf_load(struct twh_conf *conf, const char *path, char *err, size_t errlen)
{
	struct twh_buf	 text;
	FILE		*fp;
	char		 chunk[4096];
	size_t		 n;
	int		 rc;

	if (path == NULL)
		path = twh_conf_default_path();
	memset(conf, 0, sizeof(*conf));
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read the configuration: %s "
		    "(set TWHOOK_CONFIG or -c to name another file)", path, strerror(errno));
		return -1;
	}
	twh_buf_init(&text);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (twh_buf_add(&text, chunk, n) == -1)
			break;
	if (ferror(fp) || n > 0) {
		snprintf(err, errlen, "%s: cannot read the configuration", path);
		fclose(fp);
		twh_buf_free(&text);
		return -1;
	}
	fclose(fp);
	if (text.len != 0 && strlen(text.data) != text.len) {
		snprintf(err, errlen, "%s: the configuration holds a NUL byte", path);
		twh_buf_free(&text);
		return -1;
	}
	rc = twh_conf_parse(conf, path, text.data != NULL ? text.data : "", err, errlen);
	twh_buf_free(&text);
	return rc;
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

void
twh_conf_free(struct twh_conf *conf)
{
	size_t	 i;

	free(conf->path);
	free(conf->database);
	for (i = 0; i < conf->n_auth_tokens; i++)
		free_secret(conf->auth_tokens[i]);
	free(conf->account_sid);
	free(conf->public_url);
	free(conf->api_base_url);
	free(conf->api_key_sid);
	free_secret(conf->api_key_secret);
	free_secret(conf->push_webhook_secret);
	free(conf->ca_file);
	free(conf->fcm_service_account);
	free(conf->fcm_url);
	free(conf->fcm_token_url);
	free(conf->fcm_project);
	free(conf->apns_key);
	free(conf->apns_key_id);
	free(conf->apns_team_id);
	free(conf->apns_bundle_id);
	free(conf->apns_url);
	free(conf->delivery_log);
	memset(conf, 0, sizeof(*conf));
}
