//! `statustrail demo`: replays a bundled incident end to end on loopback. A local HTTP server plays
//! a French hoster's social account (through an RSS bridge) that posts as the outage unfolds; the
//! real poller reads it into a fresh SQLite database, the rules extract phases and percentages,
//! and the timeline is printed.
//!
//! The measured half: ten loopback "news sites" hosted by the same provider fall at 09:41 and come
//! back on their own schedule ([`DemoSites`]); the real prober probes them minute by minute on
//! the story's clock, so the timeline shows what was measured beside what was said — a "90 %"
//! claimed while six sites in ten answered, a resolution announced before the last one came back.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use chrono::{DateTime, TimeZone, Utc};

use crate::config::Config;
use crate::extract::Extractor;
use crate::measure::Origin;
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
        serve_loopback(
            Router::new()
                .route("/@support/rss", get(serve_feed))
                .with_state(self.clone()),
        )
        .await
    }
}

/// Ten hosted sites that fail and recover on the story's clock (Europe/Paris, 17 Nov 2026).
#[derive(Clone)]
pub struct DemoSites {
    clock: Arc<std::sync::Mutex<DateTime<Utc>>>,
}

/// 17 Nov 2026 at hh:mm Europe/Paris (UTC+1), in UTC.
fn story(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 17, h, m, 0).unwrap() - chrono::Duration::hours(1)
}

impl DemoSites {
    pub const COUNT: usize = 10;

    pub fn new() -> DemoSites {
        DemoSites {
            clock: Arc::new(std::sync::Mutex::new(story(0, 0))),
        }
    }

    /// Whether site `n` (1..=10) answers at `t`: all fall at 09:41; they come back at 11:48
    /// (1–3), 12:15 (4–6), 13:20 (7–8), 14:05 (9) and 15:05 (10). The night before, sites 4 and
    /// 5 blink from 22:10 to 22:20, and nobody posts about it.
    pub fn is_up(n: usize, t: DateTime<Utc>) -> bool {
        let back = match n {
            1..=3 => story(11, 48),
            4..=6 => story(12, 15),
            7 | 8 => story(13, 20),
            9 => story(14, 5),
            _ => story(15, 5),
        };
        let night = chrono::Duration::days(1);
        let blink = (n == 4 || n == 5) && t >= story(22, 10) - night && t < story(22, 20) - night;
        !(blink || (t >= story(9, 41) && t < back))
    }

    pub fn set_clock(&self, t: DateTime<Utc>) {
        *self.clock.lock().expect("clock") = t;
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.clock.lock().expect("clock")
    }

    /// Serves the sites on 127.0.0.1 (port chosen by the system) until the process ends.
    pub async fn serve(&self) -> std::io::Result<SocketAddr> {
        serve_loopback(
            Router::new()
                .route("/site-{n}", get(serve_site))
                .with_state(self.clone()),
        )
        .await
    }
}

impl Default for DemoSites {
    fn default() -> Self {
        DemoSites::new()
    }
}

async fn serve_site(
    State(sites): State<DemoSites>,
    axum::extract::Path(n): axum::extract::Path<usize>,
) -> Response {
    if DemoSites::is_up(n, sites.now()) {
        (
            StatusCode::OK,
            format!("<html><title>Le Quotidien {n}</title><h1>À la une</h1></html>"),
        )
            .into_response()
    } else {
        (StatusCode::BAD_GATEWAY, "502 Bad Gateway").into_response()
    }
}

/// Serves a router on 127.0.0.1, on a port the system chooses, until the process ends.
async fn serve_loopback(app: Router) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
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
    let sites = DemoSites::new();
    let sites_addr = sites.serve().await?;
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
        {targets}
        "#,
        db_path.display(),
        targets = (1..=DemoSites::COUNT)
            .map(|n| format!(
                "[[provider.target]]\nname = \"site-{n:02}\"\nurl = \"http://{sites_addr}/site-{n}\"\n\
                 interval = \"1m\"\ntimeout = \"2s\"\nbody_regex = \"Le Quotidien\"\n"
            ))
            .collect::<String>()
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
    let provider_id = source.provider.row.id;

    // The measured half first: probe the ten sites on the story's clock, every five minutes
    // overnight and every minute from 09:30 to 15:30.
    let mut t = story(21, 55) - chrono::Duration::days(1);
    let (mut rounds, mut down) = (0, 0);
    while t <= story(16, 30) {
        sites.set_clock(t);
        let mut round = Vec::new();
        for target in &pipeline.targets {
            let mut o = pipeline.prober.probe(&target.config).await;
            o.at = t;
            down += usize::from(!o.ok);
            round.push(o);
        }
        store
            .save_observations(provider_id, &round, Origin::Probe)
            .await?;
        rounds += 1;
        let step = if t >= story(9, 30) && t < story(15, 30) {
            1
        } else {
            5
        };
        t += chrono::Duration::minutes(step);
    }
    // The story lies in the past: derive over all of it (a worker derives a recent window).
    pipeline.derive_measures_from(provider_id, None).await?;
    writeln!(
        out,
        "  probes   {} sites × {rounds} rounds on the story's clock ({down} failed)\n",
        pipeline.targets.len()
    )?;

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
    pipeline.derive_measures(provider_id).await?;
    let timelines = crate::report::load(store.as_ref(), None, None).await?;
    write!(out, "{}", crate::report::render(&timelines))?;
    writeln!(out, "Claimed against measured (statustrail incidents):")?;
    let rows = store.claims_vs_measured(None).await?;
    write!(out, "{}", crate::report::render_incidents(&rows))?;
    Ok(())
}
