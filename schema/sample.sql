-- sample.sql: demo data for the quick start and the tests.  Load it into a store made by
-- `twhook init` with:  sqlite3 STORE < sample.sql
-- Two workers (the identities they sign in to Frontline with) and their customers.
BEGIN;

INSERT INTO workers (identity) VALUES ('alice@example.com'), ('bob@example.com');

INSERT INTO customers (customer_id, display_name, worker, avatar, details_title, details_content) VALUES
  ('1', 'Bobby Shaftoe', 'alice@example.com', 'https://example.com/avatars/bobby.png',
   'Information', 'Status: Active

Customer since: 2018'),
  ('2', 'Dave Fader', 'alice@example.com', 'https://example.com/avatars/dave.png',
   'Information', 'Status: Prospect'),
  ('3', 'Vincent Vega', 'bob@example.com', NULL, NULL, NULL),
  ('4', 'Zoë Ångström', 'alice@example.com', NULL, 'Notes', 'Prefers WhatsApp'),
  ('5', 'Front Desk (shared)', NULL, NULL, 'Information', 'Owned by nobody: every worker sees it');

INSERT INTO customer_channels (customer_id, type, value) VALUES
  ('1', 'email', 'bobby@example.com'),
  ('1', 'sms', '+15555550101'),
  ('1', 'whatsapp', 'whatsapp:+15555550101'),
  ('2', 'sms', '+15555550102'),
  ('3', 'sms', '+15555550103'),
  ('4', 'whatsapp', 'whatsapp:+4915555550104'),
  ('5', 'sms', '+15555550105');

INSERT INTO customer_links (customer_id, type, value, display_name, position) VALUES
  ('1', 'Facebook', 'https://facebook.com', 'Social Media Profile', 0),
  ('1', 'Email', 'mailto:bobby@example.com', 'Write an e-mail', 1),
  ('2', 'CRM', 'https://crm.example.com/customers/2', 'Open in CRM', 0);

INSERT INTO proxy_addresses (channel_type, address, worker) VALUES
  ('sms', '+15555550000', NULL),
  ('whatsapp', 'whatsapp:+15555550000', NULL),
  ('sms', '+15555550001', 'alice@example.com');

INSERT INTO templates (category, content, whatsapp_approved, position) VALUES
  ('Openers', 'Hello {{Name}}, this is {{Author}}. How can I help you today?', 1, 0),
  ('Openers', 'Hi {{Name}}, do you have a minute to talk?', 0, 1),
  ('Closing', 'Thank you {{Name}}, talk to you soon. {{Author}}', 1, 2);

-- Twilio Proxy: one number with its own out-of-session answers, '*' for the others, and an
-- intercept rule.
INSERT INTO out_of_session (proxy_identifier, message, say, dial) VALUES
  ('+15555550000', 'This conversation has ended. Reply to reach us again.',
   'Thank you for calling. Connecting you to the front desk.', '+15555550199'),
  ('*', 'Sorry, this number is no longer in use.', NULL, NULL);

INSERT INTO intercept_rules (kind, pattern) VALUES
  ('keyword', 'wire transfer');

-- Voice: the Voice SDK client "alice" is notified of calls through the application's relay.
INSERT INTO client_bindings (binding_id, account_sid, identity, transport, address) VALUES
  ('BN00000000000000000000000000000001', 'AC00000000000000000000000000000000', 'alice',
   'webhook', 'https://relay.example.com/voice/alice');

COMMIT;
