/*
 * twh_seccomp.h: the system-call filter of a confined process (libseccomp).  The caller says
 * what the process still has to do; the filter allows the calls that needs, refuses every other
 * with EPERM, and kills the process outright for the calls that only an attacker makes (twhook
 * never starts a program nor looks into another process).  twh_sandbox.c says which process
 * needs what, and why EPERM is the default.
 */
#ifndef TWH_SECCOMP_H
#define TWH_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

/* Defined in a build with AddressSanitizer, whose leak check needs more at exit. */
#if defined(__SANITIZE_ADDRESS__)
#define TWH_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TWH_SANITIZED	1
#endif
#endif

struct twh_seccomp_needs {
	bool	 serve;		/* accepts and answers connections on inherited sockets */
	bool	 connect;	/* opens TCP and unix sockets of its own (PostgreSQL, HTTPS) */
	bool	 threads;	/* starts threads (libcurl's resolver) */
	bool	 children;	/* waits for a child it started before */
	bool	 log_only;	/* report what would be refused, refuse nothing */
};

int	 twh_seccomp_apply(const struct twh_seccomp_needs *, int *rules, char *err,
	    size_t errlen);

#endif
