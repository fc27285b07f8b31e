/*
 * twhook.c: the command-line tool's entry point: global options, the verb table, and the helpers
 * several verbs share (reading a file, NAME=VALUE arguments, form encoding).  Exit status: 0 on
 * success (and for --help and --version), 1 on an error, 2 on a usage error; `request` adds 3
 * for a non-2xx answer.  twhook(1)'s EXIT STATUS section says the same.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twh_buf.h"
#include "twh_diag.h"
#include "twh_params.h"
#include "twh_sig.h"
#include "twhook.h"

static const struct twhook_cmd commands[] = {
	{ "init", "init", cmd_init },
	{ "import", "import customers [--format json|csv] [--sync] [--dry-run] FILE|-",
	    cmd_import },
	{ "export", "export customers [--format json|csv]", cmd_export },
	{ "sign", "sign [--body FILE] URL [NAME=VALUE ...]", cmd_sign },
	{ "request", "request [--body FILE] [--uri PATH] ENDPOINT [NAME=VALUE ...]", cmd_request },
	{ "dispatch", "dispatch [--once]", cmd_dispatch },
	{ "jobs", "jobs [--state STATE] [--limit N] | jobs --retry ID", cmd_jobs },
	{ "log", "log [-f] [--json] [-n COUNT] [-e ENDPOINT] [-s SID] [--status STATUS] "
	    "[--since WHEN] [--until WHEN]", cmd_log },
	{ "binding", "binding add [-a ACCOUNT_SID] [-i BINDING_ID] IDENTITY fcm|apns|webhook "
	    "ADDRESS\n       twhook [-c FILE] binding list [IDENTITY]\n"
	    "       twhook [-c FILE] binding remove BINDING_ID", cmd_binding },
	{ NULL, NULL, NULL }
};

/* The usage lines of VERB, or of every verb when it is NULL, on FP. */
static void
print_usage(FILE *fp, const char *verb)
{
	const struct twhook_cmd	*c;

	fprintf(fp, "usage: twhook [-c FILE] COMMAND ...\n");
	for (c = commands; c->name != NULL; c++)
		if (verb == NULL || strcmp(verb, c->name) == 0)
			fprintf(fp, "       twhook [-c FILE] %s\n", c->usage);
}

/* A usage error: the usage of VERB (NULL: of all) on standard error, and exit status 2. */
int
twhook_usage(const char *verb)
{
	print_usage(stderr, verb);
	return 2;
}

/* What --help asked for, on standard output, and exit status 0. */
static int
help(const char *verb)
{
	print_usage(stdout, verb);
	if (verb == NULL)
		printf("       twhook --help | --version\n\n"
		    "  -c FILE     read the configuration from FILE (here: %s)\n"
		    "  -h, --help  this text; twhook COMMAND --help shows one command's usage\n"
		    "  --version   the version of twhook\n",
		    twh_conf_default_path());
	printf("\nSee twhook(1) for more.\n");
	return 0;
}

/* Whether a verb's arguments ask for help: -h or --help, before any "--". */
static bool
wants_help(int argc, char *argv[])
{
	int	 i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Reads PATH ("-" for standard input) whole into OUT. */
int
twhook_read_file(const char *path, struct twh_buf *out)
{
	FILE	*fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char	 chunk[65536];
	size_t	 n;
	int	 rc = 0;

	if (fp == NULL) {
		fprintf(stderr, "twhook: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		rc = twh_buf_add(out, chunk, n);
	if (rc == 0 && ferror(fp))
		rc = -1;
	if (rc == -1)
		fprintf(stderr, "twhook: %s: cannot read it\n", path);
	if (fp != stdin)
		fclose(fp);
	if (rc == 0 && out->data == NULL)
		rc = twh_buf_add(out, "", 0);
	return rc;
}

/* Adds each NAME=VALUE argument (taken literally, not decoded) to PARAMS. */
int
twhook_add_params(struct twh_params *params, int argc, char *argv[])
{
	const char	*eq;
	int		 i;

	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL || eq == argv[i]) {
			fprintf(stderr, "twhook: '%s' is not NAME=VALUE\n", argv[i]);
			return -1;
		}
		if (twh_params_add(params, argv[i], (size_t)(eq - argv[i]), eq + 1,
		    strlen(eq + 1)) == -1)
			return -1;
	}
	return 0;
}

/* URL with bodySHA256 of BODY added to its query, as Twilio signs JSON requests. */
int
twhook_body_url(const char *url, const struct twh_buf *body, struct twh_buf *out)
{
	char	 hex[65];

	if (twh_sig_body_sha256(body->data, body->len, hex) == -1)
		return -1;
	return twh_buf_printf(out, "%s%cbodySHA256=%s", url, strchr(url, '?') ? '&' : '?', hex);
}

int
main(int argc, char *argv[])
{
	const struct twhook_cmd	*c;
	struct twh_conf		 conf;
	const char		*path = NULL;
	char			 err[512];
	int			 ch, rc;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};

	twh_diag_init("twhook", TWH_DIAG_INFO);
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			return help(NULL);
		case 'V':
			printf("twhook %s\n", PACKAGE_VERSION);
			return 0;
		default:
			return twhook_usage(NULL);
		}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return twhook_usage(NULL);
	for (c = commands; c->name != NULL; c++)
		if (strcmp(argv[0], c->name) == 0)
			break;
	if (c->name == NULL) {
		fprintf(stderr, "twhook: unknown command '%s'\n", argv[0]);
		return twhook_usage(NULL);
	}
	if (wants_help(argc, argv))
		return help(c->name);
	if (twh_conf_load(&conf, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	twh_diag_set_level(conf.log_level);
	twh_conf_warn_exposed(&conf);
	/* Each verb parses its own options from a fresh start. */
	optind = 1;
	rc = c->run(&conf, argc, argv);
	twh_conf_free(&conf);
	return rc;
}
