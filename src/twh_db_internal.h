/*
 * twh_db_internal.h: what a database driver gives twh_db.c, which sends each twh_db.h call to
 * the connection's driver.  A driver's connection and statement structures begin with struct
 * twh_db and struct twh_db_stmt, which name the driver.  Only the drivers and twh_db.c
 * include this file.
 */
#ifndef TWH_DB_INTERNAL_H
#define TWH_DB_INTERNAL_H

#include "twh_db.h"

struct twh_db_driver {
	enum twh_db_dialect	 dialect;
	const char		*schema_sql;
	int			(*open)(const char *, enum twh_db_open, int, struct twh_db **,
				    char *, size_t);
	void			(*close)(struct twh_db *);
	const char		*(*error)(const struct twh_db *);
	bool			(*retryable)(const struct twh_db *);
	void			(*set_patience)(struct twh_db *, int);
	void			(*set_read_cache)(struct twh_db *, int);	/* NULL: none */
	struct twh_db_stmt	*(*prepare)(struct twh_db *, const struct twh_sql *);
	void			(*bind_text)(struct twh_db_stmt *, int, const char *);
	void			(*bind_int)(struct twh_db_stmt *, int, long long);
	void			(*bind_real)(struct twh_db_stmt *, int, double);
	enum twh_db_step	(*step)(struct twh_db_stmt *);
	void			(*reset)(struct twh_db_stmt *);
	bool			(*column_null)(struct twh_db_stmt *, int);
	const char		*(*column_view)(struct twh_db_stmt *, int, size_t *);
	long long		(*column_int)(struct twh_db_stmt *, int);
	double			(*column_real)(struct twh_db_stmt *, int);
	long long		(*changes)(struct twh_db_stmt *);
	int			(*exec)(struct twh_db *, const char *);
	int			(*begin)(struct twh_db *, enum twh_db_begin);
	int			(*commit)(struct twh_db *);
	void			(*rollback)(struct twh_db *);
	int			(*set_synchronous)(struct twh_db *, bool);
	int			(*lock)(struct twh_db *, const char *);
	int			(*watch)(struct twh_db *);
	void			(*watch_drain)(struct twh_db *);
	void			(*wake)(struct twh_db *);
	int			(*schema_version)(struct twh_db *, int *);
	int			(*migrate_step)(struct twh_db *, int, const char *);
	int			(*tokenize)(struct twh_db *, const char *,
				    int (*)(void *, const char *, int), void *);
};

struct twh_db {
	const struct twh_db_driver	*driver;
};

struct twh_db_stmt {
	const struct twh_db_driver	*driver;
};

extern const struct twh_db_driver	twh_db_sqlite_driver;
#ifdef HAVE_POSTGRESQL
extern const struct twh_db_driver	twh_db_postgres_driver;
size_t	 twh_db_postgres_ports(const char *uri, unsigned short *ports, size_t max);
#endif

#endif
