-- One schema for SQLite and PostgreSQL: only TEXT and BIGINT columns, times as unix
-- milliseconds, JSON documents as TEXT, so the same migration runs on both.
CREATE TABLE processes (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    target TEXT NOT NULL,
    parent_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    plan TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    error TEXT,
    owner TEXT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
CREATE INDEX processes_state ON processes (state);
CREATE INDEX processes_created ON processes (created_at);

CREATE TABLE process_devices (
    process_id TEXT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    PRIMARY KEY (process_id, device)
);
CREATE INDEX process_devices_device ON process_devices (device);

CREATE TABLE steps (
    process_id TEXT NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    job_ids TEXT NOT NULL,
    results TEXT NOT NULL,
    error TEXT,
    note TEXT,
    PRIMARY KEY (process_id, seq)
);
