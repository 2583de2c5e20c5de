//! Sources: the kinds of documents statustrail polls and how each becomes [`FetchedItem`]s.
//!
//! The kinds, by their configuration name (`kind = "…"`):
//!
//! | kind | what it reads | module |
//! |---|---|---|
//! | `feed` | RSS 2.0, Atom, JSON Feed (status pages, Mastodon `@user.rss`, RSS bridges) | [`feed`] |
//! | `statuspage_feed` | Atlassian Statuspage `history.rss` / `history.atom` | [`statuspage_feed`] |
//! | `statuspage_api` | Atlassian Statuspage JSON API v2 | [`statuspage_api`] |
//! | `gcp_incidents` | Google Cloud `incidents.json` | [`gcp`] |
//! | `aws_health` | AWS Health Dashboard JSON | [`aws`] |
//! | `azure_feed` | Azure status RSS | [`azure`] |
//! | `statusio` | status.io public status API | [`statusio`] |
//! | `mastodon_api` | Mastodon account statuses API, paged forward from a cursor | [`mastodon_api`] |
//! | `bluesky` | Bluesky AppView `app.bsky.feed.getAuthorFeed` | [`bluesky`] |
//! | `betterstack` | Better Stack status page `feed.rss` (`[Status] Title` items) | [`betterstack`] |
//! | `instatus` | Instatus status page `summary.json` | [`instatus`] |
//! | `incident_io` | incident.io status page Widget API | [`incident_io`] |
//!
//! Adding a source kind is one file in this folder, one variant of [`SourceKind`] and one arm in
//! [`SourceKind::parse`] (or [`SourceKind::poll`] when the kind needs requests of its own, such as
//! API paging). A kind whose `thread_key` is a reply thread rather than the provider's incident id
//! says so in [`SourceKind::keys_name_incidents`], so the timeline keeps its keys to the source.
//! Network politeness (validators, timeouts, size caps, redirects, backoff) is not a
//! source's business: it lives in [`fetch`], once for all kinds.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

pub mod aws;
pub mod azure;
pub mod betterstack;
pub mod bluesky;
pub mod dates;
pub mod feed;
pub mod fetch;
pub mod gcp;
pub mod import;
pub mod incident_io;
pub mod instatus;
pub mod mastodon_api;
pub mod statusio;
pub mod statuspage_api;
pub mod statuspage_feed;
pub mod text;

pub use crate::model::FetchedItem;
use fetch::{FetchError, Fetched, Fetcher, Validators};

/// The kinds of source a provider can be followed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// RSS 2.0, Atom or JSON Feed: a status page's feed, a social account through an RSS bridge.
    Feed,
    /// Atlassian Statuspage `history.rss` / `history.atom`: one item per incident update.
    StatuspageFeed,
    /// Atlassian Statuspage JSON API v2 (`incidents.json`, `scheduled-maintenances.json`,
    /// `summary.json`).
    StatuspageApi,
    /// Google Cloud `status.cloud.google.com/incidents.json`.
    GcpIncidents,
    /// AWS Health Dashboard JSON: `currentevents` (UTF-16) and the legacy `data.json`.
    AwsHealth,
    /// Azure status RSS (a guid reused across incidents: ids are guid plus date).
    AzureFeed,
    /// status.io public status API.
    Statusio,
    /// Mastodon REST API, an account's statuses (`/api/v1/accounts/{id}/statuses`), paged with
    /// a cursor between polls.
    MastodonApi,
    /// Bluesky public AppView, an account's posts (`app.bsky.feed.getAuthorFeed?actor=…`).
    Bluesky,
    /// Better Stack status page RSS (`/feed.rss`): `[Status] Title` items, one per update.
    Betterstack,
    /// Instatus status page `summary.json` (open incidents and maintenances, capital statuses).
    Instatus,
    /// incident.io status page Widget API (ongoing incidents, maintenances, latest update each).
    IncidentIo,
}

impl SourceKind {
    pub const ALL: [SourceKind; 12] = [
        SourceKind::Feed,
        SourceKind::StatuspageFeed,
        SourceKind::StatuspageApi,
        SourceKind::GcpIncidents,
        SourceKind::AwsHealth,
        SourceKind::AzureFeed,
        SourceKind::Statusio,
        SourceKind::MastodonApi,
        SourceKind::Bluesky,
        SourceKind::Betterstack,
        SourceKind::Instatus,
        SourceKind::IncidentIo,
    ];

    /// The kind configured (and stored) under `name`, if any.
    pub fn from_name(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kind's name in the configuration (`kind = "…"`) and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::StatuspageFeed => "statuspage_feed",
            SourceKind::StatuspageApi => "statuspage_api",
            SourceKind::GcpIncidents => "gcp_incidents",
            SourceKind::AwsHealth => "aws_health",
            SourceKind::AzureFeed => "azure_feed",
            SourceKind::Statusio => "statusio",
            SourceKind::MastodonApi => "mastodon_api",
            SourceKind::Bluesky => "bluesky",
            SourceKind::Betterstack => "betterstack",
            SourceKind::Instatus => "instatus",
            SourceKind::IncidentIo => "incident_io",
        }
    }

    /// The rule id of the statement a source's own status label becomes (`source:<kind>`). Kinds
    /// reading the same page through different documents share one: both Statuspage kinds are
    /// `source:statuspage`.
    pub fn label_rule_id(self) -> String {
        match self {
            SourceKind::StatuspageFeed | SourceKind::StatuspageApi => {
                statuspage_feed::LABEL_RULE_ID.to_string()
            }
            other => format!("source:{}", other.as_str()),
        }
    }

    /// Whether this kind's `thread_key` is the provider's own incident id, the same whichever of
    /// the provider's sources carries it (a Statuspage incident code read from the history feed
    /// or the API), rather than a reply thread that only means something within one source.
    pub fn keys_name_incidents(self) -> bool {
        !matches!(
            self,
            SourceKind::Feed | SourceKind::MastodonApi | SourceKind::Bluesky
        )
    }

    /// Parses one fetched document of this kind.
    pub fn parse(
        self,
        bytes: &[u8],
        fetched_at: DateTime<Utc>,
    ) -> Result<Vec<FetchedItem>, ParseError> {
        match self {
            SourceKind::Feed => feed::parse(bytes, fetched_at),
            SourceKind::StatuspageFeed => statuspage_feed::parse(bytes, fetched_at),
            SourceKind::StatuspageApi => statuspage_api::parse(bytes, fetched_at),
            SourceKind::GcpIncidents => gcp::parse(bytes, fetched_at),
            SourceKind::AwsHealth => aws::parse(bytes, fetched_at),
            SourceKind::AzureFeed => azure::parse(bytes, fetched_at),
            SourceKind::Statusio => statusio::parse(bytes, fetched_at),
            SourceKind::MastodonApi => mastodon_api::parse(bytes, fetched_at),
            SourceKind::Bluesky => bluesky::parse(bytes, fetched_at),
            SourceKind::Betterstack => betterstack::parse(bytes, fetched_at),
            SourceKind::Instatus => instatus::parse(bytes, fetched_at),
            SourceKind::IncidentIo => incident_io::parse(bytes, fetched_at),
        }
    }

    /// Polls a source of this kind once: fetch (conditionally) and parse.
    pub async fn poll(self, fetcher: &Fetcher, req: &PollRequest) -> Result<Polled, PollError> {
        match self {
            SourceKind::MastodonApi => mastodon_api::poll(fetcher, req).await,
            SourceKind::Bluesky => bluesky::poll(fetcher, req).await,
            _ => self.poll_document(fetcher, req).await,
        }
    }

    /// One conditional GET of the configured URL, parsed as a whole document.
    async fn poll_document(
        self,
        fetcher: &Fetcher,
        req: &PollRequest,
    ) -> Result<Polled, PollError> {
        let fetched = fetcher.get(&req.url, &req.validators).await?;
        let items = match &fetched.body {
            None => Vec::new(),
            Some(body) => {
                self.parse(body, fetched.fetched_at)
                    .map_err(|source| PollError::Parse {
                        url: req.url.to_string(),
                        fetched: Box::new(fetched.clone()),
                        source,
                    })?
            }
        };
        Ok(Polled {
            items,
            cursor: req.cursor.clone(),
            fetched,
        })
    }
}

/// Parses a document of any format the pollers accept, recognising it from its bytes. Used by the
/// offline `extract` command and by imports.
pub fn parse_document(
    bytes: &[u8],
    fetched_at: DateTime<Utc>,
) -> Result<Vec<FetchedItem>, ParseError> {
    match sniff(bytes) {
        Some(kind) => kind.parse(bytes, fetched_at),
        None => Err(ParseError::new(
            "unknown",
            "not a feed or a known status JSON document",
        )),
    }
}

/// Recognises a document's kind from its bytes (any encoding with a BOM or an XML prolog).
pub fn sniff(bytes: &[u8]) -> Option<SourceKind> {
    let text = text::decode_document(bytes);
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('<') {
        if statuspage_feed::sniff(&text) {
            return Some(SourceKind::StatuspageFeed);
        }
        if azure::sniff(&text) {
            return Some(SourceKind::AzureFeed);
        }
        if betterstack::sniff(&text) {
            return Some(SourceKind::Betterstack);
        }
        return Some(SourceKind::Feed);
    }
    if head.starts_with('{') || head.starts_with('[') {
        let docs = json_documents(&text).ok()?;
        let first = docs.first()?;
        if statuspage_api::sniff(first) {
            return Some(SourceKind::StatuspageApi);
        }
        if gcp::sniff(first) {
            return Some(SourceKind::GcpIncidents);
        }
        if aws::sniff(first) {
            return Some(SourceKind::AwsHealth);
        }
        if statusio::sniff(first) {
            return Some(SourceKind::Statusio);
        }
        if instatus::sniff(first) {
            return Some(SourceKind::Instatus);
        }
        if incident_io::sniff(first) {
            return Some(SourceKind::IncidentIo);
        }
        if bluesky::sniff(first) {
            return Some(SourceKind::Bluesky);
        }
        if mastodon_api::sniff(first) {
            return Some(SourceKind::MastodonApi);
        }
        // JSON Feed (feed-rs reads it).
        if first
            .get("version")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|v| v.contains("jsonfeed.org"))
        {
            return Some(SourceKind::Feed);
        }
    }
    None
}

/// A JSON document, or JSON Lines (one document per non-empty line).
pub(crate) fn json_documents(text: &str) -> Result<Vec<serde_json::Value>, String> {
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => Ok(vec![v]),
        Err(whole) => {
            let mut docs = Vec::new();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v = serde_json::from_str(line).map_err(|e| {
                    if n == 0 {
                        whole.to_string()
                    } else {
                        format!("line {}: {e}", n + 1)
                    }
                })?;
                docs.push(v);
            }
            if docs.is_empty() {
                return Err(whole.to_string());
            }
            Ok(docs)
        }
    }
}

/// A document that could not be read as its format.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot parse {format} document: {message}")]
pub struct ParseError {
    pub format: &'static str,
    pub message: String,
}

impl ParseError {
    pub fn new(format: &'static str, message: impl Into<String>) -> Self {
        ParseError {
            format,
            message: message.into(),
        }
    }
}

/// What a poll needs to know from the previous one.
#[derive(Debug, Clone)]
pub struct PollRequest {
    pub url: Url,
    pub validators: Validators,
    /// Opaque paging state a kind keeps between polls (the newest status id or time seen, …).
    pub cursor: Option<String>,
}

/// What one poll produced.
#[derive(Debug, Clone)]
pub struct Polled {
    pub items: Vec<FetchedItem>,
    pub cursor: Option<String>,
    /// The (last) HTTP exchange, for the poll log.
    pub fetched: Fetched,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {source}")]
    Parse {
        url: String,
        fetched: Box<Fetched>,
        #[source]
        source: ParseError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_statuspage_kinds_label_as_statuspage() {
        assert_eq!(
            SourceKind::StatuspageFeed.label_rule_id(),
            "source:statuspage"
        );
        assert_eq!(
            SourceKind::StatuspageApi.label_rule_id(),
            "source:statuspage"
        );
        assert_eq!(SourceKind::Instatus.label_rule_id(), "source:instatus");
    }

    #[test]
    fn every_kind_is_configured_by_the_name_it_is_stored_under() {
        for kind in SourceKind::ALL {
            let parsed: SourceKind = serde_json::from_str(&format!("\"{}\"", kind.as_str()))
                .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            assert_eq!(parsed, kind);
        }
    }
}
