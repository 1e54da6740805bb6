-- paylink-inbox: received events and the rejected log (PostgreSQL). Times are milliseconds since
-- the Unix epoch.
CREATE TABLE paylink_inbox_events (
    id BIGSERIAL PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    webhook_id TEXT,
    invoice_id TEXT NOT NULL,
    external_id TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    source TEXT NOT NULL,
    body BYTEA NOT NULL,
    received_ms BIGINT NOT NULL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_error TEXT,
    outcome TEXT,
    detail TEXT,
    attention BOOLEAN NOT NULL DEFAULT FALSE,
    processed_ms BIGINT
);

CREATE UNIQUE INDEX paylink_inbox_events_webhook_id
    ON paylink_inbox_events (webhook_id) WHERE webhook_id IS NOT NULL;
CREATE INDEX paylink_inbox_events_due
    ON paylink_inbox_events (next_attempt_ms, id) WHERE state = 'pending';
CREATE INDEX paylink_inbox_events_invoice ON paylink_inbox_events (invoice_id);

CREATE TABLE paylink_inbox_rejections (
    id BIGSERIAL PRIMARY KEY,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BYTEA NOT NULL,
    body_len BIGINT NOT NULL,
    webhook_id TEXT,
    received_ms BIGINT NOT NULL
);
