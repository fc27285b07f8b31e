/*
 * twh_outbox.h: queueing outbound work.  The writing endpoints (twhook-routing,
 * twhook-conversations, twhook-call-notify) add jobs inside their request's transaction;
 * `twhook dispatch` delivers them later (twh_deliver.h), never while Twilio waits.  Nothing
 * here makes an HTTP call, so an endpoint links no HTTP client.
 */
#ifndef TWH_OUTBOX_H
#define TWH_OUTBOX_H

#include <stddef.h>

#include "twh_conf.h"
#include "twh_store.h"

int	 twh_outbox_routed(struct twh_store *, const char *conversation_sid);
int	 twh_outbox_add_participant(struct twh_store *, const struct twh_conf *,
	    const char *conversation_sid, const char *identity);
int	 twh_outbox_update_participant(struct twh_store *, const struct twh_conf *,
	    const char *conversation_sid, const char *participant_sid,
	    const struct twh_customer *);
int	 twh_outbox_push(struct twh_store *, const struct twh_conf *, const char *message,
	    const struct twh_binding *, const char *body, size_t body_len);
int	 twh_outbox_unroutable(struct twh_store *, const char *conversation_sid,
	    const char *why);

#endif
