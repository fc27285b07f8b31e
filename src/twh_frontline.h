/*
 * twh_frontline.h: what Frontline callbacks share: the screen that refuses V1 callbacks, the
 * customer asked about and its JSON.
 */
#ifndef TWH_FRONTLINE_H
#define TWH_FRONTLINE_H

#include <stdbool.h>

#include "twh_ctx.h"
#include "twh_http.h"
#include "twh_json_writer.h"
#include "twh_store.h"

bool	 twh_frontline_v1(const struct twh_request *, struct twh_response *);
int	 twh_frontline_customer(struct twh_ctx *, const struct twh_request *,
	    struct twh_response *, bool whole, const char **worker, struct twh_customer *);
void	 twh_frontline_customer_json(struct twh_json_writer *, const char *key,
	    const struct twh_customer *);
void	 twh_frontline_customer_summary(struct twh_json_writer *, const char *key,
	    const struct twh_customer *);

#endif
