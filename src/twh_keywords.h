/*
 * twh_keywords.h: the intercept keyword rules, compiled for matching message bodies: each
 * pattern cut into words as the store's search cuts text (case and diacritics folded), and an
 * index of first words, so a body is checked against any number of rules in a few lookups.
 */
#ifndef TWH_KEYWORDS_H
#define TWH_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_store.h"

struct twh_keyword_rule;
struct twh_first_word;

struct twh_keywords {
	bool			 loaded;
	long long		 version;	/* of intercept_rules when loaded */
	struct twh_keyword_rule	*rules;		/* by rowid */
	size_t			 n_rules;
	struct twh_first_word	*first_words;	/* sorted */
	size_t			 n_first_words;
	size_t			*symbol_rules;	/* rules without words, in rowid order */
	size_t			 n_symbol_rules;
};

int	 twh_keywords_load(struct twh_keywords *, struct twh_store *);
int	 twh_keywords_match(const struct twh_keywords *, struct twh_store *, const char *text,
	    long long *rowid, const char **pattern);
void	 twh_keywords_free(struct twh_keywords *);

#endif
