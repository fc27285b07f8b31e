/* fuzz_conf.c: libFuzzer target for twhook.conf parsing: any text, an error or a configuration, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twh_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct twh_conf	 conf;
	char		*text, err[512];

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (twh_conf_parse(&conf, "fuzz.conf", text, err, sizeof(err)) == 0)
		twh_conf_free(&conf);
	free(text);
	return 0;
}
