/* test_db_display.c: which targets are PostgreSQL, and a URI's password hidden in messages. */
#include <string.h>

#include "tap.h"
#include "twh_db.h"

static void
shown(const char *target, const char *want)
{
	char	 out[256];

	twh_db_display(target, out, sizeof(out));
	is_str(out, want, target);
}

int
main(void)
{
	char	 small[12];

	ok(twh_db_is_postgres("postgresql://db/twhook"), "postgresql:// is PostgreSQL");
	ok(twh_db_is_postgres("postgres://db/twhook"), "postgres:// is PostgreSQL");
	ok(!twh_db_is_postgres("/var/lib/twhook/twhook.db"), "a path is SQLite");
	ok(!twh_db_is_postgres("postgresql:/db"), "a file named like a scheme is SQLite");
	ok(!twh_db_is_postgres("./postgresql://x"), "a relative path is SQLite");

	shown("/var/lib/twhook/twhook.db", "/var/lib/twhook/twhook.db");
	shown("postgresql://twhook@db1,db2/twhook?target_session_attrs=read-write",
	    "postgresql://twhook@db1,db2/twhook?target_session_attrs=read-write");
	shown("postgresql://twhook:s3cret@db1:5432/twhook", "postgresql://twhook:***@db1:5432/twhook");
	shown("postgresql://twhook:p@ss:word@db1/twhook", "postgresql://twhook:***@db1/twhook");
	shown("postgresql://db1/twhook?password=s3cret", "postgresql://db1/twhook?password=***");
	shown("postgresql://db1/twhook?sslmode=require&password=s3cret&connect_timeout=2",
	    "postgresql://db1/twhook?sslmode=require&password=***&connect_timeout=2");
	shown("postgresql://u:a@db1/twhook?password=b", "postgresql://u:***@db1/twhook?password=***");
	shown("postgresql://db1/twhook?application_name=xpassword=visible",
	    "postgresql://db1/twhook?application_name=xpassword=visible");
	shown("postgresql://db1/my:db@x", "postgresql://db1/my:db@x");

	twh_db_display("postgresql://twhook:s3cret@db1/twhook", small, sizeof(small));
	is_str(small, "postgresql:", "cut to the buffer, never past it");
	ok(strstr(small, "s3cret") == NULL, "a cut display shows no password");
	return done_testing();
}
