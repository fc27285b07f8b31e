/* twh_page_token.h: the opaque next_page_token of the customer list. */
#ifndef TWH_PAGE_TOKEN_H
#define TWH_PAGE_TOKEN_H

#include "twh_buf.h"
#include "twh_store.h"

int	 twh_page_token_encode(const struct twh_page_key *, struct twh_buf *);
int	 twh_page_token_decode(const char *, struct twh_page_key *);

#endif
