/*
 * twh_request.c: reading a request's environment, headers and decoded parameters by name, and
 * requiring a parameter: a 400 in the response when it is missing or not a SID.
 */
#include <ctype.h>
#include <stdio.h>

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
