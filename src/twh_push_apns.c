/*
 * twh_push_apns.c: the "apns" push transport, Apple's Push Notification service: a VoIP push
 * over HTTP/2 to the binding's device token, with token-based authentication.
 *
 * The .p8 key (apns_key) is read when the dispatcher starts.  The provider token, an ES256 JWT
 * (kid apns_key_id, iss apns_team_id, iat), is made once and reused for TOKEN_REUSE_S: Apple
 * refuses one older than an hour and one renewed more often than every twenty minutes.  Each
 * request: POST /3/device/<token> with apns-push-type voip, apns-topic <apns_bundle_id>.voip,
 * apns-priority 10, apns-expiration 0 (now or never: a call does not wait) and apns-collapse-id
 * the job's collapse identifier (the same on every attempt, so that a repeated one replaces the
 * first), the webhook's body unchanged as the payload.
 *
 * 410 (Unregistered) and 400 BadDeviceToken mean the device is gone: the binding is removed.
 * ExpiredProviderToken makes a new token and tries again; no answer, 429 and 5xx are tried
 * again; any other error ends the job.
 *
 * For `twhook dispatch` only: twh_push.c picks this transport per job (twh_push_transport.h);
 * what it shares with the other transports (the call within the job's time limit, the removal
 * of a binding, key files) is twh_push_common.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_clock.h"
#include "twh_http_client.h"
#include "twh_json.h"
#include "twh_jwt.h"
#include "twh_push_common.h"
#include "twh_push_transport.h"

#define APNS_DEFAULT_URL	"https://api.push.apple.com"
#define TOKEN_REUSE_S		(50 * 60)
#define DEVICE_TOKEN_MAX	200

struct twh_apns {
	EVP_PKEY	*key;
	const char	*key_id;	/* the configuration's */
	const char	*team_id;
	char		*topic_line;	/* "apns-topic: <bundle id>.voip" */
	const char	*url;
	struct twh_buf	 token;		/* the provider token; empty: none yet */
	double		 token_made_at;
};

void
twh_apns_free(struct twh_apns *a)
{
	if (a == NULL)
		return;
	EVP_PKEY_free(a->key);
	free(a->topic_line);
	twh_buf_free(&a->token);
	free(a);
}

/* Reads the APNs auth key named by apns_key. */
struct twh_apns *
twh_apns_open(const struct twh_conf *conf, char *err, size_t errlen)
{
	struct twh_apns	*a = calloc(1, sizeof(*a));
	struct twh_buf	 text, topic;
	char		 why[160];

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	twh_buf_init(&text);
	twh_buf_init(&topic);
	if (twh_push_read_key_file(conf->apns_key, &text, err, errlen) == -1) {
		twh_apns_free(a);
		return NULL;
	}
	a->key = twh_jwt_key_read(text.data, text.len, TWH_JWT_ES256, why, sizeof(why));
	twh_push_wipe(&text);
	if (a->key == NULL) {
		snprintf(err, errlen, "%s: %s (an APNs auth key is the .p8 file Apple's developer "
		    "site gives)", conf->apns_key, why);
		twh_apns_free(a);
		return NULL;
	}
	if (twh_buf_printf(&topic, "apns-topic: %s.voip", conf->apns_bundle_id) == -1) {
		snprintf(err, errlen, "out of memory");
		twh_apns_free(a);
		return NULL;
	}
	a->topic_line = twh_buf_take(&topic);
	a->key_id = conf->apns_key_id;
	a->team_id = conf->apns_team_id;
	a->url = conf->apns_url != NULL ? conf->apns_url : APNS_DEFAULT_URL;
	return a;
}

/* The provider token, made anew when older than TOKEN_REUSE_S; NULL on failure. */
static const char *
provider_token(struct twh_apns *a)
{
	struct json_object	*header, *claims;
	double			 now = twh_now();
	int			 rc;

	if (a->token.len > 0 && now - a->token_made_at < TOKEN_REUSE_S)
		return a->token.data;
	header = json_object_new_object();
	claims = json_object_new_object();
	json_object_object_add(header, "alg", json_object_new_string("ES256"));
	json_object_object_add(header, "kid", json_object_new_string(a->key_id));
	json_object_object_add(claims, "iss", json_object_new_string(a->team_id));
	json_object_object_add(claims, "iat", json_object_new_int64((int64_t)now));
	rc = twh_jwt_sign(a->key, TWH_JWT_ES256, header, claims, &a->token);
	json_object_put(header);
	json_object_put(claims);
	a->token_made_at = now;
	if (rc == -1) {
		twh_buf_reset(&a->token);
		return NULL;
	}
	return a->token.data;
}

/* APNs's reason for an error answer ANSWER, or "". */
static void
apns_reason(const struct twh_http_answer *answer, char *reason, size_t size)
{
	struct json_object	*o, *r;
	const char		*why;

	snprintf(reason, size, "%s", "");
	if ((o = twh_json_parse(answer->body.data != NULL ? answer->body.data : "",
	    answer->body.len, &why)) == NULL)
		return;
	if (json_object_object_get_ex(o, "reason", &r) && json_object_is_type(r, json_type_string))
		snprintf(reason, size, "%s", json_object_get_string(r));
	json_object_put(o);
}

/* What APNs's answer ANSWER to P means. */
static enum twh_outcome
apns_outcome(struct twh_delivery *d, struct twh_apns *a, const struct push *p,
    const struct twh_http_answer *answer, struct twh_buf *why)
{
	char	 reason[64];

	if (answer->status == 200)
		return TWH_OUTCOME_DONE;
	apns_reason(answer, reason, sizeof(reason));
	twh_buf_printf(why, "APNs HTTP %ld %s", answer->status, reason);
	if (answer->status == 410 || strcmp(reason, "BadDeviceToken") == 0)
		return twh_push_gone(d, p, "apns", why);
	if (strcmp(reason, "ExpiredProviderToken") == 0) {
		twh_buf_reset(&a->token);
		return TWH_OUTCOME_RETRY;
	}
	return answer->status == 429 || answer->status >= 500 ? TWH_OUTCOME_RETRY :
	    TWH_OUTCOME_DEAD;
}

enum twh_outcome
twh_push_apns(struct twh_delivery *d, const struct push *p, struct twh_buf *why)
{
	struct twh_apns		*a = d->push != NULL ? d->push->apns : NULL;
	struct twh_http_call	 call;
	struct twh_http_answer	 answer;
	struct twh_buf		 url, auth;
	char			 collapse_line[sizeof("apns-collapse-id: ") +
				    TWH_PUSH_COLLAPSE_ID_LEN];
	const char		*token, *headers[] = { NULL, "apns-push-type: voip", NULL,
				    "apns-priority: 10", "apns-expiration: 0", collapse_line,
				    NULL };
	size_t			 n = strlen(p->address);
	enum twh_outcome	 o;

	if (a == NULL) {
		twh_buf_printf(why, "apns_key is not set in %s: binding %s cannot be notified",
		    d->conf->path, p->binding_id);
		return TWH_OUTCOME_DEAD;
	}
	if (n == 0 || n > DEVICE_TOKEN_MAX || strspn(p->address, "0123456789abcdefABCDEF") != n) {
		twh_buf_printf(why, "binding %s's address is not an APNs device token (hexadecimal "
		    "digits): fix or remove the binding", p->binding_id);
		return TWH_OUTCOME_DEAD;
	}
	if ((token = provider_token(a)) == NULL) {
		twh_buf_adds(why, "making the APNs provider token failed");
		return TWH_OUTCOME_RETRY;
	}
	twh_buf_init(&url);
	twh_buf_init(&auth);
	twh_buf_printf(&url, "%s/3/device/%s", a->url, p->address);
	twh_buf_printf(&auth, "authorization: bearer %s", token);
	snprintf(collapse_line, sizeof(collapse_line), "apns-collapse-id: %s", p->collapse_id);
	headers[0] = auth.data;
	headers[2] = a->topic_line;
	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = url.data;
	call.body = p->body;
	call.body_len = p->body_len;
	call.content_type = "application/json";
	call.headers = headers;
	call.http2 = true;
	o = twh_push_call(d, p, &call, &answer, why) == -1 ? TWH_OUTCOME_RETRY :
	    apns_outcome(d, a, p, &answer, why);
	twh_http_answer_free(&answer);
	twh_buf_free(&url);
	twh_buf_free(&auth);
	return o;
}
