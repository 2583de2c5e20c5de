//! Polling over real HTTP on loopback: a Statuspage incident growing across polls, and what the
//! fetcher does with 429, oversized compressed bodies, redirect loops, legacy encodings and
//! undated items.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use common::serve;
use statustrail::config::HttpConfig;
use statustrail::model::Phase;
use statustrail::sources::fetch::{ErrorClass, Fetcher, Validators};
use statustrail::sources::{PollError, PollRequest, SourceKind};
use url::Url;

fn request(url: String) -> PollRequest {
    PollRequest {
        url: Url::parse(&url).unwrap(),
        validators: Validators::default(),
        cursor: None,
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(&HttpConfig {
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    })
    .unwrap()
}

/// A history.rss in Statuspage's markup holding the first `n` updates of one incident, newest
/// first, as the page rewrites its item at every update.
fn history_rss(n: usize) -> String {
    let updates = [
        (
            "10:02",
            "Investigating",
            "We are investigating elevated error rates on the API.",
        ),
        (
            "10:40",
            "Identified",
            "The issue has been identified and a fix is being implemented.",
        ),
        (
            "11:15",
            "Update",
            "About half of the affected requests succeed again.",
        ),
        ("11:58", "Resolved", "This incident has been resolved."),
    ];
    let mut desc = String::new();
    for (time, label, text) in updates[..n].iter().rev() {
        desc.push_str(&format!(
            "<p><small>Mar <var data-var='date'>3</var>, <var data-var='time'>{time}</var> UTC</small><br><strong>{label}</strong> - {text}</p>"
        ));
    }
    let escaped = desc
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example Status - Incident History</title><link>https://status.example.com</link><description>Statuspage</description>
<item><title>Elevated API errors</title><description>{escaped}</description><pubDate>Tue, 03 Mar 2026 10:02:11 +0000</pubDate><link>https://status.example.com/incidents/k7x2p9</link><guid>https://status.example.com/incidents/k7x2p9</guid></item>
</channel></rss>"#
    )
}

#[tokio::test]
async fn an_incident_gaining_updates_across_polls_yields_one_stable_item_per_update() {
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    let app = Router::new().route(
        "/history.rss",
        get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            // Poll 1: two updates, poll 2: three, poll 3 and later: four.
            async move { history_rss((n + 2).min(4)) }
        }),
    );
    let addr = serve(app).await;
    let f = fetcher();
    let req = request(format!("http://{addr}/history.rss"));
    let mut seen: Vec<Vec<(String, Option<Phase>)>> = Vec::new();
    for _ in 0..4 {
        let polled = SourceKind::StatuspageFeed.poll(&f, &req).await.unwrap();
        seen.push(
            polled
                .items
                .iter()
                .map(|i| (i.external_id.clone(), i.status_label))
                .collect(),
        );
    }
    let all = vec![
        (
            "k7x2p9#2026-03-03T10:02Z#investigating".to_string(),
            Some(Phase::Investigating),
        ),
        (
            "k7x2p9#2026-03-03T10:40Z#identified".to_string(),
            Some(Phase::Identified),
        ),
        ("k7x2p9#2026-03-03T11:15Z#update".to_string(), None),
        (
            "k7x2p9#2026-03-03T11:58Z#resolved".to_string(),
            Some(Phase::Resolved),
        ),
    ];
    assert_eq!(seen[0], all[..2]);
    assert_eq!(seen[1], all[..3]);
    assert_eq!(seen[2], all);
    assert_eq!(seen[3], all, "a re-poll gives back the same ids");
    assert_eq!(polls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_and_is_retryable() {
    let app = Router::new().route(
        "/api/v2/incidents.json",
        get(|| async {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "120")],
                "slow down",
            )
        }),
    );
    let addr = serve(app).await;
    let err = SourceKind::StatuspageApi
        .poll(
            &fetcher(),
            &request(format!("http://{addr}/api/v2/incidents.json")),
        )
        .await
        .unwrap_err();
    let PollError::Fetch(e) = err else {
        panic!("expected a fetch error, got {err}")
    };
    assert_eq!(e.class, ErrorClass::HttpStatus);
    assert_eq!(e.status, Some(429));
    assert_eq!(e.retry_after, Some(Duration::from_secs(120)));
    assert!(e.is_retryable());
}

#[tokio::test]
async fn a_gzip_body_over_the_cap_is_too_large_even_with_a_small_content_length() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 4 * 1024 * 1024]).unwrap();
    let compressed = gz.finish().unwrap();
    assert!(compressed.len() < 64 * 1024);
    let app = Router::new().route(
        "/feed.xml",
        get(move || {
            let body = compressed.clone();
            async move {
                (
                    [
                        (header::CONTENT_ENCODING, "gzip"),
                        (header::CONTENT_TYPE, "application/rss+xml"),
                    ],
                    body,
                )
            }
        }),
    );
    let addr = serve(app).await;
    let f = Fetcher::new(&HttpConfig {
        max_body_bytes: 1024 * 1024,
        ..HttpConfig::default()
    })
    .unwrap();
    let err = SourceKind::Feed
        .poll(&f, &request(format!("http://{addr}/feed.xml")))
        .await
        .unwrap_err();
    let PollError::Fetch(e) = err else {
        panic!("expected a fetch error, got {err}")
    };
    assert_eq!(e.class, ErrorClass::TooLarge);
    assert!(e.bytes.unwrap() > 1024 * 1024);
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_redirect_loop_is_a_redirect_error_with_the_hops_counted() {
    let app = Router::new()
        .route("/a", get(|| async { Redirect::temporary("/b") }))
        .route("/b", get(|| async { Redirect::temporary("/c") }))
        .route("/c", get(|| async { Redirect::temporary("/a") }));
    let addr = serve(app).await;
    let err = fetcher()
        .get(
            &Url::parse(&format!("http://{addr}/a")).unwrap(),
            &Validators::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Redirect);
    assert_eq!(err.redirects, 2, "a→b and b→c followed, c→a refused");
    assert!(err.message.contains("loop"), "{}", err.message);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_feed_in_a_legacy_encoding_is_decoded_and_an_undated_item_has_no_date() {
    // "Incident réseau" and "Résolu à 90 %" in ISO-8859-1, as the prolog declares.
    let mut doc: Vec<u8> = Vec::new();
    doc.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>Statut</title>\n");
    doc.extend_from_slice(b"<item><guid>a1</guid><title>Incident r\xe9seau</title><description>R\xe9solu \xe0 90 %</description><pubDate>Tue, 24 Nov 2026 10:31:00 +0100</pubDate></item>\n");
    doc.extend_from_slice(b"<item><guid>a2</guid><title>Sans date</title><description>Pas de date \xe9crite</description></item>\n");
    doc.extend_from_slice(b"</channel></rss>");
    let app = Router::new().route(
        "/rss",
        get(move || {
            let body = doc.clone();
            async move {
                let mut h = HeaderMap::new();
                h.insert(header::CONTENT_TYPE, "application/rss+xml".parse().unwrap());
                (h, body).into_response()
            }
        }),
    );
    let addr = serve(app).await;
    let polled = SourceKind::Feed
        .poll(&fetcher(), &request(format!("http://{addr}/rss")))
        .await
        .unwrap();
    let items = polled.items;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].title.as_deref(), Some("Incident réseau"));
    assert_eq!(items[0].text, "Résolu à 90 %");
    assert_eq!(
        items[0].published_at.unwrap().to_rfc3339(),
        "2026-11-24T09:31:00+00:00"
    );
    assert_eq!(items[1].text, "Pas de date écrite");
    assert_eq!(items[1].published_at, None);
}
