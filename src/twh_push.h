/*
 * twh_push.h: delivering call notifications (outbox jobs of kind "push") to devices, for
 * `twhook dispatch` only, over the transport each binding names: the application's relay
 * (webhook), FCM or APNs.  The credentials of FCM and APNs are read once, when the dispatcher
 * starts, and the tokens made from them are kept for as long as the services accept them.
 * twh_deliver.c hands it the push jobs; the endpoints queue them with twh_outbox.h.
 */
#ifndef TWH_PUSH_H
#define TWH_PUSH_H

#include <stddef.h>

#include <json-c/json.h>

#include "twh_buf.h"
#include "twh_conf.h"
#include "twh_delivery.h"
#include "twh_store.h"

struct twh_push	*twh_push_open(const struct twh_conf *, char *err, size_t errlen);
void		 twh_push_close(struct twh_push *);
size_t		 twh_push_urls(const struct twh_push *, const char **urls, size_t max);
enum twh_outcome twh_push_deliver(struct twh_delivery *, struct twh_job *,
		    struct json_object *payload, struct twh_buf *why);

#endif
