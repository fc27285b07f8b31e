/*
 * console_store.c: the Store page (/store): which store (its engine and where it is, any
 * password hidden), its schema version, how many rows each table an operator fills holds,
 * and the jobs in each state.  The counts are a section the Overview shows too.
 */
#include "console.h"
#include "twh_db.h"

/* The section of table counts under HEADING. */
int
console_store_counts(struct console *c, const char *heading)
{
	struct twh_table_counts	 n;

	if (twh_store_table_counts(c->ctx->store, &n) != TWH_STORE_OK) {
		console_store_failed(c);
		return -1;
	}
	console_raw(c, "<h2>");
	console_text(c, heading);
	console_raw(c, "</h2>\n<table>\n");
	console_count_row(c, "Customers", n.customers);
	console_count_row(c, "Workers", n.workers);
	console_count_row(c, "Client bindings", n.client_bindings);
	console_count_row(c, "Intercept rules", n.intercept_rules);
	console_count_row(c, "Out-of-session answers", n.out_of_session);
	console_count_row(c, "Templates", n.templates);
	console_count_row(c, "Proxy addresses", n.proxy_addresses);
	console_raw(c, "</table>\n");
	return 0;
}

/* GET /store. */
void
console_store_page(struct console *c)
{
	char	 where[512];

	twh_db_display(c->ctx->conf.database, where, sizeof(where));
	console_page_begin(c, "Store");
	console_printf(c, "<table>\n<tr><th scope=\"row\">Engine</th><td>%s</td></tr>\n"
	    "<tr><th scope=\"row\">Database</th><td>", twh_store_is_postgres(c->ctx->store) ?
	    "PostgreSQL" : "SQLite");
	console_text(c, where);
	console_printf(c, "</td></tr>\n<tr><th scope=\"row\">Schema version</th>"
	    "<td class=\"n\">%d</td></tr>\n</table>\n", twh_store_schema_version());
	if (console_store_counts(c, "Tables") == 0 && console_jobs_summary(c) == 0)
		console_page_end(c, 200);
}
