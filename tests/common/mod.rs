//! Helpers shared by the integration tests: fresh databases on both backends, fixtures on disk,
//! and real HTTP servers on loopback.
#![allow(dead_code)]

pub mod feed_server;
pub mod mastodon_server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use statustrail::model::{FetchedItem, Phase};

/// A SQLite database file in `dir` (created on connect).
pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("statustrail.db").display())
}

/// The PostgreSQL server tests use: `STATUSTRAIL_TEST_PG`, else the local one.
fn pg_admin_url() -> String {
    std::env::var("STATUSTRAIL_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh PostgreSQL database for one test, dropped when the test ends.
pub struct TestPg {
    url: String,
    name: String,
}

impl TestPg {
    /// Creates the database, or returns `None` (printing why) when no server answers. Under CI
    /// (`CI` set) a missing server fails the test instead: PostgreSQL tests must run there.
    pub async fn create(test: &str) -> Option<TestPg> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let admin = pg_admin_url();
        let mut conn = match <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var_os("CI").is_some() {
                    panic!("PostgreSQL is required under CI but {admin} is unreachable: {e}");
                }
                eprintln!("skipping {test} on PostgreSQL: {admin} is unreachable ({e})");
                return None;
            }
        };
        let name = format!(
            "st_test_{}_{}_{}",
            test,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("creating a test database");
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        Some(TestPg {
            url: url.to_string(),
            name,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let admin = pg_admin_url();
        let name = self.name.clone();
        // Best effort, on a thread of its own: Drop cannot await, and the test's runtime may be
        // shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sources")
        .join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Serves an axum router on 127.0.0.1 with a port chosen by the system.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// "investigating=3 resolved=1 none=2", sorted by name, for compact golden assertions.
pub fn label_counts(items: &[FetchedItem]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for i in items {
        *counts
            .entry(i.status_label.map(Phase::as_str).unwrap_or("none"))
            .or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn first_last(items: &[FetchedItem]) -> (String, String) {
    let f = |i: Option<&FetchedItem>| {
        i.and_then(|i| i.published_at)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    (f(items.first()), f(items.last()))
}
