-- twhook.sql: the schema of the twhook store (SQLite).
--
-- `twhook init` applies each "-- version N" section whose N is above the store's
-- PRAGMA user_version, one transaction per section, and then sets user_version to N.
-- Never edit a section that has been released: add a new one below it.
--
-- Operators edit the user-facing tables with the sqlite3 shell while the endpoints run;
-- the CHECK constraints reject rows the endpoints could not serve, and the triggers keep
-- the search index in step with every edit.

-- version 1
CREATE TABLE customers (
	customer_id	TEXT PRIMARY KEY NOT NULL CHECK (length(customer_id) > 0),
	display_name	TEXT NOT NULL CHECK (length(trim(display_name)) > 0),
	worker		TEXT CHECK (worker IS NULL OR length(trim(worker)) > 0),
	avatar		TEXT CHECK (avatar IS NULL OR avatar LIKE 'http://%' OR avatar LIKE 'https://%'),
	details_title	TEXT,
	details_content	TEXT
);
-- The list and the keyset paging: one worker's customers in display-name order (the avatar
-- too, so that a page is read from the index alone).
CREATE INDEX customers_by_worker ON customers (worker, display_name COLLATE NOCASE, customer_id,
    avatar);

CREATE TABLE customer_channels (
	customer_id	TEXT NOT NULL REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE,
	type		TEXT NOT NULL CHECK (type IN ('sms', 'whatsapp', 'chat', 'email', 'messenger', 'gbm')),
	value		TEXT NOT NULL CHECK (length(trim(value)) > 0),
	CHECK (type <> 'whatsapp' OR value GLOB 'whatsapp:*'),
	PRIMARY KEY (customer_id, type, value)
);
-- Routing and the Conversations webhooks find a customer by the address they write from.
CREATE INDEX customer_channels_by_value ON customer_channels (value);

CREATE TABLE customer_links (
	customer_id	TEXT NOT NULL REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE,
	type		TEXT NOT NULL CHECK (length(trim(type)) > 0),
	value		TEXT NOT NULL CHECK (length(trim(value)) > 0),
	display_name	TEXT NOT NULL CHECK (length(trim(display_name)) > 0),
	position	INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_links_by_customer ON customer_links (customer_id, position);

CREATE TABLE proxy_addresses (
	channel_type	TEXT NOT NULL CHECK (channel_type IN ('sms', 'whatsapp', 'chat')),
	address		TEXT NOT NULL CHECK (length(trim(address)) > 0),
	worker		TEXT CHECK (worker IS NULL OR length(trim(worker)) > 0),
	CHECK (channel_type <> 'whatsapp' OR address GLOB 'whatsapp:*')
);
CREATE UNIQUE INDEX proxy_addresses_by_worker ON proxy_addresses (channel_type, ifnull(worker, ''));

CREATE TABLE templates (
	category		TEXT NOT NULL CHECK (length(trim(category)) > 0),
	content			TEXT NOT NULL CHECK (length(content) > 0),
	whatsapp_approved	INTEGER NOT NULL DEFAULT 0 CHECK (whatsapp_approved IN (0, 1)),
	position		INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE workers (
	identity	TEXT PRIMARY KEY NOT NULL CHECK (length(trim(identity)) > 0)
);

CREATE TABLE client_bindings (
	binding_id	TEXT PRIMARY KEY NOT NULL CHECK (length(binding_id) > 0),
	account_sid	TEXT NOT NULL CHECK (account_sid LIKE 'AC%'),
	identity	TEXT NOT NULL CHECK (length(trim(identity)) > 0),
	transport	TEXT NOT NULL CHECK (transport IN ('fcm', 'apns', 'webhook')),
	address		TEXT NOT NULL CHECK (length(trim(address)) > 0)
);
CREATE INDEX client_bindings_by_identity ON client_bindings (identity, account_sid);

CREATE TABLE intercept_rules (
	kind		TEXT NOT NULL CHECK (kind IN ('identifier', 'keyword', 'session', 'participant')),
	pattern		TEXT NOT NULL CHECK (length(pattern) > 0)
);

CREATE TABLE out_of_session (
	proxy_identifier	TEXT NOT NULL CHECK (length(trim(proxy_identifier)) > 0),
	message			TEXT,
	say			TEXT,
	dial			TEXT
);

-- Search.  Every word in the index carries its owner's code: "w", the worker's number in
-- search_workers, "x", then the word ("w17xmaria"), so that the words a worker's search can
-- match are that worker's alone and a search costs the same in a store of any size.  The
-- views below cut display names and channel values into words at white space and the usual
-- punctuation (@ . + : - _ / , ( ) ' " & # ; ! ? = [ ] < >) and prefix each; the FTS5
-- tokenizer (unicode61) then folds case and diacritics.  A customers_search row's rowid is
-- the customer's search_id, which (unlike customers.rowid) VACUUM never renumbers.  Triggers
-- keep all of it in step with every edit, from twhook or from the sqlite3 shell; none of these
-- tables is for editing by hand.
CREATE TABLE search_workers (
	code		INTEGER PRIMARY KEY,
	worker		TEXT NOT NULL UNIQUE
);
CREATE TABLE customers_search_ids (
	search_id	INTEGER PRIMARY KEY,
	customer_id	TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE customers_search USING fts5 (words, detail = none);

CREATE VIEW customers_search_text AS
SELECT i.search_id AS search_id, c.customer_id AS customer_id,
	' w' || ifnull(w.code, 0) || 'x' AS p,
	' ' || lower(c.display_name || ' ' || ifnull((SELECT group_concat(value, ' ')
	    FROM customer_channels AS ch WHERE ch.customer_id = c.customer_id), '')) AS t
FROM customers AS c JOIN customers_search_ids AS i ON i.customer_id = c.customer_id
LEFT JOIN search_workers AS w ON w.worker = c.worker;

CREATE VIEW customers_search_words AS
SELECT search_id, customer_id,
	replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(t, ' ', p), '@', p), '.', p), '+', p), ':', p), '-', p), '_', p), '/', p), ',', p), '(', p), ')', p), '''', p), '"', p), '&', p), '#', p), ';', p), '!', p), '?', p), '=', p), '[', p), ']', p), '<', p), '>', p), char(9), p), char(10), p), char(13), p) AS words
FROM customers_search_text;

-- The first DELETE clears what an INSERT OR REPLACE left behind (SQLite fires no delete
-- trigger for the row it replaces unless recursive_triggers is on).  Rows are added with
-- INSERT ... SELECT ... WHERE NOT EXISTS, never INSERT OR IGNORE, whose conflict policy an
-- outer INSERT OR REPLACE would turn into REPLACE.
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO customers_search_ids (customer_id) SELECT new.customer_id
	    WHERE NOT EXISTS (SELECT 1 FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO search_workers (worker) SELECT new.worker WHERE new.worker IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM search_workers WHERE worker = new.worker);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = new.customer_id;
END;
CREATE TRIGGER customers_search_update AFTER UPDATE ON customers BEGIN
	UPDATE customers_search_ids SET customer_id = new.customer_id
	    WHERE customer_id = old.customer_id;
	INSERT INTO search_workers (worker) SELECT new.worker WHERE new.worker IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM search_workers WHERE worker = new.worker);
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = new.customer_id;
END;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = old.customer_id);
	DELETE FROM customers_search_ids WHERE customer_id = old.customer_id;
END;
-- A channel changes its customer's words.
CREATE TRIGGER customer_channels_search_insert AFTER INSERT ON customer_channels BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = new.customer_id;
END;
CREATE TRIGGER customer_channels_search_delete AFTER DELETE ON customer_channels BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = old.customer_id);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = old.customer_id;
END;
CREATE TRIGGER customer_channels_search_update AFTER UPDATE ON customer_channels BEGIN
	DELETE FROM customers_search WHERE rowid IN (SELECT search_id FROM customers_search_ids
	    WHERE customer_id IN (old.customer_id, new.customer_id));
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words
	    WHERE customer_id IN (old.customer_id, new.customer_id);
END;

-- version 2
-- Routing pool rotation: which pool worker got the last unknown customer.
CREATE TABLE routing_state (
	name		TEXT PRIMARY KEY NOT NULL,
	value		TEXT NOT NULL
);

-- One row per webhook delivery that had side effects, keyed by Twilio's
-- I-Twilio-Idempotency-Token (or a natural key when the header is missing).  A retried
-- delivery finds its row and gets the same answer again, with no second side effect.
CREATE TABLE idempotency_claims (
	token		TEXT PRIMARY KEY NOT NULL,
	endpoint	TEXT NOT NULL,
	status		INTEGER NOT NULL,
	content_type	TEXT NOT NULL,
	body		TEXT NOT NULL,
	created_at	REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
);

-- The outbox: outbound work (REST calls to Twilio, push notifications) written in the same
-- transaction as the webhook's other writes and delivered by `twhook dispatch`.
--   queued     waiting for its first attempt
--   retrying   an attempt failed in a way worth retrying; next_attempt_at says when
--   delivering an attempt is under way (one dispatcher runs per store; one that finds such a
--              job at its start knows its predecessor died mid-attempt and retries it)
--   done       delivered
--   dead       given up: last_status and last_error say why
CREATE TABLE outbox (
	job_id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL,	-- add_participant, update_participant, ...; see twh_outbox.c
	idempotency_key	TEXT NOT NULL UNIQUE,
	payload		TEXT NOT NULL CHECK (json_valid(payload)),
	state		TEXT NOT NULL DEFAULT 'queued'
			CHECK (state IN ('queued', 'retrying', 'delivering', 'done', 'dead')),
	attempts	INTEGER NOT NULL DEFAULT 0,
	created_at	REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
	next_attempt_at	REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
	give_up_at	REAL NOT NULL,
	updated_at	REAL,
	last_status	INTEGER,
	last_error	TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('queued', 'retrying');
CREATE INDEX outbox_by_state ON outbox (state, updated_at);

-- version 3
-- Twilio Proxy.  Intercept rules are found by kind and pattern; keyword rules are compiled
-- by the endpoint, which recompiles them whenever intercept_rules_version changes: the
-- triggers below count every edit, including the ones made in the sqlite3 shell.
CREATE INDEX intercept_rules_by_pattern ON intercept_rules (kind, pattern);
CREATE TABLE intercept_rules_version (
	version		INTEGER NOT NULL
);
INSERT INTO intercept_rules_version (version) VALUES (0);
CREATE TRIGGER intercept_rules_inserted AFTER INSERT ON intercept_rules BEGIN
	UPDATE intercept_rules_version SET version = version + 1;
END;
CREATE TRIGGER intercept_rules_updated AFTER UPDATE ON intercept_rules BEGIN
	UPDATE intercept_rules_version SET version = version + 1;
END;
CREATE TRIGGER intercept_rules_deleted AFTER DELETE ON intercept_rules BEGIN
	UPDATE intercept_rules_version SET version = version + 1;
END;

-- Out of session: a number's row may instead create a session on the fly with PARTICIPANT
-- (the JSON answer's participantIdentifier), in SESSION_MODE, for SESSION_TTL seconds.
CREATE INDEX out_of_session_by_number ON out_of_session (proxy_identifier);
ALTER TABLE out_of_session ADD COLUMN participant TEXT;
ALTER TABLE out_of_session ADD COLUMN session_mode TEXT
	CHECK (session_mode IN ('message-only', 'voice-only', 'voice-and-message'));
ALTER TABLE out_of_session ADD COLUMN session_ttl INTEGER CHECK (session_ttl >= 0);

-- The real number behind a Proxy participant, for identifier rules: written by the
-- application that creates sessions, and by twhook-proxy-callback when a payload names it.
CREATE TABLE proxy_participants (
	participant_sid		TEXT PRIMARY KEY NOT NULL CHECK (length(participant_sid) > 0),
	identifier		TEXT NOT NULL CHECK (length(trim(identifier)) > 0),
	session_sid		TEXT,
	proxy_identifier	TEXT,
	friendly_name		TEXT,
	updated_at		REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
);

-- Every interaction callback, once: a repeated delivery has the same idempotency token, or
-- the same interaction and leg statuses.  DATA is interactionData exactly as received.
CREATE TABLE proxy_interactions (
	interaction_id			INTEGER PRIMARY KEY,
	received_at			REAL NOT NULL
					DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
	interaction_sid			TEXT NOT NULL,
	session_sid			TEXT,
	service_sid			TEXT,
	account_sid			TEXT,
	type				TEXT,
	data				TEXT,
	date_created			TEXT,
	date_updated			TEXT,
	inbound_participant_sid		TEXT,
	inbound_resource_sid		TEXT,
	inbound_resource_status		TEXT,
	inbound_resource_type		TEXT,
	inbound_resource_url		TEXT,
	outbound_participant_sid	TEXT,
	outbound_resource_sid		TEXT,
	outbound_resource_status	TEXT,
	outbound_resource_type		TEXT,
	outbound_resource_url		TEXT,
	idempotency_token		TEXT UNIQUE
);
CREATE UNIQUE INDEX proxy_interactions_once ON proxy_interactions (interaction_sid,
	ifnull(inbound_resource_status, ''), ifnull(outbound_resource_status, ''));
CREATE INDEX proxy_interactions_by_time ON proxy_interactions (received_at);
CREATE INDEX proxy_interactions_by_session ON proxy_interactions (session_sid);

-- Every intercept decision, once per interaction, with a copy of the rule that blocked it
-- (the rule may be edited or deleted later).  NOTE says why a kind of rule was not checked.
CREATE TABLE proxy_intercepts (
	intercept_id		INTEGER PRIMARY KEY,
	decided_at		REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0),
	interaction_sid		TEXT NOT NULL UNIQUE,
	session_sid		TEXT,
	participant_sid		TEXT,
	identifier		TEXT,
	verdict			TEXT NOT NULL CHECK (verdict IN ('blocked', 'allowed')),
	rule_rowid		INTEGER,
	rule_kind		TEXT,
	rule_pattern		TEXT,
	note			TEXT,
	idempotency_token	TEXT UNIQUE
);
CREATE INDEX proxy_intercepts_by_time ON proxy_intercepts (decided_at);
CREATE INDEX proxy_intercepts_by_session ON proxy_intercepts (session_sid);

-- version 4
-- Leases: `twhook dispatch` takes a job by writing its name (host:pid) and an expiry, and
-- commits that before the attempt; only the lease's owner writes the outcome, and a job whose
-- lease expired (its dispatcher died mid-attempt) is attempted again.  With SQLite one
-- dispatcher runs per store; with PostgreSQL one runs on each machine.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_expires_at REAL;

-- version 5
-- Each rowid is unique: SQLite's always was.  The PostgreSQL schema's version 5 makes its
-- rowid columns so; nothing changes here but the version.

-- version 6
-- Bulk imports.  While search_deferred holds a row the search triggers above do nothing:
-- `twhook import customers` adds one at the start of its transaction, writes each customer's
-- words itself (the words customers_search_words would give), and deletes the row before it
-- commits, so no other connection ever sees it, and edits from the sqlite3 shell keep the
-- index current as before.  The triggers are the same but for their WHEN.
CREATE TABLE search_deferred (
	since		REAL NOT NULL
);
DROP TRIGGER customers_search_insert;
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO customers_search_ids (customer_id) SELECT new.customer_id
	    WHERE NOT EXISTS (SELECT 1 FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO search_workers (worker) SELECT new.worker WHERE new.worker IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM search_workers WHERE worker = new.worker);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = new.customer_id;
END;
DROP TRIGGER customers_search_update;
CREATE TRIGGER customers_search_update AFTER UPDATE ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_search_ids SET customer_id = new.customer_id
	    WHERE customer_id = old.customer_id;
	INSERT INTO search_workers (worker) SELECT new.worker WHERE new.worker IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM search_workers WHERE worker = new.worker);
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = new.customer_id;
END;
DROP TRIGGER customers_search_delete;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = old.customer_id);
	DELETE FROM customers_search_ids WHERE customer_id = old.customer_id;
END;
DROP TRIGGER customer_channels_search_insert;
CREATE TRIGGER customer_channels_search_insert AFTER INSERT ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = new.customer_id;
END;
DROP TRIGGER customer_channels_search_delete;
CREATE TRIGGER customer_channels_search_delete AFTER DELETE ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	DELETE FROM customers_search WHERE rowid =
	    (SELECT search_id FROM customers_search_ids WHERE customer_id = old.customer_id);
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words WHERE customer_id = old.customer_id;
END;
DROP TRIGGER customer_channels_search_update;
CREATE TRIGGER customer_channels_search_update AFTER UPDATE ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	DELETE FROM customers_search WHERE rowid IN (SELECT search_id FROM customers_search_ids
	    WHERE customer_id IN (old.customer_id, new.customer_id));
	INSERT INTO customers_search (rowid, words)
	    SELECT search_id, words FROM customers_search_words
	    WHERE customer_id IN (old.customer_id, new.customer_id);
END;

-- version 7
-- customers_search_ids' customer_id is unique by an index of its own rather than by a UNIQUE
-- column, which SQLite cannot drop: an import of many customers drops the index and makes it
-- again from sorted ids, as it does for the other tables' indexes, so that it numbers new
-- customers in the file's order.  The table is made again under its name; legacy_alter_table
-- keeps the rename from checking the triggers and the view, which name the table and find the
-- new one once it is renamed.
PRAGMA legacy_alter_table = ON;
CREATE TABLE customers_search_ids_new (
	search_id	INTEGER PRIMARY KEY,
	customer_id	TEXT NOT NULL
);
INSERT INTO customers_search_ids_new (search_id, customer_id)
    SELECT search_id, customer_id FROM customers_search_ids;
DROP TABLE customers_search_ids;
ALTER TABLE customers_search_ids_new RENAME TO customers_search_ids;
CREATE UNIQUE INDEX customers_search_ids_by_customer ON customers_search_ids (customer_id);
PRAGMA legacy_alter_table = OFF;

-- version 8
-- PostgreSQL's version 8 makes edits of the customer tables NOTIFY the FastCGI processes that
-- keep answers read from them.  A process on SQLite keeps none: it reads the file each time,
-- and nothing changes here but the version.

-- version 9
-- Two changes, each to make an import of many customers cheaper.
--
-- customer_channels' CHECK on type names the types with OR, not IN: SQLite builds the table of
-- an IN list again for every row a CHECK tests (about a microsecond a row: 2 s of an import of
-- a million customers with two channels each), and an OR of six comparisons costs nothing.
-- The table is made again with its rows, rowids (the order in which a customer's channels were
-- added) included, and its index; its triggers are made below.  The CHECK is on one line, as
-- SQLite quotes it when it refuses a row.
PRAGMA legacy_alter_table = ON;
CREATE TABLE customer_channels_new (
	customer_id	TEXT NOT NULL REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE,
	type		TEXT NOT NULL CHECK (type = 'sms' OR type = 'whatsapp' OR type = 'chat' OR type = 'email' OR type = 'messenger' OR type = 'gbm'),
	value		TEXT NOT NULL CHECK (length(trim(value)) > 0),
	CHECK (type <> 'whatsapp' OR value GLOB 'whatsapp:*'),
	PRIMARY KEY (customer_id, type, value)
);
INSERT INTO customer_channels_new (rowid, customer_id, type, value)
    SELECT rowid, customer_id, type, value FROM customer_channels ORDER BY rowid;
DROP TABLE customer_channels;
ALTER TABLE customer_channels_new RENAME TO customer_channels;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX customer_channels_by_value ON customer_channels (value);

-- The search index keeps no copy of its words: customers_search_ids holds each customer's words
-- (the words column, what customers_search_words gave when they were last indexed), and
-- customers_search is an FTS5 index of that column (external content) with no table of
-- document sizes, which nothing ranks by.  An import of a million customers wrote the words
-- twice before (the index's own copy, 93 of 528 MB) and a size row each.  Triggers on
-- customers_search_ids keep the index equal to its words column, whoever writes it: a row's
-- old words are taken out of the index by value ('delete', never read back from the table), so
-- the triggers on customers and customer_channels only set words.  Words are NULL in a row
-- only inside a trigger: between a new customer's number and its words, and between a deleted
-- customer's channels and its number, both removed.
ALTER TABLE customers_search_ids ADD COLUMN words TEXT;
UPDATE customers_search_ids SET words =
    (SELECT c0 FROM customers_search_content WHERE id = customers_search_ids.search_id);
DROP TABLE customers_search;
CREATE VIRTUAL TABLE customers_search USING fts5 (words, content = 'customers_search_ids',
    content_rowid = 'search_id', detail = none, columnsize = 0);
INSERT INTO customers_search (customers_search) VALUES ('rebuild');
CREATE TRIGGER customers_search_ids_insert AFTER INSERT ON customers_search_ids
	WHEN new.words IS NOT NULL BEGIN
	INSERT INTO customers_search (rowid, words) VALUES (new.search_id, new.words);
END;
CREATE TRIGGER customers_search_ids_delete AFTER DELETE ON customers_search_ids
	WHEN old.words IS NOT NULL BEGIN
	INSERT INTO customers_search (customers_search, rowid, words)
	    VALUES ('delete', old.search_id, old.words);
END;
CREATE TRIGGER customers_search_ids_update AFTER UPDATE OF search_id, words
	ON customers_search_ids BEGIN
	INSERT INTO customers_search (customers_search, rowid, words)
	    SELECT 'delete', old.search_id, old.words WHERE old.words IS NOT NULL;
	INSERT INTO customers_search (rowid, words)
	    SELECT new.search_id, new.words WHERE new.words IS NOT NULL;
END;
-- customers_search_refresh is what the triggers below call: inserting a customer_id into it
-- gives the customer a search number and its worker a code if it has none, and sets its words
-- to what customers_search_words gives now (NULL once the customer is gone).
CREATE VIEW customers_search_refresh AS SELECT customer_id FROM customers_search_ids;
CREATE TRIGGER customers_search_refresh INSTEAD OF INSERT ON customers_search_refresh BEGIN
	INSERT INTO customers_search_ids (customer_id) SELECT customer_id FROM customers
	    WHERE customer_id = new.customer_id AND NOT EXISTS
	    (SELECT 1 FROM customers_search_ids WHERE customer_id = new.customer_id);
	INSERT INTO search_workers (worker) SELECT c.worker FROM customers AS c
	    WHERE c.customer_id = new.customer_id AND c.worker IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM search_workers WHERE worker = c.worker);
	UPDATE customers_search_ids SET words = (SELECT v.words FROM customers_search_words AS v
	    WHERE v.search_id = customers_search_ids.search_id) WHERE customer_id = new.customer_id;
END;
DROP TRIGGER customers_search_insert;
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	INSERT INTO customers_search_refresh (customer_id) VALUES (new.customer_id);
END;
DROP TRIGGER customers_search_update;
CREATE TRIGGER customers_search_update AFTER UPDATE ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_search_ids SET customer_id = new.customer_id
	    WHERE customer_id = old.customer_id;
	INSERT INTO customers_search_refresh (customer_id) VALUES (new.customer_id);
END;
DROP TRIGGER customers_search_delete;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	DELETE FROM customers_search_ids WHERE customer_id = old.customer_id;
END;
CREATE TRIGGER customer_channels_search_insert AFTER INSERT ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	INSERT INTO customers_search_refresh (customer_id) VALUES (new.customer_id);
END;
CREATE TRIGGER customer_channels_search_delete AFTER DELETE ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	INSERT INTO customers_search_refresh (customer_id) VALUES (old.customer_id);
END;
CREATE TRIGGER customer_channels_search_update AFTER UPDATE ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	INSERT INTO customers_search_refresh (customer_id) VALUES (old.customer_id), (new.customer_id);
END;

-- version 10
-- A FastCGI process keeps in memory the list of each worker whose customers it searched (their
-- names, avatars and search words, in list order) and searches it there, until the number in
-- customers_version changes: every edit of customers or customer_channels adds one, from
-- twhook or from the sqlite3 shell.  `twhook import customers`, which silences these triggers
-- as it silences the search's (search_deferred), adds one itself before it commits.
CREATE TABLE customers_version (
	version		INTEGER NOT NULL
);
INSERT INTO customers_version (version) VALUES (0);
CREATE TRIGGER customers_edited_insert AFTER INSERT ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_version SET version = version + 1;
END;
CREATE TRIGGER customers_edited_update AFTER UPDATE ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_version SET version = version + 1;
END;
CREATE TRIGGER customers_edited_delete AFTER DELETE ON customers
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_version SET version = version + 1;
END;
CREATE TRIGGER customer_channels_edited_insert AFTER INSERT ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_version SET version = version + 1;
END;
CREATE TRIGGER customer_channels_edited_update AFTER UPDATE ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_version SET version = version + 1;
END;
CREATE TRIGGER customer_channels_edited_delete AFTER DELETE ON customer_channels
	WHEN NOT EXISTS (SELECT 1 FROM search_deferred) BEGIN
	UPDATE customers_version SET version = version + 1;
END;
