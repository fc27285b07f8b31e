/*
 * twh_db_postgres_cache.c: answers of the customer tables' reads, kept by the PostgreSQL driver
 * (twh_db_postgres_cache.h).  A direct-mapped table: a key (the statement's address, then each
 * parameter as a byte saying whether it is NULL and its text with its NUL) hashes to one slot,
 * and a new answer for the slot replaces the one there.  Answers are copied in and out, so that
 * a statement reading one never holds memory the cache may free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_clock.h"
#include "twh_db_postgres_cache.h"
#include "twh_idset.h"

#define SLOTS		4096		/* a power of two */
#define MAX_BYTES	(4u << 20)	/* all the answers kept */
#define MAX_ANSWER	(MAX_BYTES / 16)	/* one answer kept, at most */

struct slot {
	uint64_t	 hash;
	char		*key;
	size_t		 key_len;
	PGresult	*answer;	/* NULL: the slot is empty */
	size_t		 bytes;
	double		 kept_at;	/* monotonic ms */
};

struct pg_cache {
	struct slot	 slots[SLOTS];
	size_t		 bytes;
	unsigned long	 epoch;
	struct twh_buf	 key;		/* the key of the last find or keep */
	double		 age_ms;	/* answers are kept this long; 0: not at all */
};

/* A cache that keeps answers for MS milliseconds; NULL when memory ran out. */
struct pg_cache *
pg_cache_new(int ms)
{
	struct pg_cache	*cache = calloc(1, sizeof(*cache));

	if (cache != NULL) {
		twh_buf_init(&cache->key);
		cache->age_ms = ms;
	}
	return cache;
}

static void
empty_slot(struct pg_cache *cache, struct slot *s)
{
	PQclear(s->answer);
	free(s->key);
	cache->bytes -= s->bytes;
	memset(s, 0, sizeof(*s));
}

static void
empty_all(struct pg_cache *cache)
{
	size_t	 i;

	for (i = 0; i < SLOTS; i++)
		if (cache->slots[i].answer != NULL)
			empty_slot(cache, &cache->slots[i]);
}

void
pg_cache_free(struct pg_cache *cache)
{
	if (cache == NULL)
		return;
	empty_all(cache);
	twh_buf_free(&cache->key);
	free(cache);
}

/* Keeps answers for MS milliseconds from now on (0: none); forgets those kept. */
void
pg_cache_set_age(struct pg_cache *cache, int ms)
{
	if (cache == NULL)
		return;
	pg_cache_forget(cache);
	cache->age_ms = ms > 0 ? ms : 0;
}

/* Whether the cache keeps answers at all. */
bool
pg_cache_keeps(const struct pg_cache *cache)
{
	return cache != NULL && cache->age_ms > 0;
}

/* Forgets every answer, and starts a new epoch. */
void
pg_cache_forget(struct pg_cache *cache)
{
	if (cache == NULL)
		return;
	empty_all(cache);
	cache->epoch++;
}

unsigned long
pg_cache_epoch(const struct pg_cache *cache)
{
	return cache != NULL ? cache->epoch : 0;
}

/* Makes cache->key the key of STATEMENT with VALUES: 0, or -1 when memory ran out. */
static int
make_key(struct pg_cache *cache, const void *statement, int n, const char *const *values)
{
	int	 i, rc;

	twh_buf_reset(&cache->key);
	rc = twh_buf_add(&cache->key, &statement, sizeof(statement));
	for (i = 0; rc == 0 && i < n; i++) {
		rc = twh_buf_addc(&cache->key, values[i] != NULL);
		if (rc == 0 && values[i] != NULL)
			rc = twh_buf_add(&cache->key, values[i], strlen(values[i]) + 1);
	}
	return rc;
}

static struct slot *
slot_of(struct pg_cache *cache, uint64_t hash)
{
	return &cache->slots[hash & (SLOTS - 1)];
}

/* A copy of the answer kept for STATEMENT with VALUES, younger than the most age; or NULL. */
PGresult *
pg_cache_find(struct pg_cache *cache, const void *statement, int n, const char *const *values)
{
	struct slot	*s;
	uint64_t	 hash;

	if (cache == NULL || make_key(cache, statement, n, values) == -1)
		return NULL;
	hash = twh_idset_fingerprint_bytes(cache->key.data, cache->key.len);
	s = slot_of(cache, hash);
	if (s->answer == NULL || s->hash != hash || s->key_len != cache->key.len ||
	    memcmp(s->key, cache->key.data, s->key_len) != 0)
		return NULL;
	if (twh_elapsed_ms(s->kept_at) >= cache->age_ms) {
		empty_slot(cache, s);
		return NULL;
	}
	return PQcopyResult(s->answer, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
}

/* What ANSWER costs in memory, about. */
static size_t
answer_bytes(const PGresult *answer)
{
	int	 rows = PQntuples(answer), columns = PQnfields(answer), r, c;
	size_t	 bytes = 256 + (size_t)columns * 64 + (size_t)rows * (size_t)columns * 16;

	for (r = 0; r < rows; r++)
		for (c = 0; c < columns; c++)
			bytes += (size_t)PQgetlength(answer, r, c) + 1;
	return bytes;
}

/* Keeps a copy of ANSWER, a statement's rows, for STATEMENT with VALUES, if it is not too big. */
void
pg_cache_keep(struct pg_cache *cache, const void *statement, int n, const char *const *values,
    const PGresult *answer)
{
	struct slot	*s;
	uint64_t	 hash;
	size_t		 bytes;

	if (cache == NULL || cache->age_ms == 0 || PQresultStatus(answer) != PGRES_TUPLES_OK ||
	    (bytes = answer_bytes(answer)) > MAX_ANSWER ||
	    make_key(cache, statement, n, values) == -1)
		return;
	hash = twh_idset_fingerprint_bytes(cache->key.data, cache->key.len);
	s = slot_of(cache, hash);
	if (s->answer != NULL)
		empty_slot(cache, s);
	if (cache->bytes + bytes > MAX_BYTES)
		empty_all(cache);
	if ((s->key = malloc(cache->key.len)) == NULL)
		return;
	if ((s->answer = PQcopyResult(answer, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES)) == NULL) {
		free(s->key);
		s->key = NULL;
		return;
	}
	memcpy(s->key, cache->key.data, cache->key.len);
	s->key_len = cache->key.len;
	s->hash = hash;
	s->bytes = bytes;
	s->kept_at = twh_monotonic_ms();
	cache->bytes += bytes;
}
