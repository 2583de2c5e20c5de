//! The background worker end to end: it polls sources and probes targets side by side, a slow
//! target delays neither the pollers nor the other targets, and two workers sharing a database
//! probe each target once per interval, not once each — on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use statustrail::config::Config;
use statustrail::demo::{ReplayFeed, DEMO_FEED};
use statustrail::extract::Extractor;
use statustrail::measure::derive::Sample;
use statustrail::pipeline::Pipeline;
use statustrail::store::{self, Store};

async fn two_workers_poll_and_probe_side_by_side(db_url: &str) {
    let feed = ReplayFeed::new(DEMO_FEED);
    feed.show(feed.len());
    let feed_addr = feed.serve().await.unwrap();
    let sites = axum::Router::new()
        .route("/fast", get(|| async { "<title>Le Quotidien</title>" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
    let sites_addr = common::serve(sites).await;
    let cfg = Config::from_toml(&format!(
        r#"
        [[provider]]
        name = "hebergeur"
        timezone = "Europe/Paris"
        lang = "fr"
        [[provider.source]]
        kind = "feed"
        url = "http://{feed_addr}/@support/rss"
        interval = "1s"
        [[provider.target]]
        name = "fast"
        url = "http://{sites_addr}/fast"
        interval = "1s"
        [[provider.target]]
        name = "slow"
        url = "http://{sites_addr}/slow"
        interval = "1s"
        timeout = "700ms"
        "#
    ))
    .unwrap();
    let store: Arc<dyn Store> = Arc::from(store::connect(db_url).await.unwrap());
    let rules = Arc::new(Extractor::bundled().unwrap());
    let mut workers = Vec::new();
    for _ in 0..2 {
        let p = Arc::new(
            Pipeline::new(&cfg, store.clone(), rules.clone())
                .await
                .unwrap(),
        );
        workers.push(tokio::spawn(statustrail::worker::run(
            p,
            tokio::time::sleep(Duration::from_millis(3500)),
        )));
    }
    for w in workers {
        w.await.unwrap().unwrap();
    }

    let incidents = store.incidents(Some("hebergeur")).await.unwrap();
    assert_eq!(incidents.len(), 1, "the feed was polled and its story told");
    let provider = store.providers().await.unwrap()[0].id;
    let samples = store.samples(provider, None).await.unwrap();
    let targets: Vec<i64> = {
        let mut t: Vec<i64> = samples.iter().map(|s| s.target_id).collect();
        t.dedup();
        t
    };
    assert_eq!(targets.len(), 2, "{samples:?}");
    let of = |id: i64| -> Vec<&Sample> { samples.iter().filter(|s| s.target_id == id).collect() };
    let (a, b) = (of(targets[0]), of(targets[1]));
    let (fast, slow) = if a.iter().all(|s| s.ok) {
        (a, b)
    } else {
        (b, a)
    };
    // In 3.5 s at one probe a second (±10 %): about four probes of the fast target, whatever the
    // slow one does, and not twice that although two workers run.
    assert!(
        (2..=5).contains(&fast.len()),
        "fast target probed {} times",
        fast.len()
    );
    assert!(fast.iter().all(|s| s.ok));
    assert!(!slow.is_empty() && slow.iter().all(|s| !s.ok));
    assert!(slow.len() <= 4, "slow target probed {} times", slow.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_workers_poll_and_probe_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    two_workers_poll_and_probe_side_by_side(&common::sqlite_url(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_workers_poll_and_probe_side_by_side() {
    let Some(db) = common::TestPg::create("worker_side_by_side").await else {
        return;
    };
    two_workers_poll_and_probe_side_by_side(db.url()).await;
}
