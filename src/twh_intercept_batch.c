/*
 * twh_intercept_batch.c: intercept decisions not yet recorded.  The intercept endpoint holds
 * its decisions here, their answers held too, while more requests wait for its process, and
 * records them in one transaction when none does, when TWH_INTERCEPT_BATCH_MAX are held, or
 * once the oldest was held TWH_INTERCEPT_BATCH_MAX_MS: under load one commit serves many
 * answers.  Each decision is a copy, its strings its own, since the request it came from is
 * freed by then.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_clock.h"
#include "twh_intercept_batch.h"

/* A copy of S, or NULL for NULL; false when memory ran out. */
static bool
copy(const char **to, const char *s)
{
	*to = NULL;
	return s == NULL || (*to = strdup(s)) != NULL;
}

static void
free_decision(struct twh_intercept *d, struct twh_intercept_rule *rule)
{
	free((char *)d->interaction_sid);
	free((char *)d->session_sid);
	free((char *)d->participant_sid);
	free((char *)d->identifier);
	free((char *)d->idempotency_token);
	free((char *)d->note);
	twh_intercept_rule_free(rule);
	memset(d, 0, sizeof(*d));
}

/* Holds a copy of D; false when the batch is full or memory ran out (nothing is held then). */
bool
twh_intercept_batch_add(struct twh_intercept_batch *b, const struct twh_intercept *d)
{
	struct twh_intercept		*to;
	struct twh_intercept_rule	*rule;
	bool				 ok;

	if (b->n == TWH_INTERCEPT_BATCH_MAX)
		return false;
	to = &b->d[b->n];
	rule = &b->rules[b->n];
	memset(rule, 0, sizeof(*rule));
	to->verdict = d->verdict;
	to->rule = NULL;
	ok = copy(&to->interaction_sid, d->interaction_sid) &&
	    copy(&to->session_sid, d->session_sid) &&
	    copy(&to->participant_sid, d->participant_sid) &&
	    copy(&to->identifier, d->identifier) &&
	    copy(&to->idempotency_token, d->idempotency_token) && copy(&to->note, d->note);
	if (ok && d->rule != NULL) {
		rule->rowid = d->rule->rowid;
		ok = (rule->kind = strdup(d->rule->kind)) != NULL &&
		    (rule->pattern = strdup(d->rule->pattern)) != NULL;
		to->rule = rule;
	}
	if (!ok) {
		free_decision(to, rule);
		return false;
	}
	if (b->n++ == 0)
		b->oldest_ms = twh_monotonic_ms();
	return true;
}

/* Whether the decisions held are to be recorded now, whatever waits: too many, or too old. */
bool
twh_intercept_batch_due(const struct twh_intercept_batch *b)
{
	return b->n == TWH_INTERCEPT_BATCH_MAX ||
	    (b->n > 0 && twh_monotonic_ms() - b->oldest_ms >= TWH_INTERCEPT_BATCH_MAX_MS);
}

/* The decision held for the same delivery (the interaction, or the token), or NULL. */
const struct twh_intercept *
twh_intercept_batch_find(const struct twh_intercept_batch *b, const char *interaction_sid,
    const char *token)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->d[i].interaction_sid, interaction_sid) == 0 || (token != NULL &&
		    b->d[i].idempotency_token != NULL &&
		    strcmp(b->d[i].idempotency_token, token) == 0))
			return &b->d[i];
	return NULL;
}

void
twh_intercept_batch_clear(struct twh_intercept_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		free_decision(&b->d[i], &b->rules[i]);
	b->n = 0;
}
