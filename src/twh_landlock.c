/*
 * twh_landlock.c: Landlock through syscall(2), no library.  The constants and structures are
 * the kernel's own; they are spelt out here because the C library's headers may be older than
 * the kernel (a header of ABI 2 knows no TCP rules).  Every right the kernel knows is handled,
 * so that what no rule grants is refused: files by ABI 1 to 3 and 5 (refer, truncate, device
 * ioctls), TCP bind and connect by ABI 4 (only when the caller asks: a process that handles no
 * network keeps its sockets), and by ABI 6 signals and abstract unix sockets to processes
 * outside the domain.
 */
#define _GNU_SOURCE	/* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "twh_landlock.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset	444
#define SYS_landlock_add_rule		445
#define SYS_landlock_restrict_self	446
#endif

#define CREATE_RULESET_VERSION	(1u << 0)
#define RULE_PATH_BENEATH	1
#define RULE_NET_PORT		2

#define FS_EXECUTE	(1ull << 0)
#define FS_WRITE_FILE	(1ull << 1)
#define FS_READ_FILE	(1ull << 2)
#define FS_READ_DIR	(1ull << 3)
#define FS_REMOVE_DIR	(1ull << 4)
#define FS_REMOVE_FILE	(1ull << 5)
#define FS_MAKE_CHAR	(1ull << 6)
#define FS_MAKE_DIR	(1ull << 7)
#define FS_MAKE_REG	(1ull << 8)
#define FS_MAKE_SOCK	(1ull << 9)
#define FS_MAKE_FIFO	(1ull << 10)
#define FS_MAKE_BLOCK	(1ull << 11)
#define FS_MAKE_SYM	(1ull << 12)
#define FS_REFER	(1ull << 13)	/* ABI 2 */
#define FS_TRUNCATE	(1ull << 14)	/* ABI 3 */
#define FS_IOCTL_DEV	(1ull << 15)	/* ABI 5 */
#define NET_BIND_TCP	(1ull << 0)	/* ABI 4 */
#define NET_CONNECT_TCP	(1ull << 1)
#define SCOPE_ABSTRACT_UNIX_SOCKET	(1ull << 0)	/* ABI 6 */
#define SCOPE_SIGNAL	(1ull << 1)

/* The rights that apply to a file itself; the others are a directory's. */
#define FS_FILE_RIGHTS	(FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV)

struct ruleset_attr {
	uint64_t	 handled_access_fs;
	uint64_t	 handled_access_net;
	uint64_t	 scoped;
};

struct path_beneath_attr {
	uint64_t	 allowed_access;
	int32_t		 parent_fd;
} __attribute__((packed));

struct net_port_attr {
	uint64_t	 allowed_access;
	uint64_t	 port;
};

/* The file rights that ABI knows. */
static uint64_t
fs_rights(int abi)
{
	uint64_t	 all = (FS_MAKE_SYM << 1) - 1;

	if (abi >= 2)
		all |= FS_REFER;
	if (abi >= 3)
		all |= FS_TRUNCATE;
	if (abi >= 5)
		all |= FS_IOCTL_DEV;
	return all;
}

/* The Landlock ABI level of the running kernel; 0 when it has none (or it is disabled). */
int
twh_landlock_abi(void)
{
	long	 abi = syscall(SYS_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

/*
 * Starts a ruleset in LL that handles every file right and scope the kernel knows, and with
 * TCP, TCP bind and connect.  0, or -1 with errno set (LL->abi 0: no Landlock).
 */
int
twh_landlock_begin(struct twh_landlock *ll, bool tcp)
{
	struct ruleset_attr	 attr;

	memset(ll, 0, sizeof(*ll));
	ll->fd = -1;
	if ((ll->abi = twh_landlock_abi()) == 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = fs_rights(ll->abi);
	if (tcp && ll->abi >= 4)
		attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
	if (ll->abi >= 6)
		attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
	/* An older kernel takes the larger structure when the fields it does not know are 0. */
	ll->fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	return ll->fd == -1 ? -1 : 0;
}

/* Landlock's rights for RIGHTS on a directory or, when FILE, on a file. */
static uint64_t
landlock_rights(unsigned rights, bool file, int abi)
{
	uint64_t	 r = 0;

	if (rights & TWH_LL_READ)
		r |= FS_READ_FILE;
	if (rights & TWH_LL_WRITE)
		r |= FS_WRITE_FILE | FS_TRUNCATE;
	if (rights & TWH_LL_LIST)
		r |= FS_READ_DIR;
	if (rights & TWH_LL_CREATE)
		r |= FS_MAKE_REG | FS_REMOVE_FILE | FS_MAKE_DIR | FS_REMOVE_DIR;
	if (rights & TWH_LL_EXECUTE)
		r |= FS_EXECUTE;
	r &= fs_rights(abi);
	return file ? r & FS_FILE_RIGHTS : r;
}

/*
 * Grants RIGHTS on PATH and, for a directory, beneath it.  A PATH that does not exist, or that
 * this process cannot reach, gets no rule (LL->skipped counts it): what it cannot open now it
 * will not open later.  0, or -1 with errno set when the kernel refuses the rule.
 */
int
twh_landlock_allow_path(struct twh_landlock *ll, const char *path, unsigned rights)
{
	struct path_beneath_attr	 rule;
	struct stat			 st;
	int				 fd, rc;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		ll->skipped++;
		return 0;
	}
	rule.allowed_access = landlock_rights(rights, !S_ISDIR(st.st_mode), ll->abi);
	rule.parent_fd = fd;
	rc = rule.allowed_access == 0 ? 0 :
	    (int)syscall(SYS_landlock_add_rule, ll->fd, RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	if (rc == 0)
		ll->rules++;
	return rc;
}

/* Grants TCP connections to PORT (ABI 4 and later; before, TCP is not handled). */
int
twh_landlock_allow_connect(struct twh_landlock *ll, uint16_t port)
{
	struct net_port_attr	 rule = { NET_CONNECT_TCP, port };

	if (ll->abi < 4)
		return 0;
	if (syscall(SYS_landlock_add_rule, ll->fd, RULE_NET_PORT, &rule, 0) == -1)
		return -1;
	ll->rules++;
	return 0;
}

/* Confines the calling thread, and what it starts from now on, to the ruleset. */
int
twh_landlock_apply(struct twh_landlock *ll)
{
	int	 rc = (int)syscall(SYS_landlock_restrict_self, ll->fd, 0);

	twh_landlock_abandon(ll);
	return rc;
}

void
twh_landlock_abandon(struct twh_landlock *ll)
{
	if (ll->fd != -1)
		close(ll->fd);
	ll->fd = -1;
}
