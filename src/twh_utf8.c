/* twh_utf8.c: strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF). */
#include "twh_utf8.h"

bool
twh_utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str, *end = s + len;
	unsigned		 cp, need, min;

	while (s < end) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			cp = *s & 0x1f;
			need = 1;
			min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			cp = *s & 0x0f;
			need = 2;
			min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			cp = *s & 0x07;
			need = 3;
			min = 0x10000;
		} else
			return false;
		if ((size_t)(end - s) <= need)
			return false;
		for (s++; need > 0; need--, s++) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*s & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}
