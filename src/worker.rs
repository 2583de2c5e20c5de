//! The background worker behind `statustrail run`: polls every source when it is due (its
//! interval with jitter, or its backoff after failures), never two polls of one source at once —
//! also across several workers sharing one PostgreSQL database, through an atomic claim with a
//! lease in the store — and stops cleanly on Ctrl-C / SIGTERM.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;

use crate::pipeline::{Pipeline, PipelineError};

/// Runs until `shutdown` completes; in-flight polls are finished first.
pub async fn run(
    pipeline: Arc<Pipeline>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), PipelineError> {
    tokio::pin!(shutdown);
    let worker_id = format!(
        "{}-{}-{:08x}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into()),
        std::process::id(),
        rand::random::<u32>()
    );
    // A claim outlives the slowest possible poll; a crashed worker's claims expire.
    let lease = chrono::Duration::from_std(pipeline.fetcher.config().timeout * 4)
        .unwrap_or_default()
        + chrono::Duration::seconds(60);
    let mut in_flight: HashSet<i64> = HashSet::new();
    let mut tasks: JoinSet<(i64, Result<(), PipelineError>)> = JoinSet::new();
    tracing::info!(sources = pipeline.sources.len(), worker = %worker_id, "worker started");
    loop {
        let now = Utc::now();
        let rows = pipeline.store.sources().await?;
        let mut next_wake = Duration::from_secs(30);
        for src in &pipeline.sources {
            if in_flight.contains(&src.source.id) {
                continue;
            }
            let due_at = rows
                .iter()
                .find(|r| r.id == src.source.id)
                .and_then(|r| r.next_poll_at);
            match due_at {
                Some(t) if t > now => {
                    let wait = (t - now).to_std().unwrap_or_default();
                    next_wake = next_wake.min(wait);
                }
                _ => {
                    if !pipeline
                        .store
                        .claim_source(src.source.id, &worker_id, now, now + lease)
                        .await?
                    {
                        // Another worker holds it; look again soon.
                        next_wake = next_wake.min(Duration::from_secs(5));
                        continue;
                    }
                    in_flight.insert(src.source.id);
                    let p = pipeline.clone();
                    let src = src.clone();
                    tasks.spawn(async move {
                        let r = p.poll_source(&src).await.map(|_| ());
                        (src.source.id, r)
                    });
                }
            }
        }
        let sleep = tokio::time::sleep(next_wake.max(Duration::from_millis(200)));
        tokio::select! {
            _ = &mut shutdown => break,
            _ = sleep => {}
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok((id, r)) = done {
                    in_flight.remove(&id);
                    if let Err(e) = r {
                        tracing::error!(source = id, error = %e, "storing a poll failed");
                    }
                }
            }
        }
    }
    tracing::info!(
        in_flight = tasks.len(),
        "worker stopping: finishing in-flight polls"
    );
    while let Some(done) = tasks.join_next().await {
        if let Ok((id, Err(e))) = done {
            tracing::error!(source = id, error = %e, "storing a poll failed");
        }
    }
    Ok(())
}
