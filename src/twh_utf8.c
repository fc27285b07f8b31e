/* twh_utf8.c: strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF). */
#include "twh_utf8.h"

/*
 * The length of the UTF-8 sequence at the start of S (LEN bytes), with its code point in *CP;
 * 0 when S does not start with a valid sequence.
 */
size_t
twh_utf8_decode(const char *str, size_t len, unsigned *cp)
{
	const unsigned char	*s = (const unsigned char *)str;
	unsigned		 need, min;
	size_t			 i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = s[0] & 0x1f;
		need = 1;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		*cp = s[0] & 0x0f;
		need = 2;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		*cp = s[0] & 0x07;
		need = 3;
		min = 0x10000;
	} else
		return 0;
	if (len <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return need + 1;
}

bool
twh_utf8_valid(const char *s, size_t len)
{
	unsigned	 cp;
	size_t		 n;

	for (; len > 0; s += n, len -= n)
		if ((n = twh_utf8_decode(s, len, &cp)) == 0)
			return false;
	return true;
}
