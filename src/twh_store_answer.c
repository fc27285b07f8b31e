/*
 * twh_store_answer.c: the answer to a request the store failed.  Twilio retries a 503 (the
 * Retry-After tells it how soon), so a busy or absent store loses no delivery; the message
 * says which it was, and the log says why.
 */
#include "twh_diag.h"
#include "twh_store.h"
#include "twh_store_answer.h"

static void
answer_503(struct twh_response *res, const char *message)
{
	twh_response_error(res, 503, message);
	twh_response_header(res, "Retry-After", "1");
}

/* Answers 503 for the store's last error: busy (another writer held it too long) or broken. */
void
twh_store_answer_error(struct twh_ctx *ctx, struct twh_response *res)
{
	twh_err("%s: %s", ctx->conf.database, twh_store_error(ctx->store));
	answer_503(res, twh_store_busy(ctx->store) ? "the store is busy; try again" :
	    "the store is unavailable");
}

/* Answers 503 for a store that could not be opened (the caller has logged why). */
void
twh_store_answer_unopened(struct twh_response *res)
{
	answer_503(res, "the store is unavailable");
}
