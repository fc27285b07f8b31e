/*
 * twh_push_common.h: what the push transports (twh_push_webhook.c, twh_push_fcm.c,
 * twh_push_apns.c) share, below them: a push job unpacked with its collapse identifier, a call
 * within the job's time limit, the removal of a binding whose device is gone, and reading and
 * wiping key files.  For `twhook dispatch` only; it includes neither the transports nor
 * twh_push.h, which sit above.
 */
#ifndef TWH_PUSH_COMMON_H
#define TWH_PUSH_COMMON_H

#include <stddef.h>

#include "twh_buf.h"
#include "twh_delivery.h"
#include "twh_http_client.h"
#include "twh_store.h"

/*
 * The length of a collapse identifier: hexadecimal digits of the SHA-256 of the job's key (128
 * bits), within APNs's limit of 64 bytes for apns-collapse-id.
 */
#define TWH_PUSH_COLLAPSE_ID_LEN	32

/* One push job, unpacked. */
struct push {
	struct twh_job	*job;
	const char	*binding_id;
	const char	*address;	/* relay URL, FCM registration token or APNs device token */
	const char	*body;		/* the webhook's body, byte for byte */
	size_t		 body_len;
	/* the same on every attempt at the job: apns-collapse-id, FCM's collapse_key, the
	   relay's Idempotency-Key (twh_push_collapse_id) */
	char		 collapse_id[TWH_PUSH_COLLAPSE_ID_LEN + 1];
};

int			 twh_push_call(struct twh_delivery *, const struct push *,
			    struct twh_http_call *, struct twh_http_answer *, struct twh_buf *why);
int			 twh_push_collapse_id(const char *idempotency_key,
			    char id[TWH_PUSH_COLLAPSE_ID_LEN + 1]);
enum twh_outcome	 twh_push_gone(struct twh_delivery *, const struct push *,
			    const char *transport, struct twh_buf *why);
int			 twh_push_read_key_file(const char *path, struct twh_buf *text,
			    char *err, size_t errlen);
void			 twh_push_wipe(struct twh_buf *);

#endif
