/*
 * twh_push_common.c: the helpers the push transports share, for `twhook dispatch` only: the
 * collapse identifier of a job, the time limit of a call, the removal of a binding whose device
 * is gone, and reading key files.  It sits below the transports and twh_push.c, and calls
 * neither.
 *
 * A call rings for seconds only, so a push job's attempt waits PUSH_TIMEOUT_MS at most (less when
 * the job's time, push_give_up, runs out sooner).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "twh_base64.h"
#include "twh_clock.h"
#include "twh_diag.h"
#include "twh_push_common.h"

#define PUSH_TIMEOUT_MS	5000
#define KEY_FILE_MAX	65536

/*
 * The collapse identifier of the push job keyed IDEMPOTENCY_KEY into ID: the first
 * TWH_PUSH_COLLAPSE_ID_LEN lower-case hexadecimal digits of the key's SHA-256; -1 if hashing
 * failed.  Every attempt at a job, on any dispatcher, carries the same one, so that APNs and FCM
 * replace, and the relay can drop, what an earlier attempt delivered instead of adding to it.
 *
 * A digest, never the key itself, even when the key is short enough: the key holds the binding
 * id, any text the application chose (CR, LF, quotes, UTF-8, over 64 bytes), and goes to Apple
 * and Google; a digest is header-safe, of one length and one form whatever the key, and names
 * nothing.  With 128 bits, two of a billion jobs share one with a chance under 10^-20.
 */
int
twh_push_collapse_id(const char *idempotency_key, char id[TWH_PUSH_COLLAPSE_ID_LEN + 1])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	if (EVP_Digest(idempotency_key, strlen(idempotency_key), md, NULL, EVP_sha256(), NULL) != 1)
		return -1;
	twh_hex_encode(md, TWH_PUSH_COLLAPSE_ID_LEN / 2, id);
	return 0;
}

/* Zeroes and frees a buffer that held a secret. */
void
twh_push_wipe(struct twh_buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	twh_buf_free(b);
}

/* Reads the key file PATH whole into TEXT; -1 with ERR saying why. */
int
twh_push_read_key_file(const char *path, struct twh_buf *text, char *err, size_t errlen)
{
	FILE	*fp = fopen(path, "rb");
	char	 chunk[4096];
	size_t	 n;
	int	 rc = 0;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (text->len + n > KEY_FILE_MAX || twh_buf_add(text, chunk, n) == -1)
			rc = -1;
	explicit_bzero(chunk, sizeof(chunk));
	if (rc == 0 && (ferror(fp) || text->data == NULL))
		rc = -1;
	fclose(fp);
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot read it (empty, or over %d bytes?)", path,
		    KEY_FILE_MAX);
		twh_push_wipe(text);
	}
	return rc;
}

/* The device is gone: its binding goes, so that no later call tries it again. */
enum twh_outcome
twh_push_gone(struct twh_delivery *d, const struct push *p, const char *transport,
    struct twh_buf *why)
{
	int	 rc = twh_store_binding_remove(d->store, p->binding_id);

	twh_buf_printf(why, " (the device is gone: binding %s %s)", p->binding_id,
	    rc == TWH_STORE_OK ? "removed" : rc == TWH_STORE_NOT_FOUND ? "already removed" :
	    "NOT removed");
	twh_warn("%s binding %s: the device is gone; %s", transport, p->binding_id,
	    rc == TWH_STORE_ERROR ? "removing the binding failed" : "binding removed");
	return TWH_OUTCOME_DEAD;
}

/*
 * Makes CALL within the push job's time limit.  -1 when no answer came (WHY says so); else 0,
 * with the status kept on the job.
 */
int
twh_push_call(struct twh_delivery *d, const struct push *p, struct twh_http_call *call,
    struct twh_http_answer *a, struct twh_buf *why)
{
	double	 left_ms = (p->job->give_up_at - twh_now()) * 1000;

	call->timeout_ms = left_ms < 100 ? 100 : left_ms < PUSH_TIMEOUT_MS ? (long)left_ms :
	    PUSH_TIMEOUT_MS;
	if (twh_http_client_call(d->http, call, a) == -1) {
		twh_buf_printf(why, "no answer from %s: %s", call->url, a->error);
		return -1;
	}
	p->job->last_status = (int)a->status;
	return 0;
}
