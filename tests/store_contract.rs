//! One storage contract, run on every backend: a fresh SQLite file and a fresh PostgreSQL
//! database get the same calls and must give the same answers.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use statustrail::model::{FetchedItem, Percent, Phase, Statement, Yield};
use statustrail::store::{self, EventDraft, IncidentDraft, PollRecord, SaveOutcome, Store};

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 17, h, m, 0).unwrap()
}

fn item(id: &str, text: &str) -> FetchedItem {
    FetchedItem {
        external_id: id.into(),
        url: Some(format!("https://social.example/{id}")),
        published_at: Some(t(9, 0)),
        title: None,
        text: text.into(),
        body: format!("<p>{text}</p>"),
        lang: Some("fr".into()),
        thread_key: None,
        status_label: None,
        backfilled: false,
    }
}

fn statement(y: Yield, rule: &str) -> Statement {
    Statement {
        yields: y,
        mentioned_at: Some(t(10, 30)),
        rule_id: rule.into(),
        span: (3, 12),
        matched: "identifié".into(),
    }
}

async fn setup(store: &dyn Store) -> (i64, i64) {
    let p = store
        .upsert_provider("hebergeur", "Hébergeur", "Europe/Paris")
        .await
        .unwrap();
    let again = store
        .upsert_provider("hebergeur", "Hébergeur SA", "Europe/Paris")
        .await
        .unwrap();
    assert_eq!(p.id, again.id, "providers are upserted by name");
    assert_eq!(again.display_name, "Hébergeur SA");
    let s = store
        .upsert_source(p.id, "feed", "http://x/rss", 60)
        .await
        .unwrap();
    let s2 = store
        .upsert_source(p.id, "feed", "http://x/rss", 120)
        .await
        .unwrap();
    assert_eq!(s.id, s2.id, "sources are upserted by provider and URL");
    assert_eq!(s2.poll_interval_secs, 120);
    (p.id, s.id)
}

async fn posts_are_stored_once_and_edits_become_versions(store: &dyn Store) {
    let (provider, source) = setup(store).await;
    let a = item("1", "Nous constatons un incident");
    let first = store.save_item(source, &a, t(9, 1)).await.unwrap();
    let SaveOutcome::New { post_id } = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        store.save_item(source, &a, t(9, 2)).await.unwrap(),
        SaveOutcome::Unchanged { post_id }
    );
    let mut edited = a.clone();
    edited.text.push_str(" réseau");
    assert_eq!(
        store.save_item(source, &edited, t(9, 3)).await.unwrap(),
        SaveOutcome::Changed {
            post_id,
            version: 2
        }
    );
    let mut undated = item("2", "Sans date");
    undated.published_at = None;
    store.save_item(source, &undated, t(9, 5)).await.unwrap();

    let posts = store.provider_posts(provider).await.unwrap();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].post.text, "Nous constatons un incident réseau");
    assert_eq!(posts[0].post.version, 2);
    assert_eq!(
        posts[1].post.published_at,
        t(9, 5),
        "an undated item takes its fetch time"
    );
}

async fn statements_round_trip_and_are_replaced(store: &dyn Store) {
    let (provider, source) = setup(store).await;
    let post = store
        .save_item(source, &item("1", "x"), t(9, 0))
        .await
        .unwrap()
        .post_id();
    let stmts = vec![
        statement(Yield::Phase(Phase::Identified), "fr.identified"),
        statement(Yield::Restored(Percent::new(99.9).unwrap()), "fr.restored"),
        statement(Yield::Affected(Percent::new(30.0).unwrap()), "en.affected"),
    ];
    store.replace_statements(post, &stmts).await.unwrap();
    store.replace_statements(post, &stmts).await.unwrap();
    let posts = store.provider_posts(provider).await.unwrap();
    let got: Vec<Statement> = posts[0]
        .statements
        .iter()
        .map(|s| s.statement.clone())
        .collect();
    assert_eq!(
        got, stmts,
        "replacing twice leaves one set, identical to what was written"
    );
}

async fn incidents_keep_their_ids_across_rebuilds(store: &dyn Store) {
    let (provider, source) = setup(store).await;
    let post = store
        .save_item(source, &item("1", "x"), t(9, 0))
        .await
        .unwrap()
        .post_id();
    let ev = |phase| EventDraft {
        post_id: post,
        statement_id: None,
        at: t(9, 0),
        posted_at: t(9, 0),
        mentioned_at: None,
        phase: Some(phase),
        restored_pct: None,
        affected_pct: None,
        rule_id: Some("r".into()),
        excerpt: "x".into(),
    };
    let draft = |key: &str, phases: &[Phase]| IncidentDraft {
        key: key.into(),
        title: Some("Panne".into()),
        started_at: t(9, 0),
        ended_at: None,
        last_phase: phases.last().copied(),
        events: phases.iter().map(|p| ev(*p)).collect(),
    };
    let first = store
        .sync_incidents(
            provider,
            &[
                draft("a", &[Phase::Investigating]),
                draft("b", &[Phase::Investigating]),
            ],
        )
        .await
        .unwrap();
    let second = store
        .sync_incidents(
            provider,
            &[draft("a", &[Phase::Investigating, Phase::Resolved])],
        )
        .await
        .unwrap();
    assert_eq!(second[0], first[0], "the same key keeps its id");
    let incidents = store.incidents(Some("hebergeur")).await.unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "an incident whose key vanished is removed"
    );
    assert_eq!(incidents[0].last_phase, Some(Phase::Resolved));
    let events = store.incident_events(first[0]).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert!(store.incidents(Some("nobody")).await.unwrap().is_empty());
}

async fn polls_are_logged_and_sources_claimed_by_one_worker(store: &dyn Store) {
    let (_, source) = setup(store).await;
    let now = t(12, 0);
    assert!(store
        .claim_source(source, "w1", now, now + Duration::minutes(5))
        .await
        .unwrap());
    assert!(!store
        .claim_source(source, "w2", now, now + Duration::minutes(5))
        .await
        .unwrap());
    let record = PollRecord {
        source_id: source,
        started_at: now,
        duration_ms: 12,
        outcome: "error".into(),
        http_status: Some(503),
        bytes: Some(0),
        error_class: Some("http_status".into()),
        error: Some("server answered 503".into()),
        final_url: Some("http://x/rss".into()),
        redirects: 0,
        items_seen: 0,
        items_new: 0,
        items_changed: 0,
        etag: Some("\"v1\"".into()),
        last_modified: None,
        cursor: None,
        next_poll_at: Some(now + Duration::minutes(2)),
    };
    store.record_poll(&record).await.unwrap();
    store.record_poll(&record).await.unwrap();
    let row = store.source(source).await.unwrap().unwrap();
    assert_eq!(row.consecutive_failures, 2);
    assert_eq!(row.last_error.as_deref(), Some("server answered 503"));
    assert_eq!(row.etag.as_deref(), Some("\"v1\""));
    // Released by the poll, but not due before next_poll_at.
    assert!(!store
        .claim_source(source, "w2", now, now + Duration::minutes(5))
        .await
        .unwrap());
    let later = now + Duration::minutes(3);
    assert!(store
        .claim_source(source, "w2", later, later + Duration::minutes(5))
        .await
        .unwrap());
    let ok = PollRecord {
        outcome: "ok".into(),
        error: None,
        error_class: None,
        ..record
    };
    store.record_poll(&ok).await.unwrap();
    assert_eq!(
        store
            .source(source)
            .await
            .unwrap()
            .unwrap()
            .consecutive_failures,
        0
    );
}

async fn hostile_text_is_stored_intact_or_cleaned_never_lost(store: &dyn Store) {
    let (provider, source) = setup(store).await;
    let long = "é".repeat(60_000);
    let texts = [
        "emoji 🔥🚨 and RTL שלום مرحبا",
        "'; DROP TABLE posts; --",
        long.as_str(),
        "nul\0inside",
    ];
    for (i, text) in texts.iter().enumerate() {
        store
            .save_item(source, &item(&format!("h{i}"), text), t(9, 0))
            .await
            .unwrap();
    }
    let posts = store.provider_posts(provider).await.unwrap();
    assert_eq!(posts.len(), 4);
    assert_eq!(posts[0].post.text, texts[0]);
    assert_eq!(posts[1].post.text, texts[1]);
    assert_eq!(posts[2].post.text.chars().count(), 60_000);
    assert_eq!(
        posts[3].post.text, "nul\u{FFFD}inside",
        "NUL is replaced on every backend"
    );
}

async fn probe_targets_are_claimed_by_one_worker_at_a_time(store: &dyn Store) {
    let (provider, _) = setup(store).await;
    let target = store
        .upsert_target(
            provider,
            "quotidien",
            Some("https://quotidien.example/"),
            Some(60),
        )
        .await
        .unwrap();
    let now = Utc::now();
    let lease = Duration::minutes(3);
    assert!(store
        .claim_target(target, "w1", now, now + lease)
        .await
        .unwrap());
    assert!(
        !store
            .claim_target(target, "w2", now, now + lease)
            .await
            .unwrap(),
        "a live claim keeps the other worker off"
    );
    let soon = now + Duration::minutes(1);
    assert!(
        store
            .claim_target(target, "w1", soon, soon + lease)
            .await
            .unwrap(),
        "the holder renews its claim"
    );
    let later = soon + Duration::minutes(4);
    assert!(
        store
            .claim_target(target, "w2", later, later + lease)
            .await
            .unwrap(),
        "a lapsed claim is taken over"
    );
    let free_at = later + Duration::minutes(1);
    store.release_target(target, "w1", later).await.unwrap();
    assert!(
        !store
            .claim_target(target, "w1", later, later + lease)
            .await
            .unwrap(),
        "a worker cannot release another worker's claim"
    );
    store.release_target(target, "w2", free_at).await.unwrap();
    assert!(
        !store
            .claim_target(target, "w1", later, later + lease)
            .await
            .unwrap(),
        "a released target waits until its next probe is due"
    );
    let due = free_at + Duration::seconds(1);
    assert!(
        store
            .claim_target(target, "w1", due, due + lease)
            .await
            .unwrap(),
        "then it is free, long before the releasing worker's lease would have ended"
    );
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = store::connect(&common::sqlite_url(&dir)).await.unwrap();
                    super::$name(store.as_ref()).await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = common::TestPg::create(stringify!($name)).await else { return };
                    let store = store::connect(db.url()).await.unwrap();
                    super::$name(store.as_ref()).await;
                }
            )*
        }
    };
}

contract!(
    posts_are_stored_once_and_edits_become_versions,
    statements_round_trip_and_are_replaced,
    incidents_keep_their_ids_across_rebuilds,
    polls_are_logged_and_sources_claimed_by_one_worker,
    hostile_text_is_stored_intact_or_cleaned_never_lost,
    probe_targets_are_claimed_by_one_worker_at_a_time,
);
