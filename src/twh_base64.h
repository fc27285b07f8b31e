/*
 * twh_base64.h: base64 (RFC 4648 §4, for signatures), base64url without padding (§5, for page
 * tokens), and lower-case hex (for digests).
 */
#ifndef TWH_BASE64_H
#define TWH_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_buf.h"

int	 twh_base64_encode(const void *, size_t, bool url, struct twh_buf *out);
int	 twh_base64_decode(const char *, size_t, bool url, struct twh_buf *out);
void	 twh_hex_encode(const unsigned char *, size_t, char *out);

#endif
