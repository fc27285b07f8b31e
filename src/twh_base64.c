/*
 * twh_base64.c: base64 in both alphabets.  The standard one is padded and its decoder insists on
 * correct padding; the URL-safe one is written and read without padding.  Decoding rejects any
 * character outside the alphabet and any non-zero trailing bits, so one value has one encoding.
 */
#include <string.h>

#include "twh_base64.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
twh_base64_encode(const void *data, size_t len, bool url, struct twh_buf *out)
{
	const unsigned char	*p = data;
	const char		*a = url ? url_alphabet : std_alphabet;
	char			 q[4];
	unsigned		 v;
	size_t			 i, n;

	for (i = 0; i < len; i += 3) {
		n = len - i < 3 ? len - i : 3;
		v = (unsigned)p[i] << 16;
		if (n > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		q[0] = a[(v >> 18) & 63];
		q[1] = a[(v >> 12) & 63];
		q[2] = n > 1 ? a[(v >> 6) & 63] : '=';
		q[3] = n > 2 ? a[v & 63] : '=';
		if (twh_buf_add(out, q, url ? n + 1 : 4) == -1)
			return -1;
	}
	if (out->data == NULL && twh_buf_add(out, "", 0) == -1)
		return -1;
	return 0;
}

static int
sextet(char c, bool url)
{
	const char	*a = url ? url_alphabet : std_alphabet;
	const char	*hit;

	if (c == '\0' || (hit = strchr(a, c)) == NULL)
		return -1;
	return (int)(hit - a);
}

int
twh_base64_decode(const char *s, size_t len, bool url, struct twh_buf *out)
{
	unsigned char	 bytes[3];
	unsigned	 v;
	size_t		 i, n, pad = 0;
	int		 d;

	if (!url) {
		if (len % 4 != 0)
			return -1;
		while (pad < 2 && len > pad && s[len - 1 - pad] == '=')
			pad++;
		len -= pad;
	} else if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i += 4) {
		n = len - i < 4 ? len - i : 4;
		v = 0;
		for (size_t k = 0; k < 4; k++) {
			d = k < n ? sextet(s[i + k], url) : 0;
			if (d == -1)
				return -1;
			v = (v << 6) | (unsigned)d;
		}
		bytes[0] = (unsigned char)(v >> 16);
		bytes[1] = (unsigned char)(v >> 8);
		bytes[2] = (unsigned char)v;
		/* n sextets carry n-1 whole bytes; the leftover bits must be zero. */
		if ((n == 2 && (v & 0xffff) != 0) || (n == 3 && (v & 0xff) != 0))
			return -1;
		if (twh_buf_add(out, bytes, n - 1) == -1)
			return -1;
	}
	if (out->data == NULL && twh_buf_add(out, "", 0) == -1)
		return -1;
	return 0;
}

/* Writes the 2 * LEN lower-case hex digits of BYTES and a NUL to OUT. */
void
twh_hex_encode(const unsigned char *bytes, size_t len, char *out)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[bytes[i] & 15];
	}
	out[2 * len] = '\0';
}
