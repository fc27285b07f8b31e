/*
 * twhook-outgoing: the Frontline outgoing conversations callback.
 *
 *   Location=GetProxyAddress  Worker, CustomerId, ChannelType, ChannelValue
 *     -> {"proxy_address":"+1..."}: the worker's own address for the channel, else the
 *        channel's default; 403 when neither is configured.
 *
 * The address depends on the worker and the channel only: CustomerId and ChannelValue are
 * required, as Frontline always sends them, but the customer need not be in the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_endpoint.h"
#include "twh_frontline.h"
#include "twh_json.h"
#include "twh_store_answer.h"

/* The channel types the proxy_addresses table may hold (its CHECK constraint). */
static const char *const channel_types[] = { "sms", "whatsapp", "chat", NULL };

static bool
known_channel(const char *channel_type)
{
	const char *const	*t;

	for (t = channel_types; *t != NULL; t++)
		if (strcmp(channel_type, *t) == 0)
			return true;
	return false;
}

/* 403: Frontline shows the worker an error, and Twilio logs 48026. */
static void
no_address(struct twh_response *res, const char *channel_type)
{
	char	 msg[160];

	if (known_channel(channel_type))
		snprintf(msg, sizeof(msg), "no proxy address is configured for the %s channel: add "
		    "one to the proxy_addresses table (worker NULL for all workers)",
		    channel_type);
	else
		snprintf(msg, sizeof(msg), "no proxy address is configured for the channel "
		    "'%.24s': proxy_addresses holds sms, whatsapp and chat addresses only",
		    channel_type);
	twh_response_error(res, 403, msg);
}

static void
proxy_address(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct json_object	*answer;
	const char		*worker, *channel_type;
	char			*address;

	if ((worker = twh_require_param(req, res, "Worker")) == NULL ||
	    twh_require_param(req, res, "CustomerId") == NULL ||
	    (channel_type = twh_require_param(req, res, "ChannelType")) == NULL ||
	    twh_require_param(req, res, "ChannelValue") == NULL)
		return;
	if (!known_channel(channel_type)) {
		no_address(res, channel_type);
		return;
	}
	switch (twh_store_proxy_address(ctx->store, channel_type, worker, &address)) {
	case TWH_STORE_OK:
		break;
	case TWH_STORE_NOT_FOUND:
		no_address(res, channel_type);
		return;
	default:
		twh_store_answer_error(ctx, res);
		return;
	}
	if ((answer = json_object_new_object()) != NULL)
		json_object_object_add(answer, "proxy_address", json_object_new_string(address));
	free(address);
	twh_response_json(res, 200, answer);
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-outgoing",
		.body = TWH_BODY_FORM,
		.screen = twh_frontline_v1,
		.dispatch = "Location",
		.routes = {
			{ "GetProxyAddress", proxy_address, TWH_READS_EACH },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
