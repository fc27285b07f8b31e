/*
 * twh_jwt.c: signs JSON Web Tokens.  The signing input is base64url(header) "."
 * base64url(claims); RS256 signs it with RSASSA-PKCS1-v1_5 and SHA-256, ES256 with ECDSA on
 * P-256 and SHA-256, whose signature JOSE wants as the raw 32-byte r and s side by side rather
 * than OpenSSL's DER (RFC 7518 §3.4).
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include "twh_base64.h"
#include "twh_json.h"
#include "twh_jwt.h"

#define ES256_HALF	32

/* True when KEY is what ALG signs with. */
static bool
key_fits(EVP_PKEY *key, enum twh_jwt_alg alg)
{
	char	 group[64];
	size_t	 len = 0;

	if (alg == TWH_JWT_RS256)
		return EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048;
	return EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &len) == 1 &&
	    strcmp(group, "prime256v1") == 0;
}

/* The private key in the PEM text PEM (LEN bytes), checked to suit ALG; NULL with ERR set. */
EVP_PKEY *
twh_jwt_key_read(const char *pem, size_t len, enum twh_jwt_alg alg, char *err, size_t errlen)
{
	BIO		*bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY	*key = NULL;

	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (key == NULL)
		snprintf(err, errlen, "no PEM private key in it");
	else if (!key_fits(key, alg)) {
		snprintf(err, errlen, "%s", alg == TWH_JWT_RS256 ?
		    "the key is not an RSA key of at least 2048 bits" :
		    "the key is not an EC key on the P-256 curve");
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* Rewrites the DER ECDSA signature in SIG as r || s, 32 bytes each; -1 if it is not one. */
static int
der_to_raw(struct twh_buf *sig)
{
	const unsigned char	*p = (const unsigned char *)sig->data;
	unsigned char		 raw[2 * ES256_HALF];
	ECDSA_SIG		*ecdsa = d2i_ECDSA_SIG(NULL, &p, (long)sig->len);
	int			 rc = -1;

	if (ecdsa != NULL &&
	    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), raw, ES256_HALF) == ES256_HALF &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), raw + ES256_HALF, ES256_HALF) == ES256_HALF) {
		twh_buf_reset(sig);
		rc = twh_buf_add(sig, raw, sizeof(raw));
	}
	ECDSA_SIG_free(ecdsa);
	return rc;
}

/* The signature of INPUT with KEY into SIG. */
static int
sign(EVP_PKEY *key, enum twh_jwt_alg alg, const struct twh_buf *input, struct twh_buf *sig)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	size_t		 len = 0;
	int		 rc = -1;

	if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, NULL, &len, (const unsigned char *)input->data, input->len) == 1 &&
	    twh_buf_add(sig, NULL, 0) == 0) {
		unsigned char	*out = OPENSSL_malloc(len);

		if (out != NULL && EVP_DigestSign(md, out, &len,
		    (const unsigned char *)input->data, input->len) == 1 &&
		    twh_buf_add(sig, out, len) == 0)
			rc = alg == TWH_JWT_ES256 ? der_to_raw(sig) : 0;
		OPENSSL_free(out);
	}
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

/* HEADER and CLAIMS signed with KEY, as a compact JWT, into OUT (reset first). */
int
twh_jwt_sign(EVP_PKEY *key, enum twh_jwt_alg alg, struct json_object *header,
    struct json_object *claims, struct twh_buf *out)
{
	const char	*h = twh_json_text(header), *c;
	struct twh_buf	 sig, encoded;
	int		 rc = -1;

	twh_buf_reset(out);
	twh_buf_init(&sig);
	twh_buf_init(&encoded);
	if (twh_base64_encode(h, strlen(h), true, out) == 0 && twh_buf_addc(out, '.') == 0 &&
	    (c = twh_json_text(claims)) != NULL &&
	    twh_base64_encode(c, strlen(c), true, out) == 0 && sign(key, alg, out, &sig) == 0 &&
	    twh_base64_encode(sig.data, sig.len, true, &encoded) == 0 &&
	    twh_buf_addc(out, '.') == 0 && twh_buf_add(out, encoded.data, encoded.len) == 0)
		rc = 0;
	twh_buf_free(&sig);
	twh_buf_free(&encoded);
	return rc;
}
