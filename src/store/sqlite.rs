//! PLACEHOLDER — the sqlite backend lands with the storage work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;
use crate::model::{FetchedItem, Statement};

pub struct SqliteStore;

impl SqliteStore {
    pub async fn connect(_url: &str) -> Result<Self> {
        Ok(SqliteStore)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        unimplemented!()
    }
    async fn upsert_provider(
        &self,
        _name: &str,
        _display_name: &str,
        _timezone: &str,
    ) -> Result<ProviderRow> {
        unimplemented!()
    }
    async fn providers(&self) -> Result<Vec<ProviderRow>> {
        unimplemented!()
    }
    async fn upsert_source(
        &self,
        _provider_id: i64,
        _kind: &str,
        _url: &str,
        _poll_interval_secs: i64,
    ) -> Result<SourceRow> {
        unimplemented!()
    }
    async fn source(&self, _source_id: i64) -> Result<Option<SourceRow>> {
        unimplemented!()
    }
    async fn sources(&self) -> Result<Vec<SourceRow>> {
        unimplemented!()
    }
    async fn record_poll(&self, _poll: &PollRecord) -> Result<()> {
        unimplemented!()
    }
    async fn save_item(
        &self,
        _source_id: i64,
        _item: &FetchedItem,
        _fetched_at: DateTime<Utc>,
    ) -> Result<SaveOutcome> {
        unimplemented!()
    }
    async fn replace_statements(&self, _post_id: i64, _statements: &[Statement]) -> Result<()> {
        unimplemented!()
    }
    async fn provider_posts(&self, _provider_id: i64) -> Result<Vec<PostWithStatements>> {
        unimplemented!()
    }
    async fn sync_incidents(
        &self,
        _provider_id: i64,
        _drafts: &[IncidentDraft],
    ) -> Result<Vec<i64>> {
        unimplemented!()
    }
    async fn incidents(&self, _provider: Option<&str>) -> Result<Vec<IncidentRow>> {
        unimplemented!()
    }
    async fn incident(&self, _incident_id: i64) -> Result<Option<IncidentRow>> {
        unimplemented!()
    }
    async fn incident_events(&self, _incident_id: i64) -> Result<Vec<EventRow>> {
        unimplemented!()
    }
}
