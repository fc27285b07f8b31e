/*
 * twh_sandbox.h: each twhook process confines itself once it has read its configuration and
 * opened what it keeps open, before it reads the first request: no_new_privs, a Landlock
 * ruleset (the files it may open, the TCP ports it may connect to) and a seccomp filter (the
 * system calls it may make).  One policy per role; `sandbox` in twhook.conf(5) turns it off or
 * into a report, and twhook(7), SECURITY, says what each role can do.
 */
#ifndef TWH_SANDBOX_H
#define TWH_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_conf.h"

enum twh_sandbox_role {
	TWH_SANDBOX_ENDPOINT,	/* answers webhooks: its store and delivery log */
	TWH_SANDBOX_DISPATCHER,	/* twhook dispatch: its store, and HTTPS out */
	TWH_SANDBOX_LOG_READER,	/* twhook log -f: reads the delivery log */
	TWH_SANDBOX_REQUEST,	/* twhook request, once its endpoint runs: pipes only */
	TWH_SANDBOX_CONSOLE	/* twhook-console: its store, and reads the delivery log */
};

/* What a process may reach besides its role's own: the URLs the dispatcher calls. */
struct twh_sandbox_extra {
	const char	*urls[16];
	size_t		 n_urls;
};

int	 twh_sandbox_enter(const struct twh_conf *, enum twh_sandbox_role,
	    const struct twh_sandbox_extra *, bool quiet, char *err, size_t errlen);

#endif
