#!/bin/sh
# post-bootstrap.sh: Patroni's bootstrap.post_bootstrap script.  Patroni runs it once, on the
# node that initialises the cluster, with a superuser connection string as its last argument;
# it creates the role and the database twhook uses.  The tables are `twhook init`'s business.
#   post-bootstrap.sh [ROLE DATABASE] CONNECTION-STRING      (default: twhook twhook)
# The role gets no password here: set one afterwards (README.md, "Setting up").
set -eu
if [ $# -eq 3 ]; then user=$1 db=$2; shift 2; else user=twhook db=twhook; fi
conn=${1:?usage: post-bootstrap.sh [ROLE DATABASE] CONNECTION-STRING}

# psql from the server's own PostgreSQL when Patroni's PATH has none.
psql=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
"$psql" -X -q -v ON_ERROR_STOP=1 -v user="$user" -v db="$db" -d "$conn" <<'SQL'
CREATE ROLE :"user" LOGIN;
CREATE DATABASE :"db" OWNER :"user" ENCODING 'UTF8' TEMPLATE template0;
SQL
