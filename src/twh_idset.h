/*
 * twh_idset.h: a set of strings remembered by 64-bit fingerprints, in memory of a bounded size:
 * it says "new" only for a string it never saw, and may say "seen" (rarely) for one it did not.
 */
#ifndef TWH_IDSET_H
#define TWH_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct twh_idset {
	uint64_t	*slots;		/* 0 is an empty slot */
	size_t		 cap;		/* slots, a power of two */
	size_t		 n;		/* fingerprints held */
	size_t		 max;		/* held at most */
};

enum twh_idset_add {
	TWH_IDSET_NEW,		/* added */
	TWH_IDSET_SEEN,		/* added before, or (rarely) one of the same fingerprint */
	TWH_IDSET_FULL		/* the set holds its most, or memory ran out: not added */
};

uint64_t		 twh_idset_fingerprint(const char *);
uint64_t		 twh_idset_fingerprint_bytes(const void *, size_t);
void			 twh_idset_init(struct twh_idset *, size_t);
enum twh_idset_add	 twh_idset_add(struct twh_idset *, const char *);
void			 twh_idset_clear(struct twh_idset *);
void			 twh_idset_free(struct twh_idset *);

#endif
