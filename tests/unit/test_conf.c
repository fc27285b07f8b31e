/* test_conf.c: twhook.conf parsing: a full file, defaults, and errors naming file, line and key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "twh_conf.h"

static void
error_is(const char *text, const char *want, const char *name)
{
	struct twh_conf	 c;
	char		 err[512] = "";

	ok(twh_conf_parse(&c, "t.conf", text, err, sizeof(err)) == -1, "%s: refused", name);
	is_str(err, want, name);
}

/* Writes TEXT to the file named by TEMPLATE (made by mkstemp). */
static void
write_file(char *template, const char *text)
{
	int	 fd = mkstemp(template);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror(template);
		exit(1);
	}
	close(fd);
}

/* auth_token_file: the tokens one per line, read by twh_conf_load, and its errors. */
static void
auth_token_file_tests(void)
{
	char		 tokens[] = "/tmp/test_conf-token.XXXXXX";
	char		 empty[] = "/tmp/test_conf-empty.XXXXXX";
	char		 conf[] = "/tmp/test_conf-conf.XXXXXX";
	char		 text[256], err[512] = "";
	struct twh_conf	 c;

	write_file(tokens, "primary\r\n\n  secondary  \n");
	write_file(empty, "\n\n");
	snprintf(text, sizeof(text), "database = x\nauth_token_file = %s\n", tokens);
	write_file(conf, text);
	ok(twh_conf_load(&c, conf, err, sizeof(err)) == 0 && c.n_auth_tokens == 2 &&
	    strcmp(c.auth_tokens[0], "primary") == 0 && strcmp(c.auth_tokens[1], "secondary") == 0,
	    "auth_token_file: a token per line, blanks and blank lines ignored%s%s",
	    *err ? ": " : "", err);
	twh_conf_free(&c);
	snprintf(text, sizeof(text), "database = x\nauth_token_file = %s\n", empty);
	unlink(conf);
	strcpy(conf, "/tmp/test_conf-conf.XXXXXX");
	write_file(conf, text);
	ok(twh_conf_load(&c, conf, err, sizeof(err)) == -1 &&
	    strstr(err, "auth_token_file holds no token (one per line)") != NULL,
	    "an auth_token_file without a token is refused: %s", err);
	unlink(empty);
	ok(twh_conf_load(&c, conf, err, sizeof(err)) == -1 &&
	    strstr(err, "cannot read the auth_token_file") != NULL,
	    "a missing auth_token_file is named: %s", err);
	unlink(conf);
	unlink(tokens);
}

int
main(void)
{
	struct twh_conf	 c;
	char		 err[512] = "";

	ok(twh_conf_parse(&c, "t.conf",
	    "# a comment\n"
	    "\n"
	    "database = /var/lib/twhook/store.db\n"
	    "  auth_token=primary  \n"
	    "auth_token = secondary # not a comment\n"
	    "account_sid = AC0123456789abcdef0123456789ABCDEF\n"
	    "public_url = https://hooks.example.com:8443/\n"
	    "trust_forwarded = yes\r\n"
	    "validate_signature = yes\n"
	    "api_base_url = http://127.0.0.1:9000\n"
	    "max_body = 2048\n"
	    "ca_file = /etc/twhook/ca.pem\n"
	    "fcm_service_account = /etc/twhook/firebase.json\n"
	    "fcm_url = https://fcm.example.com/\n"
	    "fcm_project = my-project-1\n"
	    "apns_key = /etc/twhook/AuthKey_ABCDE12345.p8\n"
	    "apns_key_id = ABCDE12345\n"
	    "apns_team_id = TEAM012345\n"
	    "apns_bundle_id = com.example.phone\n"
	    "apns_url = https://api.sandbox.push.apple.com\n"
	    "log_level = debug", err, sizeof(err)) == 0, "a full file parses%s%s",
	    *err ? ": " : "", err);
	is_str(c.database, "/var/lib/twhook/store.db", "database");
	ok(c.n_auth_tokens == 2, "two auth tokens");
	is_str(c.auth_tokens[0], "primary", "values are trimmed");
	is_str(c.auth_tokens[1], "secondary # not a comment", "'#' inside a value is kept");
	is_str(c.public_url, "https://hooks.example.com:8443", "public_url, its trailing slash dropped");
	ok(c.trust_forwarded && c.validate_signature, "booleans");
	ok(c.max_body == 2048, "max_body");
	ok(c.log_level == TWH_DIAG_DEBUG, "log_level");
	is_str(c.fcm_url, "https://fcm.example.com", "fcm_url, its trailing slash dropped");
	is_str(c.apns_bundle_id, "com.example.phone", "apns_bundle_id");
	ok(c.fcm_token_url == NULL && c.ca_file != NULL, "push keys");
	twh_conf_free(&c);

	ok(twh_conf_parse(&c, "t.conf", "database = x\nauth_token = t\n", err, sizeof(err)) == 0,
	    "the smallest file");
	ok(c.validate_signature && !c.trust_forwarded && c.max_body == 65536 &&
	    c.public_url == NULL && c.log_level == TWH_DIAG_INFO, "defaults");
	twh_conf_free(&c);
	ok(twh_conf_parse(&c, "t.conf", "database = x\nvalidate_signature = no\n", err,
	    sizeof(err)) == 0, "no token needed when signatures are not checked");
	twh_conf_free(&c);

	error_is("database = x\nauth_token = t\ncolour = blue\n",
	    "t.conf:3: key 'colour': unknown key (see twhook.conf(5))", "an unknown key");
	error_is("database = x\nauth_token = t\njust words\n",
	    "t.conf:3: expected 'key = value'", "a line without '='");
	error_is("database = x\nauth_token SECRET\n", "t.conf:2: expected 'key = value'",
	    "a line without '=' is not echoed (it may hold a token)");
	error_is("database = x\nauth_token = t\n = v\n",
	    "t.conf:3: a line with '=' but no key", "no key");
	error_is("database = x\nauth_token =\n",
	    "t.conf:2: key 'auth_token': the value is empty", "an empty value");
	error_is("database = x\ndatabase = y\nauth_token = t\n",
	    "t.conf:2: key 'database': given twice", "a key given twice");
	error_is("database = x\nauth_token = t\nmax_body = 2048\nmax_body = 4096\n",
	    "t.conf:4: key 'max_body': given twice", "a number given twice");
	error_is("database = x\nauth_token = t\nvalidate_signature = no\nvalidate_signature = yes\n",
	    "t.conf:4: key 'validate_signature': given twice", "a boolean given twice");
	error_is("database = x\nauth_token = t\ntrust_forwarded = on\n",
	    "t.conf:3: key 'trust_forwarded': expected yes or no, not 'on'", "a bad boolean");
	error_is("database = x\nauth_token = t\nmax_body = 10k\n",
	    "t.conf:3: key 'max_body': expected a number of bytes from 1024 to 16777216, not '10k'",
	    "a bad size");
	error_is("database = x\nauth_token = t\nmax_body = 99999999999999999999999\n",
	    "t.conf:3: key 'max_body': expected a number of bytes from 1024 to 16777216, "
	    "not '99999999999999999999999'", "an overflowing size");
	error_is("database = x\nauth_token = t\npublic_url = https://example.com/hooks\n",
	    "t.conf:3: key 'public_url': give scheme://host[:port] only, without a path: "
	    "'https://example.com/hooks'", "public_url with a path");
	error_is("database = x\nauth_token = t\npublic_url = ftp://example.com\n",
	    "t.conf:3: key 'public_url': expected http://host[:port] or https://host[:port], "
	    "not 'ftp://example.com'", "public_url with another scheme");
	error_is("database = x\nauth_token = t\naccount_sid = AC123\n",
	    "t.conf:3: key 'account_sid': expected AC followed by 32 hexadecimal digits, "
	    "not 'AC123'", "a short account SID");
	error_is("database = x\nauth_token = t\nlog_level = loud\n",
	    "t.conf:3: key 'log_level': expected error, warning, info or debug, not 'loud'",
	    "a bad log level");
	error_is("database = x\nauth_token = t\napi_key_sid = SKshort\napi_key_secret = s\n",
	    "t.conf:3: key 'api_key_sid': expected SK followed by 32 hexadecimal digits, "
	    "not 'SKshort'", "a short API key SID");
	error_is("database = x\nauth_token = t\napi_key_sid = SK0123456789abcdef0123456789abcdef\n",
	    "t.conf: api_key_sid and api_key_secret go together: give both or neither",
	    "an API key without its secret");
	error_is("database = x\nauth_token = t\ndispatch_backoff_ms = 5000\n"
	    "dispatch_backoff_max_ms = 1000\n",
	    "t.conf: dispatch_backoff_max_ms is smaller than dispatch_backoff_ms",
	    "a backoff cap below the first backoff");
	error_is("database = x\nauth_token = t\napns_key_id = ABC\n",
	    "t.conf:3: key 'apns_key_id': expected 10 to 10 letters or digits, not 'ABC'",
	    "an APNs key id that is not 10 characters");
	error_is("database = x\nauth_token = t\napns_bundle_id = com.example/../x\n",
	    "t.conf:3: key 'apns_bundle_id': expected 1 to 155 letters or digits or any of .-, "
	    "not 'com.example/../x'", "a bundle id with a '/' (it goes into a header)");
	error_is("database = x\nauth_token = t\nfcm_project = a/b\n",
	    "t.conf:3: key 'fcm_project': expected 1 to 100 letters or digits or any of -, "
	    "not 'a/b'", "an FCM project with a '/' (it goes into the URL's path)");
	error_is("database = x\nauth_token = t\napns_url = https://api.push.apple.com/3\n",
	    "t.conf:3: key 'apns_url': give scheme://host[:port] only, without a path: "
	    "'https://api.push.apple.com/3'", "apns_url with a path");
	error_is("database = x\nauth_token = t\napns_key = /k.p8\napns_key_id = ABCDEFGHIJ\n",
	    "t.conf: apns_key needs apns_key_id, apns_team_id and apns_bundle_id (the key's id, "
	    "the team's, and the app's bundle id)", "an APNs key without its team and bundle");
	error_is("auth_token = t\n", "t.conf: no 'database' key: name the SQLite store or the "
	    "PostgreSQL database (postgresql://...)",
	    "no database");
	error_is("database = postgresql://db/twhook\n", "t.conf: the database is PostgreSQL: "
	    "set delivery_log to a directory on this machine (or delivery_log_days = 0)",
	    "PostgreSQL: no delivery log beside a file");
	ok(twh_conf_parse(&c, "t.conf", "database = postgres://db/t\ndelivery_log_days = 0\n", err,
	    sizeof(err)) == 0 && c.delivery_log_days == 0,
	    "PostgreSQL without a delivery log: parsed");
	twh_conf_free(&c);
	ok(twh_conf_parse(&c, "t.conf", "database = postgresql://db/t\ndelivery_log = /var/log/t\n",
	    err, sizeof(err)) == 0 && strcmp(c.delivery_log, "/var/log/t") == 0,
	    "PostgreSQL with a delivery log: parsed");
	twh_conf_free(&c);
	ok(twh_conf_parse(&c, "t.conf", "database = x\n", err, sizeof(err)) == 0 &&
	    twh_conf_require_auth_token(&c, err, sizeof(err)) == -1, "no auth token: parsed, "
	    "but not enough for an endpoint");
	is_str(err, "t.conf: no 'auth_token' key: every request would be refused "
	    "(copy the auth token from the Twilio console, or name a file holding it with "
	    "auth_token_file)", "  saying so");
	twh_conf_free(&c);

	/* Every key, each with a good value; each given twice is refused. */
	static const char *const every_key[][2] = {
		{ "database", "/var/lib/twhook/store.db" },
		{ "auth_token", "t" },
		{ "account_sid", "AC0123456789abcdef0123456789ABCDEF" },
		{ "public_url", "https://hooks.example.com/" },
		{ "trust_forwarded", "yes" },
		{ "validate_signature", "no" },
		{ "api_base_url", "http://127.0.0.1:9000/base//" },
		{ "api_key_sid", "SK0123456789abcdef0123456789abcdef" },
		{ "api_key_secret", "key secret" },
		{ "dispatch_backoff_ms", "1000" },
		{ "dispatch_backoff_max_ms", "3600000" },
		{ "dispatch_give_up", "604800" },
		{ "push_give_up", "1" },
		{ "push_webhook_secret", "0123456789abcdef" },
		{ "ca_file", "/etc/twhook/ca.pem" },
		{ "fcm_service_account", "/etc/twhook/firebase.json" },
		{ "fcm_url", "https://fcm.example.com" },
		{ "fcm_token_url", "https://oauth2.example.com/token" },
		{ "fcm_project", "my-project-1" },
		{ "apns_key", "/etc/twhook/AuthKey.p8" },
		{ "apns_key_id", "ABCDE12345" },
		{ "apns_team_id", "TEAM012345" },
		{ "apns_bundle_id", "com.example.phone" },
		{ "apns_url", "https://api.sandbox.push.apple.com:443" },
		{ "max_body", "16777216" },
		{ "delivery_log", "/var/log/twhook" },
		{ "delivery_log_days", "0" },
		{ "delivery_log_params", "all" },
		{ "proxy_records_days", "3650" },
		{ "read_cache_ms", "60000" },
		{ "log_level", "warning" },
		{ "sandbox", "log" },
	};
	char	 text[4096] = "", want[256];
	size_t	 i;

	for (i = 0; i < sizeof(every_key) / sizeof(every_key[0]); i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s = %s\n",
		    every_key[i][0], every_key[i][1]);
	ok(twh_conf_parse(&c, "t.conf", text, err, sizeof(err)) == 0, "every key parses%s%s",
	    *err ? ": " : "", err);
	is_str(c.account_sid, "AC0123456789abcdef0123456789ABCDEF", "account_sid");
	is_str(c.public_url, "https://hooks.example.com", "public_url");
	ok(c.trust_forwarded && !c.validate_signature, "trust_forwarded, validate_signature");
	is_str(c.api_base_url, "http://127.0.0.1:9000/base", "api_base_url, a path kept");
	is_str(c.api_key_sid, "SK0123456789abcdef0123456789abcdef", "api_key_sid");
	is_str(c.api_key_secret, "key secret", "api_key_secret");
	ok(c.dispatch_backoff_ms == 1000 && c.dispatch_backoff_max_ms == 3600000 &&
	    c.dispatch_give_up == 604800 && c.push_give_up == 1, "the dispatch numbers");
	is_str(c.push_webhook_secret, "0123456789abcdef", "push_webhook_secret of 16 characters");
	is_str(c.fcm_token_url, "https://oauth2.example.com/token", "fcm_token_url");
	is_str(c.fcm_project, "my-project-1", "fcm_project");
	is_str(c.apns_key_id, "ABCDE12345", "apns_key_id");
	is_str(c.apns_team_id, "TEAM012345", "apns_team_id");
	is_str(c.apns_url, "https://api.sandbox.push.apple.com:443", "apns_url");
	ok(c.max_body == 16777216, "max_body at its largest");
	is_str(c.delivery_log, "/var/log/twhook", "delivery_log");
	ok(c.delivery_log_days == 0 && c.delivery_log_params == TWH_DELIVERYLOG_PARAMS_ALL,
	    "delivery_log_days, delivery_log_params");
	ok(c.proxy_records_days == 3650, "proxy_records_days at its largest");
	ok(c.read_cache_ms == 60000, "read_cache_ms at its largest");
	ok(c.log_level == TWH_DIAG_WARNING, "log_level");
	ok(c.sandbox == TWH_SANDBOX_LOG, "sandbox");
	twh_conf_free(&c);
	for (i = 0; i < sizeof(every_key) / sizeof(every_key[0]); i++) {
		if (strcmp(every_key[i][0], "auth_token") == 0)
			continue;
		snprintf(text, sizeof(text), "%s = %s\n%s = %s\n", every_key[i][0],
		    every_key[i][1], every_key[i][0], every_key[i][1]);
		snprintf(want, sizeof(want), "t.conf:2: key '%s': given twice", every_key[i][0]);
		error_is(text, want, every_key[i][0]);
	}

	ok(twh_conf_parse(&c, "t.conf", "database = x\n", err, sizeof(err)) == 0 &&
	    c.dispatch_backoff_ms == 500 && c.dispatch_backoff_max_ms == 60000 &&
	    c.dispatch_give_up == 900 && c.push_give_up == 30 && c.delivery_log_days == 14 &&
	    c.delivery_log_params == TWH_DELIVERYLOG_PARAMS_REDACTED &&
	    c.proxy_records_days == 90 && c.read_cache_ms == 1000, "the numbers' defaults");
	ok(c.sandbox == TWH_SANDBOX_ON, "the sandbox is on by default");
	is_str(c.delivery_log, "x-deliveries", "delivery_log beside the store by default");
	twh_conf_free(&c);

	/* A bad value of each type not refused above. */
	error_is("database = x\nca_file =\n", "t.conf:2: key 'ca_file': the value is empty",
	    "an empty string");
	error_is("database = x\npush_webhook_secret = 0123456789abcde\n",
	    "t.conf:2: key 'push_webhook_secret': a secret of at least 16 characters is needed",
	    "a short webhook secret");
	error_is("database = x\napi_key_secret =\n",
	    "t.conf:2: key 'api_key_secret': the value is empty", "an empty API key secret");
	error_is("database = x\nfcm_url = https://\n",
	    "t.conf:2: key 'fcm_url': expected http://host[:port] or https://host[:port], "
	    "not 'https://'", "a URL without a host");
	error_is("database = x\ndispatch_give_up = 604801\n",
	    "t.conf:2: key 'dispatch_give_up': expected a whole number from 1 to 604800, "
	    "not '604801'", "a number above its range");
	error_is("database = x\ndelivery_log_days = -1\n",
	    "t.conf:2: key 'delivery_log_days': expected a whole number from 0 to 3650, "
	    "not '-1'", "a negative number");
	error_is("database = x\nproxy_records_days = 3651\n",
	    "t.conf:2: key 'proxy_records_days': expected a whole number from 0 to 3650, "
	    "not '3651'", "a number of days above its range");
	error_is("database = x\nread_cache_ms = 60001\n",
	    "t.conf:2: key 'read_cache_ms': expected a whole number from 0 to 60000, "
	    "not '60001'", "a read cache kept longer than a minute");
	error_is("database = x\nmax_body = 1023\n",
	    "t.conf:2: key 'max_body': expected a number of bytes from 1024 to 16777216, "
	    "not '1023'", "a size below its range");
	error_is("database = x\napns_team_id = TEAM0123456\n",
	    "t.conf:2: key 'apns_team_id': expected 10 to 10 letters or digits, "
	    "not 'TEAM0123456'", "a name too long");
	error_is("database = x\ndelivery_log_params = some\n",
	    "t.conf:2: key 'delivery_log_params': expected redacted, all or none, not 'some'",
	    "a word not in the list");
	error_is("database = x\nauth_token = 1\nauth_token = 2\nauth_token = 3\n"
	    "auth_token = 4\nauth_token = 5\nauth_token = 6\nauth_token = 7\nauth_token = 8\n"
	    "auth_token = 9\n", "t.conf:10: key 'auth_token': more than 8 tokens",
	    "a ninth token");

	error_is("database = x\nsandbox = maybe\n",
	    "t.conf:2: key 'sandbox': expected on, off or log, not 'maybe'", "sandbox: a bad word");
	error_is("database = x\nauth_token = t\nauth_token_file = /run/credentials/token\n",
	    "t.conf: auth_token and auth_token_file both give tokens: keep them in one place "
	    "(several tokens go one per line in the file)", "auth_token and auth_token_file");
	auth_token_file_tests();

	ok(twh_conf_load(&c, "/nonexistent/twhook.conf", err, sizeof(err)) == -1 &&
	    strstr(err, "/nonexistent/twhook.conf: cannot read the configuration") == err,
	    "an unreadable file is named");
	return done_testing();
}
