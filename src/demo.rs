//! `statustrail demo`: replays a bundled incident end to end on loopback. A local HTTP server plays
//! a French hoster's social account (through an RSS bridge) that posts as the outage unfolds; the
//! real poller reads it into a fresh SQLite database, the rules extract phases and percentages,
//! and the timeline is printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::config::Config;
use crate::extract::Extractor;
use crate::pipeline::Pipeline;
use crate::store;

/// The bundled feed: newest first, as RSS bridges render an account.
pub const DEMO_FEED: &str = include_str!("../examples/demo/hebergeur-social.rss");

/// A feed that reveals its items oldest first, one step at a time, answering conditional GETs.
#[derive(Clone)]
pub struct ReplayFeed {
    head: Arc<str>,
    /// Items oldest first.
    items: Arc<Vec<String>>,
    tail: Arc<str>,
    shown: Arc<AtomicUsize>,
}

impl ReplayFeed {
    /// Splits an RSS document into its items (kept verbatim).
    pub fn new(rss: &str) -> ReplayFeed {
        let first = rss.find("<item>").unwrap_or(rss.len());
        let last = rss.rfind("</item>").map_or(first, |i| i + "</item>".len());
        let mut items: Vec<String> = rss[first..last]
            .split_inclusive("</item>")
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        items.reverse();
        ReplayFeed {
            head: rss[..first].into(),
            items: Arc::new(items),
            tail: rss[last..].into(),
            shown: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Shows the `n` oldest items from now on.
    pub fn show(&self, n: usize) {
        self.shown.store(n.min(self.items.len()), Ordering::SeqCst);
    }

    /// The document as it stands now (newest first).
    pub fn document(&self) -> String {
        let n = self.shown.load(Ordering::SeqCst);
        let mut doc = String::from(&*self.head);
        for item in self.items[..n].iter().rev() {
            doc.push_str(item);
            doc.push('\n');
        }
        doc.push_str(&self.tail);
        doc
    }

    /// Serves the feed on 127.0.0.1 (port chosen by the system) until the process ends.
    pub async fn serve(&self) -> std::io::Result<SocketAddr> {
        let app = Router::new()
            .route("/@support/rss", get(serve_feed))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(addr)
    }
}

async fn serve_feed(State(feed): State<ReplayFeed>, headers: HeaderMap) -> Response {
    let doc = feed.document();
    let etag = format!("\"{:x}\"", fxhash(&doc));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "application/rss+xml; charset=utf-8".to_string(),
            ),
            (header::ETAG, etag),
        ],
        doc,
    )
        .into_response()
}

fn fxhash(s: &str) -> u64 {
    // FNV-1a: a stable, dependency-free validator for the demo server.
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Runs the demo, writing progress and the final timeline to `out`. The database goes to `db`
/// when given, else to a temporary directory removed at the end.
pub async fn run(
    db: Option<&Path>,
    extractor: Arc<Extractor>,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let db_path: PathBuf = db.map_or_else(|| tmp.path().join("demo.db"), Path::to_path_buf);
    let feed = ReplayFeed::new(DEMO_FEED);
    let addr = feed.serve().await?;
    let url = format!("http://{addr}/@support/rss");
    let cfg = Config::from_toml(&format!(
        r#"
        [database]
        url = "sqlite://{}"
        [[provider]]
        name = "hebergeur"
        display_name = "Hébergeur Exemple"
        timezone = "Europe/Paris"
        lang = "fr"
        [[provider.source]]
        kind = "feed"
        url = "{url}"
        interval = "1m"
        "#,
        db_path.display()
    ))?;
    writeln!(
        out,
        "statustrail demo — replaying a bundled French outage on loopback"
    )?;
    writeln!(out, "  feed     {url}")?;
    writeln!(out, "  database {}\n", db_path.display())?;

    let store: Arc<dyn store::Store> = Arc::from(store::connect(cfg.database.url.expose()).await?);
    let pipeline = Pipeline::new(&cfg, store.clone(), extractor).await?;
    let source = pipeline.sources[0].clone();
    for step in 1..=feed.len() {
        feed.show(step);
        for attempt in 0..2 {
            let s = pipeline.poll_source(&source).await?;
            writeln!(
                out,
                "  poll {step}.{attempt}: {:<12} {} item(s) seen, {} new, {} changed{}",
                s.outcome,
                s.items_seen,
                s.items_new,
                s.items_changed,
                s.error.map(|e| format!(" — {e}")).unwrap_or_default()
            )?;
        }
    }
    writeln!(out)?;
    let timelines = crate::report::load(store.as_ref(), None, None).await?;
    write!(out, "{}", crate::report::render(&timelines))?;
    Ok(())
}
