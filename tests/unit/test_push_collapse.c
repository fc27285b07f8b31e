/*
 * test_push_collapse.c: twh_push_collapse_id, the collapse identifier that every attempt at a
 * push job carries (apns-collapse-id, FCM's collapse_key, the relay's Idempotency-Key).  The
 * expected identifiers were computed apart from twhook, with sha256sum and Python's hashlib:
 * the first 32 hexadecimal digits of the SHA-256 of the key.  Also: the same key gives the same
 * identifier, keys that differ anywhere (past byte 64 too) give different ones, and a hostile
 * key (CR, LF, control bytes, UTF-8, 1000 bytes) gives header-safe text of 32 bytes.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_push_common.h"

#define CANARY	'#'

/* Every byte of ID a lower-case hexadecimal digit, and exactly TWH_PUSH_COLLAPSE_ID_LEN. */
static bool
header_safe(const char *id)
{
	return strlen(id) == TWH_PUSH_COLLAPSE_ID_LEN &&
	    strspn(id, "0123456789abcdef") == TWH_PUSH_COLLAPSE_ID_LEN;
}

/*
 * The identifier of KEY into ID, which must be WANT when WANT is not NULL; checks it is
 * header-safe and that nothing past its NUL was written.
 */
static void
collapse(const char *key, const char *want, const char *what, char id[TWH_PUSH_COLLAPSE_ID_LEN + 1])
{
	char	 buf[TWH_PUSH_COLLAPSE_ID_LEN + 8];

	memset(buf, CANARY, sizeof(buf));
	ok(twh_push_collapse_id(key, buf) == 0, "%s: computed", what);
	ok(header_safe(buf), "%s: %d lower-case hex digits, nothing else", what,
	    TWH_PUSH_COLLAPSE_ID_LEN);
	ok(buf[TWH_PUSH_COLLAPSE_ID_LEN + 1] == CANARY, "%s: nothing written past the NUL", what);
	if (want != NULL)
		is_str(buf, want, what);
	memcpy(id, buf, TWH_PUSH_COLLAPSE_ID_LEN + 1);
}

int
main(void)
{
	char	 a[TWH_PUSH_COLLAPSE_ID_LEN + 1], b[TWH_PUSH_COLLAPSE_ID_LEN + 1];
	char	 hostile[1024];
	size_t	 i, n;

	ok(TWH_PUSH_COLLAPSE_ID_LEN <= 64, "the identifier fits APNs's 64 bytes of apns-collapse-id");

	/* The documented derivation, checked against sha256sum. */
	collapse("push:WB0123456789abcdef0123456789abcdef:BN0123456789abcdef0123456789abcdef",
	    "b941668435c020e7e2bd0f7b1ee162df", "a key as twhook-call-notify makes them", a);
	collapse("push:WB1:b-fcm1", "d9c9d463f2263850510686f34a5e3c99", "a short key: hashed too", a);
	collapse("", "e3b0c44298fc1c149afbf4c8996fb924", "the empty key", a);

	/* One job, one identifier: the same on every attempt. */
	collapse("push:WB1:b-fcm1", NULL, "push:WB1:b-fcm1 again", a);
	is_str(a, "d9c9d463f2263850510686f34a5e3c99", "the same key, the same identifier");

	/* Two jobs, two identifiers: a key is never cut short, nor its case folded. */
	collapse("push:WB1:b-fcm2", NULL, "the same notification to another binding", b);
	ok(strcmp(a, b) != 0, "another binding, another identifier");
	collapse("push:WB1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbb1", "594817fd28b204f0e6480d87ce4d6686",
	    "a key of 110 bytes", a);
	collapse("push:WB1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbb2", "796f3f4294c3d17495e7cd699f494b92",
	    "the same but its last byte", b);
	ok(strcmp(a, b) != 0, "keys that differ past byte 64 only: two identifiers");
	collapse("push:WB1:b-fcm1", NULL, "push:WB1:b-fcm1", a);
	collapse("push:WB1:B-FCM1", NULL, "the same key in upper case", b);
	ok(strcmp(a, b) != 0, "keys that differ in case only: two identifiers");

	/* Hostile keys give header-safe text all the same. */
	collapse("push:WB30:b-evil\r\nX-Injected: yes", "7cfb05ca6a3eadbb1c674cee7a181a2d",
	    "a key with CR LF and a header line", a);
	n = (size_t)snprintf(hostile, sizeof(hostile), "push:WB1:");
	for (i = 0; i < 1000; i++)
		hostile[n + i] = (char)(i % 255 + 1);	/* every byte but NUL, 0x7f and 0x80-0xff too */
	hostile[n + i] = '\0';
	collapse(hostile, "8d97f520b5a25d30c55927c8cb239abe", "a key of 1009 bytes, all of them", a);
	return done_testing();
}
