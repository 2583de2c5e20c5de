//! Social accounts and hosted status pages over real HTTP on loopback: a Mastodon account read
//! through its API across polls (a burst of several pages included) and through its RSS, a
//! Bluesky author feed, Better Stack, Instatus and incident.io status pages; and what hostile
//! documents do.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::mastodon_server::{reblog, status, MastodonServer};
use common::{fixture, serve};
use statustrail::config::HttpConfig;
use statustrail::model::{FetchedItem, Phase};
use statustrail::sources::fetch::{Fetcher, Validators};
use statustrail::sources::{mastodon_api, PollError, PollRequest, Polled, SourceKind};
use url::Url;

fn fetcher() -> Fetcher {
    Fetcher::new(&HttpConfig {
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap()
}

/// Polls like the pipeline does: the cursor of one poll is handed to the next.
struct Poller {
    kind: SourceKind,
    url: Url,
    cursor: Option<String>,
    fetcher: Fetcher,
}

impl Poller {
    fn new(kind: SourceKind, url: &str) -> Poller {
        Poller {
            kind,
            url: Url::parse(url).unwrap(),
            cursor: None,
            fetcher: fetcher(),
        }
    }

    async fn poll(&mut self) -> Result<Polled, PollError> {
        let req = PollRequest {
            url: self.url.clone(),
            validators: Validators::default(),
            cursor: self.cursor.clone(),
        };
        let polled = self.kind.poll(&self.fetcher, &req).await?;
        self.cursor = polled.cursor.clone();
        Ok(polled)
    }

    async fn ids(&mut self) -> Vec<String> {
        ids(&self.poll().await.unwrap().items)
    }
}

fn ids(items: &[FetchedItem]) -> Vec<String> {
    items.iter().map(|i| i.external_id.clone()).collect()
}

fn range(from: u64, to: u64) -> Vec<String> {
    (from..=to).map(|i| i.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Mastodon

#[tokio::test]
async fn mastodon_statuses_are_each_fetched_once_in_order_across_polls_and_a_burst() {
    let server = MastodonServer::start().await;
    for id in 1001..=1005 {
        server.post(status(id, id as u32 - 1000, "<p>Routine post</p>", None));
    }
    server.post(reblog(1006, 7));
    let mut poller = Poller::new(SourceKind::MastodonApi, &server.url());

    // Poll 1: the newest page, reblog skipped; the cursor is the newest id, reblog included.
    assert_eq!(poller.ids().await, range(1001, 1005));
    assert_eq!(poller.cursor.as_deref(), Some("1006"));
    assert_eq!(server.take_queries(), ["limit=40"]);

    // Poll 2: three new posts, a reply thread among them.
    server.post(status(
        1007,
        10,
        "<p>We are investigating API errors.</p>",
        None,
    ));
    server.post(status(
        1008,
        12,
        "<p>Identified: a bad deploy.</p>",
        Some(1007),
    ));
    server.post(status(1009, 15, "<p>Resolved.</p>", Some(1008)));
    let polled = poller.poll().await.unwrap();
    assert_eq!(ids(&polled.items), range(1007, 1009));
    let threads: Vec<_> = polled.items.iter().map(|i| i.thread_key.clone()).collect();
    assert!(
        threads.iter().all(|t| t.as_deref() == Some("1007")),
        "{threads:?}"
    );
    assert_eq!(polled.items[2].text, "Resolved.");
    assert_eq!(poller.cursor.as_deref(), Some("1009"));
    assert_eq!(server.take_queries(), ["min_id=1006&limit=40"]);

    // Poll 3: a burst of 95 posts, more than two pages: all of them, oldest first, once.
    for id in 1010..=1104 {
        server.post(status(
            id,
            id as u32 - 990,
            &format!("<p>Post {id}</p>"),
            None,
        ));
    }
    assert_eq!(poller.ids().await, range(1010, 1104));
    assert_eq!(poller.cursor.as_deref(), Some("1104"));
    assert_eq!(
        server.take_queries(),
        [
            "min_id=1009&limit=40",
            "min_id=1049&limit=40",
            "min_id=1089&limit=40"
        ]
    );

    // Poll 4: nothing new, nothing returned, the cursor stays.
    assert!(poller.ids().await.is_empty());
    assert_eq!(poller.cursor.as_deref(), Some("1104"));
}

#[tokio::test]
async fn a_mastodon_burst_beyond_the_page_bound_is_finished_by_the_next_poll() {
    let server = MastodonServer::start().await;
    server.post(status(1, 0, "<p>first</p>", None));
    let mut poller = Poller::new(SourceKind::MastodonApi, &server.url());
    assert_eq!(poller.ids().await, ["1"]);
    let burst = (mastodon_api::PAGE_LIMIT * mastodon_api::MAX_PAGES + 30) as u64;
    for id in 2..=burst + 1 {
        server.post(status(id, 1, "<p>flood</p>", None));
    }
    let bound = (mastodon_api::PAGE_LIMIT * mastodon_api::MAX_PAGES) as u64;
    assert_eq!(poller.ids().await, range(2, bound + 1));
    assert_eq!(server.take_queries().len(), 1 + mastodon_api::MAX_PAGES);
    assert_eq!(poller.ids().await, range(bound + 2, burst + 1));
}

#[tokio::test]
async fn a_mastodon_account_rss_is_read_by_the_feed_kind() {
    let body = String::from_utf8(fixture("mastodon-account-2026-11-24.rss")).unwrap();
    let server = common::feed_server::FeedServer::start(&body).await;
    let mut poller = Poller::new(SourceKind::Feed, &server.url("/@examplestatus.rss"));
    let items = poller.poll().await.unwrap().items;
    assert_eq!(items.len(), 3);
    let newest = &items[0];
    assert_eq!(
        newest.external_id,
        "https://social.example/@examplestatus/113540021765203344"
    );
    assert_eq!(
        newest.published_at.unwrap().to_rfc3339(),
        "2026-11-24T10:48:12+00:00"
    );
    assert!(
        newest
            .text
            .starts_with("Resolved: object storage in fr-par is back to normal, 100\u{a0}%"),
        "{}",
        newest.text
    );
    assert!(!newest.text.contains('<'));
    // Mastodon RSS items have no title: the rules read the text, nothing is stated twice.
    assert_eq!(newest.title, None);
    assert!(items[2]
        .text
        .contains("status.example.com/incidents/k7x2p9"));
}

#[tokio::test]
async fn malformed_mastodon_json_is_a_parse_error_naming_the_url() {
    let app = axum::Router::new().route(
        "/api/v1/accounts/1/statuses",
        axum::routing::get(|| async { r#"[{"id":"1","content":"<p>cut"#.to_string() }),
    );
    let addr = serve(app).await;
    let mut poller = Poller::new(
        SourceKind::MastodonApi,
        &format!("http://{addr}/api/v1/accounts/1/statuses"),
    );
    match poller.poll().await {
        Err(PollError::Parse { url, source, .. }) => {
            assert!(
                url.ends_with("/api/v1/accounts/1/statuses?limit=40"),
                "{url}"
            );
            assert_eq!(source.format, "mastodon_api");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    let err = SourceKind::MastodonApi
        .parse(
            br#"{"error":"This API requires an authenticated user"}"#,
            Utc::now(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("authenticated user"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Bluesky

const BSKY_ROOT: &str = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbqf2xvzkc2a";

fn bluesky_url(server: &common::feed_server::FeedServer) -> String {
    server.url("/xrpc/app.bsky.feed.getAuthorFeed?actor=status.example.com")
}

#[tokio::test]
async fn a_bluesky_author_feed_skips_reposts_and_keys_the_reply_thread_on_its_root() {
    let body = String::from_utf8(fixture("bluesky-getauthorfeed-2026-11-24-thread.json")).unwrap();
    let server = common::feed_server::FeedServer::start(&body).await;
    let mut poller = Poller::new(SourceKind::Bluesky, &bluesky_url(&server));
    let items = poller.poll().await.unwrap().items;

    // The repost of someone else's post is not an item; the rest comes oldest first.
    let rkeys: Vec<&str> = items
        .iter()
        .map(|i| i.external_id.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        rkeys,
        [
            "3lbpzk7ohwc2x",
            "3lbqf2xvzkc2a",
            "3lbqfdq4vbs2b",
            "3lbqfluwqis2c"
        ]
    );
    assert!(items.iter().all(|i| !i.text.contains("flaky")));
    // The thread (root, reply, reply to the reply) shares the root's uri; the lone post has none.
    let threads: Vec<Option<&str>> = items.iter().map(|i| i.thread_key.as_deref()).collect();
    assert_eq!(
        threads,
        [None, Some(BSKY_ROOT), Some(BSKY_ROOT), Some(BSKY_ROOT)]
    );
    let resolved = &items[3];
    assert_eq!(
        resolved.text,
        "Resolved: object storage is back to normal since 10:41 UTC. Postmortem to follow."
    );
    assert_eq!(
        resolved.published_at.unwrap().to_rfc3339(),
        "2026-11-24T10:48:12.650+00:00"
    );
    assert_eq!(
        resolved.url.as_deref(),
        Some("https://bsky.app/profile/status.example.com/post/3lbqfluwqis2c")
    );
    assert_eq!(resolved.lang.as_deref(), Some("en"));
    assert_eq!(resolved.status_label, None);
    // The cursor is the newest entry's indexing time, the repost's included.
    assert_eq!(poller.cursor.as_deref(), Some("2026-11-24T10:55:03.118Z"));

    // Nothing new: nothing returned, cursor kept.
    assert!(poller.poll().await.unwrap().items.is_empty());
    assert_eq!(poller.cursor.as_deref(), Some("2026-11-24T10:55:03.118Z"));

    // A new post on top: only it.
    let mut doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut newer = doc["feed"][3].clone();
    newer["post"]["uri"] =
        "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbqgaaaaaa2e".into();
    newer["post"]["record"]["text"] = "Postmortem: what happened to object storage.".into();
    newer["post"]["record"]["createdAt"] = "2026-11-24T14:00:00.000Z".into();
    newer["post"]["indexedAt"] = "2026-11-24T14:00:00.812Z".into();
    doc["feed"].as_array_mut().unwrap().insert(0, newer);
    server.set_body(&doc.to_string());
    let items = poller.poll().await.unwrap().items;
    assert_eq!(
        ids(&items),
        ["at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3lbqgaaaaaa2e"]
    );
    assert_eq!(poller.cursor.as_deref(), Some("2026-11-24T14:00:00.812Z"));
}

/// An author feed on loopback that pages like the AppView: newest first, `limit`, an opaque
/// `cursor` to the next (older) page; entries can be added while the test runs.
#[derive(Clone, Default)]
struct BskyFeed {
    /// Newest first.
    entries: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    pages: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl BskyFeed {
    fn post(&self, n: u32) {
        let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
        let at = format!("2026-11-24T{:02}:{:02}:00.000Z", 8 + n / 60, n % 60);
        let entry = serde_json::json!({"post": {
            "uri": format!("at://{did}/app.bsky.feed.post/3lbq{n:09}"),
            "cid": "bafyreib2rxk3rw6putwqqh5qdmj5yg6rl6tm5oa3wsujyxqeoyalrg5qhm",
            "author": {"did": did, "handle": "status.example.com"},
            "record": {"$type": "app.bsky.feed.post", "text": format!("post {n}"), "createdAt": at},
            "indexedAt": at
        }});
        self.entries.lock().unwrap().insert(0, entry);
    }

    async fn serve(&self) -> String {
        let feed = self.clone();
        let app = axum::Router::new().route(
            "/xrpc/app.bsky.feed.getAuthorFeed",
            axum::routing::get(
                move |q: axum::extract::Query<std::collections::HashMap<String, String>>| {
                    let feed = feed.clone();
                    async move {
                        feed.pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let from: usize = q.get("cursor").map_or(0, |c| c.parse().unwrap());
                        let limit: usize = q.get("limit").map_or(50, |l| l.parse().unwrap());
                        let all = feed.entries.lock().unwrap().clone();
                        let to = (from + limit).min(all.len());
                        let mut doc = serde_json::json!({ "feed": all[from.min(to)..to] });
                        if to < all.len() {
                            doc["cursor"] = to.to_string().into();
                        }
                        doc.to_string()
                    }
                },
            ),
        );
        let addr = serve(app).await;
        format!("http://{addr}/xrpc/app.bsky.feed.getAuthorFeed?actor=status.example.com")
    }

    fn take_pages(&self) -> usize {
        self.pages.swap(0, std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_bluesky_burst_is_read_back_page_by_page_to_what_was_seen() {
    let feed = BskyFeed::default();
    for n in 0..60 {
        feed.post(n);
    }
    let mut poller = Poller::new(SourceKind::Bluesky, &feed.serve().await);
    let text =
        |items: &[FetchedItem]| -> Vec<String> { items.iter().map(|i| i.text.clone()).collect() };
    let posts =
        |from: u32, to: u32| -> Vec<String> { (from..=to).map(|n| format!("post {n}")).collect() };

    // First poll: the newest page only (50 of 60).
    assert_eq!(text(&poller.poll().await.unwrap().items), posts(10, 59));
    assert_eq!(feed.take_pages(), 1);

    // 120 new posts: three pages back, the third reaching what was seen; each new post once.
    for n in 60..180 {
        feed.post(n);
    }
    assert_eq!(text(&poller.poll().await.unwrap().items), posts(60, 179));
    assert_eq!(feed.take_pages(), 3);
    assert_eq!(poller.cursor.as_deref(), Some("2026-11-24T10:59:00.000Z"));

    // Nothing new: one page, nothing returned.
    assert!(poller.poll().await.unwrap().items.is_empty());
    assert_eq!(feed.take_pages(), 1);
}

// ---------------------------------------------------------------------------------------------
// Hosted status pages

#[tokio::test]
async fn better_stack_titles_lose_their_bracketed_status_which_becomes_the_label() {
    let body = String::from_utf8(fixture("betterstack-feed-2026-11-24.rss")).unwrap();
    let server = common::feed_server::FeedServer::start(&body).await;
    let mut poller = Poller::new(SourceKind::Betterstack, &server.url("/feed.rss"));
    let items = poller.poll().await.unwrap().items;
    let got: Vec<(&str, Option<&str>, Option<Phase>)> = items
        .iter()
        .map(|i| (i.external_id.as_str(), i.title.as_deref(), i.status_label))
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://status.example.com/incidents/98712#2026-11-23T16:02:40Z",
                Some("Database upgrade"),
                Some(Phase::MaintenanceScheduled)
            ),
            (
                "https://status.example.com/incidents/98765#update-11111",
                Some("API outage"),
                Some(Phase::Investigating)
            ),
            (
                "https://status.example.com/incidents/98765#update-11112",
                Some("API outage"),
                None
            ),
            (
                "https://status.example.com/incidents/98765#update-11113",
                Some("API outage"),
                Some(Phase::Resolved)
            ),
        ]
    );
    // The rules read the message, with no bracketed word left to state the phase twice.
    for i in &items {
        assert!(!i.text.contains('['), "{}", i.text);
        assert!(!i.title.as_deref().unwrap_or("").contains('['));
    }
    assert_eq!(
        items[3].text,
        "The API is fully operational again. All requests have succeeded since 10:41 UTC."
    );
    // One incident's updates share its link as their thread key.
    assert!(items[1..]
        .iter()
        .all(|i| i.thread_key.as_deref() == Some("https://status.example.com/incidents/98765")));
    assert_eq!(
        items[0].thread_key.as_deref(),
        Some("https://status.example.com/incidents/98712")
    );
    assert_eq!(
        statustrail::sources::sniff(body.as_bytes()),
        Some(SourceKind::Betterstack)
    );
}

#[tokio::test]
async fn instatus_capital_statuses_become_labels_one_item_per_event_and_status() {
    let body = String::from_utf8(fixture("instatus-summary-2026-11-24.json")).unwrap();
    let server = common::feed_server::FeedServer::start(&body).await;
    let mut poller = Poller::new(SourceKind::Instatus, &server.url("/summary.json"));
    let items = poller.poll().await.unwrap().items;
    assert_eq!(
        common::label_counts(&items),
        "identified=1 investigating=1 maintenance_scheduled=1"
    );
    let identified = items
        .iter()
        .find(|i| i.status_label == Some(Phase::Identified))
        .unwrap();
    assert_eq!(
        identified.external_id,
        "https://status.example.com/incident/cm3x8n3070721qtmzvts760c4#IDENTIFIED"
    );
    assert_eq!(
        identified.thread_key.as_deref(),
        Some("cm3x8n3070721qtmzvts760c4")
    );
    assert_eq!(identified.text, "We're facing an issue with our API");
    // Only the first status is dated by the event's start; a later one by the poll.
    assert_eq!(identified.published_at, None);
    let investigating = items
        .iter()
        .find(|i| i.status_label == Some(Phase::Investigating))
        .unwrap();
    assert_eq!(
        investigating.published_at.unwrap().to_rfc3339(),
        "2026-11-24T11:02:05+00:00"
    );
    assert_eq!(
        statustrail::sources::sniff(body.as_bytes()),
        Some(SourceKind::Instatus)
    );
}

#[tokio::test]
async fn incident_io_widget_events_become_their_latest_update() {
    let body = String::from_utf8(fixture("incident-io-widget-2026-11-24.json")).unwrap();
    let server = common::feed_server::FeedServer::start(&body).await;
    let mut poller = Poller::new(SourceKind::IncidentIo, &server.url("/proxy/widget"));
    let items = poller.poll().await.unwrap().items;
    let got: Vec<(&str, Option<Phase>)> = items
        .iter()
        .map(|i| (i.external_id.as_str(), i.status_label))
        .collect();
    assert_eq!(
        got,
        [
            (
                "01JDHS7N1V0B9C8X2M4K6Q3WTE#2026-11-23T16:02:40.000Z",
                Some(Phase::MaintenanceScheduled)
            ),
            (
                "01JDHQ4ZK8V9T6YQW3N2B7X5RM#2026-11-24T10:39:26.114Z",
                Some(Phase::Monitoring)
            ),
            (
                "01JDHR0C3M5K2Q8W1Z7T4E6YPA#2026-11-24T22:00:04.000Z",
                Some(Phase::MaintenanceStarted)
            ),
        ]
    );
    assert!(items[1].text.starts_with("A fix has been deployed"));
    assert_eq!(items[1].title.as_deref(), Some("Elevated API latency"));
    assert_eq!(
        items[1].thread_key.as_deref(),
        Some("01JDHQ4ZK8V9T6YQW3N2B7X5RM")
    );
    assert_eq!(
        statustrail::sources::sniff(body.as_bytes()),
        Some(SourceKind::IncidentIo)
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn hostile_documents_are_parse_errors_naming_their_format_never_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: &[(SourceKind, &str, &[u8])] = &[
        (
            SourceKind::MastodonApi,
            "mastodon_api",
            b"[{\"id\": \"1\", \"content\": ",
        ),
        (
            SourceKind::MastodonApi,
            "mastodon_api",
            b"\"just a string\"",
        ),
        (
            SourceKind::MastodonApi,
            "mastodon_api",
            br#"[{"id": 1, "content": "numeric id"}]"#,
        ),
        (
            SourceKind::MastodonApi,
            "mastodon_api",
            br#"[{"id": "1", "created_at": "yesterday"}]"#,
        ),
        (SourceKind::MastodonApi, "mastodon_api", deep.as_bytes()),
        (SourceKind::Bluesky, "bluesky", b"{\"feed\": [{\"post\": "),
        (SourceKind::Bluesky, "bluesky", b"[]"),
        (SourceKind::Bluesky, "bluesky", b""),
        (SourceKind::Bluesky, "bluesky", deep.as_bytes()),
        (
            SourceKind::Betterstack,
            "betterstack",
            b"<rss><channel><item><title>[Resolved",
        ),
        (
            SourceKind::Instatus,
            "instatus",
            b"{\"activeIncidents\": [}",
        ),
        (SourceKind::Instatus, "instatus", b"{}"),
        (
            SourceKind::IncidentIo,
            "incident_io",
            b"\xff\xfe\x00garbage",
        ),
        (
            SourceKind::IncidentIo,
            "incident_io",
            br#"{"page_title": "x"}"#,
        ),
    ];
    for (kind, format, bytes) in cases {
        let err = match kind.parse(bytes, Utc::now()) {
            Ok(items) => panic!(
                "{kind:?} accepted {:?} as {} items",
                String::from_utf8_lossy(&bytes[..bytes.len().min(40)]),
                items.len()
            ),
            Err(e) => e,
        };
        assert_eq!(err.format, *format, "{err}");
        assert!(!err.message.is_empty());
    }
}

#[test]
fn odd_but_valid_documents_parse_to_nothing_rather_than_fail() {
    assert!(SourceKind::MastodonApi
        .parse(b"[]", Utc::now())
        .unwrap()
        .is_empty());
    assert!(SourceKind::Bluesky
        .parse(
            br#"{"feed": [{"post": {"uri": 5}}, {"reason": null}, 7]}"#,
            Utc::now()
        )
        .unwrap()
        .is_empty());
    assert!(SourceKind::IncidentIo
        .parse(
            br#"{"ongoing_incidents": [{"name": "no id"}], "scheduled_maintenances": null}"#,
            Utc::now()
        )
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// Through the pipeline: store, statements, timeline

async fn pipeline(
    db_url: &str,
    kind: &str,
    url: &str,
) -> (
    statustrail::pipeline::Pipeline,
    std::sync::Arc<dyn statustrail::store::Store>,
) {
    use std::sync::Arc;
    let toml = format!(
        "[database]\nurl = \"{db_url}\"\n[[provider]]\nname = \"acme\"\nlang = \"en\"\n\
         [[provider.source]]\nkind = \"{kind}\"\nurl = \"{url}\"\ninterval = \"1m\"\n"
    );
    let cfg = statustrail::config::Config::from_toml(&toml).expect("test config is valid");
    let store: Arc<dyn statustrail::store::Store> = Arc::from(
        statustrail::store::connect(db_url)
            .await
            .expect("store opens"),
    );
    let rules = Arc::new(statustrail::extract::Extractor::bundled().expect("rules load"));
    let p = statustrail::pipeline::Pipeline::new(&cfg, store.clone(), rules)
        .await
        .expect("pipeline builds");
    (p, store)
}

/// A provider's reply thread read over three polls is one incident (the last reply names its
/// parent, read a poll earlier, not the root), and the cursor is stored.
async fn a_mastodon_reply_thread_over_three_polls_is_one_incident(db_url: &str) {
    let server = MastodonServer::start().await;
    server.post(status(
        1001,
        0,
        "<p>New blog post: our autumn release.</p>",
        None,
    ));
    server.post(status(
        1002,
        10,
        "<p>We are investigating elevated error rates on the API.</p>",
        None,
    ));
    let (p, store) = pipeline(db_url, "mastodon_api", &server.url()).await;
    let src = p.sources[0].clone();
    assert_eq!(p.poll_source(&src).await.unwrap().items_new, 2);
    let opened = store.incidents(Some("acme")).await.unwrap();
    assert_eq!(opened.len(), 1, "{opened:#?}");

    server.post(status(
        1003,
        200,
        "<p>The issue has been identified and a fix is being implemented.</p>",
        Some(1002),
    ));
    assert_eq!(p.poll_source(&src).await.unwrap().items_new, 1);
    // Resolved more than the quiet gap (6 h) after the last update: only the thread keeps it in.
    server.post(status(
        1004,
        600,
        "<p>This incident has been resolved.</p>",
        Some(1003),
    ));
    assert_eq!(p.poll_source(&src).await.unwrap().items_new, 1);

    let row = store.source(src.source.id).await.unwrap().unwrap();
    assert_eq!(row.cursor.as_deref(), Some("1004"));
    let incidents = store.incidents(Some("acme")).await.unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(
        incidents[0].id, opened[0].id,
        "the incident survived its replies"
    );
    assert_eq!(incidents[0].last_phase, Some(Phase::Resolved));
    let events = store.incident_events(incidents[0].id).await.unwrap();
    assert!(events.len() >= 3, "{events:#?}");
}

/// Better Stack's bracketed word is stored as a `source:betterstack` statement.
async fn better_stack_status_words_are_stored_as_source_statements(db_url: &str) {
    let body = String::from_utf8(fixture("betterstack-feed-2026-11-24.rss")).unwrap();
    let server = common::feed_server::FeedServer::start(&body).await;
    let (p, store) = pipeline(db_url, "betterstack", &server.url("/feed.rss")).await;
    let src = p.sources[0].clone();
    assert_eq!(p.poll_source(&src).await.unwrap().items_new, 4);
    let posts = store.provider_posts(src.provider.row.id).await.unwrap();
    let resolved = posts
        .iter()
        .find(|p| p.post.external_id.ends_with("#update-11113"))
        .unwrap();
    assert!(resolved.statements.iter().any(|s| {
        s.statement.rule_id == "source:betterstack" && s.statement.phase() == Some(Phase::Resolved)
    }));
    let incidents = store.incidents(Some("acme")).await.unwrap();
    let outage = incidents
        .iter()
        .find(|i| i.title.as_deref() == Some("API outage"))
        .unwrap_or_else(|| panic!("{incidents:#?}"));
    assert_eq!(outage.last_phase, Some(Phase::Resolved));
}

#[tokio::test]
async fn sqlite_a_mastodon_reply_thread_over_three_polls_is_one_incident() {
    let dir = tempfile::tempdir().unwrap();
    a_mastodon_reply_thread_over_three_polls_is_one_incident(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_a_mastodon_reply_thread_over_three_polls_is_one_incident() {
    let Some(db) = common::TestPg::create("social_thread").await else {
        return;
    };
    a_mastodon_reply_thread_over_three_polls_is_one_incident(db.url()).await;
}

#[tokio::test]
async fn sqlite_better_stack_status_words_are_stored_as_source_statements() {
    let dir = tempfile::tempdir().unwrap();
    better_stack_status_words_are_stored_as_source_statements(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_better_stack_status_words_are_stored_as_source_statements() {
    let Some(db) = common::TestPg::create("social_betterstack").await else {
        return;
    };
    better_stack_status_words_are_stored_as_source_statements(db.url()).await;
}
