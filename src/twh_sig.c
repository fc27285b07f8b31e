/*
 * twh_sig.c: X-Twilio-Signature.  The signed message is the URL followed, for form bodies, by each
 * parameter name with its distinct values, names and values sorted by byte value.  A request is
 * valid when the header matches that message under any configured token, for the URL as received
 * or with its port toggled; non-form bodies must also hash to the URL's bodySHA256.  Comparisons
 * are constant-time on the decoded 20-byte digest.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include "twh_base64.h"
#include "twh_sig.h"
#include "twh_url.h"

#define SIG_LEN	20	/* HMAC-SHA1 */

static int
param_cmp(const void *a, const void *b)
{
	const struct twh_param	*x = *(const struct twh_param *const *)a;
	const struct twh_param	*y = *(const struct twh_param *const *)b;
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

/* Appends the sorted, de-duplicated parameters to MSG. */
static int
add_sorted_params(struct twh_buf *msg, const struct twh_params *params)
{
	const struct twh_param	**sorted, *prev = NULL;
	size_t			  i;
	int			  rc = 0;

	if (params == NULL || params->n == 0)
		return 0;
	if ((sorted = calloc(params->n, sizeof(*sorted))) == NULL)
		return -1;
	for (i = 0; i < params->n; i++)
		sorted[i] = &params->v[i];
	qsort(sorted, params->n, sizeof(*sorted), param_cmp);
	for (i = 0; rc == 0 && i < params->n; i++) {
		if (prev != NULL && param_cmp(&prev, &sorted[i]) == 0)
			continue;
		if ((rc = twh_buf_adds(msg, sorted[i]->name)) == 0)
			rc = twh_buf_adds(msg, sorted[i]->value);
		prev = sorted[i];
	}
	free(sorted);
	return rc;
}

/*
 * The process's HMAC-SHA1 context: fetched once (OpenSSL 3's one-shot HMAC() fetches the
 * algorithm on every call), and keyed again only when the token changes.
 */
static struct {
	EVP_MAC_CTX	*ctx;
	char		*key;	/* the token it is keyed with; NULL: none */
} hmac;

/* Readies the context for a MAC under TOKEN: with the key it holds when that is TOKEN. */
static int
hmac_init(const char *token)
{
	OSSL_PARAM	 sha1[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
		OSSL_PARAM_construct_end()
	};
	EVP_MAC		*mac;

	if (hmac.ctx == NULL) {
		if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
			return -1;
		hmac.ctx = EVP_MAC_CTX_new(mac);	/* which keeps a reference */
		EVP_MAC_free(mac);
		if (hmac.ctx == NULL)
			return -1;
	}
	if (hmac.key != NULL && strcmp(hmac.key, token) == 0)
		return EVP_MAC_init(hmac.ctx, NULL, 0, NULL) == 1 ? 0 : -1;
	if (hmac.key != NULL) {
		OPENSSL_clear_free(hmac.key, strlen(hmac.key));
		hmac.key = NULL;
	}
	if (EVP_MAC_init(hmac.ctx, (const unsigned char *)token, strlen(token), sha1) != 1 ||
	    (hmac.key = strdup(token)) == NULL)
		return -1;
	return 0;
}

static int
digest(const char *token, const struct twh_buf *msg, unsigned char out[SIG_LEN])
{
	size_t	 len = 0;

	if (hmac_init(token) == -1 ||
	    EVP_MAC_update(hmac.ctx, (const unsigned char *)msg->data, msg->len) != 1 ||
	    EVP_MAC_final(hmac.ctx, out, &len, SIG_LEN) != 1 || len != SIG_LEN)
		return -1;
	return 0;
}

static int
build_message(struct twh_buf *msg, const char *url, const struct twh_params *params)
{
	twh_buf_reset(msg);
	if (twh_buf_adds(msg, url) == -1 || add_sorted_params(msg, params) == -1)
		return -1;
	return 0;
}

/* Writes the base64 signature of URL and PARAMS under TOKEN into OUT. */
int
twh_sig_sign(const char *token, const char *url, const struct twh_params *params,
    struct twh_buf *out)
{
	struct twh_buf	 msg;
	unsigned char	 mac[SIG_LEN];
	int		 rc;

	twh_buf_init(&msg);
	rc = build_message(&msg, url, params) == -1 || digest(token, &msg, mac) == -1 ? -1 :
	    twh_base64_encode(mac, sizeof(mac), false, out);
	twh_buf_free(&msg);
	return rc;
}

int
twh_sig_body_sha256(const char *body, size_t len, char hex[65])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	if (EVP_Digest(body, len, md, NULL, EVP_sha256(), NULL) != 1)
		return -1;
	twh_hex_encode(md, sizeof(md), hex);
	return 0;
}

/* True when the query string of URL has bodySHA256 equal to the body's SHA-256. */
static bool
body_hash_matches(const struct twh_signed_request *req)
{
	static const char	 key[] = "bodySHA256=";
	const char		*q = twh_url_query(req->url);
	char			 hex[65];
	size_t			 n;

	if (q == NULL || twh_sig_body_sha256(req->body != NULL ? req->body : "", req->body_len,
	    hex) == -1)
		return false;
	/* Raw pieces of the query: the value is hex, so there is nothing to decode. */
	for (; *q != '\0' && *q != '#'; q += n + (q[n] == '&')) {
		n = strcspn(q, "&#");
		if (n == sizeof(key) - 1 + 64 && strncmp(q, key, sizeof(key) - 1) == 0)
			return strncasecmp(q + sizeof(key) - 1, hex, 64) == 0;
	}
	return false;
}

static bool
url_matches(const char *url, const struct twh_params *params, const char *const *tokens,
    size_t ntokens, const unsigned char want[SIG_LEN])
{
	struct twh_buf	 msg;
	unsigned char	 mac[SIG_LEN];
	size_t		 i;
	bool		 ok = false;

	twh_buf_init(&msg);
	if (build_message(&msg, url, params) == 0)
		for (i = 0; i < ntokens && !ok; i++)
			ok = digest(tokens[i], &msg, mac) == 0 &&
			    CRYPTO_memcmp(mac, want, SIG_LEN) == 0;
	twh_buf_free(&msg);
	return ok;
}

bool
twh_sig_valid(const struct twh_signed_request *req, const char *const *tokens, size_t ntokens,
    const char *header)
{
	struct twh_buf	 want, toggled;
	bool		 ok = false;

	if (header == NULL || *header == '\0' || ntokens == 0)
		return false;
	twh_buf_init(&want);
	twh_buf_init(&toggled);
	if (twh_base64_decode(header, strlen(header), false, &want) == 0 && want.len == SIG_LEN) {
		ok = url_matches(req->url, req->params, tokens, ntokens,
		    (const unsigned char *)want.data);
		if (!ok && twh_url_toggle_port(req->url, &toggled) == 0)
			ok = url_matches(toggled.data, req->params, tokens, ntokens,
			    (const unsigned char *)want.data);
		if (ok && req->params == NULL)
			ok = body_hash_matches(req);
	}
	twh_buf_free(&want);
	twh_buf_free(&toggled);
	return ok;
}
