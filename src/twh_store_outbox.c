/*
 * twh_store_outbox.c: the durable side of outbound work.  Idempotency claims remember the answer
 * given to each webhook delivery that had side effects, so a retried delivery gets it again and
 * does nothing twice.  The outbox holds jobs from the transaction that created them until
 * `twhook dispatch` has delivered them or given up; a job's idempotency key makes queueing it
 * twice a no-op.  twh_store_prune forgets them when they are old (and the Proxy records too).
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

static const struct twh_sql sql_claim_find = {
    .text = "SELECT status, content_type, body FROM idempotency_claims WHERE token = ?1"
};
static const struct twh_sql sql_claim_add = {
    .text = "INSERT INTO idempotency_claims (token, endpoint, status, content_type, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5)"
};
static const struct twh_sql sql_job_exists = {
    .text = "SELECT 1 FROM outbox WHERE idempotency_key = ?1"
};
static const struct twh_sql sql_job_add = {
    .text = "INSERT INTO outbox (kind, idempotency_key, payload, state, next_attempt_at, "
    "give_up_at, updated_at, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?7) "
    "ON CONFLICT (idempotency_key) DO NOTHING"
};
/* The jobs due by ?1, and those whose lease expired by NOW, their dispatcher gone. */
#define DUE(NOW) "(state IN ('queued', 'retrying') AND next_attempt_at <= ?1) " \
    "OR (state = 'delivering' AND lease_expires_at < " NOW ")"
/*
 * A lease: the jobs due by ?1 (and those whose lease expired by ?5) become ?3's until ?4.
 * Dispatchers on other machines skip the rows one of them is leasing.
 */
#define LEASE_DUE "UPDATE outbox SET state = 'delivering', lease_owner = ?3, " \
    "lease_expires_at = ?4, updated_at = ?5 WHERE job_id IN (SELECT job_id FROM outbox " \
    "WHERE " DUE("?5") " ORDER BY kind <> 'push', next_attempt_at LIMIT ?2"
/* Whether a lease would find a job: a look that finds none takes no write lock. */
static const struct twh_sql sql_jobs_due = {
    .text = "SELECT EXISTS (SELECT 1 FROM outbox WHERE " DUE("?2") ")"
};
static const struct twh_sql sql_jobs_lease = {
    .text = LEASE_DUE ") RETURNING " TWH_JOB_COLUMNS,
    .postgres = LEASE_DUE " FOR UPDATE SKIP LOCKED) RETURNING " TWH_JOB_COLUMNS
};
/* An outcome is written by the lease's owner only: a lease that expired was taken over. */
static const struct twh_sql sql_job_update = {
    .text = "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, updated_at = ?5, "
    "last_status = nullif(?6, 0), last_error = ?7, lease_owner = NULL, lease_expires_at = NULL "
    "WHERE job_id = ?1 AND lease_owner = ?8"
};
static const struct twh_sql sql_jobs_interrupted = {
    .text = "UPDATE outbox SET state = 'retrying', next_attempt_at = ?1, updated_at = ?1, "
    "lease_owner = NULL, lease_expires_at = NULL, "
    "last_error = 'the dispatcher stopped during an attempt' "
    "WHERE state = 'delivering' AND (CAST(?2 AS TEXT) IS NULL OR lease_owner = ?2)"
};
static const struct twh_sql sql_next_due = {
    .text = "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('queued', 'retrying')"
};
static const struct twh_sql sql_jobs_list = {
    .text = "SELECT " TWH_JOB_COLUMNS " FROM outbox WHERE CAST(?1 AS TEXT) IS NULL OR state = ?1 "
    "ORDER BY job_id DESC LIMIT ?2"
};
static const struct twh_sql sql_prune_claims = {
    .text = "DELETE FROM idempotency_claims WHERE created_at < ?1"
};
static const struct twh_sql sql_prune_jobs = {
    .text = "DELETE FROM outbox WHERE state IN ('done', 'dead') AND updated_at < ?1"
};

static const char *const state_names[] = { "queued", "retrying", "delivering", "done", "dead" };
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == TWH_JOB_STATES, "a name a state");

const char *
twh_job_state_name(enum twh_job_state state)
{
	return state_names[state];
}

int
twh_job_state_parse(const char *name, enum twh_job_state *state)
{
	size_t	 i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(name, state_names[i]) == 0) {
			*state = (enum twh_job_state)i;
			return 0;
		}
	return -1;
}

void
twh_claim_free(struct twh_claim *c)
{
	free(c->content_type);
	free(c->body);
	memset(c, 0, sizeof(*c));
}

void
twh_job_free(struct twh_job *j)
{
	free(j->kind);
	free(j->idempotency_key);
	free(j->payload);
	free(j->last_error);
	memset(j, 0, sizeof(*j));
}

void
twh_jobs_free(struct twh_job *jobs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		twh_job_free(&jobs[i]);
	free(jobs);
}

/* The answer already given to the delivery TOKEN: TWH_STORE_OK, or TWH_STORE_NOT_FOUND. */
int
twh_store_claim_find(struct twh_store *s, const char *token, struct twh_claim *c)
{
	struct twh_db_stmt	*st;
	int			 rc;

	memset(c, 0, sizeof(*c));
	/* A second delivery of TOKEN waits here until the first commits, then finds its claim. */
	if (twh_store_lock(s, token) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	if ((st = twh_store_stmt(s, &sql_claim_find)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, token);
	rc = twh_db_step(st);
	if (rc == TWH_DB_ROW) {
		c->status = (int)twh_db_column_int(st, 0);
		c->content_type = twh_db_column_text(st, 1);
		c->body = twh_db_column_text(st, 2);
		rc = c->content_type != NULL && c->body != NULL ? TWH_STORE_OK :
		    twh_store_fail(s, "out of memory");
	} else
		rc = rc == TWH_DB_DONE ? TWH_STORE_NOT_FOUND :
		    twh_store_fail(s, "reading an idempotency claim");
	twh_db_reset(st);
	if (rc != TWH_STORE_OK)
		twh_claim_free(c);
	return rc;
}

int
twh_store_claim_add(struct twh_store *s, const char *token, const char *endpoint,
    const struct twh_claim *c)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_claim_add)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, token);
	twh_db_bind_text(st, 2, endpoint);
	twh_db_bind_int(st, 3, c->status);
	twh_db_bind_text(st, 4, c->content_type);
	twh_db_bind_text(st, 5, c->body != NULL ? c->body : "");
	return twh_store_step_done(s, st, "recording an idempotency claim");
}

/* TWH_STORE_OK when a job with KEY is in the outbox, TWH_STORE_NOT_FOUND when none is. */
int
twh_store_job_exists(struct twh_store *s, const char *key)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if (key == NULL)
		return twh_store_out_of_memory(s, "reading the outbox");
	if ((st = twh_store_stmt(s, &sql_job_exists)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, key);
	rc = twh_db_step(st);
	twh_db_reset(st);
	if (rc == TWH_DB_ROW)
		return TWH_STORE_OK;
	return rc == TWH_DB_DONE ? TWH_STORE_NOT_FOUND : twh_store_fail(s, "reading the outbox");
}

/*
 * Queues JOB (kind, key, payload, state, next_attempt_at, give_up_at, last_error); a NULL key
 * or payload is the caller's allocation that failed.
 */
int
twh_store_job_add(struct twh_store *s, const struct twh_job *j)
{
	struct twh_db_stmt	*st;

	if (j->idempotency_key == NULL || j->payload == NULL)
		return twh_store_out_of_memory(s, "queueing a job");
	if ((st = twh_store_stmt(s, &sql_job_add)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, j->kind);
	twh_db_bind_text(st, 2, j->idempotency_key);
	twh_db_bind_text(st, 3, j->payload);
	twh_db_bind_text(st, 4, twh_job_state_name(j->state));
	twh_db_bind_real(st, 5, j->next_attempt_at);
	twh_db_bind_real(st, 6, j->give_up_at);
	if (j->last_error != NULL)
		twh_db_bind_text(st, 7, j->last_error);
	return twh_store_step_done(s, st, "queueing a job");
}

/* The jobs ST returns, each row TWH_JOB_COLUMNS, into *OUT and *N; ST is reset. */
int
twh_store_read_jobs(struct twh_store *s, struct twh_db_stmt *st, struct twh_job **out, size_t *n)
{
	struct twh_job	*jobs = NULL, *j;
	int		 rc;

	*n = 0;
	while ((rc = twh_db_step(st)) == TWH_DB_ROW) {
		if ((j = reallocarray(jobs, *n + 1, sizeof(*j))) == NULL)
			break;
		jobs = j;
		j = &jobs[(*n)++];
		memset(j, 0, sizeof(*j));
		j->job_id = twh_db_column_int(st, 0);
		j->kind = twh_db_column_text(st, 1);
		j->idempotency_key = twh_db_column_text(st, 2);
		j->payload = twh_db_column_text(st, 3);
		if (twh_job_state_parse(twh_db_column_view(st, 4), &j->state) == -1)
			j->state = TWH_JOB_DEAD;
		j->attempts = (int)twh_db_column_int(st, 5);
		j->created_at = twh_db_column_real(st, 6);
		j->next_attempt_at = twh_db_column_real(st, 7);
		j->give_up_at = twh_db_column_real(st, 8);
		j->updated_at = twh_db_column_real(st, 9);
		j->last_status = (int)twh_db_column_int(st, 10);
		j->last_error = twh_db_column_text(st, 11);
		if (j->kind == NULL || j->idempotency_key == NULL || j->payload == NULL)
			break;
	}
	if (rc != TWH_DB_DONE) {
		rc = rc == TWH_DB_ROW ? twh_store_fail(s, "out of memory") :
		    twh_store_fail(s, "reading jobs");
		twh_db_reset(st);
		twh_jobs_free(jobs, *n);
		*n = 0;
		*out = NULL;
		return rc;
	}
	twh_db_reset(st);
	*out = jobs;
	return TWH_STORE_OK;
}

/* Whether a job is due by DUE_BY, or leased until before NOW: TWH_STORE_NOT_FOUND when none. */
static int
jobs_due(struct twh_store *s, double due_by, double now)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_jobs_due)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_real(st, 1, due_by);
	twh_db_bind_real(st, 2, now);
	rc = twh_db_step(st);
	rc = rc != TWH_DB_ROW ? twh_store_fail(s, "reading the outbox") :
	    twh_db_column_int(st, 0) ? TWH_STORE_OK : TWH_STORE_NOT_FOUND;
	twh_db_reset(st);
	return rc;
}

/*
 * Leases up to MAX jobs due by DUE_BY to OWNER until NOW + LEASE_S, committed before the
 * caller attempts them: the jobs come back in state delivering.  When none is due it only
 * reads, so that a dispatcher's look holds up no writer (the sqlite3 shell waits for no lock
 * unless told to).
 */
int
twh_store_jobs_lease(struct twh_store *s, const char *owner, double due_by, double now,
    double lease_s, size_t max, struct twh_job **jobs, size_t *n)
{
	struct twh_db_stmt	*st;
	int			 rc;

	*jobs = NULL;
	*n = 0;
	if ((rc = jobs_due(s, due_by, now)) != TWH_STORE_OK)
		return rc == TWH_STORE_NOT_FOUND ? TWH_STORE_OK : rc;
	if (twh_store_begin(s) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	if ((st = twh_store_stmt(s, &sql_jobs_lease)) == NULL) {
		twh_store_rollback(s);
		return TWH_STORE_ERROR;
	}
	twh_db_bind_real(st, 1, due_by);
	twh_db_bind_int(st, 2, max);
	twh_db_bind_text(st, 3, owner);
	twh_db_bind_real(st, 4, now + lease_s);
	twh_db_bind_real(st, 5, now);
	if ((rc = twh_store_read_jobs(s, st, jobs, n)) != TWH_STORE_OK ||
	    (rc = twh_store_commit(s)) != TWH_STORE_OK) {
		twh_store_rollback(s);
		twh_jobs_free(*jobs, *n);
		*jobs = NULL;
		*n = 0;
	}
	return rc;
}

/*
 * Writes J's state, attempts, next attempt, status and error back, and ends OWNER's lease:
 * TWH_STORE_NOT_FOUND when the lease was no longer OWNER's (it expired, another took the job).
 */
int
twh_store_job_update(struct twh_store *s, const char *owner, const struct twh_job *j)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_job_update)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_int(st, 1, j->job_id);
	twh_db_bind_text(st, 2, twh_job_state_name(j->state));
	twh_db_bind_int(st, 3, j->attempts);
	twh_db_bind_real(st, 4, j->next_attempt_at);
	twh_db_bind_real(st, 5, j->updated_at);
	twh_db_bind_int(st, 6, j->last_status);
	if (j->last_error != NULL)
		twh_db_bind_text(st, 7, j->last_error);
	twh_db_bind_text(st, 8, owner);
	if ((rc = twh_store_step_done(s, st, "updating a job")) != TWH_STORE_OK)
		return rc;
	return twh_db_changes(st) > 0 ? TWH_STORE_OK : TWH_STORE_NOT_FOUND;
}

/*
 * Puts jobs left mid-attempt back in line: OWNER's, or every dispatcher's when OWNER is NULL
 * (only when no other dispatcher can be running); COUNT says how many.
 */
int
twh_store_jobs_interrupted(struct twh_store *s, const char *owner, double now, int *count)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_jobs_interrupted)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_real(st, 1, now);
	twh_db_bind_text(st, 2, owner);
	rc = twh_store_step_done(s, st, "recovering interrupted jobs");
	*count = rc == TWH_STORE_OK ? twh_db_changes(st) : 0;
	return rc;
}

/* When the next pending job is due; TWH_STORE_NOT_FOUND when none is pending. */
int
twh_store_next_due(struct twh_store *s, double *when)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_next_due)) == NULL)
		return TWH_STORE_ERROR;
	rc = twh_db_step(st);
	if (rc == TWH_DB_ROW && !twh_db_column_null(st, 0)) {
		*when = twh_db_column_real(st, 0);
		rc = TWH_STORE_OK;
	} else
		rc = rc == TWH_DB_ROW ? TWH_STORE_NOT_FOUND :
		    twh_store_fail(s, "reading the outbox");
	twh_db_reset(st);
	return rc;
}

/* The newest LIMIT jobs, all or in STATE only (a state name, or NULL). */
int
twh_store_jobs_list(struct twh_store *s, const char *state, size_t limit, struct twh_job **jobs,
    size_t *n)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_jobs_list)) == NULL)
		return TWH_STORE_ERROR;
	if (state != NULL)
		twh_db_bind_text(st, 1, state);
	twh_db_bind_int(st, 2, limit);
	return twh_store_read_jobs(s, st, jobs, n);
}

/*
 * Forgets the idempotency claims, the finished jobs and the Proxy records older than their
 * CUTOFFS: rows that each webhook adds, which would otherwise be kept for ever.
 */
int
twh_store_prune(struct twh_store *s, const struct twh_prune_cutoffs *cutoffs)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_prune_claims)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_real(st, 1, cutoffs->claims);
	if ((rc = twh_store_step_done(s, st, "pruning claims")) != TWH_STORE_OK)
		return rc;
	if ((st = twh_store_stmt(s, &sql_prune_jobs)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_real(st, 1, cutoffs->jobs);
	if ((rc = twh_store_step_done(s, st, "pruning jobs")) != TWH_STORE_OK)
		return rc;
	return twh_store_prune_proxy_records(s, cutoffs->proxy_records);
}
