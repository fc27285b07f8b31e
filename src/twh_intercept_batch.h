/*
 * twh_intercept_batch.h: intercept decisions not yet recorded, held by one process with their
 * answers so that they are recorded together (twh_intercept_batch.c).
 */
#ifndef TWH_INTERCEPT_BATCH_H
#define TWH_INTERCEPT_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_store.h"

#define TWH_INTERCEPT_BATCH_MAX		64	/* decisions held at most */
#define TWH_INTERCEPT_BATCH_MAX_MS	50	/* how long the oldest is held at most */

struct twh_intercept_batch {
	struct twh_intercept		 d[TWH_INTERCEPT_BATCH_MAX];
	struct twh_intercept_rule	 rules[TWH_INTERCEPT_BATCH_MAX];
	size_t				 n;
	double				 oldest_ms;	/* when the first was added */
};

bool	 twh_intercept_batch_add(struct twh_intercept_batch *, const struct twh_intercept *);
bool	 twh_intercept_batch_due(const struct twh_intercept_batch *);
const struct twh_intercept *twh_intercept_batch_find(const struct twh_intercept_batch *,
	    const char *interaction_sid, const char *token);
void	 twh_intercept_batch_clear(struct twh_intercept_batch *);

#endif
