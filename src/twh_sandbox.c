/*
 * twh_sandbox.c: the policy of each role, and the one line that says what was applied.
 *
 * Files (Landlock).  Every role: /dev/null, and /dev/urandom to read.  An endpoint and the
 * dispatcher: the SQLite store, its -wal, -shm and -journal files and its .wake and .writers
 * files to read and write, and in the store's directory to create and remove files (SQLite
 * removes its -wal when the last connection closes), but nothing else there: a file beside
 * the store that is not one of these is refused.  SQLite keeps its files open, so a rule matters only when one is opened
 * again (a store not open at start widens this to its whole directory, and the line says so).
 * The delivery log's directory: read, write, create and remove (the log reader and the
 * console: read).  The console has the store as an endpoint has it (it writes only to retry a
 * dead job, but SQLite's reader writes its -shm too).
 * Clients of PostgreSQL and HTTPS (a PostgreSQL endpoint, the dispatcher) may read what the
 * resolver reads, the shared libraries (NSS modules load on the first lookup) and the password
 * file of libpq; the dispatcher also the CA certificates and ca_file.  Nothing else: the
 * configuration and the key files were read before.
 *
 * TCP (Landlock ABI 4).  No role may bind; an endpoint connects only to the PostgreSQL ports of
 * its URI (none on SQLite); the dispatcher to those, 443, 53 (the resolver over TCP) and the
 * ports its configured URLs name, except that with push_webhook_secret set relays may be at any
 * address, so its connections are not limited.  Unix sockets (a PostgreSQL socket directory,
 * the resolver's) are not Landlock's to limit.
 *
 * System calls (seccomp, twh_seccomp.c).  What the role's loop needs is allowed; execve,
 * ptrace and reading or writing another process's memory kill the process, since only an
 * attacker does that here, and a dead process (restarted by the web server) is better than one
 * that keeps probing.  Every other call fails with EPERM rather than killing: a library's rare
 * path (a fallback, a probe) then fails softly and says so in the log, where a kill would take
 * down a request that was doing no harm.
 *
 * sandbox = log: the filter reports each call it would refuse to the kernel's audit log and
 * refuses nothing; Landlock, which has no such mode, is not applied at all, and the line says
 * so.  A kernel without Landlock, or of an ABI too old for TCP, confines what it can, and the
 * line says what was left out.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twh_buf.h"
#include "twh_db.h"
#include "twh_diag.h"
#include "twh_landlock.h"
#include "twh_sandbox.h"
#include "twh_seccomp.h"
#include "twh_turns.h"
#include "twh_url.h"

#define MAX_PORTS	32

static const char *const role_names[] = {
	[TWH_SANDBOX_ENDPOINT] = "endpoint",
	[TWH_SANDBOX_DISPATCHER] = "dispatcher",
	[TWH_SANDBOX_LOG_READER] = "log reader",
	[TWH_SANDBOX_REQUEST] = "request",
	[TWH_SANDBOX_CONSOLE] = "console",
};

/* What the resolver reads to turn a host name into addresses. */
static const char *const resolver_files[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf",
	NULL
};
/* Where the shared libraries are, NSS modules among them. */
static const char *const library_dirs[] = { "/usr/lib", "/lib", "/lib64", "/usr/lib64", NULL };
/* Where OpenSSL looks for the system's CA certificates. */
static const char *const certificate_dirs[] = {
	"/etc/ssl", "/usr/share/ca-certificates", "/usr/lib/ssl", "/etc/pki", NULL
};
/* The SQLite store's own files: twh_db_sqlite.c names them. */
static const char *const store_suffixes[] = {
	"", "-wal", "-shm", "-journal", ".wake", ".writers", NULL
};

/* What a role may reach, worked out before anything is applied. */
struct plan {
	enum twh_sandbox_role	 role;
	bool			 tcp_limited;	/* Landlock handles TCP: only PORTS */
	unsigned short		 ports[MAX_PORTS];
	size_t			 n_ports;
	struct twh_seccomp_needs needs;
	struct twh_buf		 notes;		/* what was left out, for the line */
};

static void
add_port(struct plan *plan, unsigned short port)
{
	size_t	 i;

	for (i = 0; i < plan->n_ports; i++)
		if (plan->ports[i] == port)
			return;
	if (plan->n_ports < MAX_PORTS)
		plan->ports[plan->n_ports++] = port;
}

/* The port URL connects to: its own, or its scheme's. */
static void
add_url_port(struct plan *plan, const char *url)
{
	struct twh_url_parts	 parts;
	long			 port;

	if (url == NULL || twh_url_split(url, &parts) == -1)
		return;
	port = parts.port != 0 ? strtol(url + parts.port + 1, NULL, 10) : parts.https ? 443 : 80;
	if (port > 0 && port < 65536)
		add_port(plan, (unsigned short)port);
}

static void
add_database_ports(struct plan *plan, const struct twh_conf *conf)
{
	unsigned short	 ports[MAX_PORTS];
	size_t		 i, n = twh_db_tcp_ports(conf->database, ports, MAX_PORTS);

	for (i = 0; i < n; i++)
		add_port(plan, ports[i]);
}

static void
plan_network(struct plan *plan, const struct twh_conf *conf, const struct twh_sandbox_extra *extra)
{
	bool	 postgres = twh_db_is_postgres(conf->database);
	size_t	 i;

	plan->tcp_limited = true;
	plan->needs.serve = plan->role == TWH_SANDBOX_ENDPOINT ||
	    plan->role == TWH_SANDBOX_CONSOLE;
	plan->needs.children = plan->role == TWH_SANDBOX_REQUEST;
	if (plan->role != TWH_SANDBOX_LOG_READER && plan->role != TWH_SANDBOX_REQUEST) {
		plan->needs.connect = postgres;
		add_database_ports(plan, conf);
	}
	if (plan->role != TWH_SANDBOX_DISPATCHER)
		return;
	plan->needs.connect = plan->needs.threads = true;
	add_port(plan, 443);
	add_port(plan, 53);
	add_url_port(plan, conf->api_base_url);
	add_url_port(plan, conf->fcm_url);
	add_url_port(plan, conf->fcm_token_url);
	add_url_port(plan, conf->apns_url);
	for (i = 0; extra != NULL && i < extra->n_urls; i++)
		add_url_port(plan, extra->urls[i]);
	if (conf->push_webhook_secret != NULL) {
		plan->tcp_limited = false;
		twh_buf_adds(&plan->notes, "; TCP connections are not limited to ports, since "
		    "push_webhook_secret is set and relays may listen on any");
	}
}

/* Grants RIGHTS on each of PATHS. */
static int
allow_paths(struct twh_landlock *ll, const char *const *paths, unsigned rights)
{
	for (; *paths != NULL; paths++)
		if (twh_landlock_allow_path(ll, *paths, rights) == -1)
			return -1;
	return 0;
}

/* Whether the store and the -wal and -shm files that an open connection keeps are all there. */
static bool
store_in_use(const char *database)
{
	static const char *const kept[] = { "", "-wal", "-shm", NULL };
	const char *const	*suffix;
	char			 path[PATH_MAX];
	struct stat		 st;

	for (suffix = kept; *suffix != NULL; suffix++)
		if (snprintf(path, sizeof(path), "%s%s", database, *suffix) >= (int)sizeof(path) ||
		    stat(path, &st) == -1)
			return false;
	return true;
}

/*
 * The SQLite store's files, and creating and removing files in its directory.  When the store
 * could not be opened at start (not made yet, or locked), the files SQLite will make when it
 * opens it later cannot be named: then its whole directory may be read and written, and the
 * line says so.
 */
static int
allow_store(struct twh_landlock *ll, struct plan *plan, const struct twh_conf *conf)
{
	char		 path[PATH_MAX];
	const char	*const *suffix;
	int		 fd;

	if (twh_db_is_postgres(conf->database))
		return 0;
	if (!store_in_use(conf->database)) {
		twh_buf_adds(&plan->notes, "; the store was not open at start (missing or "
		    "locked), so its whole directory may be read and written");
		snprintf(path, sizeof(path), "%s", conf->database);
		return twh_landlock_allow_path(ll, dirname(path), TWH_LL_READ | TWH_LL_WRITE |
		    TWH_LL_CREATE);
	}
	/*
	 * The .wake and .writers files are made now, as the first write would make them, so
	 * that a rule names them.
	 */
	snprintf(path, sizeof(path), "%s.wake", conf->database);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) != -1)
		close(fd);
	twh_turns_close(twh_turns_open(conf->database));
	for (suffix = store_suffixes; *suffix != NULL; suffix++) {
		if (snprintf(path, sizeof(path), "%s%s", conf->database, *suffix) >=
		    (int)sizeof(path))
			continue;
		if (twh_landlock_allow_path(ll, path, TWH_LL_READ | TWH_LL_WRITE) == -1)
			return -1;
	}
	snprintf(path, sizeof(path), "%s", conf->database);
	return twh_landlock_allow_path(ll, dirname(path), TWH_LL_CREATE);
}

/* The delivery log's directory, made now when a writer will need it. */
static int
allow_delivery_log(struct twh_landlock *ll, const struct twh_conf *conf, bool write)
{
	if (conf->delivery_log == NULL)
		return 0;
	if (!write)
		return twh_landlock_allow_path(ll, conf->delivery_log, TWH_LL_READ | TWH_LL_LIST);
	if (conf->delivery_log_days == 0)
		return 0;
	if (mkdir(conf->delivery_log, 0750) == -1 && errno != EEXIST)
		twh_warn("%s: %s (the delivery log cannot be written)", conf->delivery_log,
		    strerror(errno));
	return twh_landlock_allow_path(ll, conf->delivery_log, TWH_LL_READ | TWH_LL_WRITE |
	    TWH_LL_LIST | TWH_LL_CREATE);
}

/* What a client of PostgreSQL or HTTPS reads when it connects. */
static int
allow_client_files(struct twh_landlock *ll, const struct twh_conf *conf)
{
	const char	*passfile = getenv("PGPASSFILE"), *home = getenv("HOME");
	char		 path[PATH_MAX];

	if (allow_paths(ll, resolver_files, TWH_LL_READ) == -1 ||
	    allow_paths(ll, library_dirs, TWH_LL_READ | TWH_LL_LIST | TWH_LL_EXECUTE) == -1)
		return -1;
	if (passfile == NULL && home != NULL &&
	    snprintf(path, sizeof(path), "%s/.pgpass", home) < (int)sizeof(path))
		passfile = path;
	if (passfile != NULL && twh_landlock_allow_path(ll, passfile, TWH_LL_READ) == -1)
		return -1;
	if (conf->ca_file != NULL && twh_landlock_allow_path(ll, conf->ca_file, TWH_LL_READ) == -1)
		return -1;
	return allow_paths(ll, certificate_dirs, TWH_LL_READ | TWH_LL_LIST);
}

static int
add_file_rules(struct twh_landlock *ll, struct plan *plan, const struct twh_conf *conf)
{
	static const char *const devices[] = { "/dev/null", NULL };
	static const char *const randomness[] = { "/dev/urandom", NULL };
#ifdef TWH_SANITIZED
	static const char *const sanitizer_dirs[] = { "/proc", NULL };

	if (allow_paths(ll, sanitizer_dirs, TWH_LL_READ | TWH_LL_LIST) == -1)
		return -1;
#endif
	if (allow_paths(ll, devices, TWH_LL_READ | TWH_LL_WRITE) == -1 ||
	    allow_paths(ll, randomness, TWH_LL_READ) == -1)
		return -1;
	switch (plan->role) {
	case TWH_SANDBOX_ENDPOINT:
	case TWH_SANDBOX_DISPATCHER:
	case TWH_SANDBOX_CONSOLE:
		if (allow_store(ll, plan, conf) == -1 ||
		    allow_delivery_log(ll, conf, plan->role != TWH_SANDBOX_CONSOLE) == -1)
			return -1;
		return plan->needs.connect ? allow_client_files(ll, conf) : 0;
	case TWH_SANDBOX_LOG_READER:
		return allow_delivery_log(ll, conf, false);
	case TWH_SANDBOX_REQUEST:
		return 0;
	}
	return 0;
}

/* Builds and applies the Landlock ruleset; its ABI level (0: none) into *ABI, rules into *RULES. */
static int
apply_landlock(struct plan *plan, const struct twh_conf *conf, int *abi, int *rules,
    char *err, size_t errlen)
{
	struct twh_landlock	 ll;
	size_t			 i;

	if (twh_landlock_begin(&ll, plan->tcp_limited) == -1) {
		*abi = ll.abi;
		if (ll.abi == 0)
			return 0;
		snprintf(err, errlen, "Landlock: cannot create a ruleset: %s", strerror(errno));
		return -1;
	}
	*abi = ll.abi;
	if (add_file_rules(&ll, plan, conf) == -1) {
		snprintf(err, errlen, "Landlock: a rule was refused: %s", strerror(errno));
		twh_landlock_abandon(&ll);
		return -1;
	}
	for (i = 0; plan->tcp_limited && i < plan->n_ports; i++)
		if (twh_landlock_allow_connect(&ll, plan->ports[i]) == -1) {
			snprintf(err, errlen, "Landlock: a rule for port %u was refused: %s",
			    plan->ports[i], strerror(errno));
			twh_landlock_abandon(&ll);
			return -1;
		}
	*rules = ll.rules;
	if (twh_landlock_apply(&ll) == -1) {
		snprintf(err, errlen, "Landlock: cannot confine the process: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The notes for what Landlock could not do on this kernel. */
static void
note_landlock_gaps(struct plan *plan, int abi)
{
	if (abi == 0)
		twh_buf_adds(&plan->notes, "; this kernel has no Landlock (Linux 5.13 and later): "
		    "files and TCP are not confined");
	else if (abi < 4 && plan->tcp_limited)
		twh_buf_printf(&plan->notes, "; Landlock ABI %d cannot limit TCP (ABI 4, Linux "
		    "6.7): connections are not confined", abi);
}

/* The start-up line: what was applied and what was left out. */
static void
report(const struct plan *plan, const struct twh_conf *conf, int abi, int ll_rules,
    int sc_rules, bool quiet)
{
	enum twh_diag_level	 level = plan->notes.len > 0 ? TWH_DIAG_WARNING :
				    quiet ? TWH_DIAG_DEBUG : TWH_DIAG_INFO;
	const char		*sanitized = "";

#ifdef TWH_SANITIZED
	sanitized = "; a sanitizer build: ptrace, clone and /proc allowed for its leak check";
#endif
	if (conf->sandbox == TWH_SANDBOX_LOG)
		twh_warn("sandbox = log in %s (%s): nothing is refused: Landlock ABI %d not "
		    "applied (it has no report mode), seccomp filter of %d rules reports what it "
		    "would refuse to the kernel's audit log", conf->path, role_names[plan->role],
		    abi, sc_rules);
	else
		twh_diag(level, "sandbox on (%s): Landlock ABI %d, %d rules; seccomp filter of %d "
		    "rules%s%s", role_names[plan->role], abi, ll_rules, sc_rules,
		    plan->notes.len > 0 ? plan->notes.data : "", sanitized);
}

/*
 * Confines this process to ROLE, as CONF's sandbox says (EXTRA: what else it may reach); QUIET
 * logs the line at the debug level (a CGI run logs it on every request).  0 when confined as
 * far as the kernel can, or not at all by choice; -1 with ERR set when confining failed.
 */
int
twh_sandbox_enter(const struct twh_conf *conf, enum twh_sandbox_role role,
    const struct twh_sandbox_extra *extra, bool quiet, char *err, size_t errlen)
{
	struct plan	 plan;
	int		 abi, ll_rules = 0, sc_rules = 0, rc = -1;

	/* Off makes no sandbox call at all (valgrind, which sandbox = off is for, knows none). */
	if (conf->sandbox == TWH_SANDBOX_OFF) {
		twh_diag(quiet ? TWH_DIAG_DEBUG : TWH_DIAG_INFO, "sandbox = off in %s: the %s is "
		    "not confined", conf->path, role_names[role]);
		return 0;
	}
	abi = twh_landlock_abi();
	memset(&plan, 0, sizeof(plan));
	plan.role = role;
	twh_buf_init(&plan.notes);
	plan_network(&plan, conf, extra);
	plan.needs.log_only = conf->sandbox == TWH_SANDBOX_LOG;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
	else if (!plan.needs.log_only &&
	    apply_landlock(&plan, conf, &abi, &ll_rules, err, errlen) == -1)
		;
	else if (twh_seccomp_apply(&plan.needs, &sc_rules, err, errlen) == 0) {
		if (!plan.needs.log_only)
			note_landlock_gaps(&plan, abi);
		report(&plan, conf, abi, ll_rules, sc_rules, quiet);
		rc = 0;
	}
	twh_buf_free(&plan.notes);
	return rc;
}
