//! Shared helpers for the source tests: fixtures on disk and real HTTP servers on loopback.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use statustrail::model::{FetchedItem, Phase};

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
