//! `statustrail export`: incidents and timelines leave the tool as CSV and JSON Lines, one
//! documented schema for both (docs/schema.md, "Exports"), so a data set can be shared.
//!
//! Files written: `incidents.csv`, `incidents.jsonl` (one row per incident and per measured
//! outage no incident speaks of, as `v_claims_vs_measured`), `timeline.csv`, `timeline.jsonl`
//! (one row per provider-reported event).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{ClaimsRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("writing {path}: {source}")]
    Csv { path: String, source: csv::Error },
}

/// One timeline event as exported.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRecord {
    pub provider: String,
    pub incident_id: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub posted_at: DateTime<Utc>,
    pub mentioned_at: Option<DateTime<Utc>>,
    pub phase: Option<&'static str>,
    pub restored_pct: Option<f64>,
    pub affected_pct: Option<f64>,
    pub rule_id: Option<String>,
    pub excerpt: String,
    pub post_id: i64,
}

/// How many rows went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exported {
    pub incidents: usize,
    pub events: usize,
}

fn write_both<T: Serialize>(dir: &Path, stem: &str, rows: &[T]) -> Result<(), ExportError> {
    let csv_path = dir.join(format!("{stem}.csv"));
    let p = csv_path.display().to_string();
    let mut w = csv::Writer::from_path(&csv_path).map_err(|source| ExportError::Csv {
        path: p.clone(),
        source,
    })?;
    for r in rows {
        w.serialize(r).map_err(|source| ExportError::Csv {
            path: p.clone(),
            source,
        })?;
    }
    w.flush()
        .map_err(|source| ExportError::Io { path: p, source })?;
    let jsonl_path = dir.join(format!("{stem}.jsonl"));
    let p = jsonl_path.display().to_string();
    let io = |source| ExportError::Io {
        path: p.clone(),
        source,
    };
    let mut f = std::io::BufWriter::new(std::fs::File::create(&jsonl_path).map_err(io)?);
    for r in rows {
        serde_json::to_writer(&mut f, r).map_err(|e| io(e.into()))?;
        f.write_all(b"\n").map_err(io)?;
    }
    f.flush().map_err(io)?;
    Ok(())
}

/// Writes every incident and event (optionally of one provider) into `dir`.
pub async fn export(
    store: &dyn Store,
    provider: Option<&str>,
    dir: &Path,
) -> Result<Exported, ExportError> {
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let incidents: Vec<ClaimsRow> = store.claims_vs_measured(provider).await?;
    let mut events = Vec::new();
    let mut all = store.incidents(provider).await?;
    all.sort_by_key(|i| (i.started_at, i.id));
    for i in all {
        for e in store.incident_events(i.id).await? {
            let ev = e.event;
            events.push(TimelineRecord {
                provider: i.provider.clone(),
                incident_id: i.id,
                seq: e.seq,
                at: ev.at,
                posted_at: ev.posted_at,
                mentioned_at: ev.mentioned_at,
                phase: ev.phase.map(|p| p.as_str()),
                restored_pct: ev.restored_pct,
                affected_pct: ev.affected_pct,
                rule_id: ev.rule_id,
                excerpt: ev.excerpt,
                post_id: ev.post_id,
            });
        }
    }
    write_both(dir, "incidents", &incidents)?;
    write_both(dir, "timeline", &events)?;
    Ok(Exported {
        incidents: incidents.len(),
        events: events.len(),
    })
}
