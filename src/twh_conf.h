/*
 * twh_conf.h: twhook.conf(5), read once at start by every endpoint and by twhook(1).  This
 * module owns the keys: their names, what each accepts, their defaults and the checks across
 * keys; struct twh_conf holds the values read, and twh_conf_free frees them, secrets wiped.
 * What a key means belongs to the module that uses it.
 */
#ifndef TWH_CONF_H
#define TWH_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_diag.h"

#define TWH_CONF_MAX_TOKENS	8
#define TWH_CONF_DEFAULT_MAX_BODY	65536

/* What the delivery log keeps of a request's parameters. */
enum twh_deliverylog_params {
	TWH_DELIVERYLOG_PARAMS_REDACTED,	/* all but secrets and message bodies (the default) */
	TWH_DELIVERYLOG_PARAMS_ALL,
	TWH_DELIVERYLOG_PARAMS_NONE
};

/* sandbox: what a running executable may do (twh_sandbox.h). */
enum twh_sandbox_mode {
	TWH_SANDBOX_ON,		/* confined (the default) */
	TWH_SANDBOX_OFF,
	TWH_SANDBOX_LOG		/* what would be refused is logged and allowed */
};

/* console_auth: who twhook-console(8) answers. */
enum twh_console_auth {
	TWH_CONSOLE_AUTH_REMOTE_USER,	/* the user the web server authenticated (the default) */
	TWH_CONSOLE_AUTH_NONE		/* anyone who reaches it */
};

struct twh_conf {
	char			*path;		/* the file this was read from */
	char			*database;
	long			 read_cache_ms;	/* PostgreSQL: customer reads kept this long */
	char			*auth_tokens[TWH_CONF_MAX_TOKENS];
	size_t			 n_auth_tokens;
	char			*auth_token_file;	/* the tokens came from there; NULL: inline */
	char			*account_sid;	/* NULL: not set */
	char			*public_url;	/* NULL: rebuilt from the CGI environment */
	bool			 trust_forwarded;
	bool			 validate_signature;
	char			*api_base_url;	/* NULL: Twilio's own hosts */
	char			*api_key_sid;	/* REST calls: an API key instead of the account */
	char			*api_key_secret;
	long			 dispatch_backoff_ms;	/* the first retry's delay */
	long			 dispatch_backoff_max_ms;
	long			 dispatch_give_up;	/* seconds after which a job is dead */
	long			 push_give_up;	/* the same for a call notification */
	char			*push_webhook_secret;	/* signs deliveries to a relay */
	char			*ca_file;	/* outbound HTTPS trusts these; NULL: the system's */
	char			*fcm_service_account;	/* Google's JSON key file */
	char			*fcm_url;	/* NULL: https://fcm.googleapis.com */
	char			*fcm_token_url;	/* NULL: the key file's token_uri */
	char			*fcm_project;	/* NULL: the key file's project_id */
	char			*apns_key;	/* the .p8 file of an APNs auth key */
	char			*apns_key_id;
	char			*apns_team_id;
	char			*apns_bundle_id;	/* the topic is this and ".voip" */
	char			*apns_url;	/* NULL: https://api.push.apple.com */
	size_t			 max_body;
	char			*delivery_log;	/* its directory: DATABASE-deliveries unless set */
	long			 delivery_log_days;	/* kept this long; 0: no log */
	enum twh_deliverylog_params	 delivery_log_params;
	long			 proxy_records_days;	/* the dispatcher prunes; 0: kept for ever */
	enum twh_diag_level	 log_level;
	enum twh_sandbox_mode	 sandbox;
	enum twh_console_auth	 console_auth;
	bool			 console_write;	/* the console may retry dead jobs */
};

const char	*twh_conf_default_path(void);
int		 twh_conf_load(struct twh_conf *, const char *path, char *err, size_t errlen);
int		 twh_conf_parse(struct twh_conf *, const char *path, const char *text,
		    char *err, size_t errlen);
int		 twh_conf_require_auth_token(const struct twh_conf *, char *err, size_t errlen);
void		 twh_conf_warn_exposed(const struct twh_conf *);
void		 twh_conf_free(struct twh_conf *);

#endif
