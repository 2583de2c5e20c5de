//! The background worker end to end: it polls sources and probes targets side by side, a slow
//! target delays neither the pollers nor the other targets, and two workers sharing a database
//! probe each target once per interval, not once each — on SQLite and PostgreSQL.
//!
//! The workers stop when the fast site has been asked four times (or after a minute, which
//! fails), and every bound below holds whatever the machine's load: no fixed run length, no
//! wall-clock margin.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    const FAST_HITS: usize = 4;
    const GIVE_UP: Duration = Duration::from_secs(60);
    let hits = Arc::new(AtomicUsize::new(0));
    let (enough_tx, enough) = tokio::sync::watch::channel(false);
    let sites = axum::Router::new()
        .route(
            "/fast",
            get(move || async move {
                if hits.fetch_add(1, Ordering::SeqCst) + 1 >= FAST_HITS {
                    enough_tx.send_replace(true);
                }
                "<title>Le Quotidien</title>"
            }),
        )
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
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..2 {
        let p = Arc::new(
            Pipeline::new(&cfg, store.clone(), rules.clone())
                .await
                .unwrap(),
        );
        let mut enough = enough.clone();
        let stop = async move {
            let _ = tokio::time::timeout(GIVE_UP, enough.wait_for(|e| *e)).await;
        };
        workers.push(tokio::spawn(statustrail::worker::run(p, stop)));
    }
    for w in workers {
        w.await.unwrap().unwrap();
    }
    // Workers finish their in-flight polls and probes before they stop.
    let ran = started.elapsed();
    assert!(
        ran < GIVE_UP,
        "the fast site was not asked {FAST_HITS} times in {GIVE_UP:?}"
    );
    let ran = ran.as_secs_f64();

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
    // One probe a second (jitter 0.9–1.1 s, from the start of a probe to the start of the next;
    // a worker that stops hands a target over for when its next probe is due): two workers
    // probing one target would put two of its probes closer than that, and more of them into
    // the time the run took.
    let closest = |s: &[&Sample]| {
        s.windows(2)
            .map(|w| (w[1].at - w[0].at).num_milliseconds())
            .min()
    };
    assert!(fast.len() >= FAST_HITS - 1, "{fast:?}");
    assert!(fast.iter().all(|s| s.ok));
    assert!(!slow.is_empty() && slow.iter().all(|s| !s.ok));
    for (name, probes) in [("fast", &fast), ("slow", &slow)] {
        if let Some(gap) = closest(probes) {
            assert!(
                gap >= 880,
                "{name} target probed twice within {gap} ms: {probes:?}"
            );
        }
        assert!(
            probes.len() as f64 <= ran / 0.9 + 1.0,
            "{name} target probed {} times in {ran:.1} s",
            probes.len()
        );
    }
    // Probed in turn, the fast target would wait for each slow probe and be probed as often;
    // side by side it is probed more often.
    assert!(
        fast.len() > slow.len(),
        "the slow target held the fast one back: {} probes against {}",
        fast.len(),
        slow.len()
    );
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
