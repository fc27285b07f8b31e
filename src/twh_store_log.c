/*
 * twh_store_log.c: reading the events the endpoints recorded, for `twhook log`: the Proxy
 * interaction callbacks and intercept decisions, newest LIMIT of them, filtered by endpoint,
 * SID and time, handed over oldest first.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

/* Each source's rows in one shape; ?1 endpoint, ?2 SID, ?3 since, ?4/?5 after, ?6 limit. */
static const char sql_log[] =
    "SELECT * FROM ("
    " SELECT received_at AS t, 'proxy-callback', 0, interaction_id, interaction_sid,"
    "  session_sid, type, inbound_resource_status, outbound_resource_status,"
    "  NULL, NULL, NULL, NULL, NULL"
    " FROM proxy_interactions"
    " WHERE ifnull(?1, 'proxy-callback') = 'proxy-callback' AND received_at >= ?3"
    "  AND interaction_id > ?4 AND (?2 IS NULL OR ?2 IN (interaction_sid, session_sid,"
    "  service_sid, account_sid, inbound_participant_sid, outbound_participant_sid,"
    "  inbound_resource_sid, outbound_resource_sid))"
    " UNION ALL"
    " SELECT decided_at, 'proxy-intercept', 1, intercept_id, interaction_sid, session_sid,"
    "  NULL, NULL, NULL, verdict, rule_rowid, rule_kind, rule_pattern, note"
    " FROM proxy_intercepts"
    " WHERE ifnull(?1, 'proxy-intercept') = 'proxy-intercept' AND decided_at >= ?3"
    "  AND intercept_id > ?5 AND (?2 IS NULL OR ?2 IN (interaction_sid, session_sid,"
    "  participant_sid))"
    " ORDER BY t DESC LIMIT ?6"
    ") ORDER BY t, 3, 4";

/* Where each source ends now: the next listing starts after these. */
static const char sql_log_ends[] =
    "SELECT (SELECT ifnull(max(interaction_id), 0) FROM proxy_interactions),"
    " (SELECT ifnull(max(intercept_id), 0) FROM proxy_intercepts)";

static const char *
text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

struct log_rows {
	struct twh_log_filter	*filter;
	int			(*each)(void *, const struct twh_log_event *);
	void			*arg;
};

static int
log_row(sqlite3_stmt *st, void *arg)
{
	struct log_rows		*r = arg;
	struct twh_log_event	 e;

	e.time = sqlite3_column_double(st, 0);
	e.endpoint = text(st, 1);
	e.source = sqlite3_column_int(st, 2);
	e.id = sqlite3_column_int64(st, 3);
	e.interaction_sid = text(st, 4);
	e.session_sid = text(st, 5);
	e.type = text(st, 6);
	e.inbound_status = text(st, 7);
	e.outbound_status = text(st, 8);
	e.verdict = text(st, 9);
	e.rule_rowid = sqlite3_column_int64(st, 10);
	e.rule_kind = text(st, 11);
	e.rule_pattern = text(st, 12);
	e.note = text(st, 13);
	if (e.id > r->filter->after[e.source])
		r->filter->after[e.source] = e.id;
	return r->each(r->arg, &e);
}

static int
list(struct twh_store *s, struct twh_log_filter *filter,
    int (*each)(void *, const struct twh_log_event *), void *arg)
{
	struct log_rows	 r = { filter, each, arg };
	sqlite3_stmt	*st;

	if ((st = twh_store_stmt(s, sql_log)) == NULL)
		return TWH_STORE_ERROR;
	sqlite3_bind_text(st, 1, filter->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, filter->sid, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, filter->since);
	sqlite3_bind_int64(st, 4, filter->after[0]);
	sqlite3_bind_int64(st, 5, filter->after[1]);
	sqlite3_bind_int64(st, 6, filter->limit > 0 ? (long long)filter->limit : -1);
	return twh_store_each_row(s, st, "reading the log", log_row, &r);
}

/* Moves FILTER's after[] to the end of each source, past events older than those listed. */
static int
skip_to_end(struct twh_store *s, struct twh_log_filter *filter)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = twh_store_stmt(s, sql_log_ends)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		filter->after[0] = sqlite3_column_int64(st, 0);
		filter->after[1] = sqlite3_column_int64(st, 1);
		rc = TWH_STORE_OK;
	} else
		rc = twh_store_fail(s, "reading the log");
	sqlite3_reset(st);
	return rc;
}

/*
 * Calls EACH with the events FILTER selects, oldest first, and moves FILTER's after[] to the
 * end of what was there: called again with the same FILTER (and no limit), it hands over only
 * what was recorded since.
 */
int
twh_store_log(struct twh_store *s, struct twh_log_filter *filter,
    int (*each)(void *, const struct twh_log_event *), void *arg)
{
	int	 rc;

	if (twh_store_begin_read(s) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	rc = list(s, filter, each, arg);
	if (rc == TWH_STORE_OK && filter->limit > 0)
		rc = skip_to_end(s, filter);
	if (twh_store_commit(s) != TWH_STORE_OK)
		twh_store_rollback(s);
	return rc;
}
