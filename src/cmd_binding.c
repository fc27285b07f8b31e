/*
 * cmd_binding.c: `twhook binding` manages the client_bindings table, the devices a Voice client
 * identity is notified on (an application may as well insert rows itself):
 *
 *   binding add [-a ACCOUNT_SID] [-i BINDING_ID] IDENTITY fcm|apns|webhook ADDRESS
 *   binding list [IDENTITY]
 *   binding remove BINDING_ID
 *
 * ACCOUNT_SID defaults to account_sid in the configuration; BINDING_ID to a new random one,
 * printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "twh_base64.h"
#include "twh_params.h"
#include "twh_store.h"
#include "twhook.h"

static int
open_store(const struct twh_conf *conf, struct twh_store **store)
{
	char	 err[512];

	if (twh_store_open(conf->database, store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return -1;
	}
	return 0;
}

/* A new binding id: "BN" and 32 random hex digits, the shape of a Twilio SID. */
static int
new_binding_id(char id[35])
{
	unsigned char	 random[16];

	if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random))
		return -1;
	id[0] = 'B';
	id[1] = 'N';
	twh_hex_encode(random, sizeof(random), id + 2);
	return 0;
}

static int
binding_add(struct twh_conf *conf, int argc, char *argv[])
{
	struct twh_binding	 b;
	struct twh_store	*store;
	char			 id[35];
	int			 ch, rc;

	memset(&b, 0, sizeof(b));
	b.account_sid = conf->account_sid;
	while ((ch = getopt(argc, argv, "+a:i:")) != -1)
		switch (ch) {
		case 'a':
			b.account_sid = optarg;
			break;
		case 'i':
			b.binding_id = optarg;
			break;
		default:
			return twhook_usage("binding");
		}
	if (argc - optind != 3)
		return twhook_usage("binding");
	b.identity = argv[optind];
	b.transport = argv[optind + 1];
	b.address = argv[optind + 2];
	if (b.account_sid == NULL) {
		fprintf(stderr, "twhook: no account: give -a ACCOUNT_SID, or set account_sid in %s\n",
		    conf->path);
		return 2;
	}
	if (strncmp(b.account_sid, "AC", 2) != 0 || !twh_sid_valid(b.account_sid)) {
		fprintf(stderr, "twhook: '%s' is not an account SID (AC...)\n", b.account_sid);
		return 2;
	}
	if (strcmp(b.transport, "fcm") != 0 && strcmp(b.transport, "apns") != 0 &&
	    strcmp(b.transport, "webhook") != 0) {
		fprintf(stderr, "twhook: no transport '%s' (fcm, apns or webhook)\n", b.transport);
		return 2;
	}
	if (b.binding_id == NULL) {
		if (new_binding_id(id) == -1) {
			fprintf(stderr, "twhook: no randomness for a binding id\n");
			return 1;
		}
		b.binding_id = id;
	}
	if (open_store(conf, &store) == -1)
		return 1;
	if ((rc = twh_store_binding_add(store, &b)) != TWH_STORE_OK)
		fprintf(stderr, "twhook: %s (a binding id is unique: see twhook binding list)\n",
		    twh_store_error(store));
	else
		printf("%s\n", b.binding_id);
	twh_store_close(store);
	return rc == TWH_STORE_OK ? 0 : 1;
}

static int
binding_list(struct twh_conf *conf, int argc, char *argv[])
{
	struct twh_binding	*b;
	struct twh_store	*store;
	size_t			 n, i;

	if (argc > 2)
		return twhook_usage("binding");
	if (open_store(conf, &store) == -1)
		return 1;
	if (twh_store_bindings_list(store, argc == 2 ? argv[1] : NULL, &b, &n) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
		twh_store_close(store);
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\t%s\n", b[i].binding_id, b[i].account_sid, b[i].identity,
		    b[i].transport, b[i].address);
	twh_bindings_free(b, n);
	twh_store_close(store);
	return 0;
}

static int
binding_remove(struct twh_conf *conf, int argc, char *argv[])
{
	struct twh_store	*store;
	int			 rc;

	if (argc != 2)
		return twhook_usage("binding");
	if (open_store(conf, &store) == -1)
		return 1;
	rc = twh_store_binding_remove(store, argv[1]);
	if (rc == TWH_STORE_NOT_FOUND)
		fprintf(stderr, "twhook: no binding '%s' (see twhook binding list)\n", argv[1]);
	else if (rc != TWH_STORE_OK)
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
	twh_store_close(store);
	return rc == TWH_STORE_OK ? 0 : 1;
}

int
cmd_binding(struct twh_conf *conf, int argc, char *argv[])
{
	if (argc < 2)
		return twhook_usage("binding");
	if (strcmp(argv[1], "add") == 0)
		return binding_add(conf, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return binding_list(conf, argc - 1, argv + 1);
	if (strcmp(argv[1], "remove") == 0)
		return binding_remove(conf, argc - 1, argv + 1);
	return twhook_usage("binding");
}
