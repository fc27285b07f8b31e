/*
 * test_jwt.c: twh_jwt.c.  Every token signed here is checked with OpenSSL's own verification,
 * the ES256 ones after turning JOSE's raw r || s back into DER: hundreds of them, so that the
 * r and s with leading zero bytes (one signature in 128 or so) are covered.  Also the keys
 * twh_jwt_key_read refuses.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "twh_base64.h"
#include "twh_jwt.h"
#include "tap.h"

#define ES256_ROUNDS	600

/* KEY's private key as PEM text into OUT. */
static void
pem_of(EVP_PKEY *key, struct twh_buf *out)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*data;
	long	 len;

	PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	len = BIO_get_mem_data(bio, &data);
	twh_buf_add(out, data, (size_t)len);
	BIO_free(bio);
}

/* The JOSE signature SIG (raw r || s) as DER into OUT; its length, or 0. */
static int
raw_to_der(const struct twh_buf *sig, unsigned char *out)
{
	ECDSA_SIG	*ecdsa = ECDSA_SIG_new();
	unsigned char	*p = out;
	int		 len;

	if (sig->len != 64)
		return 0;
	ECDSA_SIG_set0(ecdsa, BN_bin2bn((const unsigned char *)sig->data, 32, NULL),
	    BN_bin2bn((const unsigned char *)sig->data + 32, 32, NULL));
	len = i2d_ECDSA_SIG(ecdsa, &p);
	ECDSA_SIG_free(ecdsa);
	return len;
}

/* True when TOKEN is three parts whose signature KEY verifies; HEADER gets the first part. */
static int
verifies(EVP_PKEY *key, enum twh_jwt_alg alg, const char *token, struct twh_buf *header)
{
	const char	*dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	struct twh_buf	 sig;
	unsigned char	 der[128];
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	int		 good = 0, len;

	twh_buf_init(&sig);
	twh_buf_reset(header);
	if (dot2 != NULL && strchr(dot2 + 1, '.') == NULL &&
	    twh_base64_decode(token, (size_t)(dot1 - token), true, header) == 0 &&
	    twh_base64_decode(dot2 + 1, strlen(dot2 + 1), true, &sig) == 0 &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1) {
		if (alg == TWH_JWT_ES256)
			good = (len = raw_to_der(&sig, der)) > 0 && EVP_DigestVerify(md, der,
			    (size_t)len, (const unsigned char *)token, (size_t)(dot2 - token)) == 1;
		else
			good = EVP_DigestVerify(md, (const unsigned char *)sig.data, sig.len,
			    (const unsigned char *)token, (size_t)(dot2 - token)) == 1;
	}
	EVP_MD_CTX_free(md);
	twh_buf_free(&sig);
	return good;
}

/* Signs ROUNDS tokens with KEY and counts those that verify. */
static int
sign_many(EVP_PKEY *key, enum twh_jwt_alg alg, int rounds, const char *want_header)
{
	struct json_object	*header = json_object_new_object(), *claims;
	struct twh_buf		 token, decoded;
	int			 i, good = 0;

	json_object_object_add(header, "alg", json_object_new_string(alg == TWH_JWT_ES256 ?
	    "ES256" : "RS256"));
	twh_buf_init(&token);
	twh_buf_init(&decoded);
	for (i = 0; i < rounds; i++) {
		claims = json_object_new_object();
		json_object_object_add(claims, "iat", json_object_new_int(i));
		if (twh_jwt_sign(key, alg, header, claims, &token) == 0 &&
		    verifies(key, alg, token.data, &decoded) &&
		    strcmp(decoded.data, want_header) == 0)
			good++;
		json_object_put(claims);
	}
	twh_buf_free(&token);
	twh_buf_free(&decoded);
	json_object_put(header);
	return good;
}

/* True when twh_jwt_key_read takes KEY's PEM for ALG. */
static int
reads_as(EVP_PKEY *key, enum twh_jwt_alg alg, char *err, size_t errlen)
{
	struct twh_buf	 pem;
	EVP_PKEY	*read;

	twh_buf_init(&pem);
	pem_of(key, &pem);
	read = twh_jwt_key_read(pem.data, pem.len, alg, err, errlen);
	twh_buf_free(&pem);
	EVP_PKEY_free(read);
	return read != NULL;
}

int
main(void)
{
	EVP_PKEY	*ec = EVP_EC_gen("P-256"), *rsa = EVP_RSA_gen(2048);
	EVP_PKEY	*p384 = EVP_EC_gen("P-384"), *rsa1024 = EVP_RSA_gen(1024);
	char		 err[160];
	int		 n;

	ok(ec != NULL && rsa != NULL && p384 != NULL && rsa1024 != NULL, "keys made");
	n = sign_many(ec, TWH_JWT_ES256, ES256_ROUNDS, "{\"alg\":\"ES256\"}");
	ok(n == ES256_ROUNDS, "ES256: %d of %d tokens verify (raw r || s, zero-padded)", n,
	    ES256_ROUNDS);
	n = sign_many(rsa, TWH_JWT_RS256, 20, "{\"alg\":\"RS256\"}");
	ok(n == 20, "RS256: %d of 20 tokens verify", n);

	ok(reads_as(ec, TWH_JWT_ES256, err, sizeof(err)), "a P-256 key is read for ES256");
	ok(reads_as(rsa, TWH_JWT_RS256, err, sizeof(err)), "an RSA 2048 key is read for RS256");
	ok(!reads_as(rsa, TWH_JWT_ES256, err, sizeof(err)), "an RSA key is refused for ES256");
	is_str(err, "the key is not an EC key on the P-256 curve", "  saying so");
	ok(!reads_as(p384, TWH_JWT_ES256, err, sizeof(err)), "a P-384 key is refused for ES256");
	ok(!reads_as(ec, TWH_JWT_RS256, err, sizeof(err)), "an EC key is refused for RS256");
	is_str(err, "the key is not an RSA key of at least 2048 bits", "  saying so");
	ok(!reads_as(rsa1024, TWH_JWT_RS256, err, sizeof(err)), "RSA 1024 is refused");
	ok(twh_jwt_key_read("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 58,
	    TWH_JWT_ES256, err, sizeof(err)) == NULL, "a broken PEM is refused");
	is_str(err, "no PEM private key in it", "  saying so");
	ok(twh_jwt_key_read("", 0, TWH_JWT_ES256, err, sizeof(err)) == NULL, "nothing is refused");
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(rsa1024);
	return done_testing();
}
