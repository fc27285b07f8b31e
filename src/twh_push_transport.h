/*
 * twh_push_transport.h: what the push transports (twh_push_webhook.c, twh_push_fcm.c,
 * twh_push_apns.c) share with twh_push.c, which picks one per job.  Not for other users.
 */
#ifndef TWH_PUSH_TRANSPORT_H
#define TWH_PUSH_TRANSPORT_H

#include "twh_delivery.h"
#include "twh_http_client.h"
#include "twh_push.h"

/* One push job, unpacked. */
struct push {
	struct twh_job	*job;
	const char	*binding_id;
	const char	*address;	/* relay URL, FCM registration token or APNs device token */
	const char	*body;		/* the webhook's body, byte for byte */
	size_t		 body_len;
};

struct twh_fcm;
struct twh_apns;

struct twh_push {
	struct twh_fcm	*fcm;	/* NULL: fcm_service_account is not set */
	struct twh_apns	*apns;	/* NULL: apns_key is not set */
};

struct twh_fcm		*twh_fcm_open(const struct twh_conf *, char *err, size_t errlen);
void			 twh_fcm_free(struct twh_fcm *);
struct twh_apns		*twh_apns_open(const struct twh_conf *, char *err, size_t errlen);
void			 twh_apns_free(struct twh_apns *);

enum twh_outcome	 twh_push_webhook(struct twh_delivery *, const struct push *,
			    struct twh_buf *why);
enum twh_outcome	 twh_push_fcm(struct twh_delivery *, const struct push *,
			    struct twh_buf *why);
enum twh_outcome	 twh_push_apns(struct twh_delivery *, const struct push *,
			    struct twh_buf *why);

/* Helpers the transports share. */
int			 twh_push_call(struct twh_delivery *, const struct push *,
			    struct twh_http_call *, struct twh_http_answer *, struct twh_buf *why);
enum twh_outcome	 twh_push_gone(struct twh_delivery *, const struct push *,
			    const char *transport, struct twh_buf *why);
int			 twh_push_read_key_file(const char *path, struct twh_buf *text,
			    char *err, size_t errlen);
void			 twh_push_wipe(struct twh_buf *);

#endif
