//! The `bluesky` source kind: an account's posts through the public AppView,
//! `GET https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=<handle or did>` (the
//! configured URL, `actor` included). The answer is `{"feed": [{"post": …, "reply": …,
//! "reason": …}], "cursor": …}`, newest first; `cursor` pages towards older posts.
//!
//! Polling keeps, as the cursor between polls, the newest `indexedAt` seen. The first poll takes
//! the newest page. Later polls read pages back in time until one reaches what was already seen
//! ([`MAX_PAGES`] at most), so a burst between polls loses nothing within that bound.
//!
//! One post becomes one item: `external_id` = the post's `at://` uri, text = `record.text`,
//! published at `record.createdAt`, url = its bsky.app page, `thread_key` = the uri of its
//! thread's root (`record.reply.root.uri`; a root that has a reply in the same document keys on
//! itself), for threads the author started only: a reply in someone else's thread has no key.
//! Pinned posts shown on top (`includePins`) do not stop paging early. Reposts (`reason` of type `…#reasonRepost`) are skipped, being someone else's post
//! or a repeat of one already read. Bluesky posts carry no status word.

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderValue, ACCEPT};
use serde_json::Value;
use url::Url;

use super::fetch::{Fetcher, Validators};
use super::text::to_plain_text;
use super::{ParseError, PollError, PollRequest, Polled};
use crate::model::FetchedItem;

/// Posts asked for per page (the endpoint accepts 1..=100).
pub const PAGE_LIMIT: usize = 50;
/// Pages read per poll at most.
pub const MAX_PAGES: usize = 5;

const FORMAT: &str = "bluesky";

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut at = v;
    for k in path {
        at = at.get(k)?;
    }
    at.as_str().filter(|s| !s.is_empty())
}

fn time_at(v: &Value, path: &[&str]) -> Option<DateTime<Utc>> {
    str_at(v, path)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn is_repost(entry: &Value) -> bool {
    str_at(entry, &["reason", "$type"]).is_some_and(|t| t.ends_with("#reasonRepost"))
}

/// A pinned post shown on top (`includePins=true`): old, out of the feed's time order.
fn is_pin(entry: &Value) -> bool {
    str_at(entry, &["reason", "$type"]).is_some_and(|t| t.ends_with("#reasonPin"))
}

/// The DID in an `at://<did>/<collection>/<rkey>` uri.
fn did_of(uri: &str) -> Option<&str> {
    uri.strip_prefix("at://")?.split('/').next()
}

/// When an entry entered the author's feed (a repost: when it was reposted).
fn indexed_at(entry: &Value) -> Option<DateTime<Utc>> {
    if is_repost(entry) {
        time_at(entry, &["reason", "indexedAt"])
    } else {
        time_at(entry, &["post", "indexedAt"])
    }
}

/// Whether a JSON value is a `getAuthorFeed` answer.
pub fn sniff(v: &Value) -> bool {
    v.get("feed")
        .and_then(Value::as_array)
        .and_then(|f| f.first())
        .is_some_and(|e| str_at(e, &["post", "uri"]).is_some_and(|u| u.starts_with("at://")))
}

/// A page: its entries and the cursor to the next (older) page.
struct Page {
    entries: Vec<Value>,
    next: Option<String>,
}

fn page(bytes: &[u8]) -> Result<Page, ParseError> {
    let mut v: Value = super::text::parse_json(bytes, FORMAT)?;
    if let Some(err) = str_at(&v, &["error"]) {
        let message = str_at(&v, &["message"]).unwrap_or("");
        return Err(ParseError::new(
            FORMAT,
            format!("the server answered an error: {err} {message}").trim_end(),
        ));
    }
    let next = str_at(&v, &["cursor"]).map(str::to_string);
    match v.get_mut("feed").map(Value::take) {
        Some(Value::Array(entries)) => Ok(Page { entries, next }),
        _ => Err(ParseError::new(FORMAT, "no \"feed\" array")),
    }
}

fn page_url(base: &Url, cursor: Option<&str>) -> Url {
    let mut url = base.clone();
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !matches!(k.as_ref(), "cursor" | "limit"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair("limit", &PAGE_LIMIT.to_string());
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
    }
    url
}

/// Polls the author feed: the newest page first time, then back until what was seen.
#[tracing::instrument(skip_all, fields(source = FORMAT, url = %req.url))]
pub async fn poll(fetcher: &Fetcher, req: &PollRequest) -> Result<Polled, PollError> {
    let seen_until = req
        .cursor
        .as_deref()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map(|d| d.with_timezone(&Utc));
    let accept = [(ACCEPT, HeaderValue::from_static("application/json"))];
    let mut entries: Vec<Value> = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    let last = loop {
        let url = page_url(&req.url, next.as_deref());
        let fetched = fetcher
            .get_with(&url, &Validators::default(), &accept)
            .await?;
        pages += 1;
        let p = page(fetched.body.as_deref().unwrap_or(b"{\"feed\":[]}")).map_err(|source| {
            PollError::Parse {
                url: url.to_string(),
                fetched: Box::new(fetched.clone()),
                source,
            }
        })?;
        let reached_seen = match seen_until {
            None => true,
            Some(s) => p
                .entries
                .iter()
                .filter(|e| !is_pin(e))
                .any(|e| indexed_at(e).is_some_and(|t| t <= s)),
        };
        let empty = p.entries.is_empty();
        entries.extend(p.entries);
        next = p.next;
        if reached_seen || empty || next.is_none() || pages >= MAX_PAGES {
            break fetched;
        }
    };
    let newest = entries
        .iter()
        .filter(|e| !is_pin(e))
        .filter_map(indexed_at)
        .max();
    let cursor = match (newest, seen_until) {
        (Some(n), Some(s)) if n <= s => req.cursor.clone(),
        (Some(n), _) => Some(n.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        (None, _) => req.cursor.clone(),
    };
    let fresh: Vec<Value> = entries
        .into_iter()
        .filter(|e| match (seen_until, indexed_at(e)) {
            (Some(s), Some(t)) => t > s,
            _ => true,
        })
        .collect();
    let mut items = items_of(&fresh);
    items.dedup_by(|a, b| a.external_id == b.external_id);
    Ok(Polled {
        items,
        cursor,
        fetched: last,
    })
}

/// Parses one `getAuthorFeed` answer into items, oldest first, reposts skipped.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    Ok(items_of(&page(bytes)?.entries))
}

fn items_of(entries: &[Value]) -> Vec<FetchedItem> {
    let roots: std::collections::HashSet<&str> = entries
        .iter()
        .filter_map(|e| str_at(e, &["post", "record", "reply", "root", "uri"]))
        .collect();
    let mut items: Vec<FetchedItem> = entries
        .iter()
        .filter(|e| !is_repost(e))
        .filter_map(|e| {
            let post = e.get("post")?;
            let uri = str_at(post, &["uri"])?;
            let record = post.get("record")?;
            // Only the author's own threads: a reply in someone else's thread (support
            // chatter) joins incidents by time like any post.
            let thread_key = str_at(record, &["reply", "root", "uri"])
                .filter(|root| did_of(root) == did_of(uri))
                .or_else(|| roots.contains(uri).then_some(uri))
                .map(str::to_string);
            let author =
                str_at(post, &["author", "handle"]).or_else(|| str_at(post, &["author", "did"]));
            let rkey = uri.rsplit('/').next().unwrap_or(uri);
            let url = author.map(|a| format!("https://bsky.app/profile/{a}/post/{rkey}"));
            let lang = record
                .get("langs")
                .and_then(Value::as_array)
                .and_then(|l| l.first())
                .and_then(Value::as_str)
                .map(super::feed::primary_lang);
            Some(FetchedItem {
                external_id: uri.to_string(),
                url,
                published_at: time_at(record, &["createdAt"])
                    .or_else(|| time_at(post, &["indexedAt"])),
                title: None,
                text: to_plain_text(str_at(record, &["text"]).unwrap_or("")),
                body: post.to_string(),
                lang,
                thread_key,
                status_label: None,
                backfilled: false,
            })
        })
        .collect();
    items.sort_by_key(|i| i.published_at);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_and_broken_json_are_parse_errors() {
        let e = parse(
            br#"{"error":"InvalidRequest","message":"Profile not found"}"#,
            Utc::now(),
        )
        .unwrap_err();
        assert!(e.message.contains("Profile not found"), "{e}");
        assert!(parse(b"{\"feed\":[", Utc::now()).is_err());
        assert!(parse(b"{\"posts\":[]}", Utc::now()).is_err());
    }

    #[test]
    fn page_urls_keep_the_actor_and_set_limit_and_cursor() {
        let base = Url::parse(
            "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=status.example.com&limit=10",
        )
        .unwrap();
        assert_eq!(
            page_url(&base, Some("2026-11-24T10:00:00.000Z")).query(),
            Some("actor=status.example.com&limit=50&cursor=2026-11-24T10%3A00%3A00.000Z")
        );
    }
}
