/*
 * twhook-proxy-intercept: Twilio Proxy's Intercept Callback URL, asked before an interaction
 * is connected.  403 blocks it; any other answer, or none in time, lets it through.
 *
 *   interactionSid, interactionSessionSid, inboundParticipantSid,
 *   inboundParticipantIdentifier (optional), interactionData ({"body":"..."} for a message)
 *     -> 403 when an intercept_rules row matches, checked in this order: session (the
 *        session SID), participant (the inbound participant SID), identifier (the inbound
 *        participant's real number, from the request or else proxy_participants), keyword
 *        (words of the message body; see twh_keywords.c); else 200 {}.
 *
 * The decision is taken in a read transaction, so an operator holding the write lock does
 * not stop the rules, and recorded in proxy_intercepts before the answer is sent: when other
 * requests wait for the process, with their decisions, in one transaction once none waits,
 * the answers held until then (twh_intercept_batch.c).  A repeated delivery (the same
 * I-Twilio-Idempotency-Token, or an interactionSid already recorded or held) gets the
 * recorded verdict again, whatever the rules say now, and records nothing.  Every failure of
 * its own (the store unreadable, data it cannot use) lets the interaction through and says so
 * in the log: blocking a customer's message by mistake is worse than letting one through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_intercept_batch.h"
#include "twh_json.h"
#include "twh_keywords.h"

/* Milliseconds the record of a decision may wait for another writer before it is dropped. */
#define RECORD_PATIENCE_MS	500

/* The keyword rules, compiled again whenever intercept_rules changes. */
static struct twh_keywords	keywords;
/* The decisions not yet recorded, their answers held (twh_intercept_batch.c). */
static struct twh_intercept_batch	held;

struct decision {
	struct twh_intercept		 d;
	char				*body;		/* the message's; NULL: none */
	struct twh_intercept_rule	 rule;
	char				*stored_identifier;
	char				 note[96];
	bool				 repeated;	/* decided before: as recorded */
	bool				 held_here;	/* as held, not yet recorded */
};

static void
allow(struct twh_response *res)
{
	twh_response_json(res, 200, json_object_new_object());
}

/* The message body of interactionData, or NULL (with a note if the data is not JSON). */
static char *
message_body(const struct twh_request *req, struct decision *dec)
{
	const char		*data = twh_request_value(req, "interactionData");
	struct json_object	*obj, *body;
	const char		*why = NULL;
	char			*text = NULL;

	if (data == NULL)
		return NULL;
	if ((obj = twh_json_parse(data, strlen(data), &why)) == NULL) {
		snprintf(dec->note, sizeof(dec->note),
		    "keyword rules not checked: interactionData is not JSON");
		twh_warn("%s: %s (%s)", dec->d.interaction_sid, dec->note, why);
		return NULL;
	}
	if (json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, "body", &body) &&
	    json_object_is_type(body, json_type_string))
		text = strdup(json_object_get_string(body));
	json_object_put(obj);
	return text;
}

static int
keyword_rule(struct twh_ctx *ctx, struct decision *dec)
{
	const char	*pattern;
	int		 rc;

	if (dec->body == NULL || *dec->body == '\0')
		return TWH_STORE_NOT_FOUND;
	rc = twh_keywords_load(&keywords, ctx->store);
	if (rc == TWH_STORE_OK)
		rc = twh_keywords_match(&keywords, ctx->store, dec->body, &dec->rule.rowid,
		    &pattern);
	if (rc != TWH_STORE_OK)
		return rc;
	dec->rule.kind = strdup("keyword");
	dec->rule.pattern = strdup(pattern);
	return dec->rule.kind != NULL && dec->rule.pattern != NULL ? TWH_STORE_OK :
	    TWH_STORE_ERROR;
}

/* The inbound participant's real number: the request's, else the one recorded for it. */
static int
find_identifier(struct twh_ctx *ctx, const struct twh_request *req, struct decision *dec)
{
	int	 rc;

	if ((dec->d.identifier = twh_request_value(req, "inboundParticipantIdentifier")) != NULL ||
	    dec->d.participant_sid == NULL)
		return TWH_STORE_OK;
	rc = twh_store_participant_identifier(ctx->store, dec->d.participant_sid,
	    &dec->stored_identifier);
	dec->d.identifier = dec->stored_identifier;
	return rc == TWH_STORE_NOT_FOUND ? TWH_STORE_OK : rc;
}

/* The first rule that matches, kind by kind; TWH_STORE_NOT_FOUND when none does. */
static int
find_rule(struct twh_ctx *ctx, struct decision *dec)
{
	const struct { const char *kind, *value; } exact[] = {
		{ "session", dec->d.session_sid },
		{ "participant", dec->d.participant_sid },
		{ "identifier", dec->d.identifier },
	};
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (exact[i].value != NULL && (rc = twh_store_intercept_rule(ctx->store,
		    exact[i].kind, exact[i].value, &dec->rule)) != TWH_STORE_NOT_FOUND)
			return rc;
	return keyword_rule(ctx, dec);
}

/* The first rule that matches the request; TWH_STORE_NOT_FOUND when none does. */
static int
apply_rules(struct twh_ctx *ctx, const struct twh_request *req, struct decision *dec)
{
	int	 rc;

	dec->body = message_body(req, dec);
	if ((rc = find_identifier(ctx, req, dec)) != TWH_STORE_OK)
		return rc;
	return find_rule(ctx, dec);
}

/* As this process decided the same delivery, if it still holds that decision unrecorded. */
static int
decided_here(struct decision *dec)
{
	const struct twh_intercept	*d;

	d = twh_intercept_batch_find(&held, dec->d.interaction_sid, dec->d.idempotency_token);
	if (d == NULL)
		return TWH_STORE_NOT_FOUND;
	dec->d.verdict = d->verdict;
	if (d->rule != NULL) {
		dec->rule.rowid = d->rule->rowid;
		if ((dec->rule.kind = strdup(d->rule->kind)) == NULL ||
		    (dec->rule.pattern = strdup(d->rule->pattern)) == NULL)
			return TWH_STORE_ERROR;
	}
	return TWH_STORE_OK;
}

/*
 * Decides in one read transaction, one snapshot of the decisions, the rules and the
 * participants: as recorded (or held, decided by this process and not yet recorded) for a
 * repeated delivery, else by the rules.
 */
static int
decide(struct twh_ctx *ctx, const struct twh_request *req, struct decision *dec)
{
	int	 rc;

	if ((rc = decided_here(dec)) == TWH_STORE_NOT_FOUND) {
		if (twh_store_begin_read(ctx->store, true) != TWH_STORE_OK)
			return TWH_STORE_ERROR;
		rc = twh_store_intercept_decided(ctx->store, dec->d.interaction_sid,
		    dec->d.idempotency_token, &dec->d.verdict, &dec->rule);
		if (rc == TWH_STORE_NOT_FOUND &&
		    (rc = apply_rules(ctx, req, dec)) == TWH_STORE_OK)
			dec->d.verdict = TWH_BLOCKED;
		else if (rc == TWH_STORE_OK)
			dec->repeated = true;
		if (twh_store_commit(ctx->store) != TWH_STORE_OK)
			twh_store_rollback(ctx->store);
	} else if (rc == TWH_STORE_OK)
		dec->repeated = dec->held_here = true;
	if (rc == TWH_STORE_OK && dec->d.verdict == TWH_BLOCKED)
		dec->d.rule = &dec->rule;
	return rc == TWH_STORE_NOT_FOUND ? TWH_STORE_OK : rc;
}

/* Records the decisions held; waiting long for another writer would delay their answers. */
static void
record_held(void *arg)
{
	struct twh_ctx		*ctx = arg;
	bool			 recorded[TWH_INTERCEPT_BATCH_MAX];
	const struct twh_intercept *d;
	size_t			 i;
	int			 rc;

	if (held.n == 0)
		return;		/* nothing held: recorded already, or not copied (out of memory) */
	twh_store_set_patience(ctx->store, RECORD_PATIENCE_MS);
	rc = twh_store_intercept_record(ctx->store, held.d, held.n, recorded);
	twh_store_set_patience(ctx->store, TWH_STORE_BUSY_TIMEOUT_MS);
	if (rc == TWH_STORE_OK && held.n > 1)
		twh_debug("%zu decisions recorded in one transaction", held.n);
	for (i = 0; i < held.n; i++) {
		d = &held.d[i];
		if (rc != TWH_STORE_OK)
			twh_err("%s: %s, NOT recorded: %s", d->interaction_sid,
			    d->verdict == TWH_BLOCKED ? "blocked" : "allowed",
			    twh_store_error(ctx->store));
		else if (!recorded[i])
			twh_debug("%s: decided before; recorded once", d->interaction_sid);
	}
	twh_intercept_batch_clear(&held);
}

/*
 * Sends REQ's answer only once the decisions held are recorded: with those of the requests
 * waiting for this process, in one transaction once none waits (the answers held until then),
 * or now, when none waits or the batch is DUE.
 */
static void
answer_once_recorded(struct twh_ctx *ctx, const struct twh_request *req, bool due)
{
	if (!due && twh_endpoint_answer_later(ctx, req, record_held, ctx))
		return;
	if (!twh_endpoint_answer_now())
		record_held(ctx);
}

static void
record(struct twh_ctx *ctx, const struct twh_request *req, const struct decision *dec)
{
	if (!twh_intercept_batch_add(&held, &dec->d))
		twh_err("%s: %s, NOT recorded: out of memory", dec->d.interaction_sid,
		    dec->d.verdict == TWH_BLOCKED ? "blocked" : "allowed");
	answer_once_recorded(ctx, req, twh_intercept_batch_due(&held));
}

static void
intercept(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct decision	 dec;
	char		 msg[96];

	memset(&dec, 0, sizeof(dec));
	dec.d.interaction_sid = twh_request_value(req, "interactionSid");
	dec.d.session_sid = twh_request_value(req, "interactionSessionSid");
	dec.d.participant_sid = twh_request_value(req, "inboundParticipantSid");
	dec.d.idempotency_token = twh_request_token(req);
	if (dec.d.interaction_sid == NULL || !twh_sid_valid(dec.d.interaction_sid)) {
		twh_warn("%s interactionSid: letting the interaction through (failing open), "
		    "recording nothing", dec.d.interaction_sid == NULL ? "no" : "a malformed");
		allow(res);
		return;
	}
	if (decide(ctx, req, &dec) != TWH_STORE_OK) {
		twh_err("%s: the rules cannot be read (%s): letting the interaction through "
		    "(failing open)", dec.d.interaction_sid, twh_store_error(ctx->store));
		allow(res);
	} else {
		if (dec.note[0] != '\0')
			dec.d.note = dec.note;
		if (dec.d.verdict == TWH_BLOCKED) {
			snprintf(msg, sizeof(msg), "blocked by intercept rule %lld (%s)",
			    dec.rule.rowid, dec.rule.kind);
			twh_response_error(res, 403, msg);
		} else
			allow(res);
		if (!dec.repeated)
			record(ctx, req, &dec);
		else {
			twh_debug("%s: decided before; answered as then", dec.d.interaction_sid);
			/* As a decision held: not before it is recorded. */
			if (dec.held_here)
				answer_once_recorded(ctx, req, false);
		}
	}
	twh_intercept_rule_free(&dec.rule);
	free(dec.stored_identifier);
	free(dec.body);
}

/* Without the store no rule can match: the interaction goes through. */
static void
intercept_without_store(struct twh_ctx *ctx, const struct twh_request *req,
    struct twh_response *res)
{
	(void)ctx;
	(void)req;
	allow(res);
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-proxy-intercept",
		.body = TWH_BODY_FORM,
		.defers_work = true,
		.routes = {
			/* Decides in a read, then records in a write of its own. */
			{ NULL, intercept, TWH_OWN_TRANSACTIONS,
			    .store_down = intercept_without_store },
		},
	};
	int	 rc;

	rc = twh_endpoint_main(&endpoint, argc, argv);
	twh_keywords_free(&keywords);
	return rc;
}
