/*
 * twh_http_client.c: one libcurl easy handle reused for every call, so connections to the same
 * host are kept alive between jobs.  A call either gets an HTTP answer (any status; the body is
 * kept, bounded) or fails with curl's own words in the answer's error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "twh_http_client.h"

#define ANSWER_MAX	(256 * 1024)

struct twh_http_client {
	CURL		*curl;
	long		 timeout_ms;
	const char	*ca_file;	/* NULL: the system's certificate authorities */
};

struct twh_http_client *
twh_http_client_new(long timeout_ms, const char *ca_file)
{
	struct twh_http_client	*c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->curl = curl_easy_init()) == NULL) {
		free(c);
		return NULL;
	}
	c->timeout_ms = timeout_ms;
	c->ca_file = ca_file;
	return c;
}

void
twh_http_client_free(struct twh_http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void
twh_http_answer_free(struct twh_http_answer *a)
{
	twh_buf_free(&a->body);
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct twh_buf	*body = arg;

	if (body->len + size * n > ANSWER_MAX)
		return 0;
	return twh_buf_add(body, data, size * n) == 0 ? size * n : 0;
}

/* Appends NAME=VALUE, percent-encoded, to the form FORM. */
int
twh_http_form_add(struct twh_buf *form, const char *name, const char *value)
{
	char	*n = curl_easy_escape(NULL, name, 0), *v = curl_easy_escape(NULL, value, 0);
	int	 rc = -1;

	if (n != NULL && v != NULL)
		rc = twh_buf_printf(form, "%s%s=%s", form->len > 0 ? "&" : "", n, v);
	curl_free(n);
	curl_free(v);
	return rc;
}

/* Adds LINE to LIST; on failure frees LIST and returns NULL. */
static struct curl_slist *
add_header(struct curl_slist *list, const char *line)
{
	struct curl_slist	*l = curl_slist_append(list, line);

	if (l == NULL)
		curl_slist_free_all(list);
	return l;
}

/* The request's header lines: Accept, then those CALL asks for; NULL when out of memory. */
static struct curl_slist *
request_headers(const struct twh_http_call *call)
{
	struct curl_slist	*list;
	char			 line[512];
	size_t			 i;

	list = add_header(NULL, "Accept: application/json");
	if (list != NULL && call->idempotency_key != NULL) {
		snprintf(line, sizeof(line), "I-Twilio-Idempotency-Token: %s", call->idempotency_key);
		list = add_header(list, line);
	}
	if (list != NULL && call->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", call->content_type);
		list = add_header(list, line);
	}
	for (i = 0; list != NULL && call->headers != NULL && call->headers[i] != NULL; i++)
		list = add_header(list, call->headers[i]);
	return list;
}

int
twh_http_client_call(struct twh_http_client *c, const struct twh_http_call *call,
    struct twh_http_answer *a)
{
	struct curl_slist	*headers;
	CURLcode		 rc;
	CURL			*curl = c->curl;
	long			 timeout_ms = call->timeout_ms > 0 ? call->timeout_ms : c->timeout_ms;

	memset(a, 0, sizeof(*a));
	twh_buf_init(&a->body);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, call->url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000);
	if (c->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
	if (call->http2)
		curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, strncmp(call->url, "https:", 6) == 0 ?
		    CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "twhook/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, a->error);
	if (call->user != NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, call->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, call->password);
	}
	if ((headers = request_headers(call)) == NULL) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (strcmp(call->method, "POST") == 0 && call->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call->body);
	} else if (strcmp(call->method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call->form != NULL ? call->form : "");
	}
	rc = curl_easy_perform(curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		if (a->error[0] == '\0')
			snprintf(a->error, sizeof(a->error), "%s", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
	return 0;
}
