-- The application's schema, as its migrations would create it: pgfort
-- manages the table's security, not the table. Run as a superuser:
--
--   psql -v ON_ERROR_STOP=1 -f setup.sql

SELECT 'CREATE DATABASE myapp'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'myapp') \gexec

\connect myapp

CREATE TABLE IF NOT EXISTS documents (
    id       serial PRIMARY KEY,
    owner_id integer NOT NULL,
    body     text
);

INSERT INTO documents (owner_id, body)
SELECT owner_id, body
FROM (VALUES (123, 'notes of user 123'), (123, 'todo of user 123'), (456, 'diary of user 456'))
     AS seed (owner_id, body)
WHERE NOT EXISTS (SELECT FROM documents);
