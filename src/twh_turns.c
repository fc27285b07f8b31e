/*
 * twh_turns.c: writers of one SQLite store taking turns, first come first served.  SQLite's
 * write lock cannot be waited for: a writer that finds it taken gets SQLITE_BUSY and tries
 * again after a sleep, so while one process commits, the next sleeps past the moment the store
 * is free, and under load two processes committed half as often as one.  So each of twhook's
 * writers first takes a turn in a queue kept in the file STORE.writers, mapped by every
 * process, whose next writer the kernel wakes the moment the turn is given back.  SQLite's
 * lock stays the authority: a writer that takes no turn (the sqlite3 shell) is waited for as
 * before.
 *
 * The queue is a CLH queue of slots, each a robust, process-shared mutex that its writer holds
 * while it waits and while it has the turn; a writer waits on the mutex of the slot before its
 * own, so the turn goes in the order the writers came, and one that just gave it back cannot
 * take it again ahead of those waiting (a single mutex let it, and a waiter could starve).
 * Robust mutexes are what let the queue outlive its writers: a writer whose patience ran out
 * marks its slot abandoned and lets go of it, one that died lets go of it by dying
 * (EOWNERDEAD), and in either case the writer behind it goes on to wait behind the slot
 * before.  A writer that died holding the turn leaves it to the next (its transaction died
 * with it, and SQLite rolls it back).  A slot is freed by the writer that waited on it.  A
 * short-held guard mutex orders the writers joining the queue.
 *
 * The file holds a magic number (the layout's), the guard, the queue's tail and the slots.
 * Whoever opens it first sets it up, under flock(2) so that no two do it at once.
 */
#define _GNU_SOURCE	/* pthread_mutex_clocklock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "twh_turns.h"

/* More writers than slots waiting at once go on without a turn, on SQLite's lock alone. */
#define TURNS_SLOTS	128
#define NO_SLOT		UINT32_MAX

enum slot_state {
	SLOT_FREE,		/* in no queue: a writer joining may take it */
	SLOT_WAITING,		/* its writer waits behind the slot PREV */
	SLOT_HOLDING,		/* its writer has the turn */
	SLOT_DONE,		/* the turn was given back: the writer behind has it */
	SLOT_ABANDONED		/* its writer's patience ran out: the one behind waits behind PREV */
};

struct turn_slot {
	pthread_mutex_t		 alive;	/* held by its writer while it waits or has the turn */
	_Atomic uint32_t	 state;
	_Atomic uint32_t	 prev;
};

struct turns_file {
	uint64_t		 magic;
	pthread_mutex_t		 guard;	/* held only while a writer joins the queue */
	_Atomic uint32_t	 tail;	/* the slot of the last writer to join */
	_Atomic uint32_t	 joining; /* the slot being joined, NO_SLOT when none */
	struct turn_slot	 slot[TURNS_SLOTS];
};

/* "TWHTQ", then the layout's size: a file another layout set up is set up again. */
#define TURNS_MAGIC	(0x5457485451000000ULL | (uint64_t)sizeof(struct turns_file))

struct twh_turns {
	struct turns_file	*file;
	uint32_t		 mine;		/* this writer's slot while it waits or holds */
	bool			 held;
	bool			 unusable;	/* the queue cannot be recovered: poll from now on */
};

/* MUTEX set up robust and process-shared, refusing to be taken twice by its owner. */
static int
init_mutex(pthread_mutex_t *mutex)
{
	pthread_mutexattr_t	 attr;
	int			 rc;

	if (pthread_mutexattr_init(&attr) != 0)
		return -1;
	rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK) != 0 ||
	    pthread_mutex_init(mutex, &attr) != 0 ? -1 : 0;
	pthread_mutexattr_destroy(&attr);
	return rc;
}

/* An empty queue: its tail a slot whose turn was given back, so the first writer has it. */
static int
set_up(struct turns_file *f)
{
	uint32_t	 i;

	memset(f, 0, sizeof(*f));
	if (init_mutex(&f->guard) == -1)
		return -1;
	for (i = 0; i < TURNS_SLOTS; i++) {
		if (init_mutex(&f->slot[i].alive) == -1)
			return -1;
		f->slot[i].state = SLOT_FREE;
		f->slot[i].prev = NO_SLOT;
	}
	f->slot[0].state = SLOT_DONE;
	f->tail = 0;
	f->joining = NO_SLOT;
	f->magic = TURNS_MAGIC;
	return 0;
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

/*
 * MUTEX taken, waiting until DEADLINE (NULL: for as long as it takes); one whose owner died is
 * made consistent, and *DIED says so.  0, or the error (ETIMEDOUT).
 */
static int
take_mutex(pthread_mutex_t *mutex, const struct timespec *deadline, bool *died)
{
	int	 rc;

	rc = deadline != NULL ? pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, deadline) :
	    pthread_mutex_lock(mutex);
	*died = rc == EOWNERDEAD;
	if (*died)
		rc = pthread_mutex_consistent(mutex);
	return rc;
}

/*
 * After a writer died joining the queue: the slot it was taking, if it did not get as far as
 * the tail, is freed (its mutex given back, whether it had taken it or not).
 */
static void
repair_join(struct turns_file *f)
{
	uint32_t	 i = f->joining;
	int		 rc;

	if (i != NO_SLOT && i != f->tail) {
		rc = pthread_mutex_trylock(&f->slot[i].alive);
		if (rc == EOWNERDEAD)
			rc = pthread_mutex_consistent(&f->slot[i].alive);
		if (rc == 0)
			pthread_mutex_unlock(&f->slot[i].alive);
		f->slot[i].state = SLOT_FREE;
	}
	f->joining = NO_SLOT;
}

/* A free slot, taken (its mutex held by this writer); NO_SLOT when every one is in use. */
static uint32_t
claim_slot(struct turns_file *f)
{
	uint32_t	 i;
	int		 rc;

	for (i = 0; i < TURNS_SLOTS; i++) {
		if (f->slot[i].state != SLOT_FREE)
			continue;
		f->joining = i;
		rc = pthread_mutex_trylock(&f->slot[i].alive);
		if (rc == EOWNERDEAD)	/* a writer died between taking it and saying so */
			rc = pthread_mutex_consistent(&f->slot[i].alive);
		if (rc == 0)
			return i;
	}
	f->joining = NO_SLOT;
	return NO_SLOT;
}

/*
 * This writer at the end of the queue, waiting behind the last one: 0, 1 when it cannot join
 * (no free slot, or the guard is broken), or ETIMEDOUT when the guard was not had in time.
 */
static int
join_queue(struct twh_turns *t, const struct timespec *deadline)
{
	struct turns_file	*f = t->file;
	uint32_t		 i;
	bool			 died;
	int			 rc;

	if ((rc = take_mutex(&f->guard, deadline, &died)) != 0) {
		t->unusable = rc == ENOTRECOVERABLE;
		return rc == ETIMEDOUT ? ETIMEDOUT : 1;
	}
	if (died)
		repair_join(f);
	if ((i = claim_slot(f)) != NO_SLOT) {
		f->slot[i].prev = f->tail;
		f->slot[i].state = SLOT_WAITING;
		f->tail = i;
		f->joining = NO_SLOT;
		t->mine = i;
	}
	pthread_mutex_unlock(&f->guard);
	return i != NO_SLOT ? 0 : 1;
}

/*
 * Waits for the slot before this writer's to let go, and frees it: 0 when that gives this
 * writer the turn (given back, or its holder died), or the error.  A slot abandoned, or whose
 * writer died waiting, is passed: this writer then waits behind the slot before that one.
 */
static int
wait_in_queue(struct twh_turns *t, const struct timespec *deadline)
{
	struct turn_slot	*me = &t->file->slot[t->mine], *ahead;
	uint32_t		 state;
	bool			 died, passed;
	int			 rc;

	for (;;) {
		ahead = &t->file->slot[me->prev];
		if ((rc = take_mutex(&ahead->alive, deadline, &died)) != 0)
			return rc;
		state = ahead->state;
		passed = state == SLOT_ABANDONED || (died && state == SLOT_WAITING);
		if (passed)
			me->prev = ahead->prev;	/* before the slot is freed: see give_up */
		pthread_mutex_unlock(&ahead->alive);
		ahead->state = SLOT_FREE;
		if (!passed)
			return 0;
	}
}

/* This writer leaves the queue: the one behind it waits behind the slot it waited behind. */
static void
give_up(struct twh_turns *t)
{
	struct turn_slot	*me = &t->file->slot[t->mine];

	me->state = SLOT_ABANDONED;
	pthread_mutex_unlock(&me->alive);
}

int
twh_turns_take(struct twh_turns *t, int patience_ms)
{
	struct timespec	 deadline_at, *deadline = NULL;
	int		 rc;

	if (t == NULL || t->unusable || t->held)
		return 1;
	if (patience_ms > 0) {
		deadline_at = after_ms(patience_ms);
		deadline = &deadline_at;
	}
	if ((rc = join_queue(t, deadline)) != 0)
		return rc == ETIMEDOUT ? -1 : 1;
	if ((rc = wait_in_queue(t, deadline)) == 0) {
		t->file->slot[t->mine].state = SLOT_HOLDING;
		t->held = true;
		return 0;
	}
	give_up(t);
	if (rc == ETIMEDOUT)
		return -1;
	/* ENOTRECOVERABLE, or another error of the mapping: SQLite's lock alone, polled. */
	t->unusable = rc != EDEADLK;
	return 1;
}

void
twh_turns_give(struct twh_turns *t)
{
	struct turn_slot	*me;

	if (t == NULL || !t->held)
		return;
	t->held = false;
	me = &t->file->slot[t->mine];
	me->state = SLOT_DONE;
	pthread_mutex_unlock(&me->alive);
}
