//! The `instatus` source kind: an Instatus status page's public `summary.json`
//! (`https://<status page>/summary.json`): `page`, `activeIncidents[]` of
//! `{name, started, status, impact, url}` and `activeMaintenances[]` of
//! `{name, start, status, duration, url}`. Statuses are capitals: `INVESTIGATING`,
//! `IDENTIFIED`, `MONITORING`, `RESOLVED` for incidents, `NOTSTARTEDYET`, `INPROGRESS`,
//! `COMPLETED` for maintenances. Dates are written as JavaScript prints them
//! (`Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)`); ISO 8601 is read too.
//!
//! The summary holds only each open event's current status and no update message, so one
//! (event, status) pair becomes one item: `external_id` = `<event url>#<STATUS>`, `thread_key`
//! = the event's id (the last segment of its url), `status_label` = the status, text = the
//! event's name. The first status is dated by `started` / `start`; a later one has no date of
//! its own (the poll's time is used). Resolved events leave the summary, so "resolved" is
//! seldom seen here.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::text::to_plain_text;
use super::ParseError;
use crate::model::{FetchedItem, Phase};

const FORMAT: &str = "instatus";

/// Maps an Instatus status word to a phase.
pub fn status_phase(status: &str) -> Option<Phase> {
    Some(match status.trim().to_ascii_uppercase().as_str() {
        "INVESTIGATING" => Phase::Investigating,
        "IDENTIFIED" => Phase::Identified,
        "MONITORING" => Phase::Monitoring,
        "RESOLVED" => Phase::Resolved,
        "NOTSTARTEDYET" => Phase::MaintenanceScheduled,
        "INPROGRESS" => Phase::MaintenanceStarted,
        "COMPLETED" => Phase::MaintenanceCompleted,
        _ => return None,
    })
}

/// A date as Instatus writes it: JavaScript's `Date.toString()` or ISO 8601.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(d.with_timezone(&Utc));
    }
    let s = s.split(" (").next()?.trim();
    DateTime::parse_from_str(s, "%a %b %d %Y %H:%M:%S GMT%z")
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether a JSON value is an Instatus summary.
pub fn sniff(v: &Value) -> bool {
    v.get("activeIncidents").is_some() || v.get("activeMaintenances").is_some()
}

/// Parses a summary into one item per open event and status, oldest first.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let v: Value = super::text::parse_json(bytes, FORMAT)?;
    if !sniff(&v) {
        return Err(ParseError::new(
            FORMAT,
            "no \"activeIncidents\" or \"activeMaintenances\": not an Instatus summary",
        ));
    }
    let mut items = Vec::new();
    for (key, start_key, first_status) in [
        ("activeIncidents", "started", "INVESTIGATING"),
        ("activeMaintenances", "start", "NOTSTARTEDYET"),
    ] {
        let events = v.get(key).and_then(Value::as_array);
        for ev in events.into_iter().flatten() {
            let Some(url) = str_of(ev, "url") else {
                continue;
            };
            let status = str_of(ev, "status").unwrap_or("").to_ascii_uppercase();
            let id = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
            let name = str_of(ev, "name").map(to_plain_text);
            let started = str_of(ev, start_key).and_then(parse_date);
            items.push(FetchedItem {
                external_id: format!("{url}#{status}"),
                url: Some(url.to_string()),
                published_at: if status == first_status {
                    started
                } else {
                    None
                },
                title: name.clone(),
                text: name.unwrap_or_default(),
                body: json!({ "kind": key, "event": ev }).to_string(),
                lang: None,
                thread_key: Some(id.to_string()),
                status_label: status_phase(&status),
                backfilled: false,
            });
        }
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_and_iso_dates_are_read() {
        assert_eq!(
            parse_date("Sat Jun 11 2022 18:55:50 GMT+0000 (Coordinated Universal Time)")
                .unwrap()
                .to_rfc3339(),
            "2022-06-11T18:55:50+00:00"
        );
        assert_eq!(
            parse_date("Sat Jun 11 2022 20:55:50 GMT+0200 (Central European Summer Time)")
                .unwrap()
                .to_rfc3339(),
            "2022-06-11T18:55:50+00:00"
        );
        assert!(parse_date("2022-06-11T18:55:50.000Z").is_some());
        assert!(parse_date("yesterday").is_none());
    }
}
