/*
 * twh_store.h: the SQLite store.  Every SQL statement of the suite lives behind these functions,
 * so that endpoints say what they want (a customer by id, a page of customers) and not how.
 */
#ifndef TWH_STORE_H
#define TWH_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct twh_store;

enum twh_store_rc {
	TWH_STORE_OK,
	TWH_STORE_NOT_FOUND,
	TWH_STORE_ERROR		/* twh_store_error() says what */
};

/* Milliseconds a statement waits for another writer: well under Frontline's 6 s deadline. */
#define TWH_STORE_BUSY_TIMEOUT_MS	2000

int		 twh_store_open(const char *path, struct twh_store **, char *err, size_t errlen);
int		 twh_store_migrate(const char *path, int *from, int *to, char *err, size_t errlen);
int		 twh_store_schema_version(void);
void		 twh_store_close(struct twh_store *);
const char	*twh_store_error(const struct twh_store *);
bool		 twh_store_busy(const struct twh_store *);
int		 twh_store_begin(struct twh_store *);
int		 twh_store_commit(struct twh_store *);
void		 twh_store_rollback(struct twh_store *);

/* Customers (twh_store_customers.c). */
struct twh_channel {
	char	*type;
	char	*value;
};

struct twh_link {
	char	*type;
	char	*value;
	char	*display_name;
};

struct twh_customer {
	char			*customer_id;
	char			*display_name;
	char			*worker;	/* NULL: nobody owns it */
	char			*avatar;	/* NULL: none */
	char			*details_title;
	char			*details_content;
	struct twh_channel	*channels;
	size_t			 n_channels;
	struct twh_link		*links;
	size_t			 n_links;
};

/* A position in a worker's list: customers sort by display name (ignoring ASCII case), then id. */
struct twh_page_key {
	char	*display_name;
	char	*customer_id;
};

struct twh_page_request {
	const char			*worker;
	const struct twh_page_key	*after;	/* NULL: the first page */
	const char			*query;	/* NULL: no search */
	size_t				 limit;
};

struct twh_page {
	struct twh_customer	*customers;	/* id, display name and avatar only */
	size_t			 n;
	bool			 more;		/* another page follows the last one */
};

int	 twh_store_customer_get(struct twh_store *, const char *customer_id, const char *worker,
	    struct twh_customer *);
int	 twh_store_customer_key(struct twh_store *, const char *customer_id, const char *worker,
	    struct twh_page_key *);
int	 twh_store_customer_page(struct twh_store *, const struct twh_page_request *,
	    struct twh_page *);
int	 twh_store_customer_put(struct twh_store *, const struct twh_customer *);
void	 twh_customer_free(struct twh_customer *);
void	 twh_page_key_free(struct twh_page_key *);
void	 twh_page_free(struct twh_page *);

#endif
