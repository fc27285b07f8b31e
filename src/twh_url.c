/*
 * twh_url.c: the URL Twilio signs (twhook(7), SIGNATURE VALIDATION).  The scheme, host and port
 * come from public_url when configured, else from the CGI environment (forwarded headers only when
 * trust_forwarded says so); the path and query always come from the raw REQUEST_URI, byte for byte.
 * Both settings are the caller's arguments: this module splits and rebuilds URLs, and knows
 * nothing of twhook.conf.
 */
#include <string.h>
#include <strings.h>

#include "twh_url.h"

int
twh_url_split(const char *url, struct twh_url_parts *p)
{
	size_t	 i, at, host;

	memset(p, 0, sizeof(*p));
	if (strncmp(url, "https://", 8) == 0) {
		p->https = true;
		p->authority = 8;
	} else if (strncmp(url, "http://", 7) == 0)
		p->authority = 7;
	else
		return -1;
	p->authority_end = p->authority + strcspn(url + p->authority, "/?#");
	if (p->authority_end == p->authority)
		return -1;
	/* The host starts after any userinfo; a port is digits after the last ':' past an IPv6 ']'. */
	host = p->authority;
	for (at = p->authority; at < p->authority_end; at++)
		if (url[at] == '@')
			host = at + 1;
	for (i = p->authority_end; i > host; i--) {
		if (url[i - 1] == ']')
			break;
		if (url[i - 1] == ':') {
			p->port = i - 1;
			break;
		}
	}
	if (p->port != 0) {
		if (p->port + 1 == p->authority_end)
			return -1;
		for (i = p->port + 1; i < p->authority_end; i++)
			if (url[i] < '0' || url[i] > '9')
				return -1;
	}
	if (p->port == host)
		return -1;
	p->rest = url + p->authority_end;
	return 0;
}

/*
 * Writes URL with its port toggled: a URL with a port loses it, one without gets the scheme's
 * default port.  Twilio has signed both forms over the years.
 */
int
twh_url_toggle_port(const char *url, struct twh_buf *out)
{
	struct twh_url_parts	 p;

	if (twh_url_split(url, &p) == -1)
		return -1;
	twh_buf_reset(out);
	if (p.port != 0) {
		if (twh_buf_add(out, url, p.port) == -1 || twh_buf_adds(out, p.rest) == -1)
			return -1;
	} else if (twh_buf_add(out, url, p.authority_end) == -1 ||
	    twh_buf_adds(out, p.https ? ":443" : ":80") == -1 || twh_buf_adds(out, p.rest) == -1)
		return -1;
	return 0;
}

/* The query string of URL (after '?'), or NULL. */
const char *
twh_url_query(const char *url)
{
	const char	*q = strchr(url, '?');

	return q != NULL ? q + 1 : NULL;
}

static const char *
env(twh_getenv_fn *get, void *ctx, const char *name)
{
	const char	*v = get(ctx, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Adds the first element of a comma-separated forwarded header, trimmed. */
static int
add_first_forwarded(struct twh_buf *out, const char *value)
{
	size_t	 n;

	value += strspn(value, " \t");
	n = strcspn(value, ", \t");
	return n == 0 ? -1 : twh_buf_add(out, value, n);
}

static int
add_origin_from_env(bool trust_forwarded, twh_getenv_fn *get, void *ctx, struct twh_buf *out)
{
	const char	*https, *proto, *host, *name, *port;
	bool		 tls;

	https = env(get, ctx, "HTTPS");
	tls = https != NULL && (strcmp(https, "on") == 0 || strcmp(https, "1") == 0);
	proto = trust_forwarded ? env(get, ctx, "HTTP_X_FORWARDED_PROTO") : NULL;
	if (proto != NULL) {
		if (add_first_forwarded(out, proto) == -1)
			return -1;
	} else if (twh_buf_adds(out, tls ? "https" : "http") == -1)
		return -1;
	if (strcmp(out->data, "http") != 0 && strcmp(out->data, "https") != 0)
		return -1;
	if (twh_buf_adds(out, "://") == -1)
		return -1;

	host = trust_forwarded ? env(get, ctx, "HTTP_X_FORWARDED_HOST") : NULL;
	if (host != NULL)
		return add_first_forwarded(out, host);
	if ((host = env(get, ctx, "HTTP_HOST")) != NULL)
		return twh_buf_adds(out, host);
	if ((name = env(get, ctx, "SERVER_NAME")) == NULL)
		return -1;
	port = env(get, ctx, "SERVER_PORT");
	if (port == NULL || strcmp(port, tls ? "443" : "80") == 0)
		return twh_buf_adds(out, name);
	return twh_buf_printf(out, "%s:%s", name, port);
}

/*
 * The path and query of URI: itself, or, for a request line in absolute form
 * ("POST http://host/path HTTP/1.1", which Apache passes on whole), what follows the host.
 */
static const char *
origin_form(const char *uri)
{
	const char	*slash;

	if (strncasecmp(uri, "http://", 7) != 0 && strncasecmp(uri, "https://", 8) != 0)
		return uri;
	slash = strchr(strstr(uri, "://") + 3, '/');
	return slash != NULL ? slash : "/";
}

static int
add_request_uri(twh_getenv_fn *get, void *ctx, struct twh_buf *out)
{
	const char	*uri, *script, *info, *query;

	if ((uri = env(get, ctx, "REQUEST_URI")) != NULL)
		return twh_buf_adds(out, origin_form(uri));
	/* A CGI server that does not set REQUEST_URI: rebuild it from its parts. */
	script = env(get, ctx, "SCRIPT_NAME");
	info = env(get, ctx, "PATH_INFO");
	query = env(get, ctx, "QUERY_STRING");
	if (script == NULL && info == NULL)
		return twh_buf_addc(out, '/');
	if ((script != NULL && twh_buf_adds(out, script) == -1) ||
	    (info != NULL && twh_buf_adds(out, info) == -1))
		return -1;
	return query != NULL ? twh_buf_printf(out, "?%s", query) : 0;
}

/*
 * Writes the full URL of the current request into OUT; -1 when it cannot be known.  PUBLIC_URL
 * and TRUST_FORWARDED are twhook.conf's public_url (NULL when not set) and trust_forwarded.
 */
int
twh_url_public(const char *public_url, bool trust_forwarded, twh_getenv_fn *get, void *ctx,
    struct twh_buf *out)
{
	twh_buf_reset(out);
	if (public_url != NULL) {
		if (twh_buf_adds(out, public_url) == -1)
			return -1;
	} else if (add_origin_from_env(trust_forwarded, get, ctx, out) == -1)
		return -1;
	return add_request_uri(get, ctx, out);
}
