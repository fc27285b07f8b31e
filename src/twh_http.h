/*
 * twh_http.h: one HTTP exchange as the endpoints see it.  The seam (twh_fcgi.c) turns a CGI run
 * or a FastCGI request into a struct twh_io; the pipeline (twh_endpoint.c) turns that into a
 * parsed, validated struct twh_request; a handler fills a struct twh_response, written in one go.
 */
#ifndef TWH_HTTP_H
#define TWH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "twh_buf.h"
#include "twh_params.h"
#include "twh_url.h"

struct twh_json_writer;

struct twh_io {
	void		*ctx;
	twh_getenv_fn	*getenv;
	ssize_t		(*read)(void *ctx, char *, size_t);		/* 0 at end, -1 on error */
	int		(*write)(void *ctx, const char *, size_t);	/* 0, or -1 on error */
	/* The answer is whole: the web server gets it now, not when the exchange returns
	 * (the request's variables stay readable).  NULL when there is nothing to do. */
	void		(*finish)(void *ctx);
};

struct twh_request {
	const struct twh_io	*io;
	const char		*method;
	const char		*media_type;	/* CONTENT_TYPE without parameters, lower case */
	char			*url;		/* the full URL as Twilio signed it */
	struct twh_buf		 body;
	struct twh_params	 params;	/* form bodies */
	struct json_object	*json;		/* JSON bodies */
	const char		*signature;	/* the verdict on X-Twilio-Signature: valid,
						   invalid, missing or unchecked; NULL when
						   the request was refused before */
	char			 media_buf[64];
};

struct twh_response {
	int		 status;
	const char	*content_type;
	struct twh_buf	 headers;	/* extra header lines, each ending in CRLF */
	struct twh_buf	 body;
	bool		 head_only;	/* HEAD: the body's length is sent, not the body */
	char		 log_reason[160];	/* why a request was refused, for the log */
	char		 content_type_buf[64];	/* a content type replayed from the store */
};

const char	*twh_request_env(const struct twh_request *, const char *name);
const char	*twh_request_header(const struct twh_request *, const char *name);
const char	*twh_request_param(const struct twh_request *, const char *name);
const char	*twh_request_value(const struct twh_request *, const char *name);
const char	*twh_request_token(const struct twh_request *);
void		 twh_request_media_type(struct twh_request *);
int		 twh_request_read_body(struct twh_request *, struct twh_response *, size_t max);
/* A parameter a handler cannot do without: its value, or NULL with a 400 in the response. */
const char	*twh_require_param(const struct twh_request *, struct twh_response *,
		    const char *name);
const char	*twh_require_sid(const struct twh_request *, struct twh_response *,
		    const char *name);

void		 twh_response_init(struct twh_response *);
void		 twh_response_free(struct twh_response *);
int		 twh_response_header(struct twh_response *, const char *name, const char *value);
void		 twh_response_json(struct twh_response *, int status, struct json_object *);
void		 twh_response_json_begin(struct twh_response *, struct twh_json_writer *);
void		 twh_response_json_end(struct twh_response *, int status,
		    struct twh_json_writer *);
void		 twh_response_error(struct twh_response *, int status, const char *message);
int		 twh_response_write(const struct twh_response *, const struct twh_io *);
const char	*twh_status_text(int status);
void		 twh_response_log(const struct twh_request *, const struct twh_response *,
		    double ms);

#endif
