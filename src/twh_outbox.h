/*
 * twh_outbox.h: outbound work.  Endpoints queue jobs (inside their request's transaction);
 * `twhook dispatch` delivers them, one job kind at a time, and says what became of each.
 */
#ifndef TWH_OUTBOX_H
#define TWH_OUTBOX_H

#include <json-c/json.h>

#include "twh_buf.h"
#include "twh_conf.h"
#include "twh_http_client.h"
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

struct twh_push;

struct twh_delivery {
	const struct twh_conf	*conf;
	struct twh_http_client	*http;
	struct twh_store	*store;	/* where a device that is gone loses its binding */
	struct twh_push		*push;	/* FCM and APNs credentials and tokens (twh_push.h) */
};

/* What became of an attempt. */
enum twh_outcome {
	TWH_OUTCOME_DONE,
	TWH_OUTCOME_RETRY,
	TWH_OUTCOME_DEAD
};

void	 twh_outbox_deliver(struct twh_delivery *, struct twh_job *);

#endif
