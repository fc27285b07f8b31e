/* twh_store_internal.h: what the store's own modules share; nothing outside twh_store*.c includes it. */
#ifndef TWH_STORE_INTERNAL_H
#define TWH_STORE_INTERNAL_H

#include <sqlite3.h>

#include "twh_store.h"

sqlite3_stmt	*twh_store_stmt(struct twh_store *, const char *sql);
int		 twh_store_fail(struct twh_store *, const char *what);
char		*twh_store_column_text(sqlite3_stmt *, int);
int		 twh_store_text_row(struct twh_store *, sqlite3_stmt *, const char *what,
		    char **);
int		 twh_store_step_done(struct twh_store *, sqlite3_stmt *, const char *what);
int		 twh_store_each_row(struct twh_store *, sqlite3_stmt *, const char *what,
		    int (*)(sqlite3_stmt *, void *), void *);

extern const char twh_schema_sql[];

#endif
