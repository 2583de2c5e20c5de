//! The `mastodon_api` source kind: an account's public statuses through the Mastodon REST API,
//! `GET {instance}/api/v1/accounts/{id}/statuses` (the configured URL is that endpoint).
//!
//! Polling keeps the newest status id seen as the cursor. The first poll takes the newest page.
//! Later polls ask for what came after the cursor with `min_id` (the page immediately newer than
//! it, which is what the API's `Link: rel="prev"` points to) and walk forward page by page,
//! [`MAX_PAGES`] at most per poll, so a burst of more than one page between two polls loses
//! nothing: what a poll leaves is picked up by the next one, the cursor only advancing over what
//! was read. (`since_id` would return the *newest* page after the cursor and skip the middle of a
//! burst.)
//!
//! One status becomes one item: `external_id` = the status id, text = its HTML content as plain
//! text, title = its content warning when it has one, `thread_key` = the root of the reply
//! thread it belongs to (its `in_reply_to_id`, followed up through the statuses of the same
//! document; a root with a reply in the document keys on itself), so a provider's thread of
//! updates is one incident. Only replies to the account itself make threads: a reply to someone
//! else (support chatter) has no key and joins incidents by time like any post. A reply whose parent was read by an earlier poll names that parent;
//! the timeline follows such keys up to the thread's root. Reblogs are someone else's
//! posts and are skipped. Mastodon statuses carry no status word: `status_label` is never set.

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, ACCEPT};
use serde_json::Value;
use url::Url;

use super::fetch::{Fetcher, Validators};
use super::text::to_plain_text;
use super::{ParseError, PollError, PollRequest, Polled};
use crate::model::FetchedItem;

/// Statuses asked for per page (the API's maximum).
pub const PAGE_LIMIT: usize = 40;
/// Pages read per poll at most; the rest waits for the next poll.
pub const MAX_PAGES: usize = 10;

const FORMAT: &str = "mastodon_api";

/// Orders Mastodon ids (decimal snowflakes as strings): longer is newer, then by digits.
fn id_key(id: &str) -> (usize, &str) {
    (id.len(), id)
}

fn page_url(base: &Url, min_id: Option<&str>) -> Url {
    let mut url = base.clone();
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !matches!(k.as_ref(), "since_id" | "min_id" | "max_id" | "limit"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        if let Some(min_id) = min_id {
            q.append_pair("min_id", min_id);
        }
        q.append_pair("limit", &PAGE_LIMIT.to_string());
    }
    url
}

/// Polls the statuses endpoint: the newest page first time, then forward from the cursor.
#[tracing::instrument(skip_all, fields(source = FORMAT, url = %req.url))]
pub async fn poll(fetcher: &Fetcher, req: &PollRequest) -> Result<Polled, PollError> {
    let accept = [(ACCEPT, HeaderValue::from_static("application/json"))];
    let mut items: Vec<FetchedItem> = Vec::new();
    let mut cursor = req.cursor.clone();
    let mut pages = 0;
    let last = loop {
        let url = page_url(&req.url, cursor.as_deref());
        // Each page is a different URL: validators of the configured URL do not apply.
        let fetched = fetcher
            .get_with(&url, &Validators::default(), &accept)
            .await?;
        pages += 1;
        let body = fetched.body.as_deref().unwrap_or(b"[]");
        let page = statuses(body).and_then(|s| Ok((items_of(&s)?, s)));
        let (page_items, page) = page.map_err(|source| PollError::Parse {
            url: url.to_string(),
            fetched: Box::new(fetched.clone()),
            source,
        })?;
        // Reblogs count here: they move the account's timeline too.
        let newest = page
            .iter()
            .filter_map(|s| str_of(s, "id"))
            .max_by_key(|id| id_key(id))
            .map(str::to_string);
        let full = page.len() >= PAGE_LIMIT;
        items.extend(page_items);
        let advanced = match (&newest, &cursor) {
            (Some(n), Some(c)) => id_key(n) > id_key(c),
            (Some(_), None) => true,
            _ => false,
        };
        if advanced {
            cursor = newest;
        }
        // First poll: the newest page only. Later: forward until a short page or the bound.
        if req.cursor.is_none() || !full || !advanced || pages >= MAX_PAGES {
            if full && advanced && req.cursor.is_some() {
                tracing::info!(
                    pages,
                    "more statuses than one poll reads; the rest next poll"
                );
            }
            break fetched;
        }
    };
    items.sort_by(|a, b| id_key(&a.external_id).cmp(&id_key(&b.external_id)));
    items.dedup_by(|a, b| a.external_id == b.external_id);
    Ok(Polled {
        items,
        cursor,
        fetched: last,
    })
}

/// Whether a JSON value is a page of Mastodon statuses.
pub fn sniff(v: &Value) -> bool {
    v.as_array().and_then(|a| a.first()).is_some_and(|s| {
        s.get("id").is_some() && s.get("account").is_some() && s.get("content").is_some()
    })
}

fn statuses(bytes: &[u8]) -> Result<Vec<Value>, ParseError> {
    let v: Value = super::text::parse_json(bytes, FORMAT)?;
    match v {
        Value::Array(a) => Ok(a),
        Value::Object(o) => Err(ParseError::new(
            FORMAT,
            match o.get("error").and_then(Value::as_str) {
                Some(e) => format!("the server answered an error object: {e}"),
                None => "expected an array of statuses, found an object".to_string(),
            },
        )),
        _ => Err(ParseError::new(FORMAT, "expected an array of statuses")),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Parses one page (a JSON array of statuses) into items, oldest first, reblogs skipped.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    items_of(&statuses(bytes)?)
}

/// The status a status answers, when it answers the same account (a thread of its own, not a
/// conversation with someone else, which joins incidents by time like any post).
fn self_reply_parent(s: &Value) -> Option<&str> {
    let parent = str_of(s, "in_reply_to_id")?;
    let to = str_of(s, "in_reply_to_account_id");
    let me = s.get("account").and_then(|a| str_of(a, "id"));
    match (to, me) {
        (Some(to), Some(me)) if to != me => None,
        _ => Some(parent),
    }
}

fn items_of(statuses: &[Value]) -> Result<Vec<FetchedItem>, ParseError> {
    let parent: std::collections::HashMap<&str, &str> = statuses
        .iter()
        .filter_map(|s| Some((str_of(s, "id")?, self_reply_parent(s)?)))
        .collect();
    let has_replies: std::collections::HashSet<&str> = parent.values().copied().collect();
    let mut items = Vec::with_capacity(statuses.len());
    for s in statuses {
        if s.get("reblog").is_some_and(|r| !r.is_null()) {
            continue;
        }
        let id =
            str_of(s, "id").ok_or_else(|| ParseError::new(FORMAT, "a status without an \"id\""))?;
        let published_at = str_of(s, "created_at")
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(|e| {
                        ParseError::new(FORMAT, format!("status {id}: created_at {t:?}: {e}"))
                    })
            })
            .transpose()?;
        // Up the reply chain as far as this document knows it (bounded against cycles).
        let mut root = None;
        let mut at = id;
        for _ in 0..100 {
            match parent.get(at) {
                Some(p) => {
                    root = Some(*p);
                    at = p;
                }
                None => break,
            }
        }
        let thread_key = root
            .or_else(|| has_replies.contains(id).then_some(id))
            .map(str::to_string);
        let content = str_of(s, "content").unwrap_or("");
        items.push(FetchedItem {
            external_id: id.to_string(),
            url: str_of(s, "url")
                .or_else(|| str_of(s, "uri"))
                .map(str::to_string),
            published_at,
            title: str_of(s, "spoiler_text").map(to_plain_text),
            text: to_plain_text(content),
            body: s.to_string(),
            lang: str_of(s, "language").map(super::feed::primary_lang),
            thread_key,
            status_label: None,
            backfilled: false,
        });
    }
    items.sort_by(|a, b| id_key(&a.external_id).cmp(&id_key(&b.external_id)));
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_keep_other_parameters_and_replace_paging() {
        let base = Url::parse(
            "https://m.example/api/v1/accounts/7/statuses?exclude_replies=false&since_id=1&limit=5",
        )
        .unwrap();
        assert_eq!(
            page_url(&base, None).as_str(),
            "https://m.example/api/v1/accounts/7/statuses?exclude_replies=false&limit=40"
        );
        assert_eq!(
            page_url(&base, Some("109")).as_str(),
            "https://m.example/api/v1/accounts/7/statuses?exclude_replies=false&min_id=109&limit=40"
        );
    }

    #[test]
    fn ids_order_by_length_then_digits() {
        assert!(id_key("110000000000000001") > id_key("99999999999999999"));
        assert!(id_key("110000000000000002") > id_key("110000000000000001"));
    }

    #[test]
    fn reblogs_are_skipped_and_reply_chains_share_their_root() {
        let doc = r#"[
          {"id":"13","created_at":"2026-11-24T10:40:00.000Z","in_reply_to_id":"12","content":"<p>Resolved.</p>","reblog":null},
          {"id":"12","created_at":"2026-11-24T10:35:00.000Z","in_reply_to_id":"11","content":"<p>Identified.</p>","reblog":null},
          {"id":"11","created_at":"2026-11-24T10:30:00.000Z","in_reply_to_id":null,"content":"<p>Investigating &amp; more.</p>","reblog":null,"language":"en"},
          {"id":"10","created_at":"2026-11-24T10:20:00.000Z","content":"","reblog":{"id":"5","content":"<p>someone else</p>"}}
        ]"#;
        let items = parse(doc.as_bytes(), Utc::now()).unwrap();
        let ids: Vec<_> = items.iter().map(|i| i.external_id.as_str()).collect();
        assert_eq!(ids, ["11", "12", "13"]);
        assert!(items.iter().all(|i| i.thread_key.as_deref() == Some("11")));
        assert_eq!(items[0].text, "Investigating & more.");
        assert_eq!(items[0].lang.as_deref(), Some("en"));
    }

    #[test]
    fn a_reply_to_someone_else_is_not_a_thread() {
        let doc = r#"[
          {"id":"21","in_reply_to_id":"900","in_reply_to_account_id":"55","account":{"id":"7"},"content":"<p>@bob we are investigating</p>"},
          {"id":"22","in_reply_to_id":"21","in_reply_to_account_id":"7","account":{"id":"7"},"content":"<p>Resolved.</p>"}
        ]"#;
        let items = parse(doc.as_bytes(), Utc::now()).unwrap();
        assert_eq!(items[0].thread_key.as_deref(), Some("21"));
        assert_eq!(items[1].thread_key.as_deref(), Some("21"));
        let alone = r#"[{"id":"21","in_reply_to_id":"900","in_reply_to_account_id":"55","account":{"id":"7"},"content":"x"}]"#;
        assert_eq!(
            parse(alone.as_bytes(), Utc::now()).unwrap()[0].thread_key,
            None
        );
    }

    #[test]
    fn an_error_object_or_broken_json_is_a_parse_error() {
        let e = parse(br#"{"error":"Record not found"}"#, Utc::now()).unwrap_err();
        assert!(e.message.contains("Record not found"), "{e}");
        let e = parse(b"[{\"id\":\"1\",", Utc::now()).unwrap_err();
        assert_eq!(e.format, FORMAT);
    }
}
