//! Storage: one [`Store`] trait, one module per backend (`sqlite`, `postgres`), one migrations
//! folder per dialect under `migrations/`. SQLite is the embedded default; PostgreSQL lets several
//! workers share one database. The schema is documented for analysts in `docs/schema.md`.
//!
//! Everything the pipeline writes goes through this trait, so adding a backend is one new module
//! and one arm in [`connect`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::measure::derive::{Derived, MeasuredOutage, Minute, Sample, StoredOutage};
use crate::measure::{Observation, Origin};
use crate::model::{FetchedItem, Phase, Statement};

mod common;
pub mod postgres;
pub mod sqlite;

/// Errors of the storage layer; each carries what was being done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("unsupported database URL {0:?}: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot open database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error while {context}: {source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("stored data is invalid ({context}): {detail}")]
    Corrupt {
        context: &'static str,
        detail: String,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A provider as configured (upserted by name at start).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    /// IANA time zone name used to read times the provider writes without a zone.
    pub timezone: String,
}

/// A source as configured (upserted by provider and URL at start) with its polling state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRow {
    pub id: i64,
    pub provider_id: i64,
    pub kind: String,
    pub url: String,
    pub poll_interval_secs: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Opaque paging cursor a source kind may keep (the newest Mastodon status id seen, …).
    pub cursor: Option<String>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: i64,
    pub next_poll_at: Option<DateTime<Utc>>,
}

/// What one poll of a source saw, kept in `poll_log` and summarised on the source row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PollRecord {
    pub source_id: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// `ok`, `not_modified` or `error`.
    pub outcome: String,
    pub http_status: Option<i64>,
    pub bytes: Option<i64>,
    /// Error class when the poll failed (`connect`, `timeout`, `http_status`, `parse`, `too_large`, …).
    pub error_class: Option<String>,
    pub error: Option<String>,
    pub final_url: Option<String>,
    pub redirects: i64,
    pub items_seen: i64,
    pub items_new: i64,
    pub items_changed: i64,
    /// Validators and cursor to keep for the next poll (unchanged ones are passed through).
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub cursor: Option<String>,
    pub next_poll_at: Option<DateTime<Utc>>,
}

/// What saving an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// First time this item was seen: a new post.
    New { post_id: i64 },
    /// Same content as the stored version: nothing written.
    Unchanged { post_id: i64 },
    /// The content changed: a new version was written, earlier ones are kept in `post_versions`.
    Changed { post_id: i64, version: i64 },
}

impl SaveOutcome {
    pub fn post_id(self) -> i64 {
        match self {
            SaveOutcome::New { post_id }
            | SaveOutcome::Unchanged { post_id }
            | SaveOutcome::Changed { post_id, .. } => post_id,
        }
    }
}

/// A stored post with what the timeline needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostRow {
    pub id: i64,
    pub source_id: i64,
    /// The source's kind (`statuspage_api`, `mastodon_api`, …, or `import`).
    pub source_kind: String,
    pub provider_id: i64,
    pub external_id: String,
    pub url: Option<String>,
    pub published_at: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    pub title: Option<String>,
    pub text: String,
    pub lang: Option<String>,
    pub thread_key: Option<String>,
    pub status_label: Option<Phase>,
    pub backfilled: bool,
    pub version: i64,
}

/// A post with the statements extracted from its current version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostWithStatements {
    pub post: PostRow,
    pub statements: Vec<StoredStatement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredStatement {
    pub id: i64,
    pub post_id: i64,
    pub statement: Statement,
}

/// An incident as the timeline module computed it, before storage. `key` is stable across
/// rebuilds (the source's own incident id, or the first post of the group), so incident ids and
/// notifications survive recomputation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDraft {
    pub key: String,
    pub title: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub last_phase: Option<Phase>,
    pub events: Vec<EventDraft>,
}

/// One event of the provider-reported timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDraft {
    pub post_id: i64,
    pub statement_id: Option<i64>,
    /// The time the event happened per the provider: the mentioned time, else the post time.
    pub at: DateTime<Utc>,
    pub posted_at: DateTime<Utc>,
    pub mentioned_at: Option<DateTime<Utc>>,
    pub phase: Option<Phase>,
    pub restored_pct: Option<f64>,
    pub affected_pct: Option<f64>,
    pub rule_id: Option<String>,
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentRow {
    pub id: i64,
    pub provider_id: i64,
    pub provider: String,
    pub key: String,
    pub title: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub last_phase: Option<Phase>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub incident_id: i64,
    pub seq: i64,
    #[serde(flatten)]
    pub event: EventDraft,
}

/// The storage seam. Every method is one transaction at most; methods are idempotent where the
/// pipeline may repeat them (re-polls, re-imports, timeline rebuilds).
#[async_trait]
pub trait Store: Send + Sync {
    /// Applies pending migrations of this backend's dialect.
    async fn migrate(&self) -> Result<()>;

    /// Inserts or updates a provider by name.
    async fn upsert_provider(
        &self,
        name: &str,
        display_name: &str,
        timezone: &str,
    ) -> Result<ProviderRow>;
    async fn providers(&self) -> Result<Vec<ProviderRow>>;

    /// Inserts or updates a source by (provider, url); polling state is kept.
    async fn upsert_source(
        &self,
        provider_id: i64,
        kind: &str,
        url: &str,
        poll_interval_secs: i64,
    ) -> Result<SourceRow>;
    async fn source(&self, source_id: i64) -> Result<Option<SourceRow>>;
    async fn sources(&self) -> Result<Vec<SourceRow>>;

    /// Claims a due source for one worker until `lease_until`, atomically: `true` when this worker
    /// may poll it now, `false` when it is not due or another worker holds a live claim. Several
    /// workers sharing one PostgreSQL database never poll the same source at once.
    /// `record_poll` releases the claim.
    async fn claim_source(
        &self,
        source_id: i64,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;

    /// Appends a poll to `poll_log` and updates the source's validators and last outcome.
    async fn record_poll(&self, poll: &PollRecord) -> Result<()>;

    /// Stores an item of a source: new post, nothing (same content hash), or a new version.
    /// `fetched_at` stands in for a missing `published_at` on first sight. A new item published
    /// before an item of the same source (and `thread_key`) stored by an earlier poll is stored
    /// `backfilled`; an edit never clears the flag.
    async fn save_item(
        &self,
        source_id: i64,
        item: &FetchedItem,
        fetched_at: DateTime<Utc>,
    ) -> Result<SaveOutcome>;

    /// Replaces the statements of a post's current version (extraction is re-runnable).
    async fn replace_statements(&self, post_id: i64, statements: &[Statement]) -> Result<()>;

    /// All posts of a provider with their statements, oldest first (by published_at, then id).
    async fn provider_posts(&self, provider_id: i64) -> Result<Vec<PostWithStatements>>;

    /// Makes the stored incidents of a provider match `drafts`: upsert by key, events replaced,
    /// incidents whose key is gone are deleted. Returns the incident ids in draft order.
    async fn sync_incidents(&self, provider_id: i64, drafts: &[IncidentDraft]) -> Result<Vec<i64>>;

    /// Incidents, newest first, optionally of one provider (by name).
    async fn incidents(&self, provider: Option<&str>) -> Result<Vec<IncidentRow>>;
    async fn incident(&self, incident_id: i64) -> Result<Option<IncidentRow>>;
    async fn incident_events(&self, incident_id: i64) -> Result<Vec<EventRow>>;

    /// Inserts or updates a configured target by (provider, name).
    async fn upsert_target(
        &self,
        provider_id: i64,
        name: &str,
        url: Option<&str>,
        interval_secs: Option<i64>,
    ) -> Result<i64>;

    /// Claims a probe target for one worker until `lease_until`: `true` when this worker holds
    /// it (a fresh claim or its own, renewed), `false` while another worker's claim is live.
    /// Several workers sharing a database probe each target once, not once each.
    async fn claim_target(
        &self,
        target_id: i64,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;

    /// Gives up this worker's claim on a probe target (a worker stopping), so that another
    /// worker takes it over from `free_at` (when its next probe is due) instead of when the
    /// lease runs out. Another worker's claim is left alone.
    async fn release_target(
        &self,
        target_id: i64,
        worker: &str,
        free_at: DateTime<Utc>,
    ) -> Result<()>;

    /// Stores observations of a provider's targets (targets unknown by name are created),
    /// each (target, time, origin) once. Returns how many were new.
    async fn save_observations(
        &self,
        provider_id: i64,
        observations: &[Observation],
        origin: Origin,
    ) -> Result<usize>;

    /// The observations of a provider's targets (from `since` on, or all), reduced for
    /// derivation.
    async fn samples(&self, provider_id: i64, since: Option<DateTime<Utc>>) -> Result<Vec<Sample>>;

    /// The earliest start of a stored measured outage still running at `at` or ended after it.
    async fn outage_start_overlapping(
        &self,
        provider_id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>>;

    /// Stored measured outages that started before `before`, oldest first, with their ids.
    async fn outages_before(
        &self,
        provider_id: i64,
        before: DateTime<Utc>,
    ) -> Result<Vec<StoredOutage>>;

    /// Replaces what was derived for a provider: from `derived.from` on for outages and minutes
    /// (everything when `None`), and every incident measure and restored claim.
    async fn replace_measures(&self, provider_id: i64, derived: &Derived) -> Result<()>;

    /// The stored share-up minutes of a provider between two times.
    async fn provider_minutes(
        &self,
        provider_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Minute>>;

    /// Rows of `v_claims_vs_measured`, optionally of one provider, oldest first.
    async fn claims_vs_measured(&self, provider: Option<&str>) -> Result<Vec<ClaimsRow>>;
}

/// One row of `v_claims_vs_measured`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimsRow {
    pub provider: String,
    pub incident_id: Option<i64>,
    pub incident_title: Option<String>,
    pub measured_start: Option<DateTime<Utc>>,
    pub measured_end: Option<DateTime<Utc>>,
    pub first_post_at: Option<DateTime<Utc>>,
    pub ack_delay_secs: Option<i64>,
    pub identified_at: Option<DateTime<Utc>>,
    pub identified_delay_secs: Option<i64>,
    pub claimed_resolved_at: Option<DateTime<Utc>>,
    pub resolution_gap_secs: Option<i64>,
    pub first_to_recover: Option<String>,
    pub targets_down: Option<i64>,
    pub min_share_up: Option<f64>,
}

/// Opens the backend a URL names (`sqlite://…`, `postgres://…`), creating a SQLite file when
/// missing, and runs the migrations.
pub async fn connect(url: &str) -> Result<Box<dyn Store>> {
    let store: Box<dyn Store> = if url.starts_with("sqlite:") {
        Box::new(sqlite::SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Box::new(postgres::PostgresStore::connect(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_string()));
    };
    store.migrate().await?;
    Ok(store)
}
