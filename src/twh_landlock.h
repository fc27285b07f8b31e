/*
 * twh_landlock.h: Landlock, the kernel's unprivileged access control, through its three raw
 * system calls.  A ruleset names the kinds of access it handles; whatever it handles is refused
 * unless a rule grants it: for files, beneath a path; for TCP, to or on a port.  Once applied to
 * the process (and its later threads and children) it cannot be lifted.  Each right exists from
 * some ABI level on; this module drops what the kernel does not know, so callers ask for what
 * they want and twh_landlock_abi says what they got.
 */
#ifndef TWH_LANDLOCK_H
#define TWH_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* The rights a path rule grants, in twhook's terms; each maps to Landlock's own rights. */
#define TWH_LL_READ	(1u << 0)	/* read files */
#define TWH_LL_WRITE	(1u << 1)	/* write and truncate files */
#define TWH_LL_LIST	(1u << 2)	/* list a directory */
#define TWH_LL_CREATE	(1u << 3)	/* create and remove regular files (and directories) */
#define TWH_LL_EXECUTE	(1u << 4)	/* map as code: shared libraries loaded late */

struct twh_landlock {
	int	 abi;		/* 0: the kernel has no Landlock */
	int	 fd;		/* the ruleset being built, or -1 */
	int	 rules;		/* the rules added */
	int	 skipped;	/* the paths that did not exist, so got no rule */
};

int	 twh_landlock_abi(void);
int	 twh_landlock_begin(struct twh_landlock *, bool tcp);
int	 twh_landlock_allow_path(struct twh_landlock *, const char *path, unsigned rights);
int	 twh_landlock_allow_connect(struct twh_landlock *, uint16_t port);
int	 twh_landlock_apply(struct twh_landlock *);
void	 twh_landlock_abandon(struct twh_landlock *);

#endif
