//! The SQLite backend, the embedded default: one file, created when missing, in WAL mode with
//! foreign keys on and a busy timeout so the worker and CLI commands can share it.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool};

use super::common::{
    clean, clean_opt, impl_store_queries, impl_store_rows, parse_phase, statement_columns,
};
use super::*;
use crate::model::{FetchedItem, Percent, Statement, Yield};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Self> {
        let url = url.trim();
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|source| StoreError::Connect {
                url: url.to_string(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Connect {
                url: url.to_string(),
                source,
            })?;
        Ok(SqliteStore { pool })
    }

    /// The connection pool, for modules with tables of their own.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl_store_rows!(Sqlite);

impl_store_queries!(SqliteStore, Sqlite, "migrations/sqlite", "BEGIN IMMEDIATE");
