//! The background worker behind `statustrail run`: polls every source when it is due (its
//! interval with jitter, or its backoff after failures), never two polls of one source at once —
//! also across several workers sharing one PostgreSQL database, through an atomic claim with a
//! lease in the store — and stops cleanly on Ctrl-C / SIGTERM.
//!
//! Beside the pollers, one task per probe target probes it at its own interval (so a slow
//! target delays neither polling nor the other targets), one worker per target through a claim
//! it renews at every probe and gives up when it stops; and every half minute the providers
//! with new observations get their measures derived again.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;

use crate::measure::Origin;
use crate::pipeline::{Pipeline, PipelineError};
use crate::sources::fetch::next_poll_delay;

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
    tracing::info!(
        sources = pipeline.sources.len(),
        targets = pipeline.targets.len(),
        worker = %worker_id,
        "worker started"
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let probing = spawn_probing(pipeline.clone(), worker_id.clone(), stop_rx);
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
    let _ = stop_tx.send(true);
    probing.join_all().await;
    Ok(())
}

/// Starts one probing task per target and the task that derives measures of providers with
/// new observations. They all end when `stop` turns true.
fn spawn_probing(
    pipeline: Arc<Pipeline>,
    worker_id: String,
    stop: tokio::sync::watch::Receiver<bool>,
) -> JoinSet<()> {
    let dirty: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let mut set = JoinSet::new();
    for t in pipeline.targets.clone() {
        let (p, dirty, mut stop) = (pipeline.clone(), dirty.clone(), stop.clone());
        let worker_id = worker_id.clone();
        // The claim outlives two intervals: the holder renews it at every probe, and another
        // worker takes the target over when the holder is gone.
        let lease = chrono::Duration::from_std(t.config.interval * 2 + t.config.timeout)
            .unwrap_or(chrono::Duration::minutes(5));
        set.spawn(async move {
            let mut probed_at = None;
            loop {
                let now = Utc::now();
                let mine = p
                    .store
                    .claim_target(t.id, &worker_id, now, now + lease)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::error!(target = %t.config.name, error = %e, "claiming a target failed");
                        false
                    });
                if mine {
                    probed_at = Some(now);
                    let o = p.prober.probe(&t.config).await;
                    let pid = t.provider.row.id;
                    match p.store.save_observations(pid, &[o], Origin::Probe).await {
                        Ok(_) => {
                            dirty.lock().expect("dirty set").insert(pid);
                        }
                        Err(e) => tracing::error!(target = %t.config.name, error = %e, "storing a probe failed"),
                    }
                }
                let wait = next_poll_delay(t.config.interval, 0, None, t.config.interval);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => break,
                }
            }
            // Another worker still running takes the target over when its next probe is due,
            // not when the lease ends.
            let interval = chrono::Duration::from_std(t.config.interval).unwrap_or_default();
            let free_at = probed_at.map_or_else(Utc::now, |at| at + interval);
            if let Err(e) = p.store.release_target(t.id, &worker_id, free_at).await {
                tracing::warn!(target = %t.config.name, error = %e, "releasing a target failed");
            }
        });
    }
    if !pipeline.targets.is_empty() {
        let (p, mut stop) = (pipeline, stop);
        set.spawn(async move {
            loop {
                let done = tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(30)) => false,
                    _ = stop.changed() => true,
                };
                let due: Vec<i64> = dirty.lock().expect("dirty set").drain().collect();
                for pid in due {
                    if let Err(e) = p.derive_measures(pid).await {
                        tracing::error!(provider = pid, error = %e, "deriving measures failed");
                    }
                }
                if done {
                    break;
                }
            }
        });
    }
    set
}
