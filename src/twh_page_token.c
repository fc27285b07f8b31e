/*
 * twh_page_token.c: a list position as an opaque string: base64url of "1", NUL, display name,
 * NUL, customer_id.  It names the last customer shown, not an offset, so inserts and deletes
 * between two pages neither repeat nor skip anybody.  The leading "1" is the format's version.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_base64.h"
#include "twh_page_token.h"
#include "twh_utf8.h"

int
twh_page_token_encode(const struct twh_page_key *key, struct twh_buf *out)
{
	struct twh_buf	 raw;
	int		 rc;

	twh_buf_init(&raw);
	/* The NULs are written too: "1" NUL display name NUL customer_id. */
	if (twh_buf_add(&raw, "1", 2) == -1 ||
	    twh_buf_add(&raw, key->display_name, strlen(key->display_name) + 1) == -1 ||
	    twh_buf_adds(&raw, key->customer_id) == -1)
		rc = -1;
	else
		rc = twh_base64_encode(raw.data, raw.len, true, out);
	twh_buf_free(&raw);
	return rc == 0 ? 0 : -1;
}

/* Fills KEY from TOKEN; -1 for anything this code did not write. */
int
twh_page_token_decode(const char *token, struct twh_page_key *key)
{
	struct twh_buf	 raw;
	const char	*name, *id;
	int		 rc = -1;

	memset(key, 0, sizeof(*key));
	twh_buf_init(&raw);
	if (strlen(token) > 2048 || twh_base64_decode(token, strlen(token), true, &raw) == -1 ||
	    raw.len < 4 || strcmp(raw.data, "1") != 0)
		goto out;
	name = raw.data + 2;
	if ((id = memchr(name, '\0', raw.len - 2)) == NULL)
		goto out;
	id++;
	if (*name == '\0' || id >= raw.data + raw.len || strlen(id) != (size_t)(raw.data + raw.len - id) ||
	    !twh_utf8_valid(raw.data, raw.len))
		goto out;
	key->display_name = strdup(name);
	key->customer_id = strdup(id);
	if (key->display_name != NULL && key->customer_id != NULL)
		rc = 0;
	else
		twh_page_key_free(key);
out:
	twh_buf_free(&raw);
	return rc;
}
