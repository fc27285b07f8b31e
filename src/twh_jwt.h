/*
 * twh_jwt.h: JSON Web Tokens signed with a private key (RFC 7515 compact form), and the PEM
 * keys that sign them: RS256 for Google's OAuth assertion, ES256 for APNs provider tokens.
 * Used by the push transports of `twhook dispatch` (libtwhook_dispatch.a).
 */
#ifndef TWH_JWT_H
#define TWH_JWT_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "twh_buf.h"

enum twh_jwt_alg {
	TWH_JWT_RS256,	/* an RSA key */
	TWH_JWT_ES256	/* an EC key on P-256 */
};

EVP_PKEY	*twh_jwt_key_read(const char *pem, size_t len, enum twh_jwt_alg,
		    char *err, size_t errlen);
int		 twh_jwt_sign(EVP_PKEY *, enum twh_jwt_alg, struct json_object *header,
		    struct json_object *claims, struct twh_buf *out);

#endif
