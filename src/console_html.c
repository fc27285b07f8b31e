/*
 * console_html.c: the console's HTML: the one escaping function every value goes through
 * (& < > " ' as entities), the frame of every page (title, the inline stylesheet, the
 * navigation of the routes that have a label, links under SCRIPT_NAME so that the console
 * works wherever the web server mounts it), error pages and redirects, and the headers of
 * every answer.  The stylesheet is allowed by its hash in the Content-Security-Policy, which
 * allows nothing else: no script, no other origin, no frame around the page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "console.h"
#include "twh_base64.h"
#include "twh_diag.h"

static const char stylesheet[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
    "header{background:#234;padding:.5em 1em}header a{color:#fff;margin-right:1.2em}"
    "header a[aria-current]{font-weight:bold;text-decoration:none}"
    "header .user{color:#cde;float:right}main{padding:0 1em 2em}"
    "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;"
    "padding:.25em .5em;text-align:left;vertical-align:top}td.n{text-align:right}"
    "pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:40em}"
    ".notice{background:#e6f4e6;border:1px solid #8b8;padding:.5em}"
    ".error{background:#fbe9e9;border:1px solid #c88;padding:.5em}"
    "form{display:inline}small{color:#666}";

/* Appends S's LEN bytes to OUT with & < > " ' as entities: how every value enters a page. */
void
console_escape(struct twh_buf *out, const char *s, size_t len)
{
	const char	*entity;
	size_t		 i, start = 0;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': entity = "&amp;"; break;
		case '<': entity = "&lt;"; break;
		case '>': entity = "&gt;"; break;
		case '"': entity = "&quot;"; break;
		case '\'': entity = "&#39;"; break;
		default: continue;
		}
		twh_buf_add(out, s + start, i - start);
		twh_buf_adds(out, entity);
		start = i + 1;
	}
	twh_buf_add(out, s + start, len - start);
}

/* Text from the store or the request, escaped. */
void
console_text(struct console *c, const char *s)
{
	if (s != NULL)
		console_escape(c->html, s, strlen(s));
}

/* Markup written by the console itself: never a value from outside. */
void
console_raw(struct console *c, const char *markup)
{
	twh_buf_adds(c->html, markup);
}

/* Markup and numbers: every %s of FMT must be the console's own text, never a value. */
void
console_printf(struct console *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	twh_buf_vprintf(c->html, fmt, ap);
	va_end(ap);
}

/* The URL of PATH under SCRIPT_NAME, with QUERY (already URL-encoded) when not NULL, escaped. */
static void
href(struct console *c, const char *path, const char *query)
{
	console_text(c, c->base);
	console_text(c, path);
	if (query != NULL && *query != '\0') {
		console_raw(c, "?");
		console_text(c, query);
	}
}

void
console_link(struct console *c, const char *path, const char *query, const char *label)
{
	console_raw(c, "<a href=\"");
	href(c, path, query);
	console_raw(c, "\">");
	console_text(c, label);
	console_raw(c, "</a>");
}

/* The stylesheet's hash as a CSP source ('sha256-...'), made once. */
static const char *
style_source(void)
{
	static char		 source[80];
	unsigned char		 digest[32];
	unsigned int		 len = 0;
	struct twh_buf		 b64;

	if (source[0] != '\0')
		return source;
	twh_buf_init(&b64);
	if (EVP_Digest(stylesheet, sizeof(stylesheet) - 1, digest, &len, EVP_sha256(), NULL) == 1 &&
	    twh_base64_encode(digest, len, false, &b64) == 0)
		snprintf(source, sizeof(source), "'sha256-%s'", b64.data);
	twh_buf_free(&b64);
	return source[0] != '\0' ? source : "'none'";
}

/* The headers of every answer, whatever its status. */
void
console_headers(struct console *c)
{
	char	 csp[256];

	snprintf(csp, sizeof(csp), "default-src 'none'; style-src %s; img-src 'self' data:; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'", style_source());
	twh_response_header(c->res, "Content-Security-Policy", csp);
	twh_response_header(c->res, "X-Content-Type-Options", "nosniff");
	twh_response_header(c->res, "Referrer-Policy", "same-origin");
	twh_response_header(c->res, "Cache-Control", "no-store");
	twh_response_header(c->res, "X-Frame-Options", "DENY");
	if (c->res->content_type == NULL)	/* a page's; /metrics says its own */
		c->res->content_type = "text/html; charset=utf-8";
}

/* The page's head, the navigation and its heading TITLE. */
void
console_page_begin(struct console *c, const char *title)
{
	const struct console_route	*r;

	twh_buf_reset(c->html);
	console_raw(c, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    /* No icon: a browser would otherwise ask the web server for /favicon.ico. */
	    "<link rel=\"icon\" href=\"data:,\"><title>");
	console_text(c, title);
	console_printf(c, " - twhook console</title><style>%s</style></head>\n<body><header>",
	    stylesheet);
	if (c->user != NULL) {
		console_raw(c, "<span class=\"user\">");
		console_text(c, c->user);
		console_raw(c, "</span>");
	}
	console_raw(c, "<nav>");
	for (r = c->app->routes; r->path != NULL; r++) {
		if (r->nav == NULL)
			continue;
		console_raw(c, "<a href=\"");
		href(c, r->path, NULL);
		console_raw(c, r == c->route ? "\" aria-current=\"page\">" : "\">");
		console_text(c, r->nav);
		console_raw(c, "</a>");
	}
	console_raw(c, "</nav></header>\n<main><h1>");
	console_text(c, title);
	console_raw(c, "</h1>\n");
}

void
console_page_end(struct console *c, int status)
{
	console_raw(c, "</main></body></html>\n");
	c->res->status = status;
}

/* An error page: STATUS, its reason as the title, and MESSAGE. */
void
console_error(struct console *c, int status, const char *message)
{
	console_page_begin(c, twh_status_text(status));
	console_raw(c, "<p class=\"error\">");
	console_text(c, message);
	console_raw(c, "</p>\n");
	console_page_end(c, status);
	snprintf(c->res->log_reason, sizeof(c->res->log_reason), "%s", message);
}

/* The answer to a store that failed: 503, the reason in the log only. */
void
console_store_failed(struct console *c)
{
	twh_err("%s", twh_store_error(c->ctx->store));
	console_error(c, 503, "The store cannot be read now; the console's log says why.");
}

/* 303 See Other to PATH (and QUERY) under SCRIPT_NAME: where a write action sends the browser. */
void
console_redirect(struct console *c, const char *path, const char *query)
{
	struct twh_buf	 location;

	twh_buf_init(&location);
	twh_buf_printf(&location, "%s%s%s%s", c->base, path, query != NULL ? "?" : "",
	    query != NULL ? query : "");
	twh_response_header(c->res, "Location", location.data != NULL ? location.data : "/");
	twh_buf_free(&location);
	console_page_begin(c, twh_status_text(303));
	console_raw(c, "<p>");
	console_link(c, path, query, "Continue");
	console_raw(c, "</p>\n");
	console_page_end(c, 303);
}

/* SECONDS since the epoch as UTC, or a dash for none. */
void
console_time(struct console *c, double seconds)
{
	char		 when[32];
	time_t		 t = (time_t)seconds;
	struct tm	 tm;

	if (seconds <= 0 || gmtime_r(&t, &tm) == NULL) {
		console_raw(c, "-");
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	console_printf(c, "%s&nbsp;UTC", when);
}

/* A table row: LABEL and its COUNT. */
void
console_count_row(struct console *c, const char *label, long long count)
{
	console_raw(c, "<tr><th scope=\"row\">");
	console_text(c, label);
	console_printf(c, "</th><td class=\"n\">%lld</td></tr>\n", count);
}
