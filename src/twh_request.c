/* twh_request.c: reading a request's environment, headers and decoded parameters by name. */
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
