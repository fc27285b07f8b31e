/*
 * cmd_import.c: `twhook import customers [--format json|csv] [--sync] [--dry-run] FILE|-`.
 * The file is read one customer at a time (customers_file.h), JSON when it begins with '[' or
 * '{' and CSV otherwise, unless --format says, on a thread of its own that reads ahead of the
 * store's writes (customers_ahead.c).  Each customer replaces the one of the same customer_id,
 * channels and links included.  The whole file is one transaction: a bad record is reported
 * with its line and nothing of the file is kept.  --sync also removes the customers the file
 * does not name (twh_store_import.c says which are kept); --dry-run counts and keeps nothing.
 * On a terminal, standard error shows the progress.  Where the store writes the customers
 * only once all are read (SQLite: twh_store_import_load), a record it refuses is reported
 * then, by its line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "customers_file.h"
#include "twh_clock.h"
#include "twh_store.h"
#include "twhook.h"

/* How long a statement of an import may wait (another writer, a big commit). */
#define IMPORT_PATIENCE_MS	600000
#define PROGRESS_EVERY		4096

struct import {
	const char	*path;
	bool		 sync, dry_run, progress;
	long long	 n[3];		/* by enum twh_import_outcome */
	long long	 removed, kept;
};

/* Opens the reader of FP in FORMAT ("json", "csv" or NULL: by the first character). */
static struct customers_reader *
open_reader(FILE *fp, const char *format)
{
	long	 line = 1;
	int	 c;

	while ((c = getc(fp)) != EOF && strchr(" \t\r\n", c) != NULL)
		if (c == '\n')
			line++;
	if (c != EOF)
		ungetc(c, fp);
	if (format != NULL ? strcmp(format, "json") == 0 : c == '[' || c == '{')
		return customers_json_open(fp, line);
	return customers_csv_open(fp, line);
}

static void
progress(struct import *imp, long long done, bool last)
{
	if (imp->progress && (last || done % PROGRESS_EVERY == 0))
		fprintf(stderr, "\rtwhook: %s: %lld customers read%s", imp->path, done,
		    last ? "\n" : "");
}

static int
kept_one(const char *customer_id, void *arg)
{
	struct import	*imp = arg;

	fprintf(stderr, "twhook: %s: customer %s is kept: a job in the outbox still waits to "
	    "set its participant's customer_id (see twhook jobs; a --sync after twhook dispatch "
	    "delivers it removes the customer)\n", imp->path, customer_id);
	return 0;
}

/* Every customer of R into the store; -1 after saying what failed. */
static int
import_all(struct twh_store *store, struct import *imp, struct customers_reader *r)
{
	struct twh_customer	 c;
	struct customers_error	 e;
	enum twh_import_outcome	 outcome;
	long long		 done = 0;
	int			 rc;

	while ((rc = customers_next(r, &c, &e)) == 1) {
		if (twh_store_import_put(store, &c, e.where, &outcome) != TWH_STORE_OK) {
			fprintf(stderr, "%stwhook: %s: %s\n", imp->progress ? "\n" : "",
			    imp->path, twh_store_error(store));
			customers_release(r, &c);
			return -1;
		}
		imp->n[outcome]++;
		customers_release(r, &c);
		progress(imp, ++done, false);
	}
	if (rc == -1) {
		customers_release(r, &c);
		fprintf(stderr, "%stwhook: %s: %s: %s\n", imp->progress ? "\n" : "", imp->path,
		    e.where, e.msg);
		return -1;
	}
	progress(imp, done, true);
	if (imp->progress)
		fprintf(stderr, "twhook: %s: writing the store\n", imp->path);
	if (twh_store_import_load(store) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s: %s\n", imp->path, twh_store_error(store));
		return -1;
	}
	if (imp->sync && twh_store_import_remove_unseen(store, &imp->removed, &imp->kept,
	    kept_one, imp) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s: %s\n", imp->path, twh_store_error(store));
		return -1;
	}
	return 0;
}

static void
report(const struct import *imp)
{
	long long	 total = imp->n[0] + imp->n[1] + imp->n[2];

	if (!imp->sync && !imp->dry_run) {
		printf("imported %lld customer%s from %s\n", total, total == 1 ? "" : "s",
		    imp->path);
		return;
	}
	printf("%s%s: %lld added, %lld updated, %lld unchanged", imp->dry_run ?
	    "dry run, nothing written: " : "", imp->path, imp->n[TWH_IMPORT_ADDED],
	    imp->n[TWH_IMPORT_UPDATED], imp->n[TWH_IMPORT_UNCHANGED]);
	if (imp->sync)
		printf(", %lld removed", imp->removed);
	if (imp->kept > 0)
		printf(", %lld kept for jobs in the outbox", imp->kept);
	putchar('\n');
}

int
cmd_import(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "sync", no_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct import		 imp;
	struct twh_store	*store = NULL;
	struct customers_reader	*r = NULL;
	const char		*format = NULL;
	FILE			*fp = NULL;
	char			 err[512];
	int			 ch, rc = 1;

	memset(&imp, 0, sizeof(imp));
	optind = 2;	/* after "customers" */
	if (argc < 2 || strcmp(argv[1], "customers") != 0)
		return twhook_usage("import");
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "csv") != 0) {
				fprintf(stderr, "twhook: no format '%s' (json or csv)\n", optarg);
				return 2;
			}
			format = optarg;
			break;
		case 's':
			imp.sync = true;
			break;
		case 'n':
			imp.dry_run = true;
			break;
		default:
			return twhook_usage("import");
		}
	if (argc - optind != 1)
		return twhook_usage("import");
	imp.path = argv[optind];
	imp.progress = isatty(STDERR_FILENO);
	if ((fp = strcmp(imp.path, "-") == 0 ? stdin : fopen(imp.path, "rb")) == NULL) {
		fprintf(stderr, "twhook: %s: %s\n", imp.path, strerror(errno));
		return 1;
	}
	if ((r = customers_ahead_open(open_reader(fp, format))) == NULL) {
		fprintf(stderr, "twhook: out of memory\n");
		goto out;
	}
	if (twh_store_open(conf->database, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		goto out;
	}
	/* An import is one transaction, whose commit may take long: no one waits for it. */
	twh_store_set_patience(store, IMPORT_PATIENCE_MS);
	if (twh_store_import_begin(store, imp.sync) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
		twh_store_import_end(store, false);
		goto out;
	}
	if (import_all(store, &imp, r) == -1) {
		twh_store_import_end(store, false);
		fprintf(stderr, "twhook: %s: nothing was imported\n", imp.path);
		goto out;
	}
	if (twh_store_import_end(store, !imp.dry_run) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s: %s\n", imp.path, twh_store_error(store));
		goto out;
	}
	report(&imp);
	rc = 0;
out:
	customers_close(r);
	twh_store_close(store);
	if (fp != NULL && fp != stdin)
		fclose(fp);
	return rc;
}
