-- The sandbox's state: each account's engine (clock, id sequence, faults), its invoices in
-- creation order, and the webhook deliveries with every attempt. Rows hold JSON written by
-- paylink-sandbox; the columns beside it are what restarts and the inspector look up.

CREATE TABLE sandbox_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE engines (
    account TEXT PRIMARY KEY NOT NULL,
    state   TEXT NOT NULL
);

CREATE TABLE invoices (
    account  TEXT    NOT NULL,
    position INTEGER NOT NULL,
    id       TEXT    NOT NULL,
    state    TEXT    NOT NULL,
    PRIMARY KEY (account, position)
);

CREATE UNIQUE INDEX invoices_by_id ON invoices (account, id);

CREATE TABLE deliveries (
    id      INTEGER PRIMARY KEY NOT NULL,
    account TEXT    NOT NULL,
    state   TEXT    NOT NULL
);

CREATE TABLE attempts (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    state       TEXT    NOT NULL
);
