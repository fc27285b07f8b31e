/*
 * twh_db_postgres_cache.h: the PostgreSQL driver's memory of answers to reads of the customer
 * tables, so that a FastCGI process answers a CRM read it answered a moment ago without a round
 * trip to the server.  It knows nothing of connections: twh_db_postgres.c says when it must
 * forget (an edit heard of by NOTIFY, a new connection) and which answers it may keep.
 *
 * An answer is kept under its statement and parameters, for at most the cache's age, in a
 * table of a fixed number of slots and a bounded number of bytes; each forgetting counts an
 * epoch, so that an answer read before an edit was heard of is not kept after it.
 */
#ifndef TWH_DB_POSTGRES_CACHE_H
#define TWH_DB_POSTGRES_CACHE_H

#include <stdbool.h>

#include <libpq-fe.h>

struct pg_cache;

struct pg_cache	*pg_cache_new(int ms);
void		 pg_cache_free(struct pg_cache *);
void		 pg_cache_set_age(struct pg_cache *, int ms);
bool		 pg_cache_keeps(const struct pg_cache *);
void		 pg_cache_forget(struct pg_cache *);
unsigned long	 pg_cache_epoch(const struct pg_cache *);
PGresult	*pg_cache_find(struct pg_cache *, const void *statement, int n_params,
		    const char *const *values);
void		 pg_cache_keep(struct pg_cache *, const void *statement, int n_params,
		    const char *const *values, const PGresult *);

#endif
