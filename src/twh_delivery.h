/*
 * twh_delivery.h: what every deliverer of a job kind is given and what it answers, for
 * `twhook dispatch` only: the dispatcher's context (struct twh_delivery) and the outcome of one
 * attempt (enum twh_outcome).  Used by the REST job kinds (twh_deliver.c), the push job kind
 * (twh_push.c) and the push transports (twh_push_common.h); it includes none of them.
 */
#ifndef TWH_DELIVERY_H
#define TWH_DELIVERY_H

struct twh_conf;
struct twh_http_client;
struct twh_push;
struct twh_store;

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

#endif
