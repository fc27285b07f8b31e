/*
 * twh_store.h: the store.  Every SQL statement of the suite lives behind these functions, so
 * that endpoints say what they want (a customer by id, a page of customers) and not how, nor
 * on which engine: the store's modules (twh_store*.c) run their statements through the
 * driver of twh_db.h.
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
void		 twh_store_notify(struct twh_store *);
int		 twh_store_watch(struct twh_store *);
void		 twh_store_watch_drain(struct twh_store *);
bool		 twh_store_is_postgres(const struct twh_store *);
const char	*twh_store_error(const struct twh_store *);
bool		 twh_store_busy(const struct twh_store *);
void		 twh_store_set_patience(struct twh_store *, int ms);
void		 twh_store_set_read_cache(struct twh_store *, int ms);
void		 twh_store_keep_search_lists(struct twh_store *);
int		 twh_store_tokenize(struct twh_store *, const char *text,
		    int (*token)(void *, const char *, int), void *);
int		 twh_store_begin(struct twh_store *);
int		 twh_store_begin_read(struct twh_store *, bool snapshot);
int		 twh_store_commit(struct twh_store *);
int		 twh_store_set_synchronous(struct twh_store *, bool full);
void		 twh_store_rollback(struct twh_store *);
int		 twh_store_temp_in_memory(struct twh_store *);
int		 twh_store_savepoint(struct twh_store *);
int		 twh_store_savepoint_end(struct twh_store *, bool keep);

/* Customers (twh_store_customers.c). */
/* A customer's channel (type "sms", value "+1555...") or link (with a display name too). */
struct twh_customer_item {
	char	*type;
	char	*value;
	char	*display_name;	/* a link's; NULL for a channel */
};

struct twh_customer {
	char			*customer_id;
	char			*display_name;
	char			*worker;	/* NULL: nobody owns it */
	char			*avatar;	/* NULL: none */
	char			*details_title;
	char			*details_content;
	struct twh_customer_item	*channels;
	size_t				 n_channels;
	struct twh_customer_item	*links;
	size_t				 n_links;
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

int	 twh_store_customer_find(struct twh_store *, const char *customer_id, const char *worker,
	    struct twh_customer *);
int	 twh_store_customer_get(struct twh_store *, const char *customer_id, const char *worker,
	    struct twh_customer *);
int	 twh_store_customer_by_address(struct twh_store *, const char *address,
	    struct twh_customer *);
int	 twh_store_customer_key(struct twh_store *, const char *customer_id, const char *worker,
	    struct twh_page_key *);
int	 twh_store_customer_page(struct twh_store *, const struct twh_page_request *,
	    struct twh_page *);
int	 twh_store_customer_read(struct twh_store *, const char *customer_id,
	    struct twh_customer *);
int	 twh_store_customer_put(struct twh_store *, const struct twh_customer *);
void	 twh_customer_free(struct twh_customer *);

/*
 * Customers in bulk (twh_store_import.c), for `twhook import customers` and `twhook export
 * customers`: an import is one transaction, from twh_store_import_begin to _end, in which each
 * customer is put, then twh_store_import_load writes those the store keeps staged (SQLite),
 * before twh_store_import_remove_unseen.  Errors name the PLACE a customer was put with.
 */
enum twh_import_outcome {
	TWH_IMPORT_ADDED,
	TWH_IMPORT_UPDATED,
	TWH_IMPORT_UNCHANGED
};
/* A column of the CSV form: a channel type, or a link's type and display name, COUNT times. */
struct twh_customer_column {
	char		*type;
	char		*display_name;	/* NULL for a channel */
	long long	 count;		/* the most a customer has */
};
int	 twh_store_import_begin(struct twh_store *, bool sync);
int	 twh_store_import_put(struct twh_store *, const struct twh_customer *,
	    const char *place, enum twh_import_outcome *);
int	 twh_store_import_load(struct twh_store *);
int	 twh_store_import_remove_unseen(struct twh_store *, long long *removed,
	    long long *kept, int (*kept_one)(const char *customer_id, void *), void *);
int	 twh_store_import_end(struct twh_store *, bool commit);
int	 twh_store_customer_each(struct twh_store *,
	    int (*)(const struct twh_customer *, void *), void *);
int	 twh_store_customer_columns(struct twh_store *, struct twh_customer_column **,
	    size_t *);
void	 twh_customer_columns_free(struct twh_customer_column *, size_t);
void	 twh_page_key_free(struct twh_page_key *);
void	 twh_page_free(struct twh_page *);

/* Webhook idempotency and the outbox (twh_store_outbox.c). */
struct twh_claim {
	int	 status;
	char	*content_type;
	char	*body;
};

enum twh_job_state {
	TWH_JOB_QUEUED,
	TWH_JOB_RETRYING,
	TWH_JOB_DELIVERING,
	TWH_JOB_DONE,
	TWH_JOB_DEAD
};
#define TWH_JOB_STATES	5

/*
 * What twh_store_prune deletes: the rows older than each time, in seconds since the epoch (0,
 * the epoch itself, deletes nothing).
 */
struct twh_prune_cutoffs {
	double	claims;		/* idempotency claims, by when they were made */
	double	jobs;		/* done and dead jobs, by their last change */
	double	proxy_records;	/* Proxy interactions and intercept decisions (twh_store_proxy.c) */
};

struct twh_job {
	long long		 job_id;
	char			*kind;
	char			*idempotency_key;
	char			*payload;	/* JSON */
	enum twh_job_state	 state;
	int			 attempts;
	double			 created_at;
	double			 next_attempt_at;
	double			 give_up_at;
	double			 updated_at;
	int			 last_status;	/* 0: none */
	char			*last_error;
};

int		 twh_store_claim_find(struct twh_store *, const char *token, struct twh_claim *);
int		 twh_store_claim_add(struct twh_store *, const char *token, const char *endpoint,
		    const struct twh_claim *);
void		 twh_claim_free(struct twh_claim *);
int		 twh_store_job_add(struct twh_store *, const struct twh_job *);
int		 twh_store_job_exists(struct twh_store *, const char *key);
int		 twh_store_jobs_lease(struct twh_store *, const char *owner, double due_by,
		    double now, double lease_s, size_t max, struct twh_job **, size_t *);
int		 twh_store_job_update(struct twh_store *, const char *owner,
		    const struct twh_job *);
int		 twh_store_jobs_interrupted(struct twh_store *, const char *owner, double now,
		    int *count);
int		 twh_store_next_due(struct twh_store *, double *when);
int		 twh_store_jobs_list(struct twh_store *, const char *state, size_t limit,
		    struct twh_job **, size_t *);
int		 twh_store_prune(struct twh_store *, const struct twh_prune_cutoffs *);
void		 twh_job_free(struct twh_job *);
void		 twh_jobs_free(struct twh_job *, size_t);
const char	*twh_job_state_name(enum twh_job_state);
int		 twh_job_state_parse(const char *, enum twh_job_state *);

/* What twhook-console(8) shows and does (twh_store_console.c). */
struct twh_table_counts {
	long long	 customers;
	long long	 workers;
	long long	 client_bindings;
	long long	 intercept_rules;
	long long	 out_of_session;
	long long	 templates;
	long long	 proxy_addresses;
};

int	 twh_store_table_counts(struct twh_store *, struct twh_table_counts *);
int	 twh_store_job_counts(struct twh_store *, long long by_state[TWH_JOB_STATES]);
int	 twh_store_jobs_page(struct twh_store *, const char *state, long long before,
	    size_t limit, struct twh_job **, size_t *);
int	 twh_store_job_retry(struct twh_store *, long long job_id, double now);
typedef void	 twh_job_kind_fn(void *arg, const char *state, const char *kind, long long n);
int	 twh_store_job_kinds(struct twh_store *, twh_job_kind_fn *, void *arg);
int	 twh_store_oldest_waiting(struct twh_store *, double *created_at);
int	 twh_store_bytes(struct twh_store *, long long *bytes);

/* Routing (twh_store_routing.c). */
int	 twh_store_next_pool_worker(struct twh_store *, char **identity);

/* Frontline's smaller lookups (twh_store_frontline.c). */
struct twh_template {
	char	*content;
	bool	 whatsapp_approved;
};

struct twh_template_category {
	char			*display_name;
	struct twh_template	*templates;
	size_t			 n;
};

struct twh_templates {
	struct twh_template_category	*categories;
	size_t				 n;
};

int	 twh_store_proxy_address(struct twh_store *, const char *channel_type, const char *worker,
	    char **address);
int	 twh_store_templates(struct twh_store *, struct twh_templates *);
void	 twh_templates_free(struct twh_templates *);

/* Twilio Proxy (twh_store_proxy.c).  Fields are NULL when the request did not give them. */
struct twh_interaction_leg {
	const char	*participant_sid;
	const char	*participant_identifier;	/* the participant's real number */
	const char	*resource_sid;
	const char	*resource_status;
	const char	*resource_type;
	const char	*resource_url;
};

struct twh_interaction {
	const char			*interaction_sid;
	const char			*session_sid;
	const char			*service_sid;
	const char			*account_sid;
	const char			*type;
	const char			*data;		/* interactionData, as received */
	const char			*date_created;
	const char			*date_updated;
	struct twh_interaction_leg	 inbound;
	struct twh_interaction_leg	 outbound;
	const char			*idempotency_token;
};

struct twh_intercept_rule {
	long long	 rowid;
	char		*kind;
	char		*pattern;
};

enum twh_verdict {
	TWH_ALLOWED,
	TWH_BLOCKED
};

/* One intercept decision: the interaction's facts, the verdict and the rule that decided it. */
struct twh_intercept {
	const char			*interaction_sid;
	const char			*session_sid;
	const char			*participant_sid;
	const char			*identifier;
	const char			*idempotency_token;
	enum twh_verdict		 verdict;
	const struct twh_intercept_rule	*rule;	/* NULL when allowed */
	const char			*note;	/* why some rules could not be checked; may be NULL */
};

struct twh_out_of_session {
	char		*message;
	char		*say;
	char		*dial;
	char		*participant;	/* non-NULL: answer with a new session instead */
	char		*session_mode;	/* NULL: the default */
	long long	 session_ttl;	/* -1: the default */
};

int	 twh_store_interaction_add(struct twh_store *, const struct twh_interaction *,
	    bool *recorded);
int	 twh_store_intercept_rule(struct twh_store *, const char *kind, const char *value,
	    struct twh_intercept_rule *);
int	 twh_store_intercept_version(struct twh_store *, long long *);
int	 twh_store_keyword_rules(struct twh_store *,
	    int (*)(void *, long long rowid, const char *pattern), void *);
int	 twh_store_participant_identifier(struct twh_store *, const char *participant_sid,
	    char **identifier);
int	 twh_store_intercept_record(struct twh_store *, const struct twh_intercept *,
	    size_t n, bool *recorded);
int	 twh_store_intercept_decided(struct twh_store *, const char *interaction_sid,
	    const char *token, enum twh_verdict *, struct twh_intercept_rule *);
int	 twh_store_out_of_session(struct twh_store *, const char *number,
	    struct twh_out_of_session *);
void	 twh_intercept_rule_free(struct twh_intercept_rule *);
void	 twh_out_of_session_free(struct twh_out_of_session *);

/* Voice client bindings (twh_store_bindings.c): the devices a client identity rings on. */
struct twh_binding {
	char	*binding_id;
	char	*account_sid;
	char	*identity;
	char	*transport;	/* fcm, apns or webhook */
	char	*address;	/* a device token, or the relay's URL */
};

int	 twh_store_bindings_of(struct twh_store *, const char *identity, const char *account_sid,
	    struct twh_binding **, size_t *);
int	 twh_store_bindings_list(struct twh_store *, const char *identity,
	    struct twh_binding **, size_t *);
int	 twh_store_binding_add(struct twh_store *, const struct twh_binding *);
int	 twh_store_binding_remove(struct twh_store *, const char *binding_id);
void	 twh_bindings_free(struct twh_binding *, size_t);

#endif
