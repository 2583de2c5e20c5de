-- statustrail schema v1 (SQLite). Times are UTC, stored as RFC 3339 text ("2026-11-17T08:57:00+00:00").
-- Documented table by table in docs/schema.md.

CREATE TABLE providers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    timezone     TEXT NOT NULL DEFAULT 'UTC',
    created_at   TEXT NOT NULL
);

CREATE TABLE sources (
    id                   INTEGER PRIMARY KEY,
    provider_id          INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    kind                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    poll_interval_secs   INTEGER NOT NULL,
    etag                 TEXT,
    last_modified        TEXT,
    cursor               TEXT,
    last_polled_at       TEXT,
    last_outcome         TEXT CHECK (last_outcome IN ('ok', 'not_modified', 'error')),
    last_error           TEXT,
    last_error_class     TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT,
    claimed_by           TEXT,
    claimed_until        TEXT,
    created_at           TEXT NOT NULL,
    UNIQUE (provider_id, url)
);

CREATE TABLE poll_log (
    id            INTEGER PRIMARY KEY,
    source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    started_at    TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('ok', 'not_modified', 'error')),
    http_status   INTEGER,
    bytes         INTEGER,
    error_class   TEXT,
    error         TEXT,
    final_url     TEXT,
    redirects     INTEGER NOT NULL DEFAULT 0,
    items_seen    INTEGER NOT NULL DEFAULT 0,
    items_new     INTEGER NOT NULL DEFAULT 0,
    items_changed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX poll_log_source_time ON poll_log (source_id, started_at);

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL,
    url          TEXT,
    published_at TEXT NOT NULL,
    date_known   INTEGER NOT NULL DEFAULT 1 CHECK (date_known IN (0, 1)),
    fetched_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    title        TEXT,
    text         TEXT NOT NULL,
    body         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    lang         TEXT,
    thread_key   TEXT,
    status_label TEXT,
    backfilled   INTEGER NOT NULL DEFAULT 0 CHECK (backfilled IN (0, 1)),
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (source_id, external_id)
);
CREATE INDEX posts_published ON posts (published_at);

CREATE TABLE post_versions (
    post_id      INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    fetched_at   TEXT NOT NULL,
    published_at TEXT NOT NULL,
    title        TEXT,
    text         TEXT NOT NULL,
    body         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status_label TEXT,
    PRIMARY KEY (post_id, version)
);

CREATE TABLE statements (
    id           INTEGER PRIMARY KEY,
    post_id      INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    post_version INTEGER NOT NULL,
    phase        TEXT CHECK (phase IN ('investigating', 'identified', 'recovering', 'monitoring',
                   'resolved', 'postmortem', 'maintenance_scheduled', 'maintenance_started',
                   'maintenance_completed')),
    restored_pct REAL CHECK (restored_pct BETWEEN 0 AND 100),
    affected_pct REAL CHECK (affected_pct BETWEEN 0 AND 100),
    mentioned_at TEXT,
    rule_id      TEXT NOT NULL,
    span_start   INTEGER NOT NULL,
    span_end     INTEGER NOT NULL,
    matched      TEXT NOT NULL,
    CHECK ((phase IS NOT NULL) + (restored_pct IS NOT NULL) + (affected_pct IS NOT NULL) = 1)
);
CREATE INDEX statements_post ON statements (post_id);

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    title       TEXT,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    last_phase  TEXT,
    updated_at  TEXT NOT NULL,
    UNIQUE (provider_id, key)
);

CREATE TABLE incident_events (
    id           INTEGER PRIMARY KEY,
    incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    at           TEXT NOT NULL,
    posted_at    TEXT NOT NULL,
    mentioned_at TEXT,
    phase        TEXT,
    restored_pct REAL,
    affected_pct REAL,
    rule_id      TEXT,
    excerpt      TEXT NOT NULL,
    post_id      INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    statement_id INTEGER,
    UNIQUE (incident_id, seq)
);
CREATE INDEX incident_events_post ON incident_events (post_id);

-- The provider-reported timeline, one row per event, ready to query.
CREATE VIEW v_timeline AS
SELECT p.name AS provider, i.id AS incident_id, i.title AS incident_title, e.seq,
       e.at, e.posted_at, e.mentioned_at, e.phase, e.restored_pct, e.affected_pct,
       e.rule_id, e.excerpt, po.url AS post_url, s.kind AS source_kind, e.post_id
FROM incident_events e
JOIN incidents i ON i.id = e.incident_id
JOIN providers p ON p.id = i.provider_id
JOIN posts po ON po.id = e.post_id
JOIN sources s ON s.id = po.source_id;

-- Incidents with their provider, first post and duration as claimed.
CREATE VIEW v_incidents AS
SELECT i.id AS incident_id, p.name AS provider, i.key, i.title, i.started_at, i.ended_at,
       i.last_phase,
       (SELECT MIN(e.posted_at) FROM incident_events e WHERE e.incident_id = i.id) AS first_post_at,
       (SELECT COUNT(*) FROM incident_events e WHERE e.incident_id = i.id) AS events,
       CASE WHEN i.ended_at IS NULL THEN NULL
            ELSE CAST(ROUND((julianday(i.ended_at) - julianday(i.started_at)) * 86400) AS INTEGER)
       END AS claimed_duration_secs
FROM incidents i JOIN providers p ON p.id = i.provider_id;

-- Source health: what each source's polls saw.
CREATE VIEW v_source_health AS
SELECT s.id AS source_id, p.name AS provider, s.kind, s.url, s.last_polled_at, s.last_outcome,
       s.last_error_class, s.last_error, s.consecutive_failures, s.next_poll_at,
       (SELECT COUNT(*) FROM poll_log l WHERE l.source_id = s.id) AS polls,
       (SELECT COUNT(*) FROM poll_log l WHERE l.source_id = s.id AND l.outcome = 'error') AS failed_polls,
       (SELECT COUNT(*) FROM posts po WHERE po.source_id = s.id) AS posts
FROM sources s JOIN providers p ON p.id = s.provider_id;
