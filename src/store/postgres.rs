//! The PostgreSQL backend, for several workers sharing one database. Writes that can race between
//! workers are guarded in SQL: new posts by `ON CONFLICT`, new versions by a version check, and
//! source polls by an atomic claim with a lease.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Row};

use super::common::{
    clean, clean_opt, impl_store_queries, impl_store_rows, parse_phase, statement_columns,
};
use super::*;
use crate::model::{FetchedItem, Percent, Statement, Yield};

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Self> {
        let redacted = crate::config::Secret::new(url).redacted();
        let opts = PgConnectOptions::from_str(url).map_err(|source| StoreError::Connect {
            url: redacted.clone(),
            source,
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|source| StoreError::Connect {
                url: redacted,
                source,
            })?;
        Ok(PostgresStore { pool })
    }

    /// The connection pool, for modules with tables of their own.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl_store_rows!(Postgres);

impl_store_queries!(PostgresStore, Postgres, "migrations/postgres", "BEGIN");
