/*
 * twh_endpoint_internal.h: the pipeline's own pieces shared by its files: one exchange (a
 * request and its answer) as twh_endpoint.c carries it, and the writing routes of
 * twh_endpoint_once.c, which may hold an exchange, to run its handler and send its answer
 * with a commit shared with the requests behind it.
 */
#ifndef TWH_ENDPOINT_INTERNAL_H
#define TWH_ENDPOINT_INTERNAL_H

#include <stdbool.h>

#include "twh_deliverylog.h"
#include "twh_endpoint.h"

struct twh_exchange {
	const struct twh_io		*io;
	struct twh_request		 req;
	struct twh_response		 res;
	struct twh_deliverylog_entry	 entry;
	const struct twh_route		*route;		/* a writing route's, when held */
	double				 start;		/* twh_monotonic_ms at arrival */
	bool				 held;		/* answered after a shared commit */
	bool				 needs_commit;	/* its answer stands only if that
							   commit succeeds */
	struct twh_exchange		*next;		/* in the group held */
};

/* Writes EXCHANGE's answer, ends the request, logs it and frees it (twh_endpoint.c). */
void	 twh_exchange_answer(struct twh_ctx *, struct twh_exchange *);
/*
 * Holds EXCHANGE's answer until twh_exchange_answer_held (false when it cannot be held), which
 * answers every exchange held, in arrival order, with the store's error instead for those
 * that needed a commit when FAILED.
 */
bool	 twh_exchange_hold(struct twh_exchange *);
void	 twh_exchange_answer_held(struct twh_ctx *, bool failed);
/* The first exchange held, the others following by next; NULL: none. */
struct twh_exchange *twh_exchange_held_first(void);
void	 twh_endpoint_store_down(struct twh_ctx *, const struct twh_route *,
	    const struct twh_request *, struct twh_response *);

/* The writing routes: TWH_WRITES_ONCE, _ONCE_UNSYNCED and _IDEMPOTENT (twh_endpoint_once.c). */
bool	 twh_once_writes(enum twh_store_use);
void	 twh_once_handle(struct twh_ctx *, const struct twh_route *, struct twh_exchange *);
bool	 twh_once_groups(const struct twh_endpoint *);
void	 twh_once_run_group(struct twh_ctx *);

#endif
