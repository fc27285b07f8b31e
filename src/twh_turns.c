/*
 * twh_turns.c: writers of one SQLite store taking turns.  SQLite's write lock cannot be
 * waited for: a writer that finds it taken gets SQLITE_BUSY and tries again after a sleep, so
 * while one process commits, the next sleeps past the moment the store is free, and under load
 * two processes committed half as often as one.  So each of twhook's writers first takes a
 * turn: a robust, process-shared mutex in the file STORE.writers, mapped by every process,
 * whose waiter the kernel wakes the moment it is given back.  SQLite's lock stays the
 * authority: a writer that takes no turn (the sqlite3 shell) is waited for as before.
 *
 * The file holds a magic number, then the mutex.  Whoever opens it first sets the mutex up,
 * under flock(2) so that no two do it at once.  A process that dies holding the turn leaves it
 * to the next (EOWNERDEAD: its transaction died with it, and SQLite rolls it back).
 */
#define _GNU_SOURCE	/* pthread_mutex_clocklock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "twh_turns.h"

/* "TWHTURN" and the mutex's size: a file another layout set up is set up again. */
#define TURNS_MAGIC	(0x5457485455524e00ULL | (uint64_t)sizeof(pthread_mutex_t))

struct turns_file {
	uint64_t		 magic;
	pthread_mutex_t		 mutex;
};

struct twh_turns {
	struct turns_file	*file;
	bool			 held;
	bool			 unusable;	/* the mutex cannot be recovered: poll from now on */
};

/* A robust, process-shared mutex that refuses to be taken twice by its owner. */
static int
set_up(struct turns_file *f)
{
	pthread_mutexattr_t	 attr;
	int			 rc;

	if (pthread_mutexattr_init(&attr) != 0)
		return -1;
	rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK) != 0 ||
	    pthread_mutex_init(&f->mutex, &attr) != 0 ? -1 : 0;
	pthread_mutexattr_destroy(&attr);
	if (rc == 0)
		f->magic = TURNS_MAGIC;
	return rc;
}

/* STORE.writers mapped, and set up if nobody did yet; MAP_FAILED when it cannot be. */
static struct turns_file *
map_file(const char *path)
{
	char			 name[PATH_MAX];
	struct stat		 store, st;
	struct turns_file	*f = MAP_FAILED;
	int			 fd;

	if (snprintf(name, sizeof(name), "%s.writers", path) >= (int)sizeof(name) ||
	    stat(path, &store) == -1)
		return MAP_FAILED;
	/*
	 * Whoever may write the store may take turns: the store's own permissions, and, as
	 * SQLite does with its -wal and -shm, its owner when root makes the file.
	 */
	if ((fd = open(name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, store.st_mode & 0666)) == -1)
		return MAP_FAILED;
	if (geteuid() == 0 && fstat(fd, &st) == 0 && st.st_uid == 0 && store.st_uid != 0 &&
	    fchown(fd, store.st_uid, store.st_gid) == -1) {
		close(fd);
		return MAP_FAILED;
	}
	if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 &&
	    (st.st_size >= (off_t)sizeof(*f) || ftruncate(fd, sizeof(*f)) == 0))
		f = mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (f != MAP_FAILED && f->magic != TURNS_MAGIC && set_up(f) == -1) {
		munmap(f, sizeof(*f));
		f = MAP_FAILED;
	}
	/* Given back by hand: the mapping keeps the file open, and a flock with it. */
	flock(fd, LOCK_UN);
	close(fd);
	return f;
}

struct twh_turns *
twh_turns_open(const char *path)
{
	struct twh_turns	*t;
	struct turns_file	*f;

	if ((f = map_file(path)) == MAP_FAILED)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		munmap(f, sizeof(*f));
		return NULL;
	}
	t->file = f;
	return t;
}

void
twh_turns_close(struct twh_turns *t)
{
	if (t == NULL)
		return;
	twh_turns_give(t);
	munmap(t->file, sizeof(*t->file));
	free(t);
}

/* The monotonic clock MS milliseconds from now. */
static struct timespec
after_ms(int ms)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int
twh_turns_take(struct twh_turns *t, int patience_ms)
{
	struct timespec	 deadline;
	int		 rc;

	if (t == NULL || t->unusable || t->held)
		return 1;
	if (patience_ms > 0) {
		deadline = after_ms(patience_ms);
		rc = pthread_mutex_clocklock(&t->file->mutex, CLOCK_MONOTONIC, &deadline);
	} else
		rc = pthread_mutex_lock(&t->file->mutex);
	if (rc == EOWNERDEAD)
		rc = pthread_mutex_consistent(&t->file->mutex);
	if (rc == 0) {
		t->held = true;
		return 0;
	}
	if (rc == ETIMEDOUT)
		return -1;
	/* ENOTRECOVERABLE, or another error of the mapping: SQLite's lock alone, polled. */
	t->unusable = rc != EDEADLK;
	return 1;
}

void
twh_turns_give(struct twh_turns *t)
{
	if (t == NULL || !t->held)
		return;
	t->held = false;
	pthread_mutex_unlock(&t->file->mutex);
}
