/*
 * fuzz_twiml.c: libFuzzer target for XML escaping (twh_xml_escape): any bytes give valid
 * UTF-8 with no markup character and no control character XML 1.0 forbids, and every '&'
 * starts one of the entities the escaper writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twh_twiml.h"
#include "twh_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#13;",
    NULL };

static int
entity_at(const char *s)
{
	const char	*const *e;

	for (e = entities; *e != NULL; e++)
		if (strncmp(s, *e, strlen(*e)) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct twh_buf	 out;
	char		*text;
	size_t		 i;

	if ((text = strndup((const char *)data, len)) == NULL)
		return 0;
	twh_buf_init(&out);
	if (twh_xml_escape(&out, text) == 0 && out.data != NULL) {
		if (!twh_utf8_valid(out.data, out.len) || strlen(out.data) != out.len)
			__builtin_trap();
		for (i = 0; i < out.len; i++) {
			if (strchr("<>\"'\r", out.data[i]) != NULL ||
			    ((unsigned char)out.data[i] < 0x20 && out.data[i] != '\t' &&
			    out.data[i] != '\n') ||
			    (out.data[i] == '&' && !entity_at(out.data + i)))
				__builtin_trap();
		}
		if (strstr(out.data, "\xef\xbf\xbe") != NULL || strstr(out.data, "\xef\xbf\xbf") != NULL)
			__builtin_trap();
	}
	twh_buf_free(&out);
	free(text);
	return 0;
}
