/*
 * test_idset.c: the set of ids an import has staged (twh_idset.c): new and seen, growth far past
 * its first slots, its most, clearing, strings that differ only late or by one byte, and the
 * fingerprints of bytes that hold NULs.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_idset.h"

int
main(void)
{
	struct twh_idset	 set;
	char			 id[32];
	int			 i, fresh = 0, seen = 0;

	twh_idset_init(&set, 300000);
	ok(twh_idset_add(&set, "c1") == TWH_IDSET_NEW, "a first id is new");
	ok(twh_idset_add(&set, "c1") == TWH_IDSET_SEEN, "the same id again is seen");
	ok(twh_idset_add(&set, "") == TWH_IDSET_NEW, "the empty string is an id like any");
	ok(twh_idset_add(&set, "c1 ") == TWH_IDSET_NEW, "a trailing space makes another id");
	for (i = 2; i <= 200000; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		fresh += twh_idset_add(&set, id) == TWH_IDSET_NEW;
	}
	ok(fresh == 199999, "199,999 more ids, each new (%d)", fresh);
	ok(set.n == 200002 && set.cap >= 2 * set.n, "held at most half full (%zu in %zu slots)",
	    set.n, set.cap);
	for (i = 1; i <= 200000; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		seen += twh_idset_add(&set, id) == TWH_IDSET_SEEN;
	}
	ok(seen == 200000, "each of them seen after the set grew (%d)", seen);
	for (i = 0; set.n < 300000; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		twh_idset_add(&set, id);
	}
	ok(twh_idset_add(&set, "one more") == TWH_IDSET_FULL, "a full set says so");
	ok(twh_idset_add(&set, "c7") == TWH_IDSET_SEEN, "and still knows what it holds");
	twh_idset_clear(&set);
	ok(set.n == 0 && twh_idset_add(&set, "c7") == TWH_IDSET_NEW, "cleared, it knows nothing");
	twh_idset_free(&set);
	ok(set.slots == NULL && twh_idset_add(&set, "c7") == TWH_IDSET_NEW,
	    "freed, it can be used again");
	twh_idset_free(&set);
	twh_idset_init(&set, 0);
	ok(twh_idset_add(&set, "a") == TWH_IDSET_NEW && twh_idset_add(&set, "b") == TWH_IDSET_FULL,
	    "a set of at most 0 holds one");
	twh_idset_free(&set);
	ok(twh_idset_fingerprint_bytes("abc", 3) == twh_idset_fingerprint("abc"),
	    "a string's fingerprint is that of its bytes");
	ok(twh_idset_fingerprint_bytes("a\0b", 3) != twh_idset_fingerprint_bytes("a\0c", 3) &&
	    twh_idset_fingerprint_bytes("a\0b", 3) != twh_idset_fingerprint_bytes("a", 1),
	    "bytes after a NUL count");
	return done_testing();
}
