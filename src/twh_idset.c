/*
 * twh_idset.c: a set of strings by fingerprint, for an import to tell the ids it staged from a
 * new one without an index on disk.  Open addressing with linear probing, kept at most half
 * full; it grows by doubling from a small start up to the slots its most needs.  Two strings of
 * the same fingerprint (FNV-1a, then a 64-bit finalizer) are one to the set: a million ids
 * share one with a chance of about 1 in 30 billion, and a caller must take "seen" as "maybe".
 */
#include <stdlib.h>
#include <string.h>

#include "twh_idset.h"

#define FIRST_SLOTS	1024

/* MAX: the most fingerprints the set will hold (at least 1). */
void
twh_idset_init(struct twh_idset *set, size_t max)
{
	set->slots = NULL;
	set->cap = set->n = 0;
	set->max = max > 0 ? max : 1;
}

/* The 64-bit fingerprint of S, never 0: also a hash for a table of any size. */
uint64_t
twh_idset_fingerprint(const char *s)
{
	return twh_idset_fingerprint_bytes(s, strlen(s));
}

/* The fingerprint of LEN bytes at P, which may hold NUL bytes. */
uint64_t
twh_idset_fingerprint_bytes(const void *p, size_t len)
{
	const unsigned char	*b = p;
	uint64_t		 h = 14695981039346656037u;
	size_t			 i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

/* The slot of H in SLOTS (CAP of them): where it is, or the empty one where it would go. */
static size_t
slot_of(const uint64_t *slots, size_t cap, uint64_t h)
{
	size_t	 i = (size_t)h & (cap - 1);

	while (slots[i] != 0 && slots[i] != h)
		i = (i + 1) & (cap - 1);
	return i;
}

/* Twice the slots (FIRST_SLOTS to begin): -1 when memory runs out. */
static int
grow(struct twh_idset *set)
{
	size_t		 cap = set->cap > 0 ? set->cap * 2 : FIRST_SLOTS, i;
	uint64_t	*slots;

	if (cap < set->cap || (slots = calloc(cap, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < set->cap; i++)
		if (set->slots[i] != 0)
			slots[slot_of(slots, cap, set->slots[i])] = set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

enum twh_idset_add
twh_idset_add(struct twh_idset *set, const char *s)
{
	uint64_t	 h = twh_idset_fingerprint(s);
	size_t		 i;

	if (set->cap > 0 && set->slots[slot_of(set->slots, set->cap, h)] == h)
		return TWH_IDSET_SEEN;
	if (set->n == set->max)
		return TWH_IDSET_FULL;
	if ((set->n + 1) * 2 > set->cap && grow(set) == -1)
		return TWH_IDSET_FULL;
	i = slot_of(set->slots, set->cap, h);
	set->slots[i] = h;
	set->n++;
	return TWH_IDSET_NEW;
}

/* Forgets every string, keeping the memory for the next. */
void
twh_idset_clear(struct twh_idset *set)
{
	size_t	 i;

	for (i = 0; i < set->cap; i++)
		set->slots[i] = 0;
	set->n = 0;
}

void
twh_idset_free(struct twh_idset *set)
{
	free(set->slots);
	twh_idset_init(set, set->max);
}
