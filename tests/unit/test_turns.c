/*
 * test_turns.c: writers' turns on a store (twh_turns.c) across real processes: the file and
 * its mode, one turn at a time, the patience running out, a turn handed over to a waiter, a
 * holder that dies, a file of another layout set up again, and a store where none can be had.
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

static char	 store[256];

/*
 * A child that takes the turn, says so on its pipe, then waits for a byte from the parent and
 * gives the turn back (or exits holding it when DIE); its pid.
 */
static pid_t
holder(int *tell, int *told, int die)
{
	int	 up[2], down[2];
	char	 c = 0;
	pid_t	 pid;

	if (pipe(up) == -1 || pipe(down) == -1 || (pid = fork()) == -1)
		exit(2);
	if (pid == 0) {
		struct twh_turns	*t = twh_turns_open(store);

		close(up[0]);
		close(down[1]);
		c = t != NULL && twh_turns_take(t, 1000) == 0 ? 'y' : 'n';
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(3);
		if (die)
			_exit(0);	/* holding the turn */
		twh_turns_close(t);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	*told = up[0];
	*tell = down[1];
	if (read(*told, &c, 1) != 1 || c != 'y')
		exit(4);
	return pid;
}

static void
finish(pid_t pid, int tell, int told)
{
	if (write(tell, "x", 1) != 1)
		exit(5);
	waitpid(pid, NULL, 0);
	close(tell);
	close(told);
}

int
main(void)
{
	struct twh_turns	*t;
	struct stat		 st;
	char			 writers[300], dir[] = "/tmp/test_turns.XXXXXX";
	int			 fd, tell, told;
	pid_t			 pid;

	alarm(60);	/* a turn never given back would hang the test: fail it instead */
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

	pid = holder(&tell, &told, 0);
	ok(twh_turns_take(t, 100) == -1, "while another process holds it, the patience runs out");
	finish(pid, tell, told);
	ok(twh_turns_take(t, 1000) == 0, "once that process gives it back, it is this one's");
	twh_turns_give(t);

	pid = holder(&tell, &told, 0);
	if (fork() == 0) {
		usleep(50000);
		_exit(write(tell, "x", 1) == 1 ? 0 : 1);	/* the holder gives it up meanwhile */
	}
	ok(twh_turns_take(t, 5000) == 0, "a waiter gets the turn the holder gives back");
	twh_turns_give(t);
	waitpid(pid, NULL, 0);
	wait(NULL);
	close(tell);
	close(told);

	pid = holder(&tell, &told, 1);
	finish(pid, tell, told);
	ok(twh_turns_take(t, 1000) == 0, "a holder that died leaves the turn to the next writer");
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
