/*
 * twh_http_client.h: outbound HTTP through libcurl, for `twhook dispatch` only (never while
 * Twilio waits).  It is part of libtwhook_dispatch.a, which no endpoint links.
 */
#ifndef TWH_HTTP_CLIENT_H
#define TWH_HTTP_CLIENT_H

#include <stdbool.h>

#include "twh_buf.h"

struct twh_http_client;

struct twh_http_call {
	const char	*method;	/* "GET" or "POST" */
	const char	*url;
	const char	*user;		/* HTTP Basic auth, or NULL */
	const char	*password;
	const char	*form;		/* an application/x-www-form-urlencoded body, or NULL */
	const char	*idempotency_key;	/* sent as I-Twilio-Idempotency-Token, or NULL */
	const char	*body;		/* instead of FORM: BODY_LEN bytes of CONTENT_TYPE */
	size_t		 body_len;
	const char	*content_type;
	const char	*const *headers;	/* more header lines, ended by NULL; or NULL */
	bool		 http2;		/* HTTP/2 only (APNs): ALPN h2, or prior knowledge */
	long		 timeout_ms;	/* 0: the client's */
};

struct twh_http_answer {
	long		 status;	/* 0 when no answer came: see error */
	struct twh_buf	 body;
	char		 error[256];
};

struct twh_http_client	*twh_http_client_new(long timeout_ms, const char *ca_file);
void			 twh_http_client_free(struct twh_http_client *);
int			 twh_http_client_call(struct twh_http_client *, const struct twh_http_call *,
			    struct twh_http_answer *);
void			 twh_http_answer_free(struct twh_http_answer *);
int			 twh_http_form_add(struct twh_buf *, const char *name, const char *value);

#endif
