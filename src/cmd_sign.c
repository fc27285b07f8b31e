/*
 * cmd_sign.c: `twhook sign [--body FILE] URL [NAME=VALUE ...]` prints the X-Twilio-Signature that
 * Twilio would send, under the first auth_token.  With --body (a JSON request) the URL gains
 * bodySHA256, as Twilio adds it; the URL that was signed is then shown on standard error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "twh_sig.h"
#include "twhook.h"

int
cmd_sign(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "body", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct twh_params	 params;
	struct twh_buf		 body, url, sig;
	const char		*body_path = NULL;
	int			 ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		if (ch == 'b')
			body_path = optarg;
		else
			return twhook_usage("sign");
	argc -= optind;
	argv += optind;
	if (argc < 1 || (body_path != NULL && argc != 1))
		return twhook_usage("sign");
	if (conf->n_auth_tokens == 0) {
		fprintf(stderr, "twhook: %s has no auth_token to sign with\n", conf->path);
		return 1;
	}
	twh_params_init(&params);
	twh_buf_init(&body);
	twh_buf_init(&url);
	twh_buf_init(&sig);
	if (body_path != NULL) {
		if (twhook_read_file(body_path, &body) == -1 ||
		    twhook_body_url(argv[0], &body, &url) == -1)
			goto out;
		fprintf(stderr, "signed URL: %s\n", url.data);
	} else if (twh_buf_adds(&url, argv[0]) == -1 ||
	    twhook_add_params(&params, argc - 1, argv + 1) == -1)
		goto out;
	if (twh_sig_sign(conf->auth_tokens[0], url.data, body_path != NULL ? NULL : &params,
	    &sig) == -1)
		goto out;
	printf("%s\n", sig.data);
	rc = 0;
out:
	twh_params_free(&params);
	twh_buf_free(&body);
	twh_buf_free(&url);
	twh_buf_free(&sig);
	return rc;
}
