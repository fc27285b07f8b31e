/*
 * replay.c: a main() for the fuzz targets when they are built without libFuzzer: it feeds each
 * file named on the command line to LLVMFuzzerTestOneInput once, so that `make check` replays
 * the corpus (and every crash ever found, kept there) in every build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char *argv[])
{
	unsigned char	*data;
	long		 len;
	FILE		*fp;
	int		 i;

	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL || fseek(fp, 0, SEEK_END) == -1 ||
		    (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) == -1 ||
		    (data = malloc((size_t)len + 1)) == NULL ||
		    fread(data, 1, (size_t)len, fp) != (size_t)len) {
			perror(argv[i]);
			return 1;
		}
		fclose(fp);
		LLVMFuzzerTestOneInput(data, (size_t)len);
		free(data);
	}
	return 0;
}
