/*
 * cmd_export.c: `twhook export customers [--format json|csv]` writes every customer, channels
 * and links included, in customer_id order to standard output, in a form that
 * `twhook import customers` reads back: a JSON array with a customer a line, or CSV under a
 * header with the columns the store's customers need (customers_csv.c).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "customers_file.h"
#include "twh_frontline.h"
#include "twh_store.h"
#include "twhook.h"

struct export {
	bool				 csv;
	struct twh_customer_column	*cols;
	size_t				 n_cols;
	struct twh_buf			 line;
	long long			 n;
};

static int
write_one(const struct twh_customer *c, void *arg)
{
	struct export		*x = arg;
	struct twh_json_writer	 w;
	int			 rc;

	twh_buf_reset(&x->line);
	if (x->csv)
		rc = customers_csv_row(&x->line, x->cols, x->n_cols, c);
	else {
		rc = twh_buf_adds(&x->line, x->n > 0 ? ",\n" : "");
		twh_json_writer_init(&w, &x->line);
		twh_frontline_customer_json(&w, NULL, c);
		if (rc == 0)
			rc = twh_json_writer_end(&w);
	}
	x->n++;
	if (rc == 0 && fwrite(x->line.data, 1, x->line.len, stdout) != x->line.len)
		rc = -1;
	return rc;
}

int
cmd_export(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct export		 x;
	struct twh_store	*store;
	char			 err[512];
	int			 ch, rc;

	memset(&x, 0, sizeof(x));
	optind = 2;	/* after "customers" */
	if (argc < 2 || strcmp(argv[1], "customers") != 0)
		return twhook_usage("export");
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		if (ch == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "csv") == 0))
			x.csv = strcmp(optarg, "csv") == 0;
		else if (ch == 'f') {
			fprintf(stderr, "twhook: no format '%s' (json or csv)\n", optarg);
			return 2;
		} else
			return twhook_usage("export");
	if (optind != argc)
		return twhook_usage("export");
	if (twh_store_open(conf->database, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	twh_buf_init(&x.line);
	/* One snapshot: the export is the store at one moment. */
	rc = twh_store_begin_read(store, true);
	if (rc == TWH_STORE_OK && x.csv &&
	    (rc = twh_store_customer_columns(store, &x.cols, &x.n_cols)) == TWH_STORE_OK &&
	    (customers_csv_header(&x.line, x.cols, x.n_cols) == -1 ||
	    fwrite(x.line.data, 1, x.line.len, stdout) != x.line.len))
		rc = TWH_STORE_ERROR;
	if (rc == TWH_STORE_OK && !x.csv && fputs("[\n", stdout) == EOF)
		rc = TWH_STORE_ERROR;
	if (rc == TWH_STORE_OK)
		rc = twh_store_customer_each(store, write_one, &x);
	if (rc == TWH_STORE_OK && !x.csv && fputs(x.n > 0 ? "\n]\n" : "]\n", stdout) == EOF)
		rc = TWH_STORE_ERROR;
	if (rc == TWH_STORE_OK && fflush(stdout) == EOF)
		rc = TWH_STORE_ERROR;
	if (rc != TWH_STORE_OK)
		fprintf(stderr, "twhook: exporting customers: %s\n", ferror(stdout) ?
		    "cannot write standard output" : twh_store_error(store));
	twh_store_rollback(store);
	twh_customer_columns_free(x.cols, x.n_cols);
	twh_buf_free(&x.line);
	twh_store_close(store);
	return rc == TWH_STORE_OK ? 0 : 1;
}
