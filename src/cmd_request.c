/*
 * cmd_request.c: `twhook request ENDPOINT [NAME=VALUE ...]` signs a request as Twilio would and
 * runs the endpoint's executable as CGI, printing its answer (headers, blank line, body).  The
 * executable is looked for in $TWHOOK_CGI_DIR, then in ../cgi-bin beside this program (a build
 * tree), then where `make install` put it.  Exit status 3 means the endpoint answered non-2xx.
 * Once the endpoint runs (confining itself), this process confines itself to its pipes.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "twh_form.h"
#include "twh_sandbox.h"
#include "twh_sig.h"
#include "twh_url.h"
#include "twhook.h"

#ifndef CGIDIR
#define CGIDIR "/usr/lib/cgi-bin"
#endif

/* The path of the executable for ENDPOINT ("crm" or "twhook-crm") in OUT. */
static int
find_endpoint(const char *endpoint, struct twh_buf *out)
{
	char		 self[PATH_MAX], *slash;
	const char	*dirs[3], *name = endpoint;
	ssize_t		 n;
	size_t		 i;

	if (strncmp(name, "twhook-", 7) == 0)
		name += 7;
	if (*name == '\0' || strchr(name, '/') != NULL)
		return -1;
	dirs[0] = getenv("TWHOOK_CGI_DIR");
	dirs[1] = NULL;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 16)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			strcpy(slash, "/../cgi-bin");
			dirs[1] = self;
		}
	}
	dirs[2] = CGIDIR;
	for (i = 0; i < 3; i++) {
		if (dirs[i] == NULL || *dirs[i] == '\0')
			continue;
		twh_buf_reset(out);
		if (twh_buf_printf(out, "%s/twhook-%s", dirs[i], name) == -1)
			return -1;
		if (access(out->data, X_OK) == 0)
			return 0;
	}
	return -1;
}

struct cgi_env {
	const char	*exe;
	const char	*url;
	const char	*uri;
	const char	*content_type;
	const char	*signature;
	size_t		 length;
};

static int
set_cgi_env(const struct twh_conf *conf, const struct cgi_env *e)
{
	struct twh_url_parts	 p;
	char			 len[32], host[512], *script;
	const char		*port, *query;
	size_t			 hlen;
	int			 rc;

	if (twh_url_split(e->url, &p) == -1)
		return -1;
	hlen = p.authority_end - p.authority;
	if (hlen >= sizeof(host))
		return -1;
	memcpy(host, e->url + p.authority, hlen);
	host[hlen] = '\0';
	port = p.port != 0 ? e->url + p.port + 1 : (p.https ? "443" : "80");
	query = strchr(e->uri, '?') != NULL ? strchr(e->uri, '?') + 1 : "";
	if ((script = strndup(e->uri, strcspn(e->uri, "?"))) == NULL)
		return -1;
	snprintf(len, sizeof(len), "%zu", e->length);
	rc = setenv("GATEWAY_INTERFACE", "CGI/1.1", 1) | setenv("SERVER_PROTOCOL", "HTTP/1.1", 1) |
	    setenv("REQUEST_METHOD", "POST", 1) | setenv("REQUEST_URI", e->uri, 1) |
	    setenv("SCRIPT_NAME", script, 1) | setenv("QUERY_STRING", query, 1) |
	    setenv("HTTP_HOST", host, 1) |
	    setenv("SERVER_PORT", port, 1) | setenv("HTTPS", p.https ? "on" : "off", 1) |
	    setenv("CONTENT_TYPE", e->content_type, 1) | setenv("CONTENT_LENGTH", len, 1) |
	    setenv("HTTP_X_TWILIO_SIGNATURE", e->signature, 1) |
	    setenv("HTTP_USER_AGENT", "TwilioProxy/1.1", 1) |
	    setenv("TWHOOK_CONFIG", conf->path, 1);
	free(script);
	return rc;
}

/* Runs EXE with BODY on its standard input; its answer goes to our standard output. */
static int
run_cgi(const struct twh_conf *conf, const char *exe, const struct twh_buf *body)
{
	struct twh_buf	 answer;
	int		 in[2], outp[2], status, rc;
	char		 chunk[65536], err[512];
	ssize_t		 n;
	pid_t		 pid;

	if (pipe(in) == -1 || pipe(outp) == -1 || (pid = fork()) == -1) {
		perror("twhook");
		return 1;
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		close(in[0]); close(in[1]); close(outp[0]); close(outp[1]);
		execl(exe, exe, (char *)NULL);
		fprintf(stderr, "twhook: %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	/* The endpoint runs (confined itself): what is left is pipes, for which nothing else. */
	if (twh_sandbox_enter(conf, TWH_SANDBOX_REQUEST, NULL, true, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s: cannot confine twhook request: %s (sandbox = off in "
		    "that file runs it unconfined)\n", conf->path, err);
		close(in[1]);
		close(outp[0]);
		waitpid(pid, &status, 0);
		return 1;
	}
	/* An endpoint that answers without reading the body (413) must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	/* Bodies are small (max_body); a pipe holds 64 KiB, and the endpoint reads it all first. */
	if (body->len > 0 && write(in[1], body->data, body->len) != (ssize_t)body->len)
		perror("twhook: writing the body");
	close(in[1]);
	twh_buf_init(&answer);
	while ((n = read(outp[0], chunk, sizeof(chunk))) > 0)
		twh_buf_add(&answer, chunk, (size_t)n);
	close(outp[0]);
	waitpid(pid, &status, 0);
	if (answer.len > 0)
		fwrite(answer.data, 1, answer.len, stdout);
	if (answer.len > 0 && answer.data[answer.len - 1] != '\n')
		putchar('\n');
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.len == 0) {
		fprintf(stderr, "twhook: %s failed (see the messages above)\n", exe);
		rc = 1;
	} else
		rc = strncmp(answer.data, "Status: 2", 9) == 0 ? 0 : 3;
	twh_buf_free(&answer);
	return rc;
}

int
cmd_request(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "body", required_argument, NULL, 'b' },
		{ "uri", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct twh_params	 params;
	struct twh_buf		 exe, uri, url, body, sig;
	struct cgi_env		 env;
	const char		*body_path = NULL, *path = NULL;
	int			 ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		if (ch == 'b')
			body_path = optarg;
		else if (ch == 'u')
			path = optarg;
		else
			return twhook_usage("request");
	argc -= optind;
	argv += optind;
	if (argc < 1 || (body_path != NULL && argc != 1))
		return twhook_usage("request");
	twh_params_init(&params);
	twh_buf_init(&exe);
	twh_buf_init(&uri);
	twh_buf_init(&url);
	twh_buf_init(&body);
	twh_buf_init(&sig);
	if (find_endpoint(argv[0], &exe) == -1) {
		fprintf(stderr, "twhook: no executable for the endpoint '%s' (set TWHOOK_CGI_DIR)\n",
		    argv[0]);
		goto out;
	}
	if (path == NULL)
		path = strrchr(exe.data, '/');
	/* A JSON body is signed through the bodySHA256 that Twilio adds to the query. */
	if (body_path != NULL) {
		if (twhook_read_file(body_path, &body) == -1 ||
		    twhook_body_url(path, &body, &uri) == -1)
			goto out;
	} else if (twh_buf_adds(&uri, path) == -1 ||
	    twhook_add_params(&params, argc - 1, argv + 1) == -1 ||
	    twh_form_encode(&params, &body) == -1)
		goto out;
	if (twh_buf_printf(&url, "%s%s", conf->public_url != NULL ? conf->public_url :
	    "http://localhost", uri.data) == -1)
		goto out;
	if (conf->n_auth_tokens > 0 && twh_sig_sign(conf->auth_tokens[0], url.data,
	    body_path != NULL ? NULL : &params, &sig) == -1)
		goto out;
	env.exe = exe.data;
	env.url = url.data;
	env.uri = uri.data;
	env.content_type = body_path != NULL ? "application/json" :
	    "application/x-www-form-urlencoded";
	env.signature = sig.data != NULL ? sig.data : "";
	env.length = body.len;
	if (set_cgi_env(conf, &env) != 0) {
		fprintf(stderr, "twhook: cannot set up the CGI environment for %s\n", url.data);
		goto out;
	}
	rc = run_cgi(conf, exe.data, &body);
out:
	twh_params_free(&params);
	twh_buf_free(&exe);
	twh_buf_free(&uri);
	twh_buf_free(&url);
	twh_buf_free(&body);
	twh_buf_free(&sig);
	return rc;
}
