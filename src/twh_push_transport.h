/*
 * twh_push_transport.h: the push transports (twh_push_webhook.c, twh_push_fcm.c,
 * twh_push_apns.c) as twh_push.c sees them: each one's state, opened when the dispatcher
 * starts, and its attempt at one push job.  twh_push.c picks one per job; the transports share
 * their helpers through twh_push_common.h and never call back into twh_push.c.
 */
#ifndef TWH_PUSH_TRANSPORT_H
#define TWH_PUSH_TRANSPORT_H

#include <stddef.h>

#include "twh_buf.h"
#include "twh_conf.h"
#include "twh_delivery.h"
#include "twh_push_common.h"

struct twh_fcm;
struct twh_apns;

/* The dispatcher's push state: one member per transport that has credentials. */
struct twh_push {
	struct twh_fcm	*fcm;	/* NULL: fcm_service_account is not set */
	struct twh_apns	*apns;	/* NULL: apns_key is not set */
};

struct twh_fcm		*twh_fcm_open(const struct twh_conf *, char *err, size_t errlen);
void			 twh_fcm_free(struct twh_fcm *);
size_t			 twh_fcm_urls(const struct twh_fcm *, const char **urls, size_t max);
struct twh_apns		*twh_apns_open(const struct twh_conf *, char *err, size_t errlen);
void			 twh_apns_free(struct twh_apns *);

enum twh_outcome	 twh_push_webhook(struct twh_delivery *, const struct push *,
			    struct twh_buf *why);
enum twh_outcome	 twh_push_fcm(struct twh_delivery *, const struct push *,
			    struct twh_buf *why);
enum twh_outcome	 twh_push_apns(struct twh_delivery *, const struct push *,
			    struct twh_buf *why);

#endif
