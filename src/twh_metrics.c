/*
 * twh_metrics.c: the totals file (twh_metrics.h) and counting into it.  Every endpoint process
 * maps DIR/totals shared, once, before it is confined; a request then costs a few relaxed
 * atomic additions to the mapping, with no lock and no system call, so concurrent processes
 * never lose an increment.  The file is struct twh_metrics_counters exactly: one that has
 * another size, magic number or version is never trusted, but replaced by a new one made under
 * a temporary name and renamed over it, under flock(2) on the directory so that two processes
 * never both replace it (and one map a file the other unlinked).
 *
 * The windows' slots are stamped with their minute or hour.  The first process to count in a
 * slot whose stamp is older takes it with a compare-and-swap to TWH_METRICS_RESETTING, sets
 * its counts to zero, then stores the new stamp (release): whoever reads that stamp (acquire)
 * counts after the reset.  A process that finds a slot being reset leaves its request out of
 * that window, and so does a reader copying a slot mid-reset: those are the windows' only
 * losses.  A resetter that dies mid-reset leaves the slot to the next minute's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "twh_diag.h"
#include "twh_metrics.h"

/* "TWHTOTAL"; the version changes with the layout. */
#define METRICS_MAGIC	UINT64_C(0x5457485449544f54)
#define METRICS_VERSION	1

const char *const twh_metrics_endpoints[TWH_METRICS_ENDPOINTS] = { "crm", "outgoing",
    "templates", "routing", "conversations", "proxy-callback", "proxy-intercept",
    "proxy-out-of-session", "call-notify" };

const double twh_metrics_bucket_le[TWH_METRICS_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, INFINITY };

struct twh_metrics {
	struct twh_metrics_counters	*file;
	bool				 writable;
	const char			*last_name;	/* the last endpoint counted, */
	int				 last_index;	/* and its slot */
};

/* A slot's counts: every word but its stamp. */
#define SLOT_COUNTS	(sizeof(struct twh_metrics_slot) / sizeof(uint64_t) - 1)

#define ADD(p, n)	__atomic_fetch_add((p), (n), __ATOMIC_RELAXED)

int
twh_metrics_endpoint_index(const char *endpoint)
{
	int	 i;

	if (endpoint == NULL)
		return -1;
	for (i = 0; i < TWH_METRICS_ENDPOINTS; i++)
		if (strcmp(endpoint, twh_metrics_endpoints[i]) == 0)
			return i;
	return -1;
}

/* Whether the mapped F is a totals file of this layout. */
static bool
valid(const struct twh_metrics_counters *f)
{
	return f->magic == METRICS_MAGIC && f->version == METRICS_VERSION &&
	    f->size == sizeof(*f);
}

/* The file open as FD mapped, if it is a totals file of this layout; else MAP_FAILED. */
static struct twh_metrics_counters *
map_valid(int fd, bool writable)
{
	struct twh_metrics_counters	*f;
	struct stat			 st;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof(*f))
		return MAP_FAILED;
	f = mmap(NULL, sizeof(*f), writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
	    fd, 0);
	if (f != MAP_FAILED && !valid(f)) {
		munmap(f, sizeof(*f));
		f = MAP_FAILED;
	}
	return f;
}

/* PATH opened and mapped if valid: MAP_FAILED otherwise, errno EINVAL for another layout. */
static struct twh_metrics_counters *
open_valid(const char *path, bool writable)
{
	struct twh_metrics_counters	*f;
	int				 fd;

	if ((fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return MAP_FAILED;
	f = map_valid(fd, writable);
	close(fd);
	if (f == MAP_FAILED)
		errno = EINVAL;
	return f;
}

/*
 * A new, zeroed totals file in DIR (open as DFD) renamed to PATH: mapped, or MAP_FAILED.  Made
 * by root (a dispatcher run by hand, say), it goes to the directory's owner, as the log's files
 * are the endpoints'.
 */
static struct twh_metrics_counters *
create(int dfd, const char *dir, const char *path, time_t now)
{
	struct twh_metrics_counters	 head, *f = MAP_FAILED;
	struct stat			 st;
	char				 tmp[PATH_MAX];
	int				 fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, TWH_METRICS_FILE) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return MAP_FAILED;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return MAP_FAILED;
	memset(&head, 0, sizeof(head));
	head.magic = METRICS_MAGIC;
	head.version = METRICS_VERSION;
	head.size = sizeof(head);
	head.created = (uint64_t)now;
	/* The head's fields, then zeros to the end: the file is whole before it has its name. */
	if (fchmod(fd, 0640) == 0 && (geteuid() != 0 || (fstat(dfd, &st) == 0 &&
	    fchown(fd, st.st_uid, st.st_gid) == 0)) && ftruncate(fd, sizeof(head)) == 0 &&
	    pwrite(fd, &head, offsetof(struct twh_metrics_counters, endpoints), 0) ==
	    (ssize_t)offsetof(struct twh_metrics_counters, endpoints) &&
	    rename(tmp, path) == 0)
		f = map_valid(fd, true);
	saved = errno;
	if (f == MAP_FAILED)
		unlink(tmp);
	close(fd);
	errno = saved;
	return f;
}

/*
 * The writers' totals: the directory made as the log makes it, the file made if missing or
 * replaced if of another layout (one this user may not open is left alone: other processes
 * may count in it).
 */
static struct twh_metrics_counters *
open_writable(const char *dir, const char *path)
{
	struct twh_metrics_counters	*f;
	int				 dfd, saved;

	if ((f = open_valid(path, true)) != MAP_FAILED || (errno != ENOENT && errno != EINVAL))
		return f;
	if ((mkdir(dir, 0750) == -1 && errno != EEXIST) ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return MAP_FAILED;
	/* One process at a time looks again and replaces what it still finds wrong. */
	if (flock(dfd, LOCK_EX) == 0 && (f = open_valid(path, true)) == MAP_FAILED &&
	    (errno == ENOENT || errno == EINVAL))
		f = create(dfd, dir, path, time(NULL));
	saved = errno;
	close(dfd);
	errno = saved;
	return f;
}

struct twh_metrics *
twh_metrics_open(const struct twh_conf *conf, bool writable)
{
	struct twh_metrics_counters	*f;
	struct twh_metrics		*m;
	char				 path[PATH_MAX];

	if (conf->delivery_log == NULL)
		return NULL;
	if (snprintf(path, sizeof(path), "%s/%s", conf->delivery_log, TWH_METRICS_FILE) >=
	    (int)sizeof(path)) {
		twh_warn("%s: the path is too long: no totals are counted", conf->delivery_log);
		return NULL;
	}
	f = writable ? open_writable(conf->delivery_log, path) : open_valid(path, false);
	if (f == MAP_FAILED) {
		if (!writable && errno == ENOENT)
			twh_info("%s: no totals yet (the endpoints make it)", path);
		else if (!writable && errno == EINVAL)
			twh_warn("%s: not a totals file of this twhook (the endpoints replace it)",
			    path);
		else
			/* Without a log, its directory may well be out of reach: no warning. */
			twh_diag(writable && conf->delivery_log_days == 0 ? TWH_DIAG_INFO :
			    TWH_DIAG_WARNING, "%s: %s: no totals are %s (the delivery log's "
			    "directory must be writable)", path, strerror(errno),
			    writable ? "counted" : "read");
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		munmap(f, sizeof(*f));
		twh_warn("out of memory: no totals");
		return NULL;
	}
	m->file = f;
	m->writable = writable;
	m->last_index = -1;
	return m;
}

void
twh_metrics_close(struct twh_metrics *m)
{
	if (m == NULL)
		return;
	munmap(m->file, sizeof(*m->file));
	free(m);
}

/* The histogram's bucket for a latency of MS milliseconds. */
static int
bucket_of(double ms)
{
	int	 i;

	for (i = 0; i < TWH_METRICS_BUCKETS - 1; i++)
		if (ms <= twh_metrics_bucket_le[i] * 1000)
			break;
	return i;
}

/* SLOT, stamped STAMP: claimed (and reset) if its stamp is older; NULL when it cannot count. */
static struct twh_metrics_slot *
claim(struct twh_metrics_slot *slot, uint64_t stamp)
{
	uint64_t	 seen = __atomic_load_n(&slot->stamp, __ATOMIC_ACQUIRE);
	uint64_t	*counts = &slot->requests;	/* the words after the stamp */
	size_t		 i;

	if (seen == stamp)
		return slot;
	/* Newer (another process's clock is ahead), or being reset for this minute. */
	if ((seen & ~TWH_METRICS_RESETTING) >= stamp ||
	    !__atomic_compare_exchange_n(&slot->stamp, &seen, stamp | TWH_METRICS_RESETTING,
	    false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return NULL;
	for (i = 0; i < SLOT_COUNTS; i++)
		__atomic_store_n(&counts[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->stamp, stamp, __ATOMIC_RELEASE);
	return slot;
}

/* One request into the window slot of STAMP in RING of N slots. */
static void
count_in_window(struct twh_metrics_slot *ring, int n, uint64_t stamp, int status,
    bool signature_failed, int bucket)
{
	struct twh_metrics_slot	*slot;

	if ((slot = claim(&ring[stamp % (uint64_t)n], stamp)) == NULL)
		return;
	ADD(&slot->requests, 1);
	if (status >= 200 && status <= 299)
		ADD(&slot->s2xx, 1);
	else if (status >= 400 && status <= 499)
		ADD(&slot->s4xx, 1);
	else if (status >= 500 && status <= 599)
		ADD(&slot->s5xx, 1);
	if (signature_failed)
		ADD(&slot->sig_failures, 1);
	ADD(&slot->buckets[bucket], 1);
}

void
twh_metrics_record(struct twh_metrics *m, const char *endpoint, int status,
    bool signature_failed, double ms, time_t now)
{
	struct twh_metrics_endpoint	*e;
	int				 i, bucket;

	if (m == NULL || !m->writable || now < 0 || status < TWH_METRICS_STATUS_MIN ||
	    status >= TWH_METRICS_STATUS_MIN + TWH_METRICS_STATUSES)
		return;
	if (endpoint != m->last_name) {
		m->last_name = endpoint;
		m->last_index = twh_metrics_endpoint_index(endpoint);
	}
	if ((i = m->last_index) == -1)
		return;
	e = &m->file->endpoints[i];
	if (!(ms >= 0))		/* NaN too */
		ms = 0;
	bucket = bucket_of(ms);
	ADD(&e->status[status - TWH_METRICS_STATUS_MIN], 1);
	if (signature_failed)
		ADD(&e->sig_failures, 1);
	ADD(&e->buckets[bucket], 1);
	/* A latency past a day is a clock's jump: counted as a day. */
	ADD(&e->latency_us, (uint64_t)((ms < 86400000 ? ms : 86400000) * 1000 + 0.5));
	count_in_window(e->minutes, TWH_METRICS_MINUTES, (uint64_t)now / 60, status,
	    signature_failed, bucket);
	count_in_window(e->hours, TWH_METRICS_HOURS, (uint64_t)now / 3600, status,
	    signature_failed, bucket);
}

void
twh_metrics_dispatch(struct twh_metrics *m, bool succeeded, time_t now)
{
	uint64_t	 seen;

	if (m == NULL || !m->writable)
		return;
	if (!succeeded) {
		ADD(&m->file->dispatch_failed, 1);
		return;
	}
	ADD(&m->file->dispatch_ok, 1);
	/* The latest success wins, whichever dispatcher of the machine stores last. */
	seen = __atomic_load_n(&m->file->dispatch_last_success, __ATOMIC_RELAXED);
	while (seen < (uint64_t)now && !__atomic_compare_exchange_n(
	    &m->file->dispatch_last_success, &seen, (uint64_t)now, true, __ATOMIC_RELAXED,
	    __ATOMIC_RELAXED))
		continue;
}

int
twh_metrics_snapshot(struct twh_metrics *m, struct twh_metrics_snapshot *snap, time_t now)
{
	const uint64_t	*from;
	uint64_t	*to;
	size_t		 i, n = sizeof(snap->c) / sizeof(uint64_t);

	memset(snap, 0, sizeof(*snap));
	snap->now = now;
	if (m == NULL)
		return -1;
	/* Word by word, each read whole while the writers go on. */
	from = (const uint64_t *)m->file;
	to = (uint64_t *)&snap->c;
	for (i = 0; i < n; i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
	return 0;
}
