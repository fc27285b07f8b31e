/*
 * twh_store_console.c: what twhook-console(8) asks of the store: the count of rows in each
 * table an operator fills, the outbox's jobs counted by state, a keyset page of jobs newest
 * first, putting a dead job back in line (which `twhook jobs --retry` does too), and the
 * gauges of /metrics: jobs by state and kind, the oldest waiting job, the store's size.  The
 * statements are the same text on both engines but the size's.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

static const struct twh_sql sql_table_counts = {
    .text = "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM workers), "
    "(SELECT count(*) FROM client_bindings), (SELECT count(*) FROM intercept_rules), "
    "(SELECT count(*) FROM out_of_session), (SELECT count(*) FROM templates), "
    "(SELECT count(*) FROM proxy_addresses)"
};
static const struct twh_sql sql_job_counts = {
    .text = "SELECT state, count(*) FROM outbox GROUP BY state"
};
static const struct twh_sql sql_job_kinds = {
    .text = "SELECT state, kind, count(*) FROM outbox GROUP BY state, kind ORDER BY state, kind"
};
static const struct twh_sql sql_oldest_waiting = {
    .text = "SELECT coalesce(min(created_at), 0) FROM outbox WHERE state IN ('queued', 'retrying')"
};
static const struct twh_sql sql_store_bytes = {
    .text = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    .postgres = "SELECT pg_database_size(current_database())"
};
/* ?1: a state, or NULL for every job not done; ?2: below this job. */
static const struct twh_sql sql_jobs_page = {
    .text = "SELECT " TWH_JOB_COLUMNS " FROM outbox "
    "WHERE (CAST(?1 AS TEXT) IS NULL AND state <> 'done' OR state = ?1) AND job_id < ?2 "
    "ORDER BY job_id DESC LIMIT ?3"
};
/*
 * A dead job due now with no attempts, given as long again as it was at first (give_up_at
 * counts from its creation), only if it is dead still.
 */
static const struct twh_sql sql_job_retry = {
    .text = "UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?2, "
    "give_up_at = ?2 + (give_up_at - created_at), updated_at = ?2 "
    "WHERE job_id = ?1 AND state = 'dead'"
};

/* How many rows each table of struct twh_table_counts holds. */
int
twh_store_table_counts(struct twh_store *s, struct twh_table_counts *counts)
{
	struct twh_db_stmt	*st;
	int			 rc;

	memset(counts, 0, sizeof(*counts));
	if ((st = twh_store_stmt(s, &sql_table_counts)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = twh_db_step(st)) == TWH_DB_ROW) {
		counts->customers = twh_db_column_int(st, 0);
		counts->workers = twh_db_column_int(st, 1);
		counts->client_bindings = twh_db_column_int(st, 2);
		counts->intercept_rules = twh_db_column_int(st, 3);
		counts->out_of_session = twh_db_column_int(st, 4);
		counts->templates = twh_db_column_int(st, 5);
		counts->proxy_addresses = twh_db_column_int(st, 6);
	}
	twh_db_reset(st);
	return rc == TWH_DB_ROW ? TWH_STORE_OK : twh_store_fail(s, "counting rows");
}

static int
job_count_row(struct twh_db_stmt *st, void *arg)
{
	long long		*by_state = arg;
	enum twh_job_state	 state;

	if (twh_job_state_parse(twh_db_column_view(st, 0), &state) == 0)
		by_state[state] = twh_db_column_int(st, 1);
	return 0;
}

/* The outbox's jobs in each state, BY_STATE indexed by enum twh_job_state. */
int
twh_store_job_counts(struct twh_store *s, long long by_state[TWH_JOB_STATES])
{
	struct twh_db_stmt	*st;

	memset(by_state, 0, TWH_JOB_STATES * sizeof(by_state[0]));
	if ((st = twh_store_stmt(s, &sql_job_counts)) == NULL)
		return TWH_STORE_ERROR;
	return twh_store_each_row(s, st, "counting jobs", job_count_row, by_state);
}

/*
 * Up to LIMIT jobs, newest first, below job BEFORE (0: from the newest): those in STATE, or
 * with STATE NULL every job not yet done.
 */
int
twh_store_jobs_page(struct twh_store *s, const char *state, long long before, size_t limit,
    struct twh_job **jobs, size_t *n)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_jobs_page)) == NULL)
		return TWH_STORE_ERROR;
	if (state != NULL)
		twh_db_bind_text(st, 1, state);
	twh_db_bind_int(st, 2, before > 0 ? before : LLONG_MAX);
	twh_db_bind_int(st, 3, (long long)limit);
	return twh_store_read_jobs(s, st, jobs, n);
}

/*
 * Puts the dead job JOB_ID back in line at NOW, in a transaction of its own, and wakes the
 * dispatcher: TWH_STORE_NOT_FOUND when there is no such job or it is not dead (any more).
 */
int
twh_store_job_retry(struct twh_store *s, long long job_id, double now)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if (twh_store_begin(s) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	if ((st = twh_store_stmt(s, &sql_job_retry)) == NULL) {
		twh_store_rollback(s);
		return TWH_STORE_ERROR;
	}
	twh_db_bind_int(st, 1, job_id);
	twh_db_bind_real(st, 2, now);
	if ((rc = twh_store_step_done(s, st, "retrying a job")) == TWH_STORE_OK &&
	    twh_db_changes(st) == 0)
		rc = TWH_STORE_NOT_FOUND;
	if (rc != TWH_STORE_OK || twh_store_commit(s) != TWH_STORE_OK) {
		twh_store_rollback(s);
		return rc == TWH_STORE_OK ? TWH_STORE_ERROR : rc;
	}
	twh_store_notify(s);
	return TWH_STORE_OK;
}

struct job_kinds_call {
	twh_job_kind_fn	*fn;
	void		*arg;
};

static int
job_kind_row(struct twh_db_stmt *st, void *arg)
{
	struct job_kinds_call	*call = arg;

	call->fn(call->arg, twh_db_column_view(st, 0), twh_db_column_view(st, 1),
	    twh_db_column_int(st, 2));
	return 0;
}

/* Calls FN with each state and kind the outbox holds jobs of, and how many. */
int
twh_store_job_kinds(struct twh_store *s, twh_job_kind_fn *fn, void *arg)
{
	struct twh_db_stmt	*st;
	struct job_kinds_call	 call = { fn, arg };

	if ((st = twh_store_stmt(s, &sql_job_kinds)) == NULL)
		return TWH_STORE_ERROR;
	return twh_store_each_row(s, st, "counting jobs by kind", job_kind_row, &call);
}

/* When the oldest job still waiting for delivery (queued or retrying) was made, in unix
 * seconds; 0 when none waits. */
int
twh_store_oldest_waiting(struct twh_store *s, double *created_at)
{
	struct twh_db_stmt	*st;
	int			 rc;

	*created_at = 0;
	if ((st = twh_store_stmt(s, &sql_oldest_waiting)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = twh_db_step(st)) == TWH_DB_ROW)
		*created_at = twh_db_column_real(st, 0);
	twh_db_reset(st);
	return rc == TWH_DB_ROW ? TWH_STORE_OK : twh_store_fail(s, "finding the oldest job");
}

/* The store's size in bytes: the SQLite file's pages, or the PostgreSQL database's. */
int
twh_store_bytes(struct twh_store *s, long long *bytes)
{
	struct twh_db_stmt	*st;

	*bytes = 0;
	if ((st = twh_store_stmt(s, &sql_store_bytes)) == NULL)
		return TWH_STORE_ERROR;
	return twh_store_int_row(s, st, "measuring the store", bytes);
}
