/*
 * twh_keywords.c: matching message bodies against the intercept keyword rules.  A rule
 * matches when its words appear one after another among the body's words: "free money"
 * matches "FREE... money!" but not "money free" or "freedom".  A pattern without a single
 * letter or digit ("$$$") matches where it appears in the body, byte for byte.
 *
 * The compiled rules are kept between requests and compiled again whenever the store's count
 * of edits to intercept_rules has moved, so an edit made in the sqlite3 shell applies to the
 * very next request, and the rules cost a few lookups per body word, not a pass over them all.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_keywords.h"

struct twh_keyword_rule {
	long long	 rowid;
	char		**words;	/* none: match PATTERN byte for byte */
	size_t		 n_words;
	char		*pattern;
};

struct twh_first_word {
	const char	*word;
	size_t		 rule;		/* index in rules */
};

/* A list of words, as the store's tokenizer gives them. */
struct words {
	char	**v;
	size_t	 n;
};

static void
words_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
add_word(void *arg, const char *token, int len)
{
	struct words	*w = arg;
	char		**v, *word;

	if ((word = strndup(token, (size_t)len)) == NULL)
		return -1;
	if ((v = reallocarray(w->v, w->n + 1, sizeof(*v))) == NULL) {
		free(word);
		return -1;
	}
	v[w->n++] = word;
	w->v = v;
	return 0;
}

static int
split(struct twh_store *s, const char *text, struct words *w)
{
	w->v = NULL;
	w->n = 0;
	if (twh_store_tokenize(s, text, add_word, w) != TWH_STORE_OK) {
		words_free(w->v, w->n);
		w->v = NULL;
		w->n = 0;
		return TWH_STORE_ERROR;
	}
	return TWH_STORE_OK;
}

void
twh_keywords_free(struct twh_keywords *k)
{
	size_t	 i;

	for (i = 0; i < k->n_rules; i++) {
		words_free(k->rules[i].words, k->rules[i].n_words);
		free(k->rules[i].pattern);
	}
	free(k->rules);
	free(k->first_words);
	free(k->symbol_rules);
	memset(k, 0, sizeof(*k));
}

struct compile {
	struct twh_keywords	*k;
	struct twh_store	*store;
};

static int
add_rule(void *arg, long long rowid, const char *pattern)
{
	struct compile		*c = arg;
	struct twh_keywords	*k = c->k;
	struct twh_keyword_rule	*r;
	struct words		 w;

	if ((r = reallocarray(k->rules, k->n_rules + 1, sizeof(*r))) == NULL)
		return -1;
	k->rules = r;
	if (split(c->store, pattern, &w) != TWH_STORE_OK)
		return -1;
	r = &k->rules[k->n_rules];
	r->rowid = rowid;
	r->words = w.v;
	r->n_words = w.n;
	if ((r->pattern = strdup(pattern)) == NULL) {
		words_free(w.v, w.n);
		return -1;
	}
	k->n_rules++;
	return 0;
}

static int
first_word_cmp(const void *a, const void *b)
{
	const struct twh_first_word	*x = a, *y = b;
	int				 c = strcmp(x->word, y->word);

	return c != 0 ? c : (x->rule > y->rule) - (x->rule < y->rule);
}

/* A pattern of white space alone has nothing to match. */
static bool
blank(const char *s)
{
	return s[strspn(s, " \t\r\n\v\f")] == '\0';
}

/* Sorts the rules with words by first word, and lists those without. */
static int
index_rules(struct twh_keywords *k)
{
	const struct twh_keyword_rule	*r;
	size_t				 i;

	if (k->n_rules == 0)
		return 0;
	if ((k->first_words = calloc(k->n_rules, sizeof(*k->first_words))) == NULL ||
	    (k->symbol_rules = calloc(k->n_rules, sizeof(*k->symbol_rules))) == NULL)
		return -1;
	for (i = 0; i < k->n_rules; i++) {
		r = &k->rules[i];
		if (r->n_words > 0) {
			k->first_words[k->n_first_words].word = r->words[0];
			k->first_words[k->n_first_words++].rule = i;
		} else if (!blank(r->pattern))
			k->symbol_rules[k->n_symbol_rules++] = i;
	}
	qsort(k->first_words, k->n_first_words, sizeof(*k->first_words), first_word_cmp);
	return 0;
}

/*
 * Brings K up to date with the store's keyword rules: nothing to do when intercept_rules has
 * not changed since K was compiled.  Call it inside the read transaction of the decision.
 */
int
twh_keywords_load(struct twh_keywords *k, struct twh_store *s)
{
	struct compile	 c = { k, s };
	long long	 version;

	if (twh_store_intercept_version(s, &version) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	if (k->loaded && k->version == version)
		return TWH_STORE_OK;
	twh_keywords_free(k);
	if (twh_store_keyword_rules(s, add_rule, &c) != TWH_STORE_OK ||
	    index_rules(k) == -1) {
		twh_keywords_free(k);
		return TWH_STORE_ERROR;
	}
	k->loaded = true;
	k->version = version;
	return TWH_STORE_OK;
}

/* True when RULE's words are the body's words from AT on. */
static bool
words_at(const struct twh_keyword_rule *rule, const struct words *body, size_t at)
{
	size_t	 i;

	if (body->n - at < rule->n_words)
		return false;
	for (i = 1; i < rule->n_words; i++)
		if (strcmp(rule->words[i], body->v[at + i]) != 0)
			return false;
	return true;
}

/* The first index entry whose word is WORD, or N when there is none. */
static size_t
first_entry(const struct twh_keywords *k, const char *word)
{
	size_t	 lo = 0, hi = k->n_first_words, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(k->first_words[mid].word, word) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n_first_words && strcmp(k->first_words[lo].word, word) == 0 ? lo :
	    k->n_first_words;
}

/*
 * Finds the oldest keyword rule that TEXT matches: TWH_STORE_OK with its rowid and pattern
 * (which lives as long as K), or TWH_STORE_NOT_FOUND.
 */
int
twh_keywords_match(const struct twh_keywords *k, struct twh_store *s, const char *text,
    long long *rowid, const char **pattern)
{
	const struct twh_keyword_rule	*r;
	struct words			 body;
	size_t				 at, e, best = k->n_rules, i;

	if (k->n_rules == 0)
		return TWH_STORE_NOT_FOUND;
	if (split(s, text, &body) != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	/* Rules are in rowid order, so the lowest index that matches is the oldest rule. */
	for (at = 0; at < body.n; at++)
		for (e = first_entry(k, body.v[at]); e < k->n_first_words &&
		    strcmp(k->first_words[e].word, body.v[at]) == 0; e++)
			if (k->first_words[e].rule < best &&
			    words_at(&k->rules[k->first_words[e].rule], &body, at))
				best = k->first_words[e].rule;
	words_free(body.v, body.n);
	for (i = 0; i < k->n_symbol_rules && k->symbol_rules[i] < best; i++) {
		r = &k->rules[k->symbol_rules[i]];
		if (strstr(text, r->pattern) != NULL)
			best = k->symbol_rules[i];
	}
	if (best == k->n_rules)
		return TWH_STORE_NOT_FOUND;
	*rowid = k->rules[best].rowid;
	*pattern = k->rules[best].pattern;
	return TWH_STORE_OK;
}
