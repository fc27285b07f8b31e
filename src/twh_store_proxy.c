/*
 * twh_store_proxy.c: the store's side of the Twilio Proxy webhooks: recording interaction
 * callbacks and intercept decisions (each at most once per delivery, by a unique index, in a
 * single statement or transaction of their own), reading a decision back for a repeated
 * delivery, the intercept rules and the real numbers of participants they match, and the
 * out-of-session answers by proxy number.  The records are pruned when they are old
 * (twh_store_prune), a batch at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

/* A repeat (same token, or same interaction and leg statuses) conflicts and adds nothing. */
static const struct twh_sql sql_interaction_insert = {
    .text = "INSERT INTO proxy_interactions (interaction_sid, session_sid, service_sid, "
    "account_sid, type, data, date_created, date_updated, "
    "inbound_participant_sid, inbound_resource_sid, inbound_resource_status, "
    "inbound_resource_type, inbound_resource_url, "
    "outbound_participant_sid, outbound_resource_sid, outbound_resource_status, "
    "outbound_resource_type, outbound_resource_url, idempotency_token) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?19) ON CONFLICT DO NOTHING"
};
static const struct twh_sql sql_participant_put = {
    .text = "INSERT INTO proxy_participants (participant_sid, identifier, session_sid) "
    "VALUES (?1, ?2, ?3) ON CONFLICT (participant_sid) DO UPDATE SET "
    "identifier = excluded.identifier, "
    "session_sid = coalesce(excluded.session_sid, proxy_participants.session_sid), "
    "updated_at = (julianday('now') - 2440587.5) * 86400.0 "
    "WHERE proxy_participants.identifier IS NOT excluded.identifier",
    /* PostgreSQL: its clock, and IS DISTINCT FROM for SQLite's IS NOT. */
    .postgres = "INSERT INTO proxy_participants (participant_sid, identifier, session_sid) "
    "VALUES ($1, $2, $3) ON CONFLICT (participant_sid) DO UPDATE SET "
    "identifier = excluded.identifier, "
    "session_sid = coalesce(excluded.session_sid, proxy_participants.session_sid), "
    "updated_at = epoch_now() "
    "WHERE proxy_participants.identifier IS DISTINCT FROM excluded.identifier"
};
static const struct twh_sql sql_participant_identifier = {
    .text = "SELECT trim(identifier) FROM proxy_participants WHERE participant_sid = ?1"
};
static const struct twh_sql sql_rule_find = {
    .text = "SELECT rowid, kind, pattern FROM intercept_rules WHERE kind = ?1 AND pattern = ?2 "
    "ORDER BY rowid LIMIT 1"
};
static const struct twh_sql sql_rules_version = {
    .text = "SELECT version FROM intercept_rules_version"
};
static const struct twh_sql sql_keyword_rules = {
    .text = "SELECT rowid, pattern FROM intercept_rules WHERE kind = 'keyword' ORDER BY rowid"
};
static const struct twh_sql sql_intercept_insert = {
    .text = "INSERT INTO proxy_intercepts (interaction_sid, session_sid, participant_sid, "
    "identifier, verdict, rule_rowid, rule_kind, rule_pattern, note, idempotency_token) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING"
};
/* An operator's edit may leave a blocked row without its rule: it still reads as blocked. */
static const struct twh_sql sql_intercept_decided = {
    .text = "SELECT verdict = 'blocked', coalesce(rule_rowid, 0), "
    "coalesce(rule_kind, 'unrecorded'), coalesce(rule_pattern, '') FROM proxy_intercepts "
    "WHERE interaction_sid = ?1 OR idempotency_token = ?2 ORDER BY intercept_id LIMIT 1"
};
/*
 * The number's oldest row, else the oldest '*' row: two index lookups.  (An ORDER BY that put
 * the number first sorted, and the sort's memory cost more than the rest of the request.)
 */
static const struct twh_sql sql_out_of_session = {
    .text = "SELECT message, say, dial, nullif(trim(participant), ''), session_mode, "
    "coalesce(session_ttl, -1) FROM out_of_session WHERE rowid = coalesce("
    "(SELECT min(rowid) FROM out_of_session WHERE proxy_identifier = ?1), "
    "(SELECT min(rowid) FROM out_of_session WHERE proxy_identifier = '*'))"
};
/*
 * Pruning deletes the records older than ?1, at most ?2 (PRUNE_BATCH) of them per statement,
 * each statement a transaction of its own.  Months of records deleted at once would hold the
 * store's write lock for seconds (half a million interactions: over two), longer than an
 * endpoint waits for it (TWH_STORE_BUSY_TIMEOUT_MS), and the endpoint would answer 503; a
 * batch holds it for tens of milliseconds, and the endpoints write between batches.  The
 * oldest go first, through the index on the time.  "IN (SELECT ... LIMIT)" is how both
 * engines bound a DELETE: DELETE ... LIMIT and rowid are SQLite's alone.
 */
#define PRUNE_BATCH	5000
static const struct twh_sql sql_prune_interactions = {
    .text = "DELETE FROM proxy_interactions WHERE interaction_id IN (SELECT interaction_id "
    "FROM proxy_interactions WHERE received_at < ?1 ORDER BY received_at LIMIT ?2)"
};
static const struct twh_sql sql_prune_intercepts = {
    .text = "DELETE FROM proxy_intercepts WHERE intercept_id IN (SELECT intercept_id "
    "FROM proxy_intercepts WHERE decided_at < ?1 ORDER BY decided_at LIMIT ?2)"
};

static void
bind_texts(struct twh_db_stmt *st, int first, const char *const *values, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		twh_db_bind_text(st, first + (int)i, values[i]);
}

static int
insert_interaction(struct twh_store *s, const struct twh_interaction *in, bool *recorded)
{
	const char	*values[] = {
		in->interaction_sid, in->session_sid, in->service_sid, in->account_sid, in->type,
		in->data, in->date_created, in->date_updated,
		in->inbound.participant_sid, in->inbound.resource_sid, in->inbound.resource_status,
		in->inbound.resource_type, in->inbound.resource_url,
		in->outbound.participant_sid, in->outbound.resource_sid,
		in->outbound.resource_status, in->outbound.resource_type,
		in->outbound.resource_url, in->idempotency_token
	};
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_interaction_insert)) == NULL)
		return TWH_STORE_ERROR;
	bind_texts(st, 1, values, sizeof(values) / sizeof(values[0]));
	if (twh_store_step_done(s, st, "recording the interaction") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	*recorded = twh_db_changes(st) > 0;
	return TWH_STORE_OK;
}

/* Remembers a leg's participant's real number, when the payload gave both. */
static int
put_participant(struct twh_store *s, const struct twh_interaction_leg *leg,
    const char *session_sid)
{
	const char		*values[] = { leg->participant_sid,
				    leg->participant_identifier, session_sid };
	struct twh_db_stmt	*st;

	if (leg->participant_sid == NULL || leg->participant_identifier == NULL)
		return TWH_STORE_OK;
	if ((st = twh_store_stmt(s, &sql_participant_put)) == NULL)
		return TWH_STORE_ERROR;
	bind_texts(st, 1, values, 3);
	return twh_store_step_done(s, st, "recording a participant's number");
}

/*
 * Records one interaction callback (and the participants' numbers it gives), in the caller's
 * write transaction.  *RECORDED is false for a repeated delivery, which changes nothing.
 */
int
twh_store_interaction_add(struct twh_store *s, const struct twh_interaction *in,
    bool *recorded)
{
	*recorded = false;
	if (insert_interaction(s, in, recorded) != TWH_STORE_OK ||
	    (*recorded && (put_participant(s, &in->inbound, in->session_sid) != TWH_STORE_OK ||
	    put_participant(s, &in->outbound, in->session_sid) != TWH_STORE_OK))) {
		*recorded = false;
		return TWH_STORE_ERROR;
	}
	return TWH_STORE_OK;
}

/* The real number of a participant, as recorded; TWH_STORE_NOT_FOUND when unknown. */
int
twh_store_participant_identifier(struct twh_store *s, const char *participant_sid,
    char **identifier)
{
	struct twh_db_stmt	*st;

	*identifier = NULL;
	if ((st = twh_store_stmt(s, &sql_participant_identifier)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, participant_sid);
	return twh_store_text_row(s, st, "reading a participant's number", identifier);
}

void
twh_intercept_rule_free(struct twh_intercept_rule *r)
{
	free(r->kind);
	free(r->pattern);
	memset(r, 0, sizeof(*r));
}

/*
 * Steps ST into RULE (zeroed by the caller): its columns from FIRST on are a rule's rowid,
 * kind and pattern.  TWH_STORE_NOT_FOUND when it has no row; the caller resets ST.
 */
static int
step_rule(struct twh_store *s, struct twh_db_stmt *st, const char *what, int first,
    struct twh_intercept_rule *rule)
{
	int	 rc;

	if ((rc = twh_db_step(st)) == TWH_DB_DONE)
		return TWH_STORE_NOT_FOUND;
	if (rc != TWH_DB_ROW)
		return twh_store_fail(s, what);
	rule->rowid = twh_db_column_int(st, first);
	rule->kind = twh_db_column_text(st, first + 1);
	rule->pattern = twh_db_column_text(st, first + 2);
	if (rule->kind == NULL || rule->pattern == NULL) {
		twh_intercept_rule_free(rule);
		return twh_store_fail(s, "out of memory");
	}
	return TWH_STORE_OK;
}

/* The oldest rule of KIND whose pattern is VALUE exactly; TWH_STORE_NOT_FOUND when none. */
int
twh_store_intercept_rule(struct twh_store *s, const char *kind, const char *value,
    struct twh_intercept_rule *rule)
{
	struct twh_db_stmt	*st;
	int			 rc;

	memset(rule, 0, sizeof(*rule));
	if ((st = twh_store_stmt(s, &sql_rule_find)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, kind);
	twh_db_bind_text(st, 2, value);
	rc = step_rule(s, st, "reading the intercept rules", 0, rule);
	twh_db_reset(st);
	return rc;
}

/*
 * The decision recorded for the interaction INTERACTION_SID or the delivery TOKEN (may be
 * NULL): its verdict and, when blocked, the rule as it was then.  TWH_STORE_NOT_FOUND when
 * neither was decided before.
 */
int
twh_store_intercept_decided(struct twh_store *s, const char *interaction_sid,
    const char *token, enum twh_verdict *verdict, struct twh_intercept_rule *rule)
{
	struct twh_db_stmt	*st;
	int			 rc;

	memset(rule, 0, sizeof(*rule));
	if ((st = twh_store_stmt(s, &sql_intercept_decided)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, interaction_sid);
	twh_db_bind_text(st, 2, token);
	rc = step_rule(s, st, "reading the intercept decisions", 1, rule);
	if (rc == TWH_STORE_OK)
		*verdict = twh_db_column_int(st, 0) != 0 ? TWH_BLOCKED : TWH_ALLOWED;
	twh_db_reset(st);
	return rc;
}

/* A number that changes with every edit of intercept_rules (the schema's triggers count). */
int
twh_store_intercept_version(struct twh_store *s, long long *version)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_rules_version)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = twh_db_step(st)) == TWH_DB_ROW) {
		*version = twh_db_column_int(st, 0);
		rc = TWH_STORE_OK;
	} else
		rc = twh_store_fail(s, "reading the intercept rules' version");
	twh_db_reset(st);
	return rc;
}

struct keyword_rows {
	int	(*each)(void *, long long, const char *);
	void	*arg;
};

static int
keyword_row(struct twh_db_stmt *st, void *arg)
{
	struct keyword_rows	*k = arg;

	return k->each(k->arg, twh_db_column_int(st, 0), twh_db_column_view(st, 1));
}

/* Calls EACH with every keyword rule, oldest first. */
int
twh_store_keyword_rules(struct twh_store *s, int (*each)(void *, long long, const char *),
    void *arg)
{
	struct keyword_rows	 k = { each, arg };
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_keyword_rules)) == NULL)
		return TWH_STORE_ERROR;
	return twh_store_each_row(s, st, "reading the keyword rules", keyword_row, &k);
}

static int
insert_intercept(struct twh_store *s, const struct twh_intercept *d, bool *recorded)
{
	const struct twh_intercept_rule	*r = d->rule;
	const char			*values[] = {
		d->interaction_sid, d->session_sid, d->participant_sid, d->identifier,
		d->verdict == TWH_BLOCKED ? "blocked" : "allowed",
	};
	struct twh_db_stmt			*st;

	*recorded = false;
	if ((st = twh_store_stmt(s, &sql_intercept_insert)) == NULL)
		return TWH_STORE_ERROR;
	bind_texts(st, 1, values, 5);
	if (r != NULL) {
		twh_db_bind_int(st, 6, r->rowid);
		twh_db_bind_text(st, 7, r->kind);
		twh_db_bind_text(st, 8, r->pattern);
	} else {
		twh_db_bind_text(st, 6, NULL);
		twh_db_bind_text(st, 7, NULL);
		twh_db_bind_text(st, 8, NULL);
	}
	twh_db_bind_text(st, 9, d->note);
	twh_db_bind_text(st, 10, d->idempotency_token);
	if (twh_store_step_done(s, st, "recording the intercept decision") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	*recorded = twh_db_changes(st) > 0;
	return TWH_STORE_OK;
}

/*
 * Records N intercept decisions in one write transaction of its own, which takes its turn among
 * the writers (a statement outside one would poll for the lock against them); RECORDED[i] is
 * false for a repeated delivery (same token, or an interaction already decided).  Decisions are
 * records, not side effects: their commit does not wait for the disk (synchronous = NORMAL;
 * in WAL mode that survives a crash of any process, and only a power cut may lose the last
 * ones), where the endpoints' other writes, which Twilio will not send again, do.  All or none:
 * on an error every RECORDED[i] is false.
 */
int
twh_store_intercept_record(struct twh_store *s, const struct twh_intercept *d, size_t n,
    bool *recorded)
{
	size_t	 i;
	int	 rc;

	memset(recorded, 0, n * sizeof(*recorded));
	if (twh_store_set_synchronous(s, false) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	if ((rc = twh_store_begin(s)) == TWH_STORE_OK) {
		for (i = 0; i < n && rc == TWH_STORE_OK; i++)
			rc = insert_intercept(s, &d[i], &recorded[i]);
		if (rc != TWH_STORE_OK || (rc = twh_store_commit(s)) != TWH_STORE_OK) {
			twh_store_rollback(s);
			memset(recorded, 0, n * sizeof(*recorded));
		}
	}
	if (twh_store_set_synchronous(s, true) != TWH_STORE_OK)
		rc = TWH_STORE_ERROR;
	return rc;
}

void
twh_out_of_session_free(struct twh_out_of_session *o)
{
	free(o->message);
	free(o->say);
	free(o->dial);
	free(o->participant);
	free(o->session_mode);
	memset(o, 0, sizeof(*o));
}

/* What to answer a call or message to NUMBER: its own row, else the '*' row. */
int
twh_store_out_of_session(struct twh_store *s, const char *number, struct twh_out_of_session *o)
{
	struct twh_db_stmt	*st;
	int			 rc, i;
	char			**texts[] = { &o->message, &o->say, &o->dial, &o->participant,
			    &o->session_mode };

	memset(o, 0, sizeof(*o));
	o->session_ttl = -1;
	if ((st = twh_store_stmt(s, &sql_out_of_session)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, number);
	if ((rc = twh_db_step(st)) == TWH_DB_ROW) {
		rc = TWH_STORE_OK;
		for (i = 0; i < 5; i++)
			if (!twh_db_column_null(st, i) &&
			    (*texts[i] = twh_db_column_text(st, i)) == NULL)
				rc = twh_store_fail(s, "out of memory");
		o->session_ttl = twh_db_column_int(st, 5);
	} else
		rc = rc == TWH_DB_DONE ? TWH_STORE_NOT_FOUND :
		    twh_store_fail(s, "reading the out-of-session answers");
	twh_db_reset(st);
	if (rc == TWH_STORE_ERROR)
		twh_out_of_session_free(o);
	return rc;
}

/* Runs the pruning statement SQL a batch at a time, until a batch deletes fewer rows. */
static int
prune_in_batches(struct twh_store *s, const struct twh_sql *sql, double before,
    const char *what)
{
	struct twh_db_stmt	*st;

	do {
		if ((st = twh_store_stmt(s, sql)) == NULL)
			return TWH_STORE_ERROR;
		twh_db_bind_real(st, 1, before);
		twh_db_bind_int(st, 2, PRUNE_BATCH);
		if (twh_store_step_done(s, st, what) != TWH_STORE_OK)
			return TWH_STORE_ERROR;
	} while (twh_db_changes(st) == PRUNE_BATCH);
	return TWH_STORE_OK;
}

/* Deletes the interactions received and the intercept decisions taken before BEFORE. */
int
twh_store_prune_proxy_records(struct twh_store *s, double before)
{
	if (prune_in_batches(s, &sql_prune_interactions, before, "pruning Proxy interactions") !=
	    TWH_STORE_OK)
		return TWH_STORE_ERROR;
	return prune_in_batches(s, &sql_prune_intercepts, before,
	    "pruning intercept decisions");
}
