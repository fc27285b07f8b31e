/*
 * twh_request.c: reading a request's environment, headers, media type, body and decoded
 * parameters, and requiring a parameter: a 400 in the response when it is missing or not a SID.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_http.h"

const char *
twh_request_env(const struct twh_request *req, const char *name)
{
	return req->io->getenv(req->io->ctx, name);
}

/* The header NAME ("X-Twilio-Signature"), which CGI passes as HTTP_X_TWILIO_SIGNATURE. */
const char *
twh_request_header(const struct twh_request *req, const char *name)
{
	char	 var[128];
	size_t	 i;

	if (snprintf(var, sizeof(var), "HTTP_%s", name) >= (int)sizeof(var))
		return NULL;
	for (i = 5; var[i] != '\0'; i++)
		var[i] = var[i] == '-' ? '_' : (char)toupper((unsigned char)var[i]);
	return twh_request_env(req, var);
}

const char *
twh_request_param(const struct twh_request *req, const char *name)
{
	return twh_params_get(&req->params, name);
}

/* The value of the parameter NAME, or NULL when it is absent or empty. */
const char *
twh_request_value(const struct twh_request *req, const char *name)
{
	const char	*v = twh_params_get(&req->params, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Twilio's I-Twilio-Idempotency-Token, the same on every retry of one delivery; NULL if none. */
const char *
twh_request_token(const struct twh_request *req)
{
	const char	*token = twh_request_header(req, "I-Twilio-Idempotency-Token");

	return token != NULL && *token != '\0' ? token : NULL;
}

/* The value of the required parameter NAME, or NULL with a 400 in RES. */
const char *
twh_require_param(const struct twh_request *req, struct twh_response *res, const char *name)
{
	const char	*v = twh_request_param(req, name);
	char		 msg[128];

	if (v != NULL && *v != '\0')
		return v;
	snprintf(msg, sizeof(msg), "the parameter %s is missing", name);
	twh_response_error(res, 400, msg);
	return NULL;
}

/* The required parameter NAME, which must be a SID (it may end up in a REST path). */
const char *
twh_require_sid(const struct twh_request *req, struct twh_response *res, const char *name)
{
	const char	*v = twh_require_param(req, res, name);
	char		 msg[128];

	if (v == NULL || twh_sid_valid(v))
		return v;
	snprintf(msg, sizeof(msg), "the parameter %s is not a Twilio SID", name);
	twh_response_error(res, 400, msg);
	return NULL;
}

/* Fills REQ->media_type: CONTENT_TYPE up to any ';', trimmed and in lower case. */
void
twh_request_media_type(struct twh_request *req)
{
	const char	*ct = twh_request_env(req, "CONTENT_TYPE");
	size_t		 n, i;

	req->media_type = NULL;
	if (ct == NULL)
		return;
	ct += strspn(ct, " \t");
	n = strcspn(ct, "; \t");
	if (n == 0 || n >= sizeof(req->media_buf))
		return;
	for (i = 0; i < n; i++)
		req->media_buf[i] = (char)(ct[i] >= 'A' && ct[i] <= 'Z' ? ct[i] + 32 : ct[i]);
	req->media_buf[n] = '\0';
	req->media_type = req->media_buf;
}

/*
 * Reads the body announced by CONTENT_LENGTH, of MAX bytes at most: 0, or an HTTP status with
 * RES set.
 */
int
twh_request_read_body(struct twh_request *req, struct twh_response *res, size_t max)
{
	const char	*cl = twh_request_env(req, "CONTENT_LENGTH");
	char		 chunk[16384];
	unsigned long	 want;
	char		*end;
	ssize_t		 n;

	if (cl == NULL || *cl == '\0') {
		twh_response_error(res, 411, "a Content-Length is required");
		return 411;
	}
	if (cl[0] < '0' || cl[0] > '9' || strlen(cl) > 12 ||
	    (want = strtoul(cl, &end, 10), *end != '\0')) {
		twh_response_error(res, 400, "the Content-Length is not a number");
		return 400;
	}
	if (want > max) {
		twh_response_error(res, 413, "the body is larger than max_body allows");
		return 413;
	}
	while (req->body.len < want) {
		n = req->io->read(req->io->ctx, chunk,
		    want - req->body.len < sizeof(chunk) ? want - req->body.len : sizeof(chunk));
		if (n <= 0)
			break;
		if (twh_buf_add(&req->body, chunk, (size_t)n) == -1) {
			twh_response_error(res, 500, "out of memory");
			return 500;
		}
	}
	if (req->body.len < want) {
		twh_response_error(res, 400, "the body is shorter than its Content-Length");
		return 400;
	}
	if (req->body.data == NULL)
		twh_buf_add(&req->body, "", 0);
	return 0;
}
