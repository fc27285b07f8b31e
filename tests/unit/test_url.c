/* test_url.c: URL splitting, port toggling, and the public URL rebuilt from configuration or CGI variables. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_conf.h"
#include "twh_url.h"

static const char *const *fake_env;

static const char *
fake_getenv(void *ctx, const char *name)
{
	size_t	 n = strlen(name);

	(void)ctx;
	for (const char *const *e = fake_env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static void
toggled(const char *url, const char *want)
{
	struct twh_buf	 out;

	twh_buf_init(&out);
	if (want == NULL)
		ok(twh_url_toggle_port(url, &out) == -1, "%s has no port to toggle", url);
	else if (ok(twh_url_toggle_port(url, &out) == 0, "%s toggles", url))
		is_str(out.data, want, url);
	twh_buf_free(&out);
}

static void
public(const struct twh_conf *conf, const char *const *env, const char *want, const char *name)
{
	struct twh_buf	 out;
	int		 rc;

	fake_env = env;
	twh_buf_init(&out);
	rc = twh_url_public(conf->public_url, conf->trust_forwarded, fake_getenv, NULL, &out);
	if (want == NULL)
		ok(rc == -1, "%s: cannot be known", name);
	else
		is_str(rc == 0 ? out.data : NULL, want, name);
	twh_buf_free(&out);
}

int
main(void)
{
	struct twh_conf	 conf;

	toggled("https://a.example/x?y=1", "https://a.example:443/x?y=1");
	toggled("http://a.example/x", "http://a.example:80/x");
	toggled("https://a.example:8443/x", "https://a.example/x");
	toggled("https://a.example", "https://a.example:443");
	toggled("https://u:p@a.example/x", "https://u:p@a.example:443/x");
	toggled("https://u:p@a.example:1234/x", "https://u:p@a.example/x");
	toggled("http://[::1]:8080/x", "http://[::1]/x");
	toggled("http://[::1]/x", "http://[::1]:80/x");
	toggled("https://a.example:443//x", "https://a.example//x");
	toggled("https://a.example/p:80/x", "https://a.example:443/p:80/x");
	toggled("ftp://a.example/x", NULL);
	toggled("https://a.example:/x", NULL);
	toggled("https://a.example:12ab/x", NULL);
	toggled("https:///x", NULL);

	memset(&conf, 0, sizeof(conf));
	public(&conf, (const char *const[]){ "HTTP_HOST=h.example:8080", "REQUEST_URI=/crm?a=%20",
	    NULL }, "http://h.example:8080/crm?a=%20", "HTTP_HOST and the raw REQUEST_URI");
	public(&conf, (const char *const[]){ "HTTP_HOST=h.example", "REQUEST_URI=HTTP://h.example/crm?a=1",
	    NULL }, "http://h.example/crm?a=1", "a request line in absolute form: its path and query");
	public(&conf, (const char *const[]){ "HTTP_HOST=h.example", "REQUEST_URI=https://h.example",
	    NULL }, "http://h.example/", "an absolute form without a path: /");
	public(&conf, (const char *const[]){ "HTTPS=on", "HTTP_HOST=h.example",
	    "REQUEST_URI=/crm", NULL }, "https://h.example/crm", "HTTPS=on");
	public(&conf, (const char *const[]){ "SERVER_NAME=h.example", "SERVER_PORT=81",
	    "REQUEST_URI=/crm", NULL }, "http://h.example:81/crm", "SERVER_NAME and a port");
	public(&conf, (const char *const[]){ "SERVER_NAME=h.example", "SERVER_PORT=80",
	    "SCRIPT_NAME=/cgi-bin/crm", "QUERY_STRING=x=1", NULL },
	    "http://h.example/cgi-bin/crm?x=1", "no REQUEST_URI: SCRIPT_NAME and QUERY_STRING");
	public(&conf, (const char *const[]){ "REQUEST_URI=/crm", NULL }, NULL, "no host at all");
	public(&conf, (const char *const[]){ "HTTP_HOST=inner:8080", "REQUEST_URI=/crm",
	    "HTTP_X_FORWARDED_PROTO=https", "HTTP_X_FORWARDED_HOST=evil.example", NULL },
	    "http://inner:8080/crm", "forwarded headers are ignored by default");
	conf.trust_forwarded = true;
	public(&conf, (const char *const[]){ "HTTP_HOST=inner:8080", "REQUEST_URI=/crm",
	    "HTTP_X_FORWARDED_PROTO=https, http", "HTTP_X_FORWARDED_HOST=hooks.example, inner",
	    NULL }, "https://hooks.example/crm", "trusted forwarded headers, first element");
	public(&conf, (const char *const[]){ "HTTP_HOST=inner", "REQUEST_URI=/crm",
	    "HTTP_X_FORWARDED_PROTO=gopher", NULL }, NULL, "a forwarded scheme that is not http(s)");
	conf.public_url = "https://hooks.example:8443";
	public(&conf, (const char *const[]){ "HTTP_HOST=inner:8080", "REQUEST_URI=/crm?x=%2F",
	    "HTTP_X_FORWARDED_HOST=other.example", NULL }, "https://hooks.example:8443/crm?x=%2F",
	    "public_url wins over the server's host and forwarded headers");
	return done_testing();
}
