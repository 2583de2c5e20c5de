//! The `incident_io` source kind: an incident.io status page's Widget API, the public JSON the
//! page's settings ("Widget API") give a URL for. It reflects what the page shows now:
//! `ongoing_incidents[]`, `in_progress_maintenances[]` and `scheduled_maintenances[]`, each event
//! with `id`, `name`, `status`, `url`, `last_update_at`, `last_update_message` and
//! `affected_components[]` (incidents also `current_worst_impact`; maintenances `started_at` /
//! `scheduled_end_at` or `starts_at` / `ends_at`).
//!
//! Only each event's latest update is served, so one (event, update time) pair becomes one item:
//! `external_id` = `<id>#<last_update_at>`, published at `last_update_at`, text = the update
//! message, title = the event's name, `thread_key` = the event id, `status_label` = its status
//! (`investigating`, `identified`, `monitoring`, `resolved`, `maintenance_scheduled`,
//! `maintenance_in_progress`). Polling often enough sees every update; an update replaced
//! between two polls is not seen.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::text::to_plain_text;
use super::ParseError;
use crate::model::{FetchedItem, Phase};

const FORMAT: &str = "incident_io";
const LISTS: [&str; 3] = [
    "ongoing_incidents",
    "in_progress_maintenances",
    "scheduled_maintenances",
];

/// Maps a widget status to a phase.
pub fn status_phase(status: &str) -> Option<Phase> {
    Some(match status.trim().to_ascii_lowercase().as_str() {
        "investigating" => Phase::Investigating,
        "identified" => Phase::Identified,
        "monitoring" => Phase::Monitoring,
        "resolved" => Phase::Resolved,
        "maintenance_scheduled" => Phase::MaintenanceScheduled,
        "maintenance_in_progress" => Phase::MaintenanceStarted,
        "maintenance_complete" | "maintenance_completed" => Phase::MaintenanceCompleted,
        _ => return None,
    })
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether a JSON value is an incident.io widget document.
pub fn sniff(v: &Value) -> bool {
    LISTS.iter().filter(|k| v.get(**k).is_some()).count() >= 2
}

/// Parses a widget document into one item per event's latest update, oldest first.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let v: Value = super::text::parse_json(bytes, FORMAT)?;
    if !sniff(&v) {
        return Err(ParseError::new(
            FORMAT,
            "no \"ongoing_incidents\" / \"in_progress_maintenances\": not a widget document",
        ));
    }
    let mut items = Vec::new();
    for list in LISTS {
        let events = v.get(list).and_then(Value::as_array);
        for ev in events.into_iter().flatten() {
            let Some(id) = str_of(ev, "id") else {
                continue;
            };
            let at_raw = str_of(ev, "last_update_at").unwrap_or("");
            let published_at = DateTime::parse_from_rfc3339(at_raw)
                .ok()
                .map(|d| d.with_timezone(&Utc));
            let components: Vec<&str> = ev
                .get("affected_components")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|c| str_of(c, "name")).collect())
                .unwrap_or_default();
            items.push(FetchedItem {
                external_id: format!("{id}#{at_raw}"),
                url: str_of(ev, "url").map(str::to_string),
                published_at,
                title: str_of(ev, "name").map(to_plain_text),
                text: to_plain_text(str_of(ev, "last_update_message").unwrap_or("")),
                body: json!({ "list": list, "event": ev, "components": components }).to_string(),
                lang: None,
                thread_key: Some(id.to_string()),
                status_label: str_of(ev, "status").and_then(status_phase),
                backfilled: false,
            });
        }
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}
