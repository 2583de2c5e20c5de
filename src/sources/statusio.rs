//! The `statusio` source kind: the status.io public status API
//! (`api.status.io/1.0/status/<page id>`): `result.incidents[]` and
//! `result.maintenance.{active,upcoming}[]`, each with `messages[]` of `{details, state, datetime}`.
//!
//! One message becomes one item (`thread_key` = the incident's `_id`). status.io states are
//! numeric: for incidents 100 = investigating, 200 = identified, 300 = monitoring; for
//! maintenances 100 = scheduled, 200 = in progress (as the fixtures show: 100 when announced,
//! 200 during the window). Other codes are unlabelled. Resolved incidents leave the document, so
//! no "resolved" message is ever seen here.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::text::to_plain_text;
use super::ParseError;
use crate::model::{FetchedItem, Phase};

/// Whether a JSON value is a status.io status document.
pub fn sniff(v: &Value) -> bool {
    v.get("result").is_some_and(|r| {
        r.get("status_overall").is_some()
            && (r.get("incidents").is_some() || r.get("maintenance").is_some())
    })
}

fn incident_state(code: i64) -> Option<Phase> {
    match code {
        100 => Some(Phase::Investigating),
        200 => Some(Phase::Identified),
        300 => Some(Phase::Monitoring),
        _ => None,
    }
}

fn maintenance_state(code: i64) -> Option<Phase> {
    match code {
        100 => Some(Phase::MaintenanceScheduled),
        200 => Some(Phase::MaintenanceStarted),
        _ => None,
    }
}

/// Parses a status document into one item per message, oldest first.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let v: Value = super::text::parse_json(bytes, "statusio")?;
    let result = v
        .get("result")
        .ok_or_else(|| ParseError::new("statusio", "no \"result\" object"))?;
    let mut items = Vec::new();
    let incidents = result.get("incidents").and_then(Value::as_array);
    for inc in incidents.into_iter().flatten() {
        items.extend(event_items(inc, incident_state, false));
    }
    let maintenance = result.get("maintenance");
    for k in ["active", "upcoming"] {
        let list = maintenance.and_then(|m| m.get(k)).and_then(Value::as_array);
        for m in list.into_iter().flatten() {
            items.extend(event_items(m, maintenance_state, true));
        }
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}

fn event_items(ev: &Value, state: fn(i64) -> Option<Phase>, maintenance: bool) -> Vec<FetchedItem> {
    let Some(id) = ev.get("_id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let names = |k: &str| -> Vec<&str> {
        ev.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default()
    };
    let context = json!({
        "id": id,
        "name": ev.get("name"),
        "maintenance": maintenance,
        "datetime_open": ev.get("datetime_open"),
        "datetime_planned_start": ev.get("datetime_planned_start"),
        "datetime_planned_end": ev.get("datetime_planned_end"),
        "components_affected": names("components_affected"),
        "containers_affected": names("containers_affected"),
    });
    let title = ev
        .get("name")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string());
    let messages = ev
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let when = m.get("datetime").and_then(Value::as_str);
            let published_at = when
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc));
            FetchedItem {
                external_id: format!(
                    "{id}#{}",
                    when.map(str::to_string).unwrap_or_else(|| i.to_string())
                ),
                url: None,
                published_at,
                title: title.clone(),
                text: to_plain_text(m.get("details").and_then(Value::as_str).unwrap_or("")),
                body: json!({ "event": context, "message": m }).to_string(),
                lang: None,
                thread_key: Some(id.to_string()),
                status_label: m.get("state").and_then(Value::as_i64).and_then(state),
                backfilled: false,
            }
        })
        .collect()
}
