//! One provider followed through several sources, end to end on SQLite and PostgreSQL: a
//! Statuspage `history.atom`, the same page's `/api/v2/incidents.json` and a Mastodon account,
//! each served on loopback, polled by the real pollers into the real store. The feed and the API
//! describe the same incidents; the social posts join the incident they fall in.
//!
//! Also pinned here, across polls: Statuspage updates that show up late or backdated are kept and
//! flagged `backfilled`, and an edited update keeps its earlier text in `post_versions`.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use statustrail::config::Config;
use statustrail::extract::Extractor;
use statustrail::model::Phase;
use statustrail::pipeline::Pipeline;
use statustrail::store::{self, PostWithStatements, Store};

use common::feed_server::FeedServer;
use common::mastodon_server::{status, MastodonServer};

fn config(db_url: &str, sources: &[(&str, String)]) -> Config {
    let mut toml = format!("[database]\nurl = \"{db_url}\"\n[[provider]]\nname = \"acme\"\n");
    for (kind, url) in sources {
        toml.push_str(&format!(
            "[[provider.source]]\nkind = \"{kind}\"\nurl = \"{url}\"\ninterval = \"1m\"\n"
        ));
    }
    Config::from_toml(&toml).expect("test config is valid")
}

async fn pipeline(db_url: &str, sources: &[(&str, String)]) -> (Pipeline, Arc<dyn Store>) {
    let cfg = config(db_url, sources);
    let store: Arc<dyn Store> = Arc::from(store::connect(db_url).await.expect("store opens"));
    let rules = Arc::new(Extractor::bundled().expect("bundled rules load"));
    let p = Pipeline::new(&cfg, store.clone(), rules)
        .await
        .expect("pipeline builds");
    (p, store)
}

/// One Atom entry of a Statuspage history feed: `updates` are (HH:MM, label, text), newest first.
/// The Atom id's number is Statuspage's internal one, not the incident code the API uses.
fn atom_entry(number: u32, code: &str, title: &str, updates: &[(&str, &str, &str)]) -> String {
    let mut html = String::new();
    for (hm, label, text) in updates {
        let (h, m) = hm.split_once(':').unwrap();
        html.push_str(&format!(
            "&lt;p&gt;&lt;small&gt;Nov &lt;var data-var='date'&gt;24&lt;/var&gt;, &lt;var data-var='time'&gt;{h}:{m}&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;{label}&lt;/strong&gt; - {text}&lt;/p&gt;"
        ));
    }
    let newest = updates[0].0;
    format!(
        "<entry><id>tag:status.example.com,2005:Incident/{number}</id>\
         <published>2026-11-24T{newest}:00Z</published><updated>2026-11-24T{newest}:00Z</updated>\
         <link rel=\"alternate\" type=\"text/html\" href=\"https://status.example.com/incidents/{code}\"/>\
         <title>{title}</title><content type=\"html\">{html}</content></entry>"
    )
}

fn atom(entries: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xml:lang=\"en-US\" xmlns=\"http://www.w3.org/2005/Atom\">\
         <id>tag:status.example.com,2005:/history</id>\
         <link rel=\"alternate\" type=\"text/html\" href=\"https://status.example.com\"/>\
         <title>Example Status - Incident History</title><updated>2026-11-24T16:00:00Z</updated>{}</feed>",
        entries.concat()
    )
}

/// An API incident: `updates` are (id, status, display HH:MM, created HH:MM, body), any order.
fn api_incident(code: &str, name: &str, updates: &[(&str, &str, &str, &str, &str)]) -> String {
    let ups: Vec<String> = updates
        .iter()
        .map(|(id, st, shown, created, body)| {
            format!(
                r#"{{"id":"{id}","status":"{st}","body":"{body}","incident_id":"{code}","created_at":"2026-11-24T{created}:00.000Z","updated_at":"2026-11-24T{created}:00.000Z","display_at":"2026-11-24T{shown}:00.000Z","affected_components":null}}"#
            )
        })
        .collect();
    format!(
        r#"{{"id":"{code}","name":"{name}","status":"resolved","impact":"minor","shortlink":"https://stspg.io/{code}","page_id":"pg1","incident_updates":[{}],"components":[]}}"#,
        ups.join(",")
    )
}

fn api(incidents: &[String]) -> String {
    format!(
        r#"{{"page":{{"id":"pg1","name":"Example","url":"https://status.example.com","time_zone":"Etc/UTC","updated_at":"2026-11-24T16:00:00.000Z"}},"incidents":[{}]}}"#,
        incidents.join(",")
    )
}

fn webhooks_atom() -> String {
    atom_entry(
        30837849,
        "abc123xyz",
        "Webhooks delayed",
        &[
            ("11:30", "Resolved", "This incident has been resolved."),
            (
                "10:40",
                "Identified",
                "We have identified the cause of the webhook delays.",
            ),
            (
                "10:00",
                "Investigating",
                "We are investigating delayed webhook deliveries.",
            ),
        ],
    )
}

fn packages_atom() -> String {
    atom_entry(
        30837001,
        "def456uvw",
        "Package installs failing",
        &[
            ("15:00", "Resolved", "This incident has been resolved."),
            (
                "14:00",
                "Investigating",
                "We are investigating failing package installs.",
            ),
        ],
    )
}

fn webhooks_api() -> String {
    api_incident(
        "abc123xyz",
        "Webhooks delayed",
        &[
            (
                "u3",
                "resolved",
                "11:30",
                "11:30",
                "This incident has been resolved.",
            ),
            (
                "u2",
                "identified",
                "10:40",
                "10:40",
                "We have identified the cause of the webhook delays.",
            ),
            (
                "u1",
                "investigating",
                "10:00",
                "10:00",
                "We are investigating delayed webhook deliveries.",
            ),
        ],
    )
}

fn packages_api() -> String {
    api_incident(
        "def456uvw",
        "Package installs failing",
        &[
            (
                "p2",
                "resolved",
                "15:00",
                "15:00",
                "This incident has been resolved.",
            ),
            (
                "p1",
                "investigating",
                "14:00",
                "14:00",
                "We are investigating failing package installs.",
            ),
        ],
    )
}

fn kind_of_posts(posts: &[PostWithStatements]) -> HashMap<i64, (String, String)> {
    posts
        .iter()
        .map(|p| {
            (
                p.post.id,
                (p.post.source_kind.clone(), p.post.external_id.clone()),
            )
        })
        .collect()
}

async fn three_sources_of_one_provider_make_one_timeline(db_url: &str) {
    let feed = FeedServer::start(&atom(&[webhooks_atom(), packages_atom()])).await;
    let api_server = FeedServer::start(&api(&[webhooks_api(), packages_api()])).await;
    let social = MastodonServer::start().await;
    // 09:50, before the page spoke; a reply in its thread at 10:45.
    social.post(status(
        1001,
        50,
        "<p>We are investigating delays in webhook deliveries.</p>",
        None,
    ));
    social.post(status(
        1002,
        105,
        "<p>We have identified the cause of the webhook delays and are deploying a fix.</p>",
        Some(1001),
    ));
    // 14:30, during the packages incident, naming its product.
    social.post(status(
        1003,
        330,
        "<p>Package installs are still failing, we are investigating.</p>",
        None,
    ));
    // 16:30 and 17:00: a DNS problem the status page never mentions.
    social.post(status(
        1004,
        450,
        "<p>We are investigating failing DNS lookups.</p>",
        None,
    ));
    social.post(status(1005, 480, "<p>The DNS issue is resolved.</p>", None));

    let (p, store) = pipeline(
        db_url,
        &[
            ("statuspage_feed", feed.url("/history.atom")),
            ("statuspage_api", api_server.url("/api/v2/incidents.json")),
            ("mastodon_api", social.url()),
        ],
    )
    .await;
    for src in p.sources.clone() {
        let summary = p.poll_source(&src).await.unwrap();
        assert_eq!(summary.outcome, "ok", "{summary:?}");
    }
    let provider_id = p.sources[0].provider.row.id;
    let posts = store.provider_posts(provider_id).await.unwrap();
    assert_eq!(
        posts.len(),
        5 + 5 + 5,
        "every post of every source stored once"
    );
    let post_of = kind_of_posts(&posts);

    let incidents = store.incidents(Some("acme")).await.unwrap();
    let keys: BTreeSet<&str> = incidents.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(incidents.len(), 3, "{keys:?}");
    assert!(keys.contains("incident:abc123xyz") && keys.contains("incident:def456uvw"));

    let mut by_key: HashMap<String, BTreeSet<(String, String)>> = HashMap::new();
    for inc in &incidents {
        let events = store.incident_events(inc.id).await.unwrap();
        for e in events {
            by_key
                .entry(inc.key.clone())
                .or_default()
                .insert(post_of[&e.event.post_id].clone());
        }
    }
    let set = |items: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        items
            .iter()
            .map(|(k, id)| (k.to_string(), id.to_string()))
            .collect()
    };
    // The webhooks incident: the feed's three updates, the API's three, the two social posts.
    assert_eq!(
        by_key["incident:abc123xyz"],
        set(&[
            (
                "statuspage_feed",
                "abc123xyz#2026-11-24T10:00Z#investigating"
            ),
            ("statuspage_feed", "abc123xyz#2026-11-24T10:40Z#identified"),
            ("statuspage_feed", "abc123xyz#2026-11-24T11:30Z#resolved"),
            ("statuspage_api", "u1"),
            ("statuspage_api", "u2"),
            ("statuspage_api", "u3"),
            ("mastodon_api", "1001"),
            ("mastodon_api", "1002"),
        ])
    );
    assert_eq!(
        by_key["incident:def456uvw"],
        set(&[
            (
                "statuspage_feed",
                "def456uvw#2026-11-24T14:00Z#investigating"
            ),
            ("statuspage_feed", "def456uvw#2026-11-24T15:00Z#resolved"),
            ("statuspage_api", "p1"),
            ("statuspage_api", "p2"),
            ("mastodon_api", "1003"),
        ])
    );
    let dns = incidents
        .iter()
        .find(|i| !i.key.starts_with("incident:"))
        .unwrap();
    assert_eq!(
        by_key[&dns.key],
        set(&[("mastodon_api", "1004"), ("mastodon_api", "1005")])
    );
    assert_eq!(dns.last_phase, Some(Phase::Resolved));
    let webhooks = incidents
        .iter()
        .find(|i| i.key == "incident:abc123xyz")
        .unwrap();
    assert_eq!(webhooks.last_phase, Some(Phase::Resolved));
    assert_eq!(webhooks.ended_at, Some(common::utc("2026-11-24T11:30:00Z")));
    // Both Statuspage kinds state the page's own word under one rule id.
    let labels: BTreeSet<String> = posts
        .iter()
        .filter(|p| p.post.source_kind.starts_with("statuspage"))
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.statement.rule_id.starts_with("source:"))
        .map(|s| s.statement.rule_id.clone())
        .collect();
    assert_eq!(labels, BTreeSet::from(["source:statuspage".to_string()]));
    // The API's status is a statement beside what the rules read in the same update.
    let u2 = posts
        .iter()
        .find(|p| p.post.source_kind == "statuspage_api" && p.post.external_id == "u2")
        .unwrap();
    let rules: BTreeSet<(&str, Option<Phase>)> = u2
        .statements
        .iter()
        .map(|s| {
            let r = s.statement.rule_id.as_str();
            (
                if r.starts_with("source:") { r } else { "rule" },
                s.statement.phase(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("source:statuspage", Some(Phase::Identified)))
            && rules.contains(&("rule", Some(Phase::Identified))),
        "{:?}",
        u2.statements
    );

    // Polling again changes nothing: no duplicated incident.
    for src in p.sources.clone() {
        p.poll_source(&src).await.unwrap();
    }
    let again = store.incidents(Some("acme")).await.unwrap();
    let ids =
        |v: &[statustrail::store::IncidentRow]| -> Vec<i64> { v.iter().map(|i| i.id).collect() };
    assert_eq!(ids(&again), ids(&incidents));
}

/// Every version of a post, oldest first: (version, text).
async fn versions(db_url: &str, post_id: i64) -> Vec<(i64, String)> {
    let sql = "SELECT version, text FROM post_versions WHERE post_id = $1 ORDER BY version";
    if db_url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
        sqlx::query_as(sql)
            .bind(post_id)
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(db_url).await.unwrap();
        sqlx::query_as(sql)
            .bind(post_id)
            .fetch_all(&pool)
            .await
            .unwrap()
    }
}

async fn late_and_edited_statuspage_updates_across_polls(db_url: &str) {
    // First poll: the incident's first and last updates.
    let first_feed = atom(&[atom_entry(
        30837849,
        "abc123xyz",
        "Webhooks delayed",
        &[
            ("11:30", "Resolved", "This incident has been resolved."),
            (
                "10:00",
                "Investigating",
                "We are investigating delayed webhooks.",
            ),
        ],
    )]);
    let first_api = api(&[api_incident(
        "abc123xyz",
        "Webhooks delayed",
        &[
            (
                "u3",
                "resolved",
                "11:30",
                "11:30",
                "This incident has been resolved.",
            ),
            (
                "u1",
                "investigating",
                "10:00",
                "10:00",
                "We are investigating delayed webhooks.",
            ),
        ],
    )]);
    let feed = FeedServer::start(&first_feed).await;
    let api_server = FeedServer::start(&first_api).await;
    let (p, store) = pipeline(
        db_url,
        &[
            ("statuspage_feed", feed.url("/history.atom")),
            ("statuspage_api", api_server.url("/api/v2/incidents.json")),
        ],
    )
    .await;
    for src in p.sources.clone() {
        p.poll_source(&src).await.unwrap();
    }

    // Second poll: an update of 10:40 appears between them (posted later, displayed earlier),
    // one of 11:00 whose display time differs from its creation time, and the first update's
    // text is edited.
    feed.set_body(&atom(&[atom_entry(
        30837849,
        "abc123xyz",
        "Webhooks delayed",
        &[
            ("11:30", "Resolved", "This incident has been resolved."),
            ("10:40", "Identified", "The cause has been identified."),
            (
                "10:00",
                "Investigating",
                "We are investigating delayed webhook deliveries.",
            ),
        ],
    )]));
    // The API shows the 10:40 update too (created after the stored 11:30 one) and an 11:00 one
    // created at 11:00 but displayed at 10:50.
    api_server.set_body(&api(&[api_incident(
        "abc123xyz",
        "Webhooks delayed",
        &[
            (
                "u3",
                "resolved",
                "11:30",
                "11:30",
                "This incident has been resolved.",
            ),
            (
                "u4",
                "monitoring",
                "10:50",
                "11:00",
                "A fix is being monitored.",
            ),
            (
                "u2",
                "identified",
                "10:40",
                "10:40",
                "The cause has been identified.",
            ),
            (
                "u1",
                "investigating",
                "10:00",
                "10:00",
                "We are investigating delayed webhook deliveries.",
            ),
        ],
    )]));
    for src in p.sources.clone() {
        let s = p.poll_source(&src).await.unwrap();
        assert_eq!(s.items_changed, 1, "the edited first update: {s:?}");
    }

    let posts = store
        .provider_posts(p.sources[0].provider.row.id)
        .await
        .unwrap();
    let post = |kind: &str, id: &str| {
        posts
            .iter()
            .find(|p| p.post.source_kind == kind && p.post.external_id == id)
            .unwrap_or_else(|| panic!("{kind} {id}"))
    };
    let flags: Vec<(&str, bool)> = posts
        .iter()
        .map(|p| (p.post.external_id.as_str(), p.post.backfilled))
        .collect();
    // Late in the feed: the feed cannot say when an update was written, the store sees it late.
    assert!(
        post("statuspage_feed", "abc123xyz#2026-11-24T10:40Z#identified")
            .post
            .backfilled,
        "{flags:?}"
    );
    // Late in the API, and backdated in the API.
    assert!(post("statuspage_api", "u2").post.backfilled, "{flags:?}");
    assert!(post("statuspage_api", "u4").post.backfilled, "{flags:?}");
    // The others are on time.
    for (kind, id) in [
        (
            "statuspage_feed",
            "abc123xyz#2026-11-24T10:00Z#investigating",
        ),
        ("statuspage_feed", "abc123xyz#2026-11-24T11:30Z#resolved"),
        ("statuspage_api", "u1"),
        ("statuspage_api", "u3"),
    ] {
        assert!(!post(kind, id).post.backfilled, "{kind} {id}: {flags:?}");
    }

    // The edited update is one post at version 2 that keeps its earlier text.
    for (kind, id) in [
        (
            "statuspage_feed",
            "abc123xyz#2026-11-24T10:00Z#investigating",
        ),
        ("statuspage_api", "u1"),
    ] {
        let edited = post(kind, id);
        assert_eq!(edited.post.version, 2, "{kind}");
        assert_eq!(
            versions(db_url, edited.post.id).await,
            [
                (1, "We are investigating delayed webhooks.".to_string()),
                (
                    2,
                    "We are investigating delayed webhook deliveries.".to_string()
                ),
            ],
            "{kind}"
        );
    }
    // Still one incident.
    let incidents = store.incidents(Some("acme")).await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].key, "incident:abc123xyz");
}

#[tokio::test]
async fn sqlite_three_sources_of_one_provider_make_one_timeline() {
    let dir = tempfile::tempdir().unwrap();
    three_sources_of_one_provider_make_one_timeline(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_three_sources_of_one_provider_make_one_timeline() {
    let Some(db) = common::TestPg::create("three_sources").await else {
        return;
    };
    three_sources_of_one_provider_make_one_timeline(db.url()).await;
}

#[tokio::test]
async fn sqlite_late_and_edited_statuspage_updates_across_polls() {
    let dir = tempfile::tempdir().unwrap();
    late_and_edited_statuspage_updates_across_polls(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_late_and_edited_statuspage_updates_across_polls() {
    let Some(db) = common::TestPg::create("late_updates").await else {
        return;
    };
    late_and_edited_statuspage_updates_across_polls(db.url()).await;
}
