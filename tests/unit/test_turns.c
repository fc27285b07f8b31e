/*
 * test_turns.c: writers' turns on a store (twh_turns.c) across real processes: the file and
 * its mode, one turn at a time, the patience running out, a turn handed over to a waiter, the
 * turn going in the order the writers came (one that gives it back cannot take it again ahead
 * of a waiter), waiters whose patience ran out or who died in the queue passed over, a holder
 * that dies, many writers at once never two holding it, a file of another layout set up again,
 * and a store where none can be had.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "twh_turns.h"

/* Long enough for a child started just before to have joined the queue, on a loaded machine. */
#define SETTLE_US	300000

static char	 store[256];

/* A writer in a child process, and the pipes to it. */
struct writer {
	pid_t	 pid;
	int	 tell;	/* to the child: give the turn back (or die holding it) */
	int	 told;	/* from the child: what its take returned */
};

/*
 * A child that tries to take the turn with PATIENCE ms, says what twh_turns_take returned on its
 * pipe ('0', '1' or '-'), then waits for a byte from the parent and gives the turn back (or exits
 * holding it when DIE).
 */
static void
start_writer(struct writer *w, int patience, int die)
{
	int	 up[2], down[2];
	char	 c = 0;

	if (pipe(up) == -1 || pipe(down) == -1 || (w->pid = fork()) == -1)
		exit(2);
	if (w->pid == 0) {
		struct twh_turns	*t = twh_turns_open(store);

		close(up[0]);
		close(down[1]);
		switch (t == NULL ? 2 : twh_turns_take(t, patience)) {
		case 0: c = '0'; break;
		case 1: c = '1'; break;
		case -1: c = '-'; break;
		default: c = '?'; break;
		}
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(3);
		if (die)
			_exit(0);	/* holding the turn */
		twh_turns_close(t);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	w->told = up[0];
	w->tell = down[1];
}

/* What the writer's take returned, once it returned. */
static char
outcome(struct writer *w)
{
	char	 c;

	return read(w->told, &c, 1) == 1 ? c : 'x';
}

/* The writer lets go of the turn (or dies holding it) and exits. */
static void
finish(struct writer *w)
{
	if (write(w->tell, "x", 1) != 1)
		exit(5);
	waitpid(w->pid, NULL, 0);
	close(w->tell);
	close(w->told);
}

/* A child that holds the turn (or dies holding it once told to finish). */
static void
holder(struct writer *w, int die)
{
	start_writer(w, 1000, die);
	if (outcome(w) != '0')
		exit(4);
}

/*
 * COUNT children, each taking the turn ROUNDS times with a patience of PATIENCE ms and
 * incrementing a counter in a file while it has it; the number of increments made, or -1 when
 * one saw another writer inside its turn.
 */
static int
crowd(int count, int rounds, int patience)
{
	char	 counter[300];
	int	 i, fd, status, made = 0;
	pid_t	 pid;

	snprintf(counter, sizeof(counter), "%s.counter", store);
	if ((fd = open(counter, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1)
		exit(2);
	for (i = 0; i < count; i++) {
		if ((pid = fork()) == -1)
			exit(2);
		if (pid == 0) {
			struct twh_turns	*t = twh_turns_open(store);
			int			 r, n, inside, mine = 0;

			for (r = 0; r < rounds && t != NULL; r++) {
				if (twh_turns_take(t, patience) != 0)
					continue;
				/* Odd while a writer is inside: another one seeing it is a fault. */
				if (pread(fd, &n, sizeof(n), 0) != sizeof(n))
					n = 0;
				inside = n + 1;
				if (n % 2 != 0 || pwrite(fd, &inside, sizeof(inside), 0) != sizeof(inside))
					_exit(255);
				usleep(200);
				n = inside + 1;
				if (pwrite(fd, &n, sizeof(n), 0) != sizeof(n))
					_exit(255);
				mine++;
				twh_turns_give(t);
			}
			_exit(mine);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
			made = -count * rounds - 1;
		else
			made += WEXITSTATUS(status);
	close(fd);
	unlink(counter);
	return made < 0 ? -1 : made;
}

int
main(void)
{
	struct twh_turns	*t;
	struct writer		 a, b, c;
	struct stat		 st;
	char			 writers[300], dir[] = "/tmp/test_turns.XXXXXX";
	int			 fd, made;

	alarm(120);	/* a turn never given back would hang the test: fail it instead */
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(store, sizeof(store), "%s/store.db", dir);
	snprintf(writers, sizeof(writers), "%s.writers", store);
	if ((fd = open(store, O_WRONLY | O_CREAT, 0640)) == -1 || fchmod(fd, 0640) == -1)
		return 2;
	close(fd);

	t = twh_turns_open(store);
	ok(t != NULL, "the turns of a store open");
	ok(stat(writers, &st) == 0 && (st.st_mode & 0777) == 0640,
	    "STORE.writers is made with the store's permissions (0640)");
	ok(twh_turns_take(t, 1000) == 0, "a writer takes the turn");
	ok(twh_turns_take(t, 1000) == 1, "taking it again while holding it goes on without waiting");
	twh_turns_give(t);
	twh_turns_give(t);
	ok(twh_turns_take(t, 1000) == 0, "given back (twice, harmlessly), it can be taken again");
	twh_turns_give(t);

	holder(&a, 0);
	ok(twh_turns_take(t, 100) == -1, "while another process holds it, the patience runs out");
	finish(&a);
	ok(twh_turns_take(t, 1000) == 0, "once that process gives it back, it is this one's");
	twh_turns_give(t);

	holder(&a, 0);
	if (fork() == 0) {
		usleep(50000);
		_exit(write(a.tell, "x", 1) == 1 ? 0 : 1);	/* the holder gives it up meanwhile */
	}
	ok(twh_turns_take(t, 5000) == 0, "a waiter gets the turn the holder gives back");
	twh_turns_give(t);
	waitpid(a.pid, NULL, 0);
	wait(NULL);
	close(a.tell);
	close(a.told);

	/*
	 * The waiter stopped, as a process the scheduler has not run yet: a plain mutex would let
	 * the writer that gave the turn back take it again at once, and the waiter could starve.
	 */
	ok(twh_turns_take(t, 1000) == 0, "this process takes the turn");
	start_writer(&a, 5000, 0);
	usleep(SETTLE_US);
	kill(a.pid, SIGSTOP);
	twh_turns_give(t);
	ok(twh_turns_take(t, 300) == -1,
	    "given back while another waits, it cannot be taken again ahead of the waiter");
	kill(a.pid, SIGCONT);
	ok(outcome(&a) == '0', "the waiter has it");
	finish(&a);

	ok(twh_turns_take(t, 1000) == 0, "this process takes the turn again");
	start_writer(&a, 5000, 0);
	usleep(SETTLE_US);
	start_writer(&b, 5000, 0);
	usleep(SETTLE_US);
	start_writer(&c, 5000, 0);
	usleep(SETTLE_US);
	twh_turns_give(t);
	ok(outcome(&a) == '0', "of three waiters, the first to come has it first");
	finish(&a);
	ok(outcome(&b) == '0', "then the second");
	finish(&b);
	ok(outcome(&c) == '0', "then the third");
	finish(&c);

	ok(twh_turns_take(t, 1000) == 0, "this process takes the turn again");
	start_writer(&a, 100, 0);
	usleep(SETTLE_US);
	ok(outcome(&a) == '-', "a waiter's patience runs out");
	start_writer(&b, 5000, 0);
	usleep(SETTLE_US);
	twh_turns_give(t);
	ok(outcome(&b) == '0', "and the waiter behind it has the turn next");
	finish(&b);
	finish(&a);

	ok(twh_turns_take(t, 1000) == 0, "this process takes the turn again");
	start_writer(&a, 0, 0);
	usleep(SETTLE_US);
	start_writer(&b, 5000, 0);
	usleep(SETTLE_US);
	kill(a.pid, SIGKILL);
	waitpid(a.pid, NULL, 0);
	close(a.tell);
	close(a.told);
	twh_turns_give(t);
	ok(outcome(&b) == '0', "a waiter that died in the queue is passed over");
	finish(&b);

	holder(&a, 1);
	start_writer(&b, 5000, 0);
	usleep(SETTLE_US);
	finish(&a);
	ok(outcome(&b) == '0', "a holder that died leaves the turn to the writer waiting");
	finish(&b);
	holder(&a, 1);
	finish(&a);
	ok(twh_turns_take(t, 1000) == 0, "and with none waiting, to the next writer to come");
	twh_turns_give(t);

	made = crowd(8, 200, 0);
	ok(made == 1600, "8 writers taking it 200 times each: never two at once, none lost (%d)",
	    made);
	made = crowd(8, 200, 1);
	ok(made >= 0, "and with a patience of 1 ms, never two at once (%d turns had)", made);
	ok(twh_turns_take(t, 1000) == 0, "after them the turn can be had");
	twh_turns_give(t);
	twh_turns_close(t);

	if ((fd = open(writers, O_WRONLY | O_TRUNC)) == -1 || write(fd, "not a mutex", 11) != 11)
		return 2;
	close(fd);
	t = twh_turns_open(store);
	ok(t != NULL && twh_turns_take(t, 1000) == 0,
	    "a file that holds something else is set up again");
	twh_turns_close(t);

	/* Made by root for a store of another user's, it is that user's, as SQLite's -wal is. */
	unlink(writers);
	if (geteuid() == 0) {
		if (chown(store, 65534, 65534) == -1)
			return 2;
		twh_turns_close(twh_turns_open(store));
		ok(stat(writers, &st) == 0 && st.st_uid == 65534 && st.st_gid == 65534,
		    "made by root, STORE.writers belongs to the store's owner");
	} else
		ok(1, "# SKIP not root: made by root, STORE.writers belongs to the store's owner");

	ok(twh_turns_open("/nonexistent/dir/store.db") == NULL,
	    "where the file cannot be made there are no turns");
	ok(twh_turns_take(NULL, 1000) == 1, "and a writer without them goes on");
	twh_turns_give(NULL);

	unlink(writers);
	unlink(store);
	rmdir(dir);
	return done_testing();
}
