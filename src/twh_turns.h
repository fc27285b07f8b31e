/*
 * twh_turns.h: writers of one SQLite store taking turns in the order they came, in a queue
 * kept in the file STORE.writers (twh_turns.c).
 */
#ifndef TWH_TURNS_H
#define TWH_TURNS_H

struct twh_turns;

/* The turns of the store at PATH, or NULL when they cannot be had (then writers just poll). */
struct twh_turns	*twh_turns_open(const char *path);
void			 twh_turns_close(struct twh_turns *);
/*
 * Waits up to PATIENCE_MS (0: for as long as it takes) for this process's turn: 0 once it has
 * it, 1 when the turns cannot be used (the caller goes on without one), -1 when the patience
 * ran out first.
 */
int			 twh_turns_take(struct twh_turns *, int patience_ms);
/* Gives the turn to the next writer, if this process holds it. */
void			 twh_turns_give(struct twh_turns *);

#endif
