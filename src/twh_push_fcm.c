/*
 * twh_push_fcm.c: the "fcm" push transport, Firebase Cloud Messaging's HTTP v1 API.
 *
 * The service account's JSON key file (fcm_service_account) is read when the dispatcher starts.
 * An OAuth 2.0 access token is got from its token_uri (or fcm_token_url) with an RS256-signed
 * JWT assertion and kept until a minute before it expires.  Each notification is a data message
 * to the binding's registration token: the webhook's top-level keys, each value as a string
 * (strings as they are, anything else as its JSON text), Android priority high, a time to live
 * of what is left of push_give_up, and the job's collapse identifier (the same on every attempt)
 * as the Android collapse_key and, for a token of an iOS app, which FCM reaches through APNs,
 * as the apns-collapse-id header.
 *
 * UNREGISTERED means the app is gone from the device: the binding is removed.  401 drops the
 * access token and tries again with a new one; no answer, 429 and 5xx are tried again; any other
 * error ends the job.
 *
 * For `twhook dispatch` only: twh_push.c picks this transport per job (twh_push_transport.h);
 * what it shares with the other transports (the call within the job's time limit, the removal
 * of a binding, key files) is twh_push_common.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_clock.h"
#include "twh_diag.h"
#include "twh_http_client.h"
#include "twh_json.h"
#include "twh_jwt.h"
#include "twh_push_common.h"
#include "twh_push_transport.h"

#define FCM_DEFAULT_URL	"https://fcm.googleapis.com"
#define FCM_SCOPE	"https://www.googleapis.com/auth/firebase.messaging"
#define JWT_BEARER	"urn:ietf:params:oauth:grant-type:jwt-bearer"
#define ASSERTION_S	3600	/* the longest Google accepts */
#define TOKEN_MARGIN_S	60	/* a token is renewed this long before it expires */

struct twh_fcm {
	EVP_PKEY	*key;
	char		*client_email;
	char		*key_id;
	char		*token_url;
	char		*send_url;
	struct twh_buf	 access_token;	/* empty: none yet */
	double		 token_good_until;
};

/* The URLs FCM is called at, its token's and its messages', up to MAX into URLS. */
size_t
twh_fcm_urls(const struct twh_fcm *f, const char **urls, size_t max)
{
	size_t	 n = 0;

	if (n < max)
		urls[n++] = f->token_url;
	if (n < max)
		urls[n++] = f->send_url;
	return n;
}

void
twh_fcm_free(struct twh_fcm *f)
{
	if (f == NULL)
		return;
	EVP_PKEY_free(f->key);
	free(f->client_email);
	free(f->key_id);
	free(f->token_url);
	free(f->send_url);
	twh_push_wipe(&f->access_token);
	free(f);
}

/* Google's files and answers: an empty string counts as a missing one. */
static const char *
string_member(struct json_object *o, const char *key)
{
	const char	*s = twh_json_string_member(o, key);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* A project id goes into the URL's path: letters, digits and '-' only. */
static bool
project_id_valid(const char *s)
{
	return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == strlen(s);
}

/* Takes what F needs from the key file's object KEYFILE; -1 with ERR naming what is missing. */
static int
fcm_setup(struct twh_fcm *f, const struct twh_conf *conf, struct json_object *keyfile,
    char *err, size_t errlen)
{
	static const char *const required[] = { "client_email", "private_key_id", "private_key" };
	const char	*path = conf->fcm_service_account, *pem, *type, *project, *token_url, *base;
	struct twh_buf	 url;
	char		 why[160];
	size_t		 i;

	type = string_member(keyfile, "type");
	if (type == NULL || strcmp(type, "service_account") != 0) {
		snprintf(err, errlen, "%s: not a service account's key file (its \"type\" is not "
		    "\"service_account\"): create a JSON key for the service account in the "
		    "Google Cloud console", path);
		return -1;
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (string_member(keyfile, required[i]) == NULL) {
			snprintf(err, errlen, "%s: no \"%s\" in the key file", path, required[i]);
			return -1;
		}
	project = conf->fcm_project != NULL ? conf->fcm_project :
	    string_member(keyfile, "project_id");
	token_url = conf->fcm_token_url != NULL ? conf->fcm_token_url :
	    string_member(keyfile, "token_uri");
	if (project == NULL || !project_id_valid(project)) {
		snprintf(err, errlen, "%s: no usable \"project_id\" in the key file: set "
		    "fcm_project in %s", path, conf->path);
		return -1;
	}
	if (token_url == NULL) {
		snprintf(err, errlen, "%s: no \"token_uri\" in the key file: set fcm_token_url "
		    "in %s", path, conf->path);
		return -1;
	}
	pem = string_member(keyfile, "private_key");
	if ((f->key = twh_jwt_key_read(pem, strlen(pem), TWH_JWT_RS256, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errlen, "%s: private_key: %s", path, why);
		return -1;
	}
	base = conf->fcm_url != NULL ? conf->fcm_url : FCM_DEFAULT_URL;
	twh_buf_init(&url);
	if (twh_buf_printf(&url, "%s/v1/projects/%s/messages:send", base, project) == -1 ||
	    (f->client_email = strdup(string_member(keyfile, "client_email"))) == NULL ||
	    (f->key_id = strdup(string_member(keyfile, "private_key_id"))) == NULL ||
	    (f->token_url = strdup(token_url)) == NULL) {
		twh_buf_free(&url);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->send_url = twh_buf_take(&url);
	return 0;
}

/* Reads the service account's key file named by fcm_service_account. */
struct twh_fcm *
twh_fcm_open(const struct twh_conf *conf, char *err, size_t errlen)
{
	struct twh_fcm		*f = calloc(1, sizeof(*f));
	struct json_object	*keyfile = NULL, *pem;
	struct twh_buf		 text;
	const char		*why;
	int			 rc = -1;

	twh_buf_init(&text);
	if (f == NULL)
		snprintf(err, errlen, "out of memory");
	else if (twh_push_read_key_file(conf->fcm_service_account, &text, err, errlen) == 0) {
		if ((keyfile = twh_json_parse(text.data, text.len, &why)) == NULL)
			snprintf(err, errlen, "%s: not a JSON key file: %s",
			    conf->fcm_service_account, why);
		else
			rc = fcm_setup(f, conf, keyfile, err, errlen);
	}
	/* The private key stays in F's EVP_PKEY only. */
	if (keyfile != NULL && json_object_object_get_ex(keyfile, "private_key", &pem) &&
	    json_object_is_type(pem, json_type_string))
		explicit_bzero((char *)json_object_get_string(pem),
		    (size_t)json_object_get_string_len(pem));
	json_object_put(keyfile);
	twh_push_wipe(&text);
	if (rc == -1) {
		twh_fcm_free(f);
		return NULL;
	}
	return f;
}

/* The JWT that asserts the service account's identity to the token endpoint, into OUT. */
static int
assertion(const struct twh_fcm *f, struct twh_buf *out)
{
	struct json_object	*header = json_object_new_object(), *claims = json_object_new_object();
	int64_t			 now = (int64_t)twh_now();
	int			 rc;

	json_object_object_add(header, "alg", json_object_new_string("RS256"));
	json_object_object_add(header, "typ", json_object_new_string("JWT"));
	json_object_object_add(header, "kid", json_object_new_string(f->key_id));
	json_object_object_add(claims, "iss", json_object_new_string(f->client_email));
	json_object_object_add(claims, "scope", json_object_new_string(FCM_SCOPE));
	json_object_object_add(claims, "aud", json_object_new_string(f->token_url));
	json_object_object_add(claims, "iat", json_object_new_int64(now));
	json_object_object_add(claims, "exp", json_object_new_int64(now + ASSERTION_S));
	rc = twh_jwt_sign(f->key, TWH_JWT_RS256, header, claims, out);
	json_object_put(header);
	json_object_put(claims);
	return rc;
}

/* Takes the access token out of the token endpoint's answer A; -1 if it has none. */
static int
keep_token(struct twh_fcm *f, const struct twh_http_answer *a)
{
	struct json_object	*answer, *expires_in;
	const char		*why, *token;
	double			 lifetime = 0;
	int			 rc = -1;

	if ((answer = twh_json_parse(a->body.data != NULL ? a->body.data : "", a->body.len,
	    &why)) == NULL)
		return -1;
	if (json_object_object_get_ex(answer, "expires_in", &expires_in))
		lifetime = json_object_get_double(expires_in);
	if ((token = string_member(answer, "access_token")) != NULL) {
		twh_push_wipe(&f->access_token);
		rc = twh_buf_adds(&f->access_token, token);
		f->token_good_until = twh_now() + lifetime - TOKEN_MARGIN_S;
	}
	json_object_put(answer);
	return rc;
}

/* Makes sure F holds an access token (fetching one if needed); not DONE: WHY says why not. */
static enum twh_outcome
access_token(struct twh_delivery *d, struct twh_fcm *f, const struct push *p,
    struct twh_buf *why)
{
	struct twh_http_call	 call;
	struct twh_http_answer	 a;
	struct twh_buf		 jwt, form;
	enum twh_outcome	 o = TWH_OUTCOME_DONE;

	if (f->access_token.len > 0 && twh_now() < f->token_good_until)
		return TWH_OUTCOME_DONE;
	twh_buf_init(&jwt);
	twh_buf_init(&form);
	if (assertion(f, &jwt) == -1 || twh_http_form_add(&form, "grant_type", JWT_BEARER) == -1 ||
	    twh_http_form_add(&form, "assertion", jwt.data) == -1) {
		twh_buf_adds(why, "making the OAuth assertion failed");
		twh_buf_free(&jwt);
		twh_buf_free(&form);
		return TWH_OUTCOME_RETRY;
	}
	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = f->token_url;
	call.form = form.data;
	if (twh_push_call(d, p, &call, &a, why) == -1)
		o = TWH_OUTCOME_RETRY;
	else if (a.status != 200 || keep_token(f, &a) == -1) {
		twh_buf_printf(why, "no access token from %s: HTTP %ld: %.300s", f->token_url,
		    a.status, a.body.data != NULL ? a.body.data : "");
		o = a.status == 429 || a.status >= 500 ? TWH_OUTCOME_RETRY : TWH_OUTCOME_DEAD;
	}
	twh_http_answer_free(&a);
	twh_buf_free(&jwt);
	twh_push_wipe(&form);
	return o;
}

/*
 * The FCM message for P: {"message": {"token", "data", "android": {"priority", "ttl",
 * "collapse_key"}, "apns": {"headers": {"apns-collapse-id"}}}}, or NULL when the body is not a
 * JSON object.
 */
static struct json_object *
fcm_message(const struct push *p)
{
	struct json_object	*body, *message, *data, *android, *apns, *apns_headers;
	const char		*why;
	double			 left = p->job->give_up_at - twh_now();
	char			 ttl[32];

	if ((body = twh_json_parse(p->body, p->body_len, &why)) == NULL)
		return NULL;
	data = json_object_new_object();
	json_object_object_foreach(body, key, value)
		json_object_object_add(data, key, json_object_is_type(value, json_type_string) ?
		    json_object_get(value) : json_object_new_string(twh_json_text(value)));
	json_object_put(body);
	snprintf(ttl, sizeof(ttl), "%lds", left > 0 ? (long)left + 1 : 0);
	android = json_object_new_object();
	json_object_object_add(android, "priority", json_object_new_string("high"));
	json_object_object_add(android, "ttl", json_object_new_string(ttl));
	json_object_object_add(android, "collapse_key", json_object_new_string(p->collapse_id));
	apns_headers = json_object_new_object();
	json_object_object_add(apns_headers, "apns-collapse-id",
	    json_object_new_string(p->collapse_id));
	apns = json_object_new_object();
	json_object_object_add(apns, "headers", apns_headers);
	message = json_object_new_object();
	json_object_object_add(message, "token", json_object_new_string(p->address));
	json_object_object_add(message, "data", data);
	json_object_object_add(message, "android", android);
	json_object_object_add(message, "apns", apns);
	body = json_object_new_object();
	json_object_object_add(body, "message", message);
	return body;
}

/* FCM's name for the error in the answer A: the FcmError's errorCode, else the status. */
static void
fcm_error(const struct twh_http_answer *a, char *code, size_t size)
{
	struct json_object	*answer, *error, *details, *detail;
	const char		*why, *s;
	size_t			 i;

	snprintf(code, size, "%s", "");
	if ((answer = twh_json_parse(a->body.data != NULL ? a->body.data : "", a->body.len,
	    &why)) == NULL)
		return;
	if (json_object_object_get_ex(answer, "error", &error)) {
		if ((s = string_member(error, "status")) != NULL)
			snprintf(code, size, "%s", s);
		if (json_object_object_get_ex(error, "details", &details) &&
		    json_object_is_type(details, json_type_array))
			for (i = 0; i < json_object_array_length(details); i++) {
				detail = json_object_array_get_idx(details, i);
				if ((s = string_member(detail, "errorCode")) != NULL)
					snprintf(code, size, "%s", s);
			}
	}
	json_object_put(answer);
}

/* What FCM's answer A to P means. */
static enum twh_outcome
fcm_outcome(struct twh_delivery *d, struct twh_fcm *f, const struct push *p,
    const struct twh_http_answer *a, struct twh_buf *why)
{
	char	 code[64];

	if (a->status >= 200 && a->status < 300)
		return TWH_OUTCOME_DONE;
	fcm_error(a, code, sizeof(code));
	twh_buf_printf(why, "FCM HTTP %ld %s: %.300s", a->status, code,
	    a->body.data != NULL ? a->body.data : "");
	if (strcmp(code, "UNREGISTERED") == 0)
		return twh_push_gone(d, p, "fcm", why);
	if (a->status == 401) {
		/* The access token was refused: the next attempt gets a new one. */
		twh_buf_reset(&f->access_token);
		return TWH_OUTCOME_RETRY;
	}
	return a->status == 429 || a->status >= 500 ? TWH_OUTCOME_RETRY : TWH_OUTCOME_DEAD;
}

enum twh_outcome
twh_push_fcm(struct twh_delivery *d, const struct push *p, struct twh_buf *why)
{
	struct twh_fcm		*f = d->push != NULL ? d->push->fcm : NULL;
	struct json_object	*message;
	struct twh_http_call	 call;
	struct twh_http_answer	 a;
	struct twh_buf		 auth;
	const char		*headers[] = { NULL, NULL };
	const char		*text;
	enum twh_outcome	 o;

	if (f == NULL) {
		twh_buf_printf(why, "fcm_service_account is not set in %s: binding %s cannot be "
		    "notified", d->conf->path, p->binding_id);
		return TWH_OUTCOME_DEAD;
	}
	if ((message = fcm_message(p)) == NULL) {
		twh_buf_adds(why, "the notification is not a JSON object: FCM cannot carry it");
		return TWH_OUTCOME_DEAD;
	}
	if ((o = access_token(d, f, p, why)) != TWH_OUTCOME_DONE) {
		json_object_put(message);
		return o;
	}
	twh_buf_init(&auth);
	twh_buf_printf(&auth, "Authorization: Bearer %s", f->access_token.data);
	headers[0] = auth.data;
	text = twh_json_text(message);
	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = f->send_url;
	call.body = text;
	call.body_len = strlen(text);
	call.content_type = "application/json";
	call.headers = headers;
	o = twh_push_call(d, p, &call, &a, why) == -1 ? TWH_OUTCOME_RETRY :
	    fcm_outcome(d, f, p, &a, why);
	twh_http_answer_free(&a);
	twh_push_wipe(&auth);
	json_object_put(message);
	return o;
}
