//! The pipeline of one source: poll it, store what is new, extract statements from new and
//! changed posts, rebuild the provider's timeline, and record what the poll saw. A failing source
//! is recorded on its own row (error, class, backoff) and never stops the others.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::{Config, MeasureConfig, ProviderConfig, SourceConfig};
use crate::extract::{ExtractContext, Extractor};
use crate::measure::derive::{self as measure_derive, Derived};
use crate::measure::probe::{Prober, TargetConfig};
use crate::measure::{Observation, Origin};
use crate::model::{FetchedItem, Statement, Yield};
use crate::sources::fetch::{next_poll_delay, Fetcher, Validators};
use crate::sources::{PollError, PollRequest};
use crate::store::{PollRecord, ProviderRow, SaveOutcome, SourceRow, Store, StoreError};
use crate::timeline::{self, GroupingSettings};

/// A configured source with the ids the store gave it and its provider.
#[derive(Debug, Clone)]
pub struct ResolvedSource {
    pub source: SourceRow,
    pub config: SourceConfig,
    pub provider: Arc<ResolvedProvider>,
}

/// A configured probe target with its row id.
#[derive(Debug, Clone)]
pub struct ResolvedTarget {
    pub id: i64,
    pub config: TargetConfig,
    pub provider: Arc<ResolvedProvider>,
}

#[derive(Debug)]
pub struct ResolvedProvider {
    pub row: ProviderRow,
    pub config: ProviderConfig,
}

/// What one poll did, for logs and the CLI.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollSummary {
    pub outcome: String,
    pub items_seen: usize,
    pub items_new: usize,
    pub items_changed: usize,
    pub incidents: usize,
    pub error: Option<String>,
}

/// Everything a poll needs, shared by all sources of a process.
pub struct Pipeline {
    pub store: Arc<dyn Store>,
    pub fetcher: Fetcher,
    pub extractor: Arc<Extractor>,
    pub providers: HashMap<i64, Arc<ResolvedProvider>>,
    pub sources: Vec<ResolvedSource>,
    pub targets: Vec<ResolvedTarget>,
    pub prober: Prober,
    pub measure: MeasureConfig,
    max_backoff: Duration,
}

impl Pipeline {
    /// Registers the configured providers and sources in the store (idempotent) and builds the
    /// shared HTTP client.
    pub async fn new(
        cfg: &Config,
        store: Arc<dyn Store>,
        extractor: Arc<Extractor>,
    ) -> Result<Pipeline, PipelineError> {
        let fetcher = Fetcher::new(&cfg.http).map_err(PipelineError::Http)?;
        let mut providers = HashMap::new();
        let mut sources = Vec::new();
        let mut targets = Vec::new();
        for p in &cfg.providers {
            let row = store
                .upsert_provider(&p.name, p.display_name(), p.timezone.name())
                .await?;
            let provider = Arc::new(ResolvedProvider {
                row: row.clone(),
                config: p.clone(),
            });
            providers.insert(row.id, provider.clone());
            for s in &p.sources {
                let source = store
                    .upsert_source(
                        row.id,
                        s.kind.as_str(),
                        s.url.as_str(),
                        s.interval.as_secs() as i64,
                    )
                    .await?;
                sources.push(ResolvedSource {
                    source,
                    config: s.clone(),
                    provider: provider.clone(),
                });
            }
            for t in &p.targets {
                let id = store
                    .upsert_target(
                        row.id,
                        &t.name,
                        Some(t.url.as_str()),
                        Some(t.interval.as_secs() as i64),
                    )
                    .await?;
                targets.push(ResolvedTarget {
                    id,
                    config: t.clone(),
                    provider: provider.clone(),
                });
            }
        }
        let prober = Prober::new(&cfg.http.user_agent).map_err(PipelineError::Http)?;
        Ok(Pipeline {
            store,
            fetcher,
            extractor,
            providers,
            sources,
            targets,
            prober,
            measure: cfg.measure.clone(),
            max_backoff: cfg.http.max_backoff,
        })
    }

    /// Polls one source once and stores what it brought. Errors of the source itself (network,
    /// parse) are recorded on the source row and returned in the summary; only storage errors
    /// are returned as `Err`.
    #[tracing::instrument(skip_all, fields(provider = %src.provider.row.name, source = src.source.id, url = %src.config.url))]
    pub async fn poll_source(&self, src: &ResolvedSource) -> Result<PollSummary, PipelineError> {
        let state = self
            .store
            .source(src.source.id)
            .await?
            .unwrap_or_else(|| src.source.clone());
        let req = PollRequest {
            url: src.config.url.clone(),
            validators: Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            },
            cursor: state.cursor.clone(),
        };
        let started_at = Utc::now();
        let result = src.config.kind.poll(&self.fetcher, &req).await;
        let mut record = PollRecord {
            source_id: src.source.id,
            started_at,
            duration_ms: 0,
            outcome: String::new(),
            http_status: None,
            bytes: None,
            error_class: None,
            error: None,
            final_url: None,
            redirects: 0,
            items_seen: 0,
            items_new: 0,
            items_changed: 0,
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
            cursor: state.cursor.clone(),
            next_poll_at: None,
        };
        let mut summary = PollSummary::default();
        match result {
            Ok(polled) => {
                let f = &polled.fetched;
                record.duration_ms = f.duration.as_millis() as i64;
                record.http_status = Some(f.status as i64);
                record.bytes = Some(f.bytes() as i64);
                record.final_url = Some(f.final_url.to_string());
                record.redirects = f.redirects as i64;
                record.etag = f.validators.etag.clone();
                record.last_modified = f.validators.last_modified.clone();
                record.cursor = polled.cursor.clone();
                record.outcome = if f.not_modified() {
                    "not_modified"
                } else {
                    "ok"
                }
                .into();
                let (new, changed) = self.store_items(src, &polled.items, f.fetched_at).await?;
                record.items_seen = polled.items.len() as i64;
                record.items_new = new as i64;
                record.items_changed = changed as i64;
                record.next_poll_at = Some(after(next_poll_delay(
                    src.config.interval,
                    0,
                    None,
                    self.max_backoff,
                )));
                summary.items_seen = polled.items.len();
                summary.items_new = new;
                summary.items_changed = changed;
                if new + changed > 0 {
                    summary.incidents = self.rebuild_timeline(src.provider.row.id).await?;
                }
                tracing::info!(
                    outcome = %record.outcome,
                    status = f.status,
                    bytes = f.bytes(),
                    items = polled.items.len(),
                    new,
                    changed,
                    "polled source"
                );
            }
            Err(err) => {
                let failures = (state.consecutive_failures + 1).max(1) as u32;
                let (class, retry_after, status, bytes, redirects, final_url) = match &err {
                    PollError::Fetch(e) => (
                        e.class.as_str(),
                        e.retry_after,
                        e.status.map(i64::from),
                        e.bytes.map(|b| b as i64),
                        e.redirects as i64,
                        Some(e.url.clone()),
                    ),
                    PollError::Parse { fetched, .. } => (
                        "parse",
                        None,
                        Some(fetched.status as i64),
                        Some(fetched.bytes() as i64),
                        fetched.redirects as i64,
                        Some(fetched.final_url.to_string()),
                    ),
                };
                // A parse error must not leave validators that would hide the next (fixed) body.
                if matches!(err, PollError::Parse { .. }) {
                    record.etag = None;
                    record.last_modified = None;
                }
                record.duration_ms = (Utc::now() - started_at).num_milliseconds();
                record.outcome = "error".into();
                record.error_class = Some(class.into());
                record.error = Some(err.to_string());
                record.http_status = status;
                record.bytes = bytes;
                record.redirects = redirects;
                record.final_url = final_url;
                let delay =
                    next_poll_delay(src.config.interval, failures, retry_after, self.max_backoff);
                record.next_poll_at = Some(after(delay));
                summary.error = Some(err.to_string());
                tracing::warn!(error_class = class, error = %err, retry_in_secs = delay.as_secs(), "poll failed");
            }
        }
        summary.outcome = record.outcome.clone();
        self.store.record_poll(&record).await?;
        Ok(summary)
    }

    /// Saves items and extracts statements from the new and changed ones.
    /// Returns (new, changed).
    pub async fn store_items(
        &self,
        src: &ResolvedSource,
        items: &[FetchedItem],
        fetched_at: DateTime<Utc>,
    ) -> Result<(usize, usize), PipelineError> {
        let origin = ItemOrigin {
            source_id: src.source.id,
            label_rule: src.config.kind.label_rule_id(),
            lang: src.config.lang.as_deref(),
            provider: &src.provider,
        };
        self.save_and_extract(&origin, items, fetched_at).await
    }

    async fn save_and_extract(
        &self,
        origin: &ItemOrigin<'_>,
        items: &[FetchedItem],
        fetched_at: DateTime<Utc>,
    ) -> Result<(usize, usize), PipelineError> {
        let (mut new, mut changed) = (0, 0);
        for item in items {
            let outcome = self
                .store
                .save_item(origin.source_id, item, fetched_at)
                .await?;
            match outcome {
                SaveOutcome::Unchanged { .. } => continue,
                SaveOutcome::New { .. } => new += 1,
                SaveOutcome::Changed { .. } => changed += 1,
            }
            let lang = origin
                .lang
                .map(str::to_string)
                .or_else(|| origin.provider.config.lang.clone())
                .or_else(|| item.lang.clone());
            let statements = statements_for(
                &self.extractor,
                item,
                &origin.label_rule,
                lang,
                origin.provider.config.timezone,
                item.published_at.unwrap_or(fetched_at),
            );
            self.store
                .replace_statements(outcome.post_id(), &statements)
                .await?;
        }
        Ok((new, changed))
    }

    /// Imports posts read by `statustrail import` (idempotent: an imported post is stored once,
    /// and a re-import with changed text makes a new version). Each provider gets one `import`
    /// source; every record's provider must be configured. Returns (new, changed) per provider.
    pub async fn import(
        &self,
        records: &[crate::sources::import::ImportRecord],
    ) -> Result<Vec<(String, usize, usize)>, PipelineError> {
        let mut unknown: Vec<&str> = records
            .iter()
            .map(|r| r.provider.as_str())
            .filter(|name| !self.providers.values().any(|p| p.row.name == *name))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if !unknown.is_empty() {
            return Err(PipelineError::UnknownProviders(unknown.join(", ")));
        }
        let now = Utc::now();
        let mut out = Vec::new();
        let mut providers: Vec<_> = self.providers.values().cloned().collect();
        providers.sort_by_key(|p| p.row.id);
        for provider in providers {
            let items: Vec<FetchedItem> = records
                .iter()
                .filter(|r| r.provider == provider.row.name)
                .map(|r| r.item.clone())
                .collect();
            if items.is_empty() {
                continue;
            }
            let url = format!("import://{}", provider.row.name);
            let source = self
                .store
                .upsert_source(provider.row.id, "import", &url, 0)
                .await?;
            let origin = ItemOrigin {
                source_id: source.id,
                label_rule: "source:import".to_string(),
                lang: None,
                provider: &provider,
            };
            let (new, changed) = self.save_and_extract(&origin, &items, now).await?;
            if new + changed > 0 {
                self.rebuild_timeline(provider.row.id).await?;
            }
            tracing::info!(provider = %provider.row.name, new, changed, "imported posts");
            out.push((provider.row.name.clone(), new, changed));
        }
        Ok(out)
    }

    /// Recomputes a provider's incidents from its stored posts. Returns the incident count.
    pub async fn rebuild_timeline(&self, provider_id: i64) -> Result<usize, PipelineError> {
        let posts = self.store.provider_posts(provider_id).await?;
        let settings = self
            .providers
            .get(&provider_id)
            .map(|p| GroupingSettings {
                quiet_gap: p.config.quiet_gap,
                ..GroupingSettings::default()
            })
            .unwrap_or_default();
        let drafts = timeline::build(&posts, settings);
        let ids = self.store.sync_incidents(provider_id, &drafts).await?;
        self.derive_measures(provider_id).await?;
        Ok(ids.len())
    }

    /// Recomputes what is measured against what is claimed for a provider, over the recent
    /// window (`[measure] derive_horizon`, moved back over any outage still running then):
    /// outage windows, minutes, measured outages; and every incident's delays and claims.
    pub async fn derive_measures(&self, provider_id: i64) -> Result<Derived, PipelineError> {
        let from = Utc::now()
            - chrono::Duration::from_std(self.measure.derive_horizon)
                .unwrap_or(chrono::Duration::MAX);
        self.derive_measures_from(provider_id, Some(from)).await
    }

    /// Like [`Pipeline::derive_measures`] from a given time (`None`: the whole history).
    pub async fn derive_measures_from(
        &self,
        provider_id: i64,
        from: Option<DateTime<Utc>>,
    ) -> Result<Derived, PipelineError> {
        let derived = self.compute_measures_from(provider_id, from).await?;
        self.store.replace_measures(provider_id, &derived).await?;
        Ok(derived)
    }

    /// What `derive_measures_from(provider, None)` would store, without storing it.
    pub async fn compute_measures(&self, provider_id: i64) -> Result<Derived, PipelineError> {
        self.compute_measures_from(provider_id, None).await
    }

    async fn compute_measures_from(
        &self,
        provider_id: i64,
        from: Option<DateTime<Utc>>,
    ) -> Result<Derived, PipelineError> {
        let settings = self.measure.derive_settings();
        // Move the window's start back until no stored outage is still running there, so that
        // nothing is cut in two.
        let mut from = from;
        if let Some(mut f) = from {
            while let Some(s) = self.store.outage_start_overlapping(provider_id, f).await? {
                if s >= f {
                    break;
                }
                f = s;
            }
            from = Some(f);
        }
        // Samples a little before the window, so its first minutes know each target's state.
        let samples = self
            .store
            .samples(provider_id, from.map(|f| f - settings.stale_after))
            .await?;
        let stored = match from {
            Some(f) => self.store.outages_before(provider_id, f).await?,
            None => Vec::new(),
        };
        let provider = self
            .store
            .providers()
            .await?
            .into_iter()
            .find(|p| p.id == provider_id);
        let mut incidents = Vec::new();
        let mut old_minutes = Vec::new();
        if let Some(p) = provider {
            for inc in self.store.incidents(Some(&p.name)).await? {
                let events = self.store.incident_events(inc.id).await?;
                // Restored claims made before the window are checked against stored minutes.
                if let Some(f) = from {
                    for e in events.iter().filter(|e| e.event.restored_pct.is_some()) {
                        use chrono::DurationRound;
                        let m = e
                            .event
                            .at
                            .duration_trunc(chrono::Duration::minutes(1))
                            .unwrap_or(e.event.at);
                        if m < f {
                            old_minutes
                                .extend(self.store.provider_minutes(provider_id, m, m).await?);
                        }
                    }
                }
                incidents.push((inc, events));
            }
        }
        Ok(measure_derive::derive_window(
            &samples,
            from,
            stored,
            old_minutes,
            &incidents,
            &settings,
            Utc::now(),
        ))
    }

    /// Stores observations of a provider's targets (each once) and re-derives its measures.
    /// Returns how many were new.
    pub async fn record_observations(
        &self,
        provider_id: i64,
        observations: &[Observation],
        origin: Origin,
    ) -> Result<usize, PipelineError> {
        let new = self
            .store
            .save_observations(provider_id, observations, origin)
            .await?;
        if new > 0 {
            // Imported history may lie before the usual window: derive from its start.
            let horizon = Utc::now()
                - chrono::Duration::from_std(self.measure.derive_horizon)
                    .unwrap_or(chrono::Duration::MAX);
            let earliest = observations.iter().map(|o| o.at).min();
            let from = earliest.map_or(horizon, |e| e.min(horizon));
            self.derive_measures_from(provider_id, Some(from)).await?;
        }
        Ok(new)
    }

    /// Probes every configured target once, concurrently, and stores the results.
    pub async fn probe_all_once(&self) -> Result<Vec<Observation>, PipelineError> {
        let mut set = tokio::task::JoinSet::new();
        for t in self.targets.clone() {
            let prober = self.prober.clone();
            set.spawn(async move {
                let o = prober.probe(&t.config).await;
                (t.provider.row.id, o)
            });
        }
        let mut by_provider: HashMap<i64, Vec<Observation>> = HashMap::new();
        while let Some(joined) = set.join_next().await {
            let (pid, o) = joined.map_err(|e| PipelineError::Task(e.to_string()))?;
            by_provider.entry(pid).or_default().push(o);
        }
        let mut all = Vec::new();
        for (pid, obs) in by_provider {
            self.record_observations(pid, &obs, Origin::Probe).await?;
            all.extend(obs);
        }
        all.sort_by(|a, b| a.target.cmp(&b.target));
        Ok(all)
    }

    /// Polls every configured source once, one after the other per host limits.
    pub async fn poll_all_once(&self) -> Result<Vec<(ResolvedSource, PollSummary)>, PipelineError> {
        let mut set = tokio::task::JoinSet::new();
        let this = Arc::new(self.clone_shallow());
        for src in self.sources.clone() {
            let this = this.clone();
            set.spawn(async move {
                let r = this.poll_source(&src).await;
                (src, r)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (src, r) = joined.map_err(|e| PipelineError::Task(e.to_string()))?;
            out.push((src, r?));
        }
        out.sort_by_key(|(s, _)| s.source.id);
        Ok(out)
    }

    fn clone_shallow(&self) -> Pipeline {
        Pipeline {
            store: self.store.clone(),
            fetcher: self.fetcher.clone(),
            extractor: self.extractor.clone(),
            providers: self.providers.clone(),
            sources: self.sources.clone(),
            targets: self.targets.clone(),
            prober: self.prober.clone(),
            measure: self.measure.clone(),
            max_backoff: self.max_backoff,
        }
    }
}

/// The statements of an item: what the rules read in its text, plus the provider's own label
/// when the source carries one (rule id `label_rule`, from [`SourceKind::label_rule_id`]:
/// `source:<kind>`, `source:statuspage` for both Statuspage kinds).
///
/// [`SourceKind::label_rule_id`]: crate::sources::SourceKind::label_rule_id
pub fn statements_for(
    extractor: &Extractor,
    item: &FetchedItem,
    label_rule: &str,
    lang: Option<String>,
    tz: Tz,
    reference: DateTime<Utc>,
) -> Vec<Statement> {
    let ctx = ExtractContext {
        lang,
        tz,
        reference,
    };
    // The rules read the text only: titles are headlines (or, from RSS bridges of social
    // accounts, a truncated copy of the text) and would state phases twice.
    let text = item.text.as_str();
    let mut statements = Vec::new();
    if let Some(label) = item.status_label {
        statements.push(Statement {
            yields: Yield::Phase(label),
            mentioned_at: None,
            rule_id: label_rule.to_string(),
            span: (0, 0),
            matched: String::new(),
        });
    }
    statements.extend(extractor.extract(text, &ctx));
    statements
}

fn after(d: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Where stored items come from: the source row, the rule id its labels get, its language, its
/// provider.
struct ItemOrigin<'a> {
    source_id: i64,
    label_rule: String,
    lang: Option<&'a str>,
    provider: &'a ResolvedProvider,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("providers not in the configuration: {0} (add a [[provider]] for each)")]
    UnknownProviders(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Http(reqwest::Error),
    #[error("a poll task failed: {0}")]
    Task(String),
}
