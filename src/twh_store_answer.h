/*
 * twh_store_answer.h: answering a request when the store fails it: 503 with Retry-After, saying
 * whether the store is busy (another writer held it too long) or unavailable.
 */
#ifndef TWH_STORE_ANSWER_H
#define TWH_STORE_ANSWER_H

#include "twh_ctx.h"
#include "twh_http.h"

void	 twh_store_answer_error(struct twh_ctx *, struct twh_response *);
void	 twh_store_answer_unopened(struct twh_response *);

#endif
