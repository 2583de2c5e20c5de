//! The SQL both backends share. Queries use `$n` placeholders, which SQLite and PostgreSQL both
//! accept, and types sqlx maps on both (i64, f64, bool, text, `DateTime<Utc>`), so every `Store`
//! method but `migrate` is written once, in [`impl_store_queries!`], and expanded in each backend
//! module for its own database type.

use crate::model::{Phase, Statement};

/// PostgreSQL refuses NUL in text; SQLite would keep it but readers choke on it. Both backends
/// store U+FFFD in its place, so the same input gives the same stored text everywhere.
pub(crate) fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

pub(crate) fn clean_opt(s: Option<&str>) -> Option<String> {
    s.map(|s| clean(s).into_owned())
}

pub(crate) fn parse_phase(
    s: Option<String>,
    context: &'static str,
) -> super::Result<Option<Phase>> {
    s.map(|p| {
        p.parse::<Phase>().map_err(|e| super::StoreError::Corrupt {
            context,
            detail: e.to_string(),
        })
    })
    .transpose()
}

/// The three value columns of a statement (exactly one is set).
pub(crate) fn statement_columns(s: &Statement) -> (Option<&'static str>, Option<f64>, Option<f64>) {
    (
        s.phase().map(Phase::as_str),
        s.restored().map(|p| p.value()),
        s.affected().map(|p| p.value()),
    )
}

/// Expands to the `Store` implementation shared by every backend, given the backend type, its
/// sqlx database type, its migrations folder and the statement that opens a write transaction
/// (SQLite takes the write lock up front with `BEGIN IMMEDIATE`, so concurrent writers wait on
/// the busy timeout instead of failing when a read transaction tries to upgrade). The backend type must have a `pool` field of
/// `sqlx::Pool<$db>`.
macro_rules! impl_store_queries {
    ($store:ty, $db:ty, $migrations:literal, $begin:literal) => {
    #[async_trait]
    impl Store for $store {
        async fn migrate(&self) -> Result<()> {
            sqlx::migrate!($migrations).run(&self.pool).await?;
            Ok(())
        }

        async fn upsert_provider(
            &self,
            name: &str,
            display_name: &str,
            timezone: &str,
        ) -> Result<ProviderRow> {
            let row = sqlx::query(
                "INSERT INTO providers (name, display_name, timezone, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET display_name = excluded.display_name,
                                                  timezone = excluded.timezone
                 RETURNING id, name, display_name, timezone",
            )
            .bind(name)
            .bind(display_name)
            .bind(timezone)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await
            .map_err(q("upserting a provider"))?;
            provider_row(&row)
        }

        async fn providers(&self) -> Result<Vec<ProviderRow>> {
            let rows = sqlx::query("SELECT id, name, display_name, timezone FROM providers ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(q("listing providers"))?;
            rows.iter().map(provider_row).collect()
        }

        async fn upsert_source(
            &self,
            provider_id: i64,
            kind: &str,
            url: &str,
            poll_interval_secs: i64,
        ) -> Result<SourceRow> {
            let row = sqlx::query(&format!(
                "INSERT INTO sources (provider_id, kind, url, poll_interval_secs, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (provider_id, url) DO UPDATE SET kind = excluded.kind,
                        poll_interval_secs = excluded.poll_interval_secs
                 RETURNING {SOURCE_COLUMNS}"
            ))
            .bind(provider_id)
            .bind(kind)
            .bind(url)
            .bind(poll_interval_secs)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await
            .map_err(q("upserting a source"))?;
            source_row(&row)
        }

        async fn source(&self, source_id: i64) -> Result<Option<SourceRow>> {
            let row = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE id = $1"))
                .bind(source_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(q("reading a source"))?;
            row.as_ref().map(source_row).transpose()
        }

        async fn sources(&self) -> Result<Vec<SourceRow>> {
            let rows = sqlx::query(&format!("SELECT {SOURCE_COLUMNS} FROM sources ORDER BY id"))
                .fetch_all(&self.pool)
                .await
                .map_err(q("listing sources"))?;
            rows.iter().map(source_row).collect()
        }

        async fn claim_source(
            &self,
            source_id: i64,
            worker: &str,
            now: DateTime<Utc>,
            lease_until: DateTime<Utc>,
        ) -> Result<bool> {
            let done = sqlx::query(
                "UPDATE sources SET claimed_by = $2, claimed_until = $4
                 WHERE id = $1
                   AND (next_poll_at IS NULL OR next_poll_at <= $3)
                   AND (claimed_until IS NULL OR claimed_until < $3 OR claimed_by = $2)",
            )
            .bind(source_id)
            .bind(worker)
            .bind(now)
            .bind(lease_until)
            .execute(&self.pool)
            .await
            .map_err(q("claiming a source"))?;
            Ok(done.rows_affected() == 1)
        }

        async fn record_poll(&self, p: &PollRecord) -> Result<()> {
            let mut tx = self.pool.begin_with($begin).await.map_err(q("starting a transaction"))?;
            sqlx::query(
                "INSERT INTO poll_log (source_id, started_at, duration_ms, outcome, http_status,
                        bytes, error_class, error, final_url, redirects, items_seen, items_new,
                        items_changed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(p.source_id)
            .bind(p.started_at)
            .bind(p.duration_ms)
            .bind(&p.outcome)
            .bind(p.http_status)
            .bind(p.bytes)
            .bind(&p.error_class)
            .bind(clean_opt(p.error.as_deref()))
            .bind(&p.final_url)
            .bind(p.redirects)
            .bind(p.items_seen)
            .bind(p.items_new)
            .bind(p.items_changed)
            .execute(&mut *tx)
            .await
            .map_err(q("logging a poll"))?;
            let failed = p.outcome == "error";
            sqlx::query(
                "UPDATE sources SET etag = $2, last_modified = $3, cursor = $4,
                        last_polled_at = $5, last_outcome = $6, last_error = $7,
                        last_error_class = $8,
                        consecutive_failures = CASE WHEN $9 THEN consecutive_failures + 1 ELSE 0 END,
                        next_poll_at = $10, claimed_by = NULL, claimed_until = NULL
                 WHERE id = $1",
            )
            .bind(p.source_id)
            .bind(&p.etag)
            .bind(&p.last_modified)
            .bind(&p.cursor)
            .bind(p.started_at)
            .bind(&p.outcome)
            .bind(clean_opt(p.error.as_deref()))
            .bind(&p.error_class)
            .bind(failed)
            .bind(p.next_poll_at)
            .execute(&mut *tx)
            .await
            .map_err(q("updating a source after a poll"))?;
            tx.commit().await.map_err(q("committing a poll"))?;
            Ok(())
        }

        async fn save_item(
            &self,
            source_id: i64,
            item: &FetchedItem,
            fetched_at: DateTime<Utc>,
        ) -> Result<SaveOutcome> {
            let hash = item.content_hash();
            let title = clean_opt(item.title.as_deref());
            let text = clean(&item.text);
            let body = clean(&item.body);
            let label = item.status_label.map(|p| p.as_str());
            let mut tx = self.pool.begin_with($begin).await.map_err(q("starting a transaction"))?;
            let existing = sqlx::query(
                "SELECT id, content_hash, version, published_at FROM posts
                 WHERE source_id = $1 AND external_id = $2",
            )
            .bind(source_id)
            .bind(&item.external_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(q("looking up a post"))?;
            let outcome = match existing {
                None => {
                    let published_at = item.published_at.unwrap_or(fetched_at);
                    // An item that shows up after later ones of its source (and incident, when it
                    // has one) were stored by an earlier poll is backfilled.
                    let later_known: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM posts
                         WHERE source_id = $1 AND fetched_at < $2 AND published_at > $3
                           AND ($4 IS NULL OR thread_key = $4)",
                    )
                    .bind(source_id)
                    .bind(fetched_at)
                    .bind(published_at)
                    .bind(&item.thread_key)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(q("looking for later posts"))?;
                    let backfilled = item.backfilled || later_known > 0;
                    let inserted = sqlx::query(
                        "INSERT INTO posts (source_id, external_id, url, published_at, date_known,
                                fetched_at, updated_at, title, text, body, content_hash, lang,
                                thread_key, status_label, backfilled, version)
                         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)
                         ON CONFLICT (source_id, external_id) DO NOTHING
                         RETURNING id",
                    )
                    .bind(source_id)
                    .bind(&item.external_id)
                    .bind(&item.url)
                    .bind(published_at)
                    .bind(item.published_at.is_some())
                    .bind(fetched_at)
                    .bind(&title)
                    .bind(text.as_ref())
                    .bind(body.as_ref())
                    .bind(&hash)
                    .bind(&item.lang)
                    .bind(&item.thread_key)
                    .bind(label)
                    .bind(backfilled)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(q("inserting a post"))?;
                    match inserted {
                        // Another worker stored it between our look-up and insert.
                        None => {
                            let id: i64 = sqlx::query_scalar(
                                "SELECT id FROM posts WHERE source_id = $1 AND external_id = $2",
                            )
                            .bind(source_id)
                            .bind(&item.external_id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(q("looking up a post"))?;
                            SaveOutcome::Unchanged { post_id: id }
                        }
                        Some(row) => {
                            let post_id: i64 = row.try_get("id").map_err(q("reading a post id"))?;
                            insert_version(&mut tx, post_id, 1, fetched_at, published_at, &title, &text, &body, &hash, label).await?;
                            SaveOutcome::New { post_id }
                        }
                    }
                }
                Some(row) => {
                    let post_id: i64 = row.try_get("id").map_err(q("reading a post"))?;
                    let old_hash: String = row.try_get("content_hash").map_err(q("reading a post"))?;
                    let version: i64 = row.try_get("version").map_err(q("reading a post"))?;
                    let old_published: DateTime<Utc> =
                        row.try_get("published_at").map_err(q("reading a post"))?;
                    if old_hash == hash {
                        SaveOutcome::Unchanged { post_id }
                    } else {
                        let published_at = item.published_at.unwrap_or(old_published);
                        let updated = sqlx::query(
                            "UPDATE posts SET url = $3, published_at = $4, updated_at = $5,
                                    title = $6, text = $7, body = $8, content_hash = $9,
                                    lang = $10, thread_key = $11, status_label = $12,
                                    backfilled = (backfilled OR $13), version = version + 1
                             WHERE id = $1 AND version = $2",
                        )
                        .bind(post_id)
                        .bind(version)
                        .bind(&item.url)
                        .bind(published_at)
                        .bind(fetched_at)
                        .bind(&title)
                        .bind(text.as_ref())
                        .bind(body.as_ref())
                        .bind(&hash)
                        .bind(&item.lang)
                        .bind(&item.thread_key)
                        .bind(label)
                        .bind(item.backfilled)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("updating a post"))?;
                        if updated.rows_affected() == 0 {
                            // Another worker wrote this version first.
                            SaveOutcome::Unchanged { post_id }
                        } else {
                            insert_version(&mut tx, post_id, version + 1, fetched_at, published_at, &title, &text, &body, &hash, label).await?;
                            SaveOutcome::Changed { post_id, version: version + 1 }
                        }
                    }
                }
            };
            tx.commit().await.map_err(q("committing a post"))?;
            Ok(outcome)
        }

        async fn replace_statements(&self, post_id: i64, statements: &[Statement]) -> Result<()> {
            let mut tx = self.pool.begin_with($begin).await.map_err(q("starting a transaction"))?;
            sqlx::query("DELETE FROM statements WHERE post_id = $1")
                .bind(post_id)
                .execute(&mut *tx)
                .await
                .map_err(q("deleting statements"))?;
            for s in statements {
                let (phase, restored, affected) = statement_columns(s);
                sqlx::query(
                    "INSERT INTO statements (post_id, post_version, phase, restored_pct,
                            affected_pct, mentioned_at, rule_id, span_start, span_end, matched)
                     SELECT $1, version, $2, $3, $4, $5, $6, $7, $8, $9 FROM posts WHERE id = $1",
                )
                .bind(post_id)
                .bind(phase)
                .bind(restored)
                .bind(affected)
                .bind(s.mentioned_at)
                .bind(clean(&s.rule_id).as_ref())
                .bind(s.span.0 as i64)
                .bind(s.span.1 as i64)
                .bind(clean(&s.matched).as_ref())
                .execute(&mut *tx)
                .await
                .map_err(q("inserting a statement"))?;
            }
            tx.commit().await.map_err(q("committing statements"))?;
            Ok(())
        }

        async fn provider_posts(&self, provider_id: i64) -> Result<Vec<PostWithStatements>> {
            let rows = sqlx::query(
                "SELECT po.id, po.source_id, s.provider_id, po.external_id, po.url,
                        po.published_at, po.fetched_at, po.title, po.text, po.lang,
                        po.thread_key, po.status_label, po.backfilled, po.version,
                        s.kind AS source_kind
                 FROM posts po JOIN sources s ON s.id = po.source_id
                 WHERE s.provider_id = $1
                 ORDER BY po.published_at, po.id",
            )
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading posts"))?;
            let mut posts = Vec::with_capacity(rows.len());
            let mut index = std::collections::HashMap::new();
            for row in &rows {
                let post = post_row(row)?;
                index.insert(post.id, posts.len());
                posts.push(PostWithStatements { post, statements: Vec::new() });
            }
            let rows = sqlx::query(
                "SELECT st.id, st.post_id, st.phase, st.restored_pct, st.affected_pct,
                        st.mentioned_at, st.rule_id, st.span_start, st.span_end, st.matched
                 FROM statements st
                 JOIN posts po ON po.id = st.post_id
                 JOIN sources s ON s.id = po.source_id
                 WHERE s.provider_id = $1
                 ORDER BY st.post_id, st.span_start, st.id",
            )
            .bind(provider_id)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading statements"))?;
            for row in &rows {
                let st = statement_row(row)?;
                if let Some(&i) = index.get(&st.post_id) {
                    posts[i].statements.push(st);
                }
            }
            Ok(posts)
        }

        async fn sync_incidents(&self, provider_id: i64, drafts: &[IncidentDraft]) -> Result<Vec<i64>> {
            let mut tx = self.pool.begin_with($begin).await.map_err(q("starting a transaction"))?;
            let now = Utc::now();
            let mut ids = Vec::with_capacity(drafts.len());
            for d in drafts {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO incidents (provider_id, key, title, started_at, ended_at,
                            last_phase, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (provider_id, key) DO UPDATE SET title = excluded.title,
                            started_at = excluded.started_at, ended_at = excluded.ended_at,
                            last_phase = excluded.last_phase, updated_at = excluded.updated_at
                     RETURNING id",
                )
                .bind(provider_id)
                .bind(&d.key)
                .bind(clean_opt(d.title.as_deref()))
                .bind(d.started_at)
                .bind(d.ended_at)
                .bind(d.last_phase.map(|p| p.as_str()))
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(q("upserting an incident"))?;
                sqlx::query("DELETE FROM incident_events WHERE incident_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(q("deleting incident events"))?;
                for (seq, e) in d.events.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO incident_events (incident_id, seq, at, posted_at,
                                mentioned_at, phase, restored_pct, affected_pct, rule_id, excerpt,
                                post_id, statement_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(id)
                    .bind(seq as i64 + 1)
                    .bind(e.at)
                    .bind(e.posted_at)
                    .bind(e.mentioned_at)
                    .bind(e.phase.map(|p| p.as_str()))
                    .bind(e.restored_pct)
                    .bind(e.affected_pct)
                    .bind(&e.rule_id)
                    .bind(clean(&e.excerpt).as_ref())
                    .bind(e.post_id)
                    .bind(e.statement_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(q("inserting an incident event"))?;
                }
                ids.push(id);
            }
            let existing: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, key FROM incidents WHERE provider_id = $1")
                    .bind(provider_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(q("listing incidents"))?;
            for (id, key) in existing {
                if !drafts.iter().any(|d| d.key == key) {
                    sqlx::query("DELETE FROM incidents WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(q("deleting a vanished incident"))?;
                }
            }
            tx.commit().await.map_err(q("committing incidents"))?;
            Ok(ids)
        }

        async fn incidents(&self, provider: Option<&str>) -> Result<Vec<IncidentRow>> {
            let rows = sqlx::query(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN providers p ON p.id = i.provider_id
                 WHERE ($1 IS NULL OR p.name = $1)
                 ORDER BY i.started_at DESC, i.id DESC"
            ))
            .bind(provider)
            .fetch_all(&self.pool)
            .await
            .map_err(q("listing incidents"))?;
            rows.iter().map(incident_row).collect()
        }

        async fn incident(&self, incident_id: i64) -> Result<Option<IncidentRow>> {
            let row = sqlx::query(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN providers p ON p.id = i.provider_id
                 WHERE i.id = $1"
            ))
            .bind(incident_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(q("reading an incident"))?;
            row.as_ref().map(incident_row).transpose()
        }

        async fn upsert_target(
            &self,
            provider_id: i64,
            name: &str,
            url: Option<&str>,
            interval_secs: Option<i64>,
        ) -> Result<i64> {
            let row = sqlx::query(
                "INSERT INTO targets (provider_id, name, url, interval_secs, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (provider_id, name) DO UPDATE SET url = excluded.url,
                                                             interval_secs = excluded.interval_secs
                 RETURNING id",
            )
            .bind(provider_id)
            .bind(clean(name).as_ref())
            .bind(url)
            .bind(interval_secs)
            .bind(Utc::now())
            .fetch_one(&self.pool)
            .await
            .map_err(q("upserting a target"))?;
            row.try_get("id").map_err(q("decoding a target id"))
        }

        async fn claim_target(
            &self,
            target_id: i64,
            worker: &str,
            now: DateTime<Utc>,
            lease_until: DateTime<Utc>,
        ) -> Result<bool> {
            let done = sqlx::query(
                "UPDATE targets SET claimed_by = $2, claimed_until = $4
                 WHERE id = $1
                   AND (claimed_until IS NULL OR claimed_until < $3 OR claimed_by = $2)",
            )
            .bind(target_id)
            .bind(worker)
            .bind(now)
            .bind(lease_until)
            .execute(&self.pool)
            .await
            .map_err(q("claiming a target"))?;
            Ok(done.rows_affected() == 1)
        }

        async fn release_target(
            &self,
            target_id: i64,
            worker: &str,
            free_at: DateTime<Utc>,
        ) -> Result<()> {
            sqlx::query(
                "UPDATE targets SET claimed_by = NULL, claimed_until = $3
                 WHERE id = $1 AND claimed_by = $2",
            )
            .bind(target_id)
            .bind(worker)
            .bind(free_at)
            .execute(&self.pool)
            .await
            .map_err(q("releasing a target"))?;
            Ok(())
        }

        async fn save_observations(
            &self,
            provider_id: i64,
            observations: &[Observation],
            origin: Origin,
        ) -> Result<usize> {
            let mut tx = self.pool.begin_with($begin).await.map_err(q("starting a transaction"))?;
            let mut ids: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
            for o in observations {
                if ids.contains_key(o.target.as_str()) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO targets (provider_id, name, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (provider_id, name) DO NOTHING",
                )
                .bind(provider_id)
                .bind(clean(&o.target).as_ref())
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(q("creating a target"))?;
                let id: i64 =
                    sqlx::query("SELECT id FROM targets WHERE provider_id = $1 AND name = $2")
                        .bind(provider_id)
                        .bind(clean(&o.target).as_ref())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(q("finding a target"))?
                        .try_get("id")
                        .map_err(q("decoding a target id"))?;
                ids.insert(o.target.as_str(), id);
            }
            // Imports bring observations by the million: 500 rows per statement, each
            // (target, time, origin) kept once.
            let mut new = 0;
            for chunk in observations.chunks(500) {
                let mut b = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO observations (target_id, at, ok, http_status, latency_ms,
                            failure_class, error, origin) ",
                );
                b.push_values(chunk, |mut row, o| {
                    row.push_bind(ids[o.target.as_str()])
                        .push_bind(o.at)
                        .push_bind(o.ok)
                        .push_bind(o.http_status.map(i64::from))
                        .push_bind(o.latency_ms)
                        .push_bind(o.failure.map(|f| f.as_str()))
                        .push_bind(clean_opt(o.error.as_deref()))
                        .push_bind(origin.as_str());
                });
                b.push(" ON CONFLICT (target_id, at, origin) DO NOTHING");
                let done = b
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(q("inserting observations"))?;
                new += done.rows_affected() as usize;
            }
            tx.commit().await.map_err(q("committing observations"))?;
            Ok(new)
        }

        async fn samples(
            &self,
            provider_id: i64,
            since: Option<DateTime<Utc>>,
        ) -> Result<Vec<Sample>> {
            let rows = sqlx::query(
                "SELECT o.target_id, o.at, o.ok FROM observations o
                 JOIN targets t ON t.id = o.target_id
                 WHERE t.provider_id = $1 AND ($2 IS NULL OR o.at >= $2)
                 ORDER BY o.target_id, o.at",
            )
            .bind(provider_id)
            .bind(since)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading observations"))?;
            rows.iter()
                .map(|r| {
                    Ok(Sample {
                        target_id: r.try_get("target_id")?,
                        at: r.try_get("at")?,
                        ok: r.try_get("ok")?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                .map_err(q("decoding an observation"))
        }

        async fn outage_start_overlapping(
            &self,
            provider_id: i64,
            at: DateTime<Utc>,
        ) -> Result<Option<DateTime<Utc>>> {
            let row = sqlx::query(
                "SELECT MIN(started_at) AS s FROM measured_outages
                 WHERE provider_id = $1 AND (ended_at IS NULL OR ended_at >= $2)",
            )
            .bind(provider_id)
            .bind(at)
            .fetch_one(&self.pool)
            .await
            .map_err(q("reading measured outages"))?;
            row.try_get("s").map_err(q("decoding an outage start"))
        }

        async fn outages_before(
            &self,
            provider_id: i64,
            before: DateTime<Utc>,
        ) -> Result<Vec<StoredOutage>> {
            let rows = sqlx::query(
                "SELECT id, started_at, ended_at, targets_down, min_share_up FROM measured_outages
                 WHERE provider_id = $1 AND started_at < $2 ORDER BY started_at, id",
            )
            .bind(provider_id)
            .bind(before)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading measured outages"))?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("id")?,
                        MeasuredOutage {
                            started_at: r.try_get("started_at")?,
                            ended_at: r.try_get("ended_at")?,
                            targets_down: r.try_get::<i64, _>("targets_down")? as usize,
                            min_share_up: r.try_get("min_share_up")?,
                        },
                    ))
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                .map_err(q("decoding a measured outage"))
        }

        async fn replace_measures(&self, provider_id: i64, d: &Derived) -> Result<()> {
            let mut tx = self.pool.begin_with($begin).await.map_err(q("starting a transaction"))?;
            for sql in [
                "DELETE FROM restored_claims WHERE incident_id IN
                    (SELECT id FROM incidents WHERE provider_id = $1)",
                "DELETE FROM incident_measures WHERE incident_id IN
                    (SELECT id FROM incidents WHERE provider_id = $1)",
                "DELETE FROM measured_outages WHERE provider_id = $1
                    AND ($2 IS NULL OR started_at >= $2)",
                "DELETE FROM provider_minutes WHERE provider_id = $1 AND ($2 IS NULL OR minute >= $2)",
                "DELETE FROM target_outages WHERE target_id IN
                    (SELECT id FROM targets WHERE provider_id = $1) AND ($2 IS NULL OR started_at >= $2)",
            ] {
                sqlx::query(sql)
                    .bind(provider_id)
                    .bind(d.from)
                    .execute(&mut *tx)
                    .await
                    .map_err(q("clearing derived measures"))?;
            }
            let dur = |s: DateTime<Utc>, e: Option<DateTime<Utc>>| e.map(|e| (e - s).num_seconds());
            for w in &d.target_outages {
                sqlx::query(
                    "INSERT INTO target_outages (target_id, started_at, ended_at, duration_secs,
                            failed_observations) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(w.target_id)
                .bind(w.started_at)
                .bind(w.ended_at)
                .bind(dur(w.started_at, w.ended_at))
                .bind(w.failed_observations as i64)
                .execute(&mut *tx)
                .await
                .map_err(q("inserting a target outage"))?;
            }
            // Minutes are the bulk of what is derived (one row per minute of history): written
            // 500 rows per statement.
            for chunk in d.minutes.chunks(500) {
                let mut b = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO provider_minutes (provider_id, minute, targets, up) ",
                );
                b.push_values(chunk, |mut row, m| {
                    row.push_bind(provider_id)
                        .push_bind(m.minute)
                        .push_bind(m.targets as i64)
                        .push_bind(m.up as i64);
                });
                b.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(q("inserting minutes"))?;
            }
            let mut outage_ids = d.stored_outages.clone();
            for o in &d.outages[d.stored_outages.len()..] {
                let row = sqlx::query(
                    "INSERT INTO measured_outages (provider_id, started_at, ended_at, duration_secs,
                            targets_down, min_share_up) VALUES ($1, $2, $3, $4, $5, $6)
                     RETURNING id",
                )
                .bind(provider_id)
                .bind(o.started_at)
                .bind(o.ended_at)
                .bind(dur(o.started_at, o.ended_at))
                .bind(o.targets_down as i64)
                .bind(o.min_share_up)
                .fetch_one(&mut *tx)
                .await
                .map_err(q("inserting a measured outage"))?;
                let id: i64 = row.try_get("id").map_err(q("decoding an outage id"))?;
                outage_ids.push(id);
            }
            for m in &d.incidents {
                sqlx::query(
                    "INSERT INTO incident_measures (incident_id, measured_outage_id, first_post_at,
                            identified_at, claimed_resolved_at, measured_start, measured_end,
                            ack_delay_secs, identified_delay_secs, resolution_gap_secs)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(m.incident_id)
                .bind(m.outage.map(|k| outage_ids[k]))
                .bind(m.first_post_at)
                .bind(m.identified_at)
                .bind(m.claimed_resolved_at)
                .bind(m.measured_start)
                .bind(m.measured_end)
                .bind(m.ack_delay_secs)
                .bind(m.identified_delay_secs)
                .bind(m.resolution_gap_secs)
                .execute(&mut *tx)
                .await
                .map_err(q("inserting an incident measure"))?;
            }
            for c in &d.restored_claims {
                sqlx::query(
                    "INSERT INTO restored_claims (event_id, incident_id, at, claimed_pct,
                            measured_pct, overstated) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(c.event_id)
                .bind(c.incident_id)
                .bind(c.at)
                .bind(c.claimed_pct)
                .bind(c.measured_pct)
                .bind(c.overstated())
                .execute(&mut *tx)
                .await
                .map_err(q("inserting a restored claim"))?;
            }
            tx.commit().await.map_err(q("committing measures"))?;
            Ok(())
        }

        async fn provider_minutes(
            &self,
            provider_id: i64,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<Minute>> {
            let rows = sqlx::query(
                "SELECT minute, targets, up FROM provider_minutes
                 WHERE provider_id = $1 AND minute >= $2 AND minute <= $3 ORDER BY minute",
            )
            .bind(provider_id)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading minutes"))?;
            rows.iter()
                .map(|r| {
                    Ok(Minute {
                        minute: r.try_get("minute")?,
                        targets: r.try_get::<i64, _>("targets")? as usize,
                        up: r.try_get::<i64, _>("up")? as usize,
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                .map_err(q("decoding a minute"))
        }

        async fn claims_vs_measured(&self, provider: Option<&str>) -> Result<Vec<ClaimsRow>> {
            let rows = sqlx::query(
                "SELECT * FROM v_claims_vs_measured WHERE ($1 IS NULL OR provider = $1)
                 ORDER BY COALESCE(measured_start, first_post_at), incident_id",
            )
            .bind(provider)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading v_claims_vs_measured"))?;
            rows.iter()
                .map(|r| {
                    Ok(ClaimsRow {
                        provider: r.try_get("provider")?,
                        incident_id: r.try_get("incident_id")?,
                        incident_title: r.try_get("incident_title")?,
                        measured_start: r.try_get("measured_start")?,
                        measured_end: r.try_get("measured_end")?,
                        first_post_at: r.try_get("first_post_at")?,
                        ack_delay_secs: r.try_get("ack_delay_secs")?,
                        identified_at: r.try_get("identified_at")?,
                        identified_delay_secs: r.try_get("identified_delay_secs")?,
                        claimed_resolved_at: r.try_get("claimed_resolved_at")?,
                        resolution_gap_secs: r.try_get("resolution_gap_secs")?,
                        first_to_recover: r.try_get("first_to_recover")?,
                        targets_down: r.try_get("targets_down")?,
                        min_share_up: r.try_get("min_share_up")?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                .map_err(q("decoding v_claims_vs_measured"))
        }

        async fn incident_events(&self, incident_id: i64) -> Result<Vec<EventRow>> {
            let rows = sqlx::query(
                "SELECT id, incident_id, seq, at, posted_at, mentioned_at, phase, restored_pct,
                        affected_pct, rule_id, excerpt, post_id, statement_id
                 FROM incident_events WHERE incident_id = $1 ORDER BY seq",
            )
            .bind(incident_id)
            .fetch_all(&self.pool)
            .await
            .map_err(q("reading incident events"))?;
            rows.iter().map(event_row).collect()
        }
    }
    };
}

/// Expands to the row decoders and helpers the shared queries use, for one database type.
macro_rules! impl_store_rows {
    ($db:ty) => {
        type DbRow = <$db as sqlx::Database>::Row;

        const SOURCE_COLUMNS: &str = "id, provider_id, kind, url, poll_interval_secs, etag,
            last_modified, cursor, last_polled_at, last_outcome, last_error, consecutive_failures,
            next_poll_at";

        const INCIDENT_COLUMNS: &str = "i.id, i.provider_id, p.name AS provider, i.key, i.title,
            i.started_at, i.ended_at, i.last_phase";

        fn q(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
            move |source| StoreError::Query { context, source }
        }

        fn provider_row(r: &DbRow) -> Result<ProviderRow> {
            let f = q("decoding a provider");
            (|| {
                Ok(ProviderRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    display_name: r.try_get("display_name")?,
                    timezone: r.try_get("timezone")?,
                })
            })()
            .map_err(f)
        }

        fn source_row(r: &DbRow) -> Result<SourceRow> {
            (|| {
                Ok(SourceRow {
                    id: r.try_get("id")?,
                    provider_id: r.try_get("provider_id")?,
                    kind: r.try_get("kind")?,
                    url: r.try_get("url")?,
                    poll_interval_secs: r.try_get("poll_interval_secs")?,
                    etag: r.try_get("etag")?,
                    last_modified: r.try_get("last_modified")?,
                    cursor: r.try_get("cursor")?,
                    last_polled_at: r.try_get("last_polled_at")?,
                    last_outcome: r.try_get("last_outcome")?,
                    last_error: r.try_get("last_error")?,
                    consecutive_failures: r.try_get("consecutive_failures")?,
                    next_poll_at: r.try_get("next_poll_at")?,
                })
            })()
            .map_err(q("decoding a source"))
        }

        fn post_row(r: &DbRow) -> Result<PostRow> {
            let label: Option<String> = r.try_get("status_label").map_err(q("decoding a post"))?;
            (|| {
                Ok(PostRow {
                    id: r.try_get("id")?,
                    source_id: r.try_get("source_id")?,
                    source_kind: r.try_get("source_kind")?,
                    provider_id: r.try_get("provider_id")?,
                    external_id: r.try_get("external_id")?,
                    url: r.try_get("url")?,
                    published_at: r.try_get("published_at")?,
                    fetched_at: r.try_get("fetched_at")?,
                    title: r.try_get("title")?,
                    text: r.try_get("text")?,
                    lang: r.try_get("lang")?,
                    thread_key: r.try_get("thread_key")?,
                    status_label: None,
                    backfilled: r.try_get("backfilled")?,
                    version: r.try_get("version")?,
                })
            })()
            .map_err(q("decoding a post"))
            .and_then(|mut p: PostRow| {
                p.status_label = parse_phase(label, "posts.status_label")?;
                Ok(p)
            })
        }

        fn statement_row(r: &DbRow) -> Result<StoredStatement> {
            let d = q("decoding a statement");
            let phase: Option<String> = r.try_get("phase").map_err(q("decoding a statement"))?;
            let restored: Option<f64> = r.try_get("restored_pct").map_err(q("decoding a statement"))?;
            let affected: Option<f64> = r.try_get("affected_pct").map_err(q("decoding a statement"))?;
            let corrupt = |detail: String| StoreError::Corrupt {
                context: "statements",
                detail,
            };
            let pct = |v: f64| Percent::new(v).map_err(|e| corrupt(e.to_string()));
            let yields = match (parse_phase(phase, "statements.phase")?, restored, affected) {
                (Some(p), None, None) => Yield::Phase(p),
                (None, Some(v), None) => Yield::Restored(pct(v)?),
                (None, None, Some(v)) => Yield::Affected(pct(v)?),
                other => return Err(corrupt(format!("not exactly one value: {other:?}"))),
            };
            (|| {
                let start: i64 = r.try_get("span_start")?;
                let end: i64 = r.try_get("span_end")?;
                Ok(StoredStatement {
                    id: r.try_get("id")?,
                    post_id: r.try_get("post_id")?,
                    statement: Statement {
                        yields,
                        mentioned_at: r.try_get("mentioned_at")?,
                        rule_id: r.try_get("rule_id")?,
                        span: (start.max(0) as usize, end.max(0) as usize),
                        matched: r.try_get("matched")?,
                    },
                })
            })()
            .map_err(d)
        }

        fn incident_row(r: &DbRow) -> Result<IncidentRow> {
            let phase: Option<String> = r.try_get("last_phase").map_err(q("decoding an incident"))?;
            let last_phase = parse_phase(phase, "incidents.last_phase")?;
            (|| {
                Ok(IncidentRow {
                    id: r.try_get("id")?,
                    provider_id: r.try_get("provider_id")?,
                    provider: r.try_get("provider")?,
                    key: r.try_get("key")?,
                    title: r.try_get("title")?,
                    started_at: r.try_get("started_at")?,
                    ended_at: r.try_get("ended_at")?,
                    last_phase,
                })
            })()
            .map_err(q("decoding an incident"))
        }

        fn event_row(r: &DbRow) -> Result<EventRow> {
            let phase: Option<String> = r.try_get("phase").map_err(q("decoding an event"))?;
            let phase = parse_phase(phase, "incident_events.phase")?;
            (|| {
                Ok(EventRow {
                    id: r.try_get("id")?,
                    incident_id: r.try_get("incident_id")?,
                    seq: r.try_get("seq")?,
                    event: EventDraft {
                        post_id: r.try_get("post_id")?,
                        statement_id: r.try_get("statement_id")?,
                        at: r.try_get("at")?,
                        posted_at: r.try_get("posted_at")?,
                        mentioned_at: r.try_get("mentioned_at")?,
                        phase,
                        restored_pct: r.try_get("restored_pct")?,
                        affected_pct: r.try_get("affected_pct")?,
                        rule_id: r.try_get("rule_id")?,
                        excerpt: r.try_get("excerpt")?,
                    },
                })
            })()
            .map_err(q("decoding an event"))
        }

        #[allow(clippy::too_many_arguments)]
        async fn insert_version(
            tx: &mut sqlx::Transaction<'_, $db>,
            post_id: i64,
            version: i64,
            fetched_at: DateTime<Utc>,
            published_at: DateTime<Utc>,
            title: &Option<String>,
            text: &str,
            body: &str,
            hash: &str,
            label: Option<&str>,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO post_versions (post_id, version, fetched_at, published_at, title,
                        text, body, content_hash, status_label)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(post_id)
            .bind(version)
            .bind(fetched_at)
            .bind(published_at)
            .bind(title)
            .bind(text)
            .bind(body)
            .bind(hash)
            .bind(label)
            .execute(&mut **tx)
            .await
            .map_err(q("inserting a post version"))?;
            Ok(())
        }
    };
}

pub(crate) use impl_store_queries;
pub(crate) use impl_store_rows;
