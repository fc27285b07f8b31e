/*
 * twh_seccomp.c: builds and loads the filter with libseccomp.  The allowed calls come in groups,
 * one per need in struct twh_seccomp_needs, each a list of names resolved for the running
 * architecture (a name it does not have is skipped).  A few calls are allowed for some arguments
 * only: socket for the families twhook uses, clone for threads (not new processes), ioctl for
 * terminal and socket queries.  clone3 answers ENOSYS, which makes the C library fall back to
 * clone, whose flags the filter can see.
 *
 * The sanitizers (an --enable-sanitizers build, never installed) need more at exit: LeakSanitizer
 * stops the process's threads from a helper it clones and ptraces.  Such a build allows those
 * calls; twh_sandbox.c says so in its start-up line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include <linux/sched.h>

#include <seccomp.h>

#include "twh_seccomp.h"

/* Every confined process: files it may open (Landlock decides which), memory, time, signals. */
static const char *const base_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek",
	"close", "fstat", "newfstatat", "stat", "lstat", "statx", "fstatfs", "statfs", "access",
	"faccessat", "faccessat2", "open", "openat", "fcntl", "dup", "dup2", "dup3", "flock",
	"fsync", "fdatasync", "ftruncate", "utimensat", "getdents64", "mkdir", "mkdirat", "unlink",
	"unlinkat", "readlink", "readlinkat", "getcwd", "mmap", "munmap", "mremap", "mprotect",
	"brk", "madvise", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "clock_gettime",
	"clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep", "getrandom",
	"futex", "sched_yield", "exit", "exit_group", "poll", "ppoll", "select", "pselect6",
	"uname", "sysinfo", "getrlimit", "prlimit64", "tgkill", "restart_syscall",
	"set_robust_list", "rseq", "pipe", "pipe2", NULL
};

/* serve: a FastCGI server's calls on the socket it inherited, and on its connections. */
static const char *const serve_calls[] = {
	"accept", "accept4", "shutdown", "getsockopt", "setsockopt", "getpeername", "getsockname",
	"recvfrom", "sendto", "recvmsg", "sendmsg", NULL
};

/* connect: a client's (libpq, libcurl and the resolver); socket itself goes by family. */
static const char *const connect_calls[] = {
	"connect", "shutdown", "getsockopt", "setsockopt", "getpeername", "getsockname",
	"recvfrom", "sendto", "recvmsg", "sendmsg", "sendmmsg", "recvmmsg", "eventfd2",
	"socketpair", "bind", NULL
};

/* threads: what starting and ending a thread takes besides clone. */
static const char *const thread_calls[] = { "set_tid_address", "membarrier", NULL };

static const char *const children_calls[] = { "wait4", "waitid", NULL };

/* Only an attacker calls these here: the process is killed at once. */
static const char *const hostile_calls[] = {
	"execve", "execveat", "process_vm_readv", "process_vm_writev", NULL
};
/* The same, but LeakSanitizer needs it (below). */
static const char *const tracing_calls[] = { "ptrace", NULL };

#ifdef TWH_SANITIZED
/* LeakSanitizer at exit: a helper cloned without CLONE_THREAD stops and reads the threads. */
static const char *const sanitizer_calls[] = {
	"ptrace", "prctl", "wait4", "waitid", "sched_getaffinity", "kill", "tkill", "getdents",
	NULL
};
#endif

struct filter {
	scmp_filter_ctx	 ctx;
	uint32_t	 otherwise;	/* the action for calls no rule names */
	int		 rules;
	char		*err;
	size_t		 errlen;
};

/* Adds a rule for the call NAME (skipped when this architecture has none), with N_ARGS tests. */
static int
add(struct filter *f, uint32_t action, const char *name, unsigned n_args,
    const struct scmp_arg_cmp *args)
{
	int	 nr = seccomp_syscall_resolve_name(name), rc;

	/* A rule that does what the filter does anyway is no rule (libseccomp refuses it). */
	if (nr == __NR_SCMP_ERROR || action == f->otherwise)
		return 0;
	if ((rc = seccomp_rule_add_array(f->ctx, action, nr, n_args, args)) < 0) {
		snprintf(f->err, f->errlen, "seccomp: a rule for %s: %s", name, strerror(-rc));
		return -1;
	}
	f->rules++;
	return 0;
}

static int
add_all(struct filter *f, uint32_t action, const char *const *names)
{
	for (; *names != NULL; names++)
		if (add(f, action, *names, 0, NULL) == -1)
			return -1;
	return 0;
}

/* Allows NAME only when its argument ARG is one of the N VALUES. */
static int
add_for_values(struct filter *f, uint32_t allow, const char *name, unsigned arg,
    const scmp_datum_t *values, size_t n)
{
	struct scmp_arg_cmp	 cmp;
	size_t			 i;

	for (i = 0; i < n; i++) {
		cmp = (struct scmp_arg_cmp){ arg, SCMP_CMP_EQ, values[i], 0 };
		if (add(f, allow, name, 1, &cmp) == -1)
			return -1;
	}
	return 0;
}

/* socket(2) for the families a client of PostgreSQL or HTTPS opens (netlink: the resolver). */
static int
add_socket_families(struct filter *f, uint32_t allow)
{
	static const scmp_datum_t	 families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };

	return add_for_values(f, allow, "socket", 0, families,
	    sizeof(families) / sizeof(families[0]));
}

/* ioctl(2) for what the C library and libcurl ask of a descriptor: isatty, bytes waiting. */
static int
add_ioctls(struct filter *f, uint32_t allow)
{
	static const scmp_datum_t	 requests[] = { TCGETS, FIONREAD, FIONBIO };

	return add_for_values(f, allow, "ioctl", 1, requests,
	    sizeof(requests) / sizeof(requests[0]));
}

/* clone(2) for threads only: a new process (fork) has no CLONE_THREAD. */
static int
add_thread_clone(struct filter *f, uint32_t allow)
{
	struct scmp_arg_cmp	 thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);

#ifdef TWH_SANITIZED
	(void)thread;
	return add(f, allow, "clone", 0, NULL);
#else
	return add(f, allow, "clone", 1, &thread);
#endif
}

static int
add_rules(struct filter *f, const struct twh_seccomp_needs *needs)
{
	uint32_t	 allow = SCMP_ACT_ALLOW;
	uint32_t	 hostile = needs->log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;

	if (add_all(f, allow, base_calls) == -1 || add_ioctls(f, allow) == -1 ||
	    (needs->serve && add_all(f, allow, serve_calls) == -1) ||
	    (needs->connect && (add_all(f, allow, connect_calls) == -1 ||
	    add_socket_families(f, allow) == -1)) ||
	    (needs->children && add_all(f, allow, children_calls) == -1))
		return -1;
	if (needs->threads && (add_all(f, allow, thread_calls) == -1 ||
	    add_thread_clone(f, allow) == -1 ||
	    add(f, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) == -1))
		return -1;
#ifdef TWH_SANITIZED
	(void)tracing_calls;
	if (add_all(f, allow, sanitizer_calls) == -1 ||
	    (!needs->threads && add_thread_clone(f, allow) == -1))
		return -1;
#else
	if (add_all(f, hostile, tracing_calls) == -1)
		return -1;
#endif
	return add_all(f, hostile, hostile_calls);
}

/*
 * Loads the filter for NEEDS into this process (every thread, when the kernel can): 0 with the
 * count of rules in *RULES, or -1 with ERR set.
 */
int
twh_seccomp_apply(const struct twh_seccomp_needs *needs, int *rules, char *err, size_t errlen)
{
	struct filter	 f = { NULL, needs->log_only ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM), 0,
			    err, errlen };
	int		 rc;

	if ((f.ctx = seccomp_init(f.otherwise)) == NULL) {
		snprintf(err, errlen, "seccomp: cannot start a filter (out of memory)");
		return -1;
	}
	/* Threads that already run get the filter too, where the kernel can do that. */
	(void)seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (add_rules(&f, needs) == -1) {
		seccomp_release(f.ctx);
		return -1;
	}
	if ((rc = seccomp_load(f.ctx)) < 0) {
		snprintf(err, errlen, "seccomp: the kernel refused the filter: %s", strerror(-rc));
		seccomp_release(f.ctx);
		return -1;
	}
	seccomp_release(f.ctx);
	*rules = f.rules;
	return 0;
}
