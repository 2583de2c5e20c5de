//! The backbone end to end, on SQLite and PostgreSQL: a real feed server on loopback, the real
//! poller, the real store, the bundled rules and the timeline.

mod common;

use std::sync::Arc;

use statustrail::config::Config;
use statustrail::extract::Extractor;
use statustrail::model::Phase;
use statustrail::pipeline::Pipeline;
use statustrail::store::{self, Store};

use common::feed_server::FeedServer;

const DO_RSS: &str = include_str!("fixtures/feeds/digitalocean-history-2020-01-05.rss");

fn config(db_url: &str, sources: &[(&str, String)]) -> Config {
    let mut toml = format!(
        "[database]\nurl = \"{db_url}\"\n[[provider]]\nname = \"acme\"\ntimezone = \"Europe/Paris\"\n"
    );
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

async fn conditional_get_stores_nothing_twice_and_keeps_versions(db_url: &str) {
    let server = FeedServer::start(DO_RSS).await;
    let (p, store) = pipeline(db_url, &[("feed", server.url("/history.rss"))]).await;
    let src = p.sources[0].clone();

    let first = p.poll_source(&src).await.unwrap();
    assert_eq!(first.outcome, "ok");
    assert_eq!((first.items_seen, first.items_new), (25, 25));

    let second = p.poll_source(&src).await.unwrap();
    assert_eq!(second.outcome, "not_modified", "the server answered 304");
    assert_eq!((second.items_new, second.items_changed), (0, 0));
    assert_eq!(server.hits_not_modified(), 1);

    // The provider rewrites one incident (a new update on top) and publishes a new one.
    let edited = DO_RSS.replacen(
        "&lt;strong&gt;Resolved&lt;/strong&gt; - Our engineering team has resolved the issue with Spaces",
        "&lt;strong&gt;Resolved&lt;/strong&gt; - Our engineering team has fully resolved the issue with Spaces",
        1,
    );
    let edited = edited.replacen(
        "<item>",
        "<item>\n<title>New incident</title><guid>brand-new</guid><pubDate>Sun, 05 Jan 2020 04:00:00 +0000</pubDate><description>We are investigating elevated error rates.</description></item>\n<item>",
        1,
    );
    server.set_body(&edited);
    let third = p.poll_source(&src).await.unwrap();
    assert_eq!((third.items_new, third.items_changed), (1, 1));

    // The document changes without any item changing (a new channel date): a full 200 whose
    // items are all known writes nothing.
    server.set_body(&edited.replacen("03:38:40 +0000", "03:59:59 +0000", 1));
    let fourth = p.poll_source(&src).await.unwrap();
    assert_eq!((fourth.items_new, fourth.items_changed), (0, 0));

    let posts = store
        .provider_posts(p.sources[0].provider.row.id)
        .await
        .unwrap();
    assert_eq!(posts.len(), 26, "25 incidents + 1 new, each stored once");
    let changed: Vec<_> = posts.iter().filter(|p| p.post.version == 2).collect();
    assert_eq!(changed.len(), 1);
    assert!(changed[0].post.text.contains("fully resolved"));
    let new = posts
        .iter()
        .find(|p| p.post.external_id == "brand-new")
        .unwrap();
    assert_eq!(new.post.title.as_deref(), Some("New incident"));
    assert!(new
        .statements
        .iter()
        .any(|s| s.statement.phase() == Some(Phase::Investigating)));

    let row = store.source(src.source.id).await.unwrap().unwrap();
    assert_eq!(row.last_outcome.as_deref(), Some("ok"));
    assert!(row.etag.is_some());
}

async fn a_broken_source_is_recorded_and_the_others_go_on(db_url: &str) {
    let good = FeedServer::start(DO_RSS).await;
    let bad = FeedServer::start("<rss><channel><item><title>cut off").await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (p, store) = pipeline(
        db_url,
        &[
            ("feed", bad.url("/broken.rss")),
            ("feed", format!("http://127.0.0.1:{closed_port}/feed.rss")),
            ("feed", good.url("/history.rss")),
        ],
    )
    .await;
    let results = p.poll_all_once().await.unwrap();
    let outcome = |i: usize| results[i].1.outcome.as_str();
    assert_eq!(
        (outcome(0), outcome(1), outcome(2)),
        ("error", "error", "ok")
    );
    assert_eq!(results[2].1.items_new, 25);

    let rows = store.sources().await.unwrap();
    let by_url = |u: &str| rows.iter().find(|r| r.url.starts_with(u)).unwrap().clone();
    let broken = by_url(&bad.url("/broken.rss"));
    assert_eq!(broken.last_outcome.as_deref(), Some("error"));
    assert!(
        broken.last_error.as_deref().unwrap().contains("parse"),
        "{broken:?}"
    );
    assert_eq!(broken.consecutive_failures, 1);
    assert!(broken.next_poll_at.is_some());
    let unreachable = by_url(&format!("http://127.0.0.1:{closed_port}"));
    assert!(
        unreachable
            .last_error
            .as_deref()
            .unwrap()
            .contains("connect"),
        "{unreachable:?}"
    );
}

#[tokio::test]
async fn sqlite_conditional_get_stores_nothing_twice_and_keeps_versions() {
    let dir = tempfile::tempdir().unwrap();
    conditional_get_stores_nothing_twice_and_keeps_versions(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_conditional_get_stores_nothing_twice_and_keeps_versions() {
    let Some(db) = common::TestPg::create("backbone_cond").await else {
        return;
    };
    conditional_get_stores_nothing_twice_and_keeps_versions(db.url()).await;
}

#[tokio::test]
async fn sqlite_a_broken_source_is_recorded_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    a_broken_source_is_recorded_and_the_others_go_on(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_a_broken_source_is_recorded_and_the_others_go_on() {
    let Some(db) = common::TestPg::create("backbone_broken").await else {
        return;
    };
    a_broken_source_is_recorded_and_the_others_go_on(db.url()).await;
}
