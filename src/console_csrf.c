/*
 * console_csrf.c: the gate of every write action of the console.  A write is refused (403)
 * unless console_write = yes, the request is not cross-site (Sec-Fetch-Site, or an Origin that
 * is neither this Host nor public_url) and its form carries a CSRF token the console made for
 * this user.  The token is HMAC-SHA256 over the user (REMOTE_USER, or "-") and the hour,
 * keyed by a secret derived from the first auth token with a fixed label, so that it is the
 * same in every process and never the token itself; it is good in its hour and the next, and
 * compared in constant time.  Without an auth token there is no key, and no write.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "console.h"
#include "twh_base64.h"
#include "twh_form.h"

#define CSRF_LABEL	"twhook-console CSRF key v1"
#define CSRF_PERIOD_S	3600
#define CSRF_HEX	64
#define CSRF_BODY_MAX	4096

static int
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	size_t	 outlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, msg, len, out, 32,
	    &outlen) == NULL || outlen != 32)
		return -1;
	return 0;
}

/* The token of C's user for the period PERIOD, in hex. */
static int
token_for(const struct console *c, long long period, char out[CSRF_HEX + 1])
{
	const char	*secret = c->ctx->conf.auth_tokens[0];
	unsigned char	 key[32], mac[32];
	char		 msg[512];
	int		 n, rc;

	n = snprintf(msg, sizeof(msg), "%s\n%lld", c->user != NULL ? c->user : "-", period);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -1;
	rc = hmac_sha256(secret, strlen(secret), CSRF_LABEL, strlen(CSRF_LABEL), key);
	if (rc == 0)
		rc = hmac_sha256(key, sizeof(key), msg, (size_t)n, mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == 0)
		twh_hex_encode(mac, sizeof(mac), out);
	return rc;
}

/* Whether the console may write at all: console_write = yes, and a key for its tokens. */
bool
console_can_write(const struct console *c)
{
	return c->ctx->conf.console_write && c->ctx->conf.n_auth_tokens > 0;
}

/* The token a form of this page carries: 0, or -1. */
int
console_csrf_token(const struct console *c, char out[CSRF_HEX + 1])
{
	return token_for(c, (long long)(time(NULL) / CSRF_PERIOD_S), out);
}

/* The hidden field of a form that writes. */
void
console_csrf_field(struct console *c)
{
	char	 token[CSRF_HEX + 1];

	if (console_csrf_token(c, token) == 0)
		console_printf(c, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", token);
}

/* Whether GIVEN is the token of this hour or the last, compared in constant time. */
static bool
token_valid(const struct console *c, const char *given)
{
	long long	 now = (long long)(time(NULL) / CSRF_PERIOD_S);
	char		 want[CSRF_HEX + 1];
	bool		 valid = false;
	int		 i;

	if (given == NULL || strlen(given) != CSRF_HEX)
		return false;
	for (i = 0; i < 2; i++)
		if (token_for(c, now - i, want) == 0 && CRYPTO_memcmp(want, given, CSRF_HEX) == 0)
			valid = true;
	OPENSSL_cleanse(want, sizeof(want));
	return valid;
}

/* Whether ORIGIN ("scheme://host[:port]") is this Host or public_url. */
static bool
same_origin(const struct console *c, const char *origin)
{
	const char	*host = twh_request_env(c->req, "HTTP_HOST");
	const char	*public_url = c->ctx->conf.public_url;
	const char	*rest = strstr(origin, "://");

	if (public_url != NULL && strcasecmp(origin, public_url) == 0)
		return true;
	return rest != NULL && host != NULL && strcasecmp(rest + 3, host) == 0;
}

/* Whether the browser says the request came from another site. */
static bool
cross_site(const struct console *c)
{
	const char	*site = twh_request_header(c->req, "Sec-Fetch-Site");
	const char	*origin = twh_request_header(c->req, "Origin");

	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return true;
	return origin != NULL && !same_origin(c, origin);
}

/* Reads the POST's form into the request's parameters: true, or false with the refusal. */
static bool
read_form(struct console *c)
{
	const char	*why = NULL;
	int		 status;

	twh_request_media_type(c->req);
	if (c->req->media_type == NULL ||
	    strcmp(c->req->media_type, "application/x-www-form-urlencoded") != 0) {
		console_error(c, 415, "The action takes a form (application/x-www-form-urlencoded).");
		return false;
	}
	if ((status = twh_request_read_body(c->req, c->res, CSRF_BODY_MAX)) != 0) {
		console_error(c, status, c->res->log_reason);
		return false;
	}
	twh_params_free(&c->req->params);
	twh_params_init(&c->req->params);
	if (twh_form_parse(c->req->body.data, c->req->body.len, &c->req->params, &why) != 0) {
		console_error(c, 400, why != NULL ? why : "the form does not decode");
		return false;
	}
	return true;
}

/* The gate of a write action: true to go on, false with the refusal answered. */
bool
console_write_allowed(struct console *c)
{
	if (!c->ctx->conf.console_write) {
		console_error(c, 403, "The console only reads: console_write = no in twhook.conf.");
		return false;
	}
	if (!console_can_write(c)) {
		console_error(c, 403, "The console has no auth_token to key its CSRF tokens with, "
		    "so it does not write.");
		return false;
	}
	if (cross_site(c)) {
		console_error(c, 403, "The request came from another site.");
		return false;
	}
	if (!read_form(c))
		return false;
	if (!token_valid(c, twh_request_param(c->req, "csrf"))) {
		console_error(c, 403, "The form's CSRF token is missing, wrong or too old: load the "
		    "page again and repeat the action.");
		return false;
	}
	return true;
}
