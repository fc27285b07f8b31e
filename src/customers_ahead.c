/*
 * customers_ahead.c: a reader of customers that reads ahead, on a thread of its own, with
 * another reader (customers_json.c or customers_csv.c), so that parsing the file takes its
 * time on one core while `twhook import` writes the store on the other.  The thread fills
 * batches of customers, at most BATCHES of them waiting, so memory stays that of a few
 * thousand customers whatever the file's size.  The store is never touched from the thread.
 * The customers it hands out stay its own, freed by the thread before it fills their batch
 * again: memory that one thread allocates and the other frees would have the two contend for
 * malloc's arena of the thread, and cost more than the parsing saves.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "customers_file.h"

#define BATCH		512	/* customers handed over at once */
#define BATCHES		4	/* batches read and not yet taken, at most */

struct batch {
	struct twh_customer	 c[BATCH];
	char			 where[BATCH][sizeof(((struct customers_error *)0)->where)];
	size_t			 n;
	bool			 last;		/* the reader's end follows the customers */
	int			 last_rc;	/* 0 at the end of the file, -1 with last_error */
	struct customers_error	 last_error;
};

struct ahead_reader {
	struct customers_reader	 r;
	struct customers_reader	*inner;
	pthread_t		 thread;
	pthread_mutex_t		 mutex;
	pthread_cond_t		 changed;	/* a batch filled or taken, or stop */
	unsigned long		 filled;	/* batches filled by the thread, ever */
	unsigned long		 taken;		/* batches the caller is done with, ever */
	size_t			 pos;		/* the caller's next customer in its batch */
	bool			 stop;		/* the caller is closing: read no more */
	struct batch		 batches[BATCHES];
};

static void
free_batch(struct batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++)
		twh_customer_free(&b->c[i]);
	b->n = 0;
}

/* Fills B from the inner reader, up to BATCH customers or its end. */
static void
fill_batch(struct ahead_reader *a, struct batch *b)
{
	struct customers_error	 e = { "", "" };
	int			 rc = 1;

	free_batch(b);
	b->last = false;
	while (b->n < BATCH &&
	    (rc = customers_next(a->inner, &b->c[b->n], &e)) == 1) {
		memcpy(b->where[b->n], e.where, sizeof(b->where[b->n]));
		b->n++;
	}
	if (rc != 1) {
		/* On an error the reader may have begun the customer: free what it holds. */
		twh_customer_free(&b->c[b->n]);
		b->last = true;
		b->last_rc = rc;
		b->last_error = e;
	}
}

static void *
read_ahead(void *arg)
{
	struct ahead_reader	*a = arg;
	struct batch		*b;
	bool			 last = false;

	while (!last) {
		pthread_mutex_lock(&a->mutex);
		while (a->filled - a->taken == BATCHES && !a->stop)
			pthread_cond_wait(&a->changed, &a->mutex);
		if (a->stop) {
			pthread_mutex_unlock(&a->mutex);
			break;
		}
		b = &a->batches[a->filled % BATCHES];
		pthread_mutex_unlock(&a->mutex);
		fill_batch(a, b);
		last = b->last;
		pthread_mutex_lock(&a->mutex);
		a->filled++;
		pthread_cond_signal(&a->changed);
		pthread_mutex_unlock(&a->mutex);
	}
	return NULL;
}

/* The batch the caller reads from, waiting for the thread to fill it. */
static struct batch *
current(struct ahead_reader *a)
{
	pthread_mutex_lock(&a->mutex);
	while (a->filled == a->taken)
		pthread_cond_wait(&a->changed, &a->mutex);
	pthread_mutex_unlock(&a->mutex);
	return &a->batches[a->taken % BATCHES];
}

static int
ahead_next(struct customers_reader *r, struct twh_customer *c, struct customers_error *e)
{
	struct ahead_reader	*a = (struct ahead_reader *)r;
	struct batch		*b;

	for (;;) {
		b = current(a);
		if (a->pos < b->n) {
			*c = b->c[a->pos];
			memcpy(e->where, b->where[a->pos], sizeof(e->where));
			e->msg[0] = '\0';
			a->pos++;
			return 1;
		}
		if (b->last) {
			memset(c, 0, sizeof(*c));
			*e = b->last_error;
			return b->last_rc;
		}
		pthread_mutex_lock(&a->mutex);
		a->taken++;
		a->pos = 0;
		pthread_cond_signal(&a->changed);
		pthread_mutex_unlock(&a->mutex);
	}
}

/* The customer C is a copy of one in a batch, which the thread frees: forget it. */
static void
ahead_release(struct customers_reader *r, struct twh_customer *c)
{
	(void)r;
	memset(c, 0, sizeof(*c));
}

/* Stops the thread, frees every customer of the batches, and closes the inner reader. */
static void
ahead_close(struct customers_reader *r)
{
	struct ahead_reader	*a = (struct ahead_reader *)r;
	size_t			 i;

	pthread_mutex_lock(&a->mutex);
	a->stop = true;
	pthread_cond_signal(&a->changed);
	pthread_mutex_unlock(&a->mutex);
	pthread_join(a->thread, NULL);
	for (i = 0; i < BATCHES; i++)
		free_batch(&a->batches[i]);
	pthread_cond_destroy(&a->changed);
	pthread_mutex_destroy(&a->mutex);
	customers_close(a->inner);
	free(a);
}

/*
 * A reader of the customers of INNER (NULL: NULL), read ahead on a thread; INNER itself when
 * no thread can be had, and closed with the reader returned either way.
 */
struct customers_reader *
customers_ahead_open(struct customers_reader *inner)
{
	struct ahead_reader	*a;

	if (inner == NULL || (a = calloc(1, sizeof(*a))) == NULL)
		return inner;
	a->r.next = ahead_next;
	a->r.close = ahead_close;
	a->r.release = ahead_release;
	a->inner = inner;
	if (pthread_mutex_init(&a->mutex, NULL) != 0) {
		free(a);
		return inner;
	}
	if (pthread_cond_init(&a->changed, NULL) != 0) {
		pthread_mutex_destroy(&a->mutex);
		free(a);
		return inner;
	}
	if (pthread_create(&a->thread, NULL, read_ahead, a) != 0) {
		pthread_cond_destroy(&a->changed);
		pthread_mutex_destroy(&a->mutex);
		free(a);
		return inner;
	}
	return &a->r;
}
