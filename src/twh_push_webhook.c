/*
 * twh_push_webhook.c: the "webhook" push transport, a POST of the call notification to the
 * application's own relay (a web socket gateway, say) at the binding's address, signed:
 *
 *   X-Twhook-Timestamp: <Unix seconds>
 *   X-Twhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under push_webhook_secret>
 *   Idempotency-Key: <the job's collapse identifier (twh_push_common.c), the same on every
 *                     attempt, for the relay to recognise a notification it was posted already>
 *
 * 2xx is delivered; 410 means the device is gone (the binding is removed); no answer, 429 and
 * 5xx are tried again; any other status ends the job.
 *
 * For `twhook dispatch` only: twh_push.c picks this transport per job (twh_push_transport.h);
 * what it shares with the other transports (the call within the job's time limit, the removal
 * of a binding, key files) is twh_push_common.c's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "twh_base64.h"
#include "twh_push_common.h"
#include "twh_push_transport.h"

/* The signature header of P's body at TIMESTAMP into LINE; -1 on failure. */
static int
signature(const char *secret, const char *timestamp, const struct push *p, char *line,
    size_t size)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	struct twh_buf	 signed_text;
	int		 rc = -1;

	twh_buf_init(&signed_text);
	if (twh_buf_printf(&signed_text, "%s.", timestamp) == 0 &&
	    twh_buf_add(&signed_text, p->body, p->body_len) == 0 &&
	    HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)signed_text.data, signed_text.len, mac, &len) != NULL) {
		twh_hex_encode(mac, len, hex);
		rc = snprintf(line, size, "X-Twhook-Signature: v1=%s", hex) < (int)size ? 0 : -1;
	}
	twh_buf_free(&signed_text);
	return rc;
}

enum twh_outcome
twh_push_webhook(struct twh_delivery *d, const struct push *p, struct twh_buf *why)
{
	char			 timestamp[32], ts_line[64], sig_line[160];
	char			 key_line[sizeof("Idempotency-Key: ") + TWH_PUSH_COLLAPSE_ID_LEN];
	const char		*headers[] = { ts_line, sig_line, key_line, NULL };
	struct twh_http_call	 call;
	struct twh_http_answer	 a;
	enum twh_outcome	 o;

	if (d->conf->push_webhook_secret == NULL) {
		twh_buf_printf(why, "push_webhook_secret is not set in %s: a relay cannot be "
		    "sent unsigned notifications", d->conf->path);
		return TWH_OUTCOME_DEAD;
	}
	snprintf(timestamp, sizeof(timestamp), "%lld", (long long)time(NULL));
	snprintf(ts_line, sizeof(ts_line), "X-Twhook-Timestamp: %s", timestamp);
	snprintf(key_line, sizeof(key_line), "Idempotency-Key: %s", p->collapse_id);
	if (signature(d->conf->push_webhook_secret, timestamp, p, sig_line,
	    sizeof(sig_line)) == -1) {
		twh_buf_printf(why, "signing the notification failed");
		return TWH_OUTCOME_RETRY;
	}
	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = p->address;
	call.body = p->body;
	call.body_len = p->body_len;
	call.content_type = "application/json";
	call.headers = headers;
	if (twh_push_call(d, p, &call, &a, why) == -1)
		o = TWH_OUTCOME_RETRY;
	else if (a.status >= 200 && a.status < 300)
		o = TWH_OUTCOME_DONE;
	else {
		twh_buf_printf(why, "HTTP %ld: %.200s", a.status,
		    a.body.data != NULL ? a.body.data : "");
		o = a.status == 410 ? twh_push_gone(d, p, "webhook", why) :
		    a.status == 429 || a.status >= 500 ? TWH_OUTCOME_RETRY : TWH_OUTCOME_DEAD;
	}
	twh_http_answer_free(&a);
	return o;
}
