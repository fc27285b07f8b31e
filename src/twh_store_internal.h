/*
 * twh_store_internal.h: what the store's own modules share: statements run through the driver
 * (twh_db.h), with failures recorded for twh_store_error.  Nothing outside twh_store*.c
 * includes it.
 */
#ifndef TWH_STORE_INTERNAL_H
#define TWH_STORE_INTERNAL_H

#include "twh_db.h"
#include "twh_store.h"

struct twh_db_stmt	*twh_store_stmt(struct twh_store *, const struct twh_sql *);
int			 twh_store_fail(struct twh_store *, const char *what);
int			 twh_store_exec(struct twh_store *, const char *sql, const char *what);
int			 twh_store_fail_in(struct twh_store *, const char *where);
int			 twh_store_out_of_memory(struct twh_store *, const char *what);
int			 twh_store_lock(struct twh_store *, const char *key);
int			 twh_store_text_row(struct twh_store *, struct twh_db_stmt *,
			    const char *what, char **);
int			 twh_store_int_row(struct twh_store *, struct twh_db_stmt *,
			    const char *what, long long *);
int			 twh_store_step_done(struct twh_store *, struct twh_db_stmt *,
			    const char *what);
int			 twh_store_each_row(struct twh_store *, struct twh_db_stmt *,
			    const char *what, int (*)(struct twh_db_stmt *, void *), void *);
/* A job's columns as twh_store_read_jobs reads them (twh_store_outbox.c). */
#define TWH_JOB_COLUMNS "job_id, kind, idempotency_key, payload, state, attempts, " \
    "created_at, next_attempt_at, give_up_at, coalesce(updated_at, created_at), " \
    "coalesce(last_status, 0), last_error"
int			 twh_store_read_jobs(struct twh_store *, struct twh_db_stmt *,
			    struct twh_job **, size_t *);
int			 twh_store_prune_proxy_records(struct twh_store *, double before);
/*
 * Which characters cut a customer's text into search words (twh_store_search.c): table[c]
 * is true for each.
 */
const bool		*twh_search_break_table(void);
/* What an upsert of a customer (the row named excluded) sets. */
#define TWH_CUSTOMER_UPDATE_SET "display_name = excluded.display_name, " \
    "worker = excluded.worker, avatar = excluded.avatar, " \
    "details_title = excluded.details_title, details_content = excluded.details_content"
/* The SQLite import's staging and set-based load (twh_store_import_load.c). */
int			 twh_store_load_begin(struct twh_store *);
int			 twh_store_load_add(struct twh_store *, const struct twh_customer *,
			    bool existed, const char *place, bool *again);
int			 twh_store_load_run(struct twh_store *);
void			 twh_store_load_end(void);
/* Dropping the loaded tables' indexes for a large load (twh_store_import_rebuild.c). */
struct twh_rebuild;
int			 twh_store_rebuild_drop(struct twh_store *, long long staged,
			    struct twh_rebuild **);
int			 twh_store_rebuild_make(struct twh_store *, struct twh_rebuild *);
void			 twh_store_rebuild_free(struct twh_rebuild *);
int			 twh_store_page_row(struct twh_db_stmt *, void *page);
int			 twh_store_page_add(struct twh_page *, const char *customer_id,
			    const char *display_name, const char *avatar);
int			 twh_store_search_page(struct twh_store *, const struct twh_page_request *,
			    struct twh_page *);
/*
 * The search's words of a customer's TEXT (its display name, or its channel values), as the
 * index holds them: WORD(ARG, word, length) for each, until it returns true (twh_store_search.c).
 */
typedef bool		 twh_search_word_fn(void *, const char *, size_t);
int			 twh_search_words(struct twh_store *, const char *text,
			    twh_search_word_fn *, void *);
/*
 * A worker's customers (?1) in list order after a key (?2 display name, ?3 id), at most ?4,
 * with their channel values: id, display name, avatar, values (twh_store_search.c).
 */
extern const struct twh_sql twh_store_sql_walk;

/*
 * The workers' lists a FastCGI process keeps in memory (twh_store_search_lists.c): a list's rows
 * are the worker's customers in list order, each with its search words, folded, each ended by
 * a NUL and the last by two.
 */
struct twh_list_row {
	const char	*customer_id;
	const char	*display_name;
	const char	*avatar;	/* NULL: none */
	const char	*words;
};
struct twh_list {
	struct twh_list_row	*rows;
	size_t			 n;
	char			*text;		/* what the rows point into */
};
struct twh_search_lists;
struct twh_search_lists	*twh_search_lists_new(void);
void			 twh_search_lists_free(struct twh_search_lists *);
struct twh_search_lists	*twh_store_search_lists(struct twh_store *);
int			 twh_search_list_find(struct twh_store *, const char *worker,
			    const struct twh_list **);
size_t			 twh_search_list_after(const struct twh_list *, const char *display_name,
			    const char *customer_id);

#endif
