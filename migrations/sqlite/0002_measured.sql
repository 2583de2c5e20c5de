-- statustrail schema v2 (SQLite): measured data beside the provider's words.
-- Raw observations are kept forever; the derived tables (target_outages, provider_minutes,
-- measured_outages, incident_measures, restored_claims) are recomputed from them and from the
-- timeline by `statustrail` after every poll, probe round or import.

-- A site a provider hosts, probed by statustrail or named by imported monitoring data.
CREATE TABLE targets (
    id            INTEGER PRIMARY KEY,
    provider_id   INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    url           TEXT,
    interval_secs INTEGER,
    created_at    TEXT NOT NULL,
    UNIQUE (provider_id, name)
);

-- One measurement of one target: a probe of ours, or a row of imported data.
CREATE TABLE observations (
    id            INTEGER PRIMARY KEY,
    target_id     INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    at            TEXT NOT NULL,
    ok            BOOLEAN NOT NULL,
    http_status   INTEGER,
    latency_ms    REAL,
    failure_class TEXT CHECK (failure_class IN ('dns', 'connect', 'tls', 'timeout', 'http_status', 'body_mismatch', 'other')),
    error         TEXT,
    origin        TEXT NOT NULL CHECK (origin IN ('probe', 'csv', 'prometheus')),
    UNIQUE (target_id, at, origin)
);
CREATE INDEX observations_target_time ON observations (target_id, at);

-- A target down (debounced): from its first failed observation to the first success after it.
CREATE TABLE target_outages (
    id                  INTEGER PRIMARY KEY,
    target_id           INTEGER NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    started_at          TEXT NOT NULL,
    ended_at            TEXT,
    duration_secs       INTEGER,
    failed_observations INTEGER NOT NULL
);
CREATE INDEX target_outages_target ON target_outages (target_id, started_at);

-- Per provider and minute: how many targets had a fresh observation, and how many were up.
CREATE TABLE provider_minutes (
    provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    minute      TEXT NOT NULL,
    targets     INTEGER NOT NULL,
    up          INTEGER NOT NULL,
    PRIMARY KEY (provider_id, minute)
);

-- A provider's measured outage: overlapping target outages merged.
CREATE TABLE measured_outages (
    id            INTEGER PRIMARY KEY,
    provider_id   INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    duration_secs INTEGER,
    targets_down  INTEGER NOT NULL,
    min_share_up  REAL
);
CREATE INDEX measured_outages_provider ON measured_outages (provider_id, started_at);

-- For every incident: the measured outage it speaks of (if any) and the delays between them.
CREATE TABLE incident_measures (
    incident_id           INTEGER PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
    measured_outage_id    INTEGER REFERENCES measured_outages(id) ON DELETE SET NULL,
    first_post_at         TEXT NOT NULL,
    identified_at         TEXT,
    claimed_resolved_at   TEXT,
    measured_start        TEXT,
    measured_end          TEXT,
    ack_delay_secs        INTEGER,
    identified_delay_secs INTEGER,
    resolution_gap_secs   INTEGER
);

-- Every claimed restored percentage next to the measured share up at its minute.
CREATE TABLE restored_claims (
    event_id     INTEGER PRIMARY KEY REFERENCES incident_events(id) ON DELETE CASCADE,
    incident_id  INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    claimed_pct  REAL NOT NULL,
    measured_pct REAL,
    overstated   BOOLEAN
);

CREATE VIEW v_observations AS
SELECT p.name AS provider, t.name AS target, o.at, o.ok, o.http_status, o.latency_ms,
       o.failure_class, o.error, o.origin
FROM observations o JOIN targets t ON t.id = o.target_id JOIN providers p ON p.id = t.provider_id;

CREATE VIEW v_provider_minutes AS
SELECT p.name AS provider, m.minute, m.targets, m.up,
       CAST(m.up AS REAL) * 100.0 / m.targets AS share_up
FROM provider_minutes m JOIN providers p ON p.id = m.provider_id;

CREATE VIEW v_target_outages AS
SELECT p.name AS provider, t.name AS target, w.started_at, w.ended_at, w.duration_secs,
       w.failed_observations
FROM target_outages w JOIN targets t ON t.id = w.target_id JOIN providers p ON p.id = t.provider_id;

-- Claimed versus measured, one row per incident, plus one row per measured outage that no
-- incident speaks of (incident_id NULL). Delays in seconds; resolution_gap_secs < 0 means the
-- provider called it resolved before the last target came back.
CREATE VIEW v_claims_vs_measured AS
SELECT p.name AS provider, i.id AS incident_id, i.title AS incident_title,
       m.measured_outage_id, m.measured_start, m.measured_end,
       m.first_post_at, m.ack_delay_secs,
       m.identified_at, m.identified_delay_secs,
       m.claimed_resolved_at, m.resolution_gap_secs,
       CASE WHEN m.resolution_gap_secs < 0 THEN 'claimed_first'
            WHEN m.resolution_gap_secs > 0 THEN 'measured_first'
            WHEN m.resolution_gap_secs = 0 THEN 'same_time' END AS first_to_recover,
       mo.targets_down, mo.min_share_up
FROM incidents i
JOIN providers p ON p.id = i.provider_id
LEFT JOIN incident_measures m ON m.incident_id = i.id
LEFT JOIN measured_outages mo ON mo.id = m.measured_outage_id
UNION ALL
SELECT p.name, NULL, NULL, mo.id, mo.started_at, mo.ended_at, NULL, NULL, NULL, NULL, NULL, NULL,
       'never_acknowledged', mo.targets_down, mo.min_share_up
FROM measured_outages mo
JOIN providers p ON p.id = mo.provider_id
WHERE NOT EXISTS (SELECT 1 FROM incident_measures m WHERE m.measured_outage_id = mo.id);

CREATE VIEW v_restored_claims AS
SELECT p.name AS provider, c.incident_id, c.event_id, c.at, c.claimed_pct, c.measured_pct,
       c.overstated, e.excerpt
FROM restored_claims c
JOIN incident_events e ON e.id = c.event_id
JOIN incidents i ON i.id = c.incident_id
JOIN providers p ON p.id = i.provider_id;

-- Provider scorecards over the last 90 days (`statustrail providers --window` for others).
CREATE VIEW v_provider_scorecard AS
WITH m AS (
    SELECT i.provider_id, im.*
    FROM incident_measures im JOIN incidents i ON i.id = im.incident_id
    WHERE im.first_post_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-90 days')
), ack AS (
    SELECT provider_id, ack_delay_secs AS v,
           ROW_NUMBER() OVER (PARTITION BY provider_id ORDER BY ack_delay_secs) AS rn,
           COUNT(*) OVER (PARTITION BY provider_id) AS n
    FROM m WHERE ack_delay_secs IS NOT NULL
), gap AS (
    SELECT provider_id, resolution_gap_secs AS v,
           ROW_NUMBER() OVER (PARTITION BY provider_id ORDER BY resolution_gap_secs) AS rn,
           COUNT(*) OVER (PARTITION BY provider_id) AS n
    FROM m WHERE resolution_gap_secs IS NOT NULL
), outs AS (
    SELECT mo.provider_id, COUNT(*) AS outages,
           SUM(CASE WHEN EXISTS (SELECT 1 FROM incident_measures x WHERE x.measured_outage_id = mo.id)
                    THEN 0 ELSE 1 END) AS unacknowledged
    FROM measured_outages mo WHERE mo.started_at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-90 days') GROUP BY mo.provider_id
), claims AS (
    SELECT i.provider_id, COUNT(*) AS claims,
           SUM(CASE WHEN c.overstated THEN 1 ELSE 0 END) AS overstated
    FROM restored_claims c JOIN incidents i ON i.id = c.incident_id
    WHERE c.overstated IS NOT NULL AND c.at >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-90 days') GROUP BY i.provider_id
)
SELECT p.name AS provider,
       (SELECT COUNT(*) FROM m WHERE m.provider_id = p.id) AS incidents,
       COALESCE(outs.outages, 0) AS measured_outages,
       (SELECT CAST(AVG(v) AS REAL) FROM ack WHERE ack.provider_id = p.id
           AND rn IN ((n + 1) / 2, (n + 2) / 2)) AS median_ack_delay_secs,
       (SELECT MAX(v) FROM ack WHERE ack.provider_id = p.id) AS worst_ack_delay_secs,
       CASE WHEN outs.outages > 0 THEN CAST(outs.unacknowledged AS REAL) / outs.outages END
           AS unacknowledged_share,
       (SELECT CAST(AVG(v) AS REAL) FROM gap WHERE gap.provider_id = p.id
           AND rn IN ((n + 1) / 2, (n + 2) / 2)) AS median_resolution_gap_secs,
       CASE WHEN claims.claims > 0 THEN CAST(claims.overstated AS REAL) / claims.claims END
           AS overstated_share
FROM providers p
LEFT JOIN outs ON outs.provider_id = p.id
LEFT JOIN claims ON claims.provider_id = p.id;
