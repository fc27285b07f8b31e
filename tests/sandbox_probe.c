/*
 * sandbox_probe.c: confines itself as one role of twh_sandbox.h would, then tries one thing
 * and says by its exit status whether it was allowed.  sandbox.test runs it once per probe.
 *
 *   sandbox_probe ROLE PROBE [ARG]
 *
 * ROLE is endpoint, dispatcher, log-reader or request.  Like the real programs it first reads
 * the configuration ($TWHOOK_CONFIG) and, as an endpoint or the dispatcher, opens the store and
 * the delivery log.  PROBE is one of:
 *   read PATH, write PATH	open PATH to read, or to write (creating it)
 *   exec			execve("/bin/sh")
 *   connect PORT		a TCP connection to 127.0.0.1:PORT (refused by nobody: allowed)
 *   listen			a TCP socket bound and listening on 127.0.0.1
 *   ptrace			attach to the parent process
 *   store			a read transaction on the store
 * Exit 0: allowed; 1: refused with EACCES or EPERM; 2: the probe could not be set up or failed
 * otherwise.  A killed probe dies of SIGSYS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include "twh_conf.h"
#include "twh_deliverylog.h"
#include "twh_diag.h"
#include "twh_sandbox.h"
#include "twh_store.h"

static const struct {
	const char		*name;
	enum twh_sandbox_role	 role;
} roles[] = {
	{ "endpoint", TWH_SANDBOX_ENDPOINT },
	{ "dispatcher", TWH_SANDBOX_DISPATCHER },
	{ "log-reader", TWH_SANDBOX_LOG_READER },
	{ "request", TWH_SANDBOX_REQUEST },
};

/* The exit status for a call that returned RC (-1 with errno set on failure). */
static int
verdict(const char *what, int rc)
{
	if (rc != -1)
		return 0;
	fprintf(stderr, "sandbox_probe: %s: %s\n", what, strerror(errno));
	return errno == EACCES || errno == EPERM ? 1 : 2;
}

static int
tcp_socket(struct sockaddr_in *sin, const char *port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)atoi(port));
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return socket(AF_INET, SOCK_STREAM, 0);
}

static int
probe(const char *what, const char *arg, struct twh_store *store)
{
	struct sockaddr_in	 sin;
	int			 fd;

	if (strcmp(what, "read") == 0)
		return verdict(arg, open(arg, O_RDONLY));
	if (strcmp(what, "write") == 0)
		return verdict(arg, open(arg, O_WRONLY | O_CREAT, 0600));
	if (strcmp(what, "exec") == 0) {
		execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
		return verdict("execve", -1);
	}
	if (strcmp(what, "connect") == 0) {
		if ((fd = tcp_socket(&sin, arg)) == -1)
			return verdict("socket", -1);
		/* Refused by the peer (nothing listens) is allowed by the sandbox. */
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
		    errno == ECONNREFUSED)
			return 0;
		return verdict("connect", -1);
	}
	if (strcmp(what, "listen") == 0) {
		if ((fd = tcp_socket(&sin, "0")) == -1)
			return verdict("socket", -1);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			return verdict("bind", -1);
		return verdict("listen", listen(fd, 1));
	}
	if (strcmp(what, "ptrace") == 0)
		return verdict("ptrace", (int)ptrace(PTRACE_ATTACH, getppid(), NULL, NULL));
	if (strcmp(what, "store") == 0) {
		if (store == NULL || twh_store_begin_read(store, true) != TWH_STORE_OK)
			return 2;
		return twh_store_commit(store) == TWH_STORE_OK ? 0 : 2;
	}
	fprintf(stderr, "sandbox_probe: unknown probe '%s'\n", what);
	return 2;
}

int
main(int argc, char *argv[])
{
	struct twh_conf		 conf;
	struct twh_store	*store = NULL;
	struct twh_deliverylog	*log = NULL;
	char			 err[512];
	size_t			 i;
	int			 rc;

	twh_diag_init("sandbox_probe", TWH_DIAG_INFO);
	for (i = 0; argc >= 3 && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(argv[1], roles[i].name) == 0)
			break;
	if (argc < 3 || i == sizeof(roles) / sizeof(roles[0])) {
		fprintf(stderr, "usage: sandbox_probe endpoint|dispatcher|log-reader|request "
		    "PROBE [ARG]\n");
		return 2;
	}
	if (twh_conf_load(&conf, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "sandbox_probe: %s\n", err);
		return 2;
	}
	if (roles[i].role == TWH_SANDBOX_ENDPOINT || roles[i].role == TWH_SANDBOX_DISPATCHER) {
		if (twh_store_open(conf.database, &store, err, sizeof(err)) == -1) {
			fprintf(stderr, "sandbox_probe: %s\n", err);
			return 2;
		}
		log = twh_deliverylog_open(&conf);
	}
	if (twh_sandbox_enter(&conf, roles[i].role, NULL, false, err, sizeof(err)) == -1) {
		fprintf(stderr, "sandbox_probe: %s\n", err);
		twh_conf_free(&conf);
		return 2;
	}
	fflush(stderr);
	rc = probe(argv[2], argc > 3 ? argv[3] : "", store);
	twh_deliverylog_close(log);
	twh_store_close(store);
	twh_conf_free(&conf);
	return rc;
}
