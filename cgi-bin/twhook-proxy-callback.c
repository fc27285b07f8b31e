/*
 * twhook-proxy-callback: Twilio Proxy's Callback URL, fired as each interaction (a message or
 * a call through a session) changes.
 *
 *   interactionSid (required), interactionSessionSid, interactionServiceSid,
 *   interactionAccountSid, interactionType, interactionData, interactionDateCreated,
 *   interactionDateUpdated, and for each leg (inbound..., outbound...) ParticipantSid,
 *   ResourceSid, ResourceStatus, ResourceType, ResourceUrl and, when given,
 *   ParticipantIdentifier
 *     -> 200 with an empty body, once the interaction is recorded in proxy_interactions;
 *        a repeated delivery (same idempotency token, or same interaction and leg statuses)
 *        is answered the same and recorded once.  Callbacks that wait for the process share
 *        a commit, as the writing routes do.
 */
#include <stdio.h>

#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_store_answer.h"

/* The parameter PREFIX NAME: inboundResourceStatus, outboundParticipantSid, ... */
static const char *
leg_param(const struct twh_request *req, const char *prefix, const char *name)
{
	char	 full[64];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	return twh_request_value(req, full);
}

/* PREFIX is "inbound" or "outbound". */
static void
read_leg(const struct twh_request *req, const char *prefix, struct twh_interaction_leg *leg)
{
	leg->participant_sid = leg_param(req, prefix, "ParticipantSid");
	leg->participant_identifier = leg_param(req, prefix, "ParticipantIdentifier");
	leg->resource_sid = leg_param(req, prefix, "ResourceSid");
	leg->resource_status = leg_param(req, prefix, "ResourceStatus");
	leg->resource_type = leg_param(req, prefix, "ResourceType");
	leg->resource_url = leg_param(req, prefix, "ResourceUrl");
}

static void
callback(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct twh_interaction	 in;
	bool			 recorded;

	if ((in.interaction_sid = twh_require_sid(req, res, "interactionSid")) == NULL)
		return;
	in.session_sid = twh_request_value(req, "interactionSessionSid");
	in.service_sid = twh_request_value(req, "interactionServiceSid");
	in.account_sid = twh_request_value(req, "interactionAccountSid");
	in.type = twh_request_value(req, "interactionType");
	in.data = twh_request_value(req, "interactionData");
	in.date_created = twh_request_value(req, "interactionDateCreated");
	in.date_updated = twh_request_value(req, "interactionDateUpdated");
	read_leg(req, "inbound", &in.inbound);
	read_leg(req, "outbound", &in.outbound);
	in.idempotency_token = twh_request_token(req);
	if (twh_store_interaction_add(ctx->store, &in, &recorded) != TWH_STORE_OK) {
		twh_err("interaction %s (inbound %s, outbound %s) NOT recorded", in.interaction_sid,
		    in.inbound.resource_status != NULL ? in.inbound.resource_status : "-",
		    in.outbound.resource_status != NULL ? in.outbound.resource_status : "-");
		twh_store_answer_error(ctx, res);
		return;
	}
	if (!recorded)
		snprintf(res->log_reason, sizeof(res->log_reason), "a repeated delivery of %s",
		    in.interaction_sid);
	res->status = 200;
	res->content_type = "text/plain";
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-proxy-callback",
		.body = TWH_BODY_FORM,
		.routes = {
			/* Its row's unique keys know a repeat: no claim besides. */
			{ NULL, callback, TWH_WRITES_IDEMPOTENT },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
