/* cmd_init.c: `twhook init`: create the store named by the configuration, or migrate it. */
#include <stdbool.h>
#include <stdio.h>

#include "twh_db.h"
#include "twh_store.h"
#include "twhook.h"

int
cmd_init(struct twh_conf *conf, int argc, char *argv[])
{
	char	 err[512], name[512];
	int	 from, to;
	bool	 postgres = twh_db_is_postgres(conf->database);

	(void)argv;
	if (argc != 1)
		return twhook_usage("init");
	if (twh_store_migrate(conf->database, &from, &to, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	twh_db_display(conf->database, name, sizeof(name));
	if (from == 0)
		printf("created the store %s (schema version %d)\n", name, to);
	else if (from < to)
		printf("migrated the store %s from schema version %d to %d\n", name, from, to);
	else
		printf("the store %s is up to date (schema version %d)\n", name, to);
	if (from == 0 && postgres)
		printf("\nNext steps:\n"
		    "  - load customers:  twhook import customers customers.json\n"
		    "    or edit the tables with:  psql '%s'\n"
		    "  - try an endpoint:  twhook request crm Location=GetCustomersList "
		    "Worker=you@example.com\n", name);
	else if (from == 0)
		printf("\nNext steps:\n"
		    "  - let the web server's user write both %s and its directory\n"
		    "    (SQLite keeps its -wal and -shm files beside it);\n"
		    "  - load customers:  twhook import customers customers.json\n"
		    "    or edit the tables with:  sqlite3 %s\n"
		    "  - try an endpoint:  twhook request crm Location=GetCustomersList "
		    "Worker=you@example.com\n", name, name);
	if (from == 0 && twh_conf_require_auth_token(conf, err, sizeof(err)) == -1)
		printf("  - set auth_token in %s (Twilio Console, Account Info):\n"
		    "    until then every endpoint refuses to start\n", conf->path);
	return 0;
}
