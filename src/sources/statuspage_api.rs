//! The `statuspage_api` source kind: the Atlassian Statuspage JSON API v2 —
//! `/api/v2/incidents.json`, `/api/v2/scheduled-maintenances.json`, `/api/v2/summary.json`
//! (open incidents and maintenances), a single `/api/v2/incidents/<id>.json`, and JSON Lines of
//! such objects (one incident per line, bare or wrapped as `{"incident": …}` / `{"event": …}`).
//!
//! One incident update becomes one [`FetchedItem`]: `external_id` = the update id, `thread_key` =
//! the incident id (the code in `…/incidents/<code>`, so feed and API join), `status_label` = the
//! update's `status`, text = the update body. The body keeps the update object as served plus the
//! incident's name, impact and affected components. An update whose `display_at` differs from its
//! `created_at` (backdated), or that was created after an update displayed later than it, is kept
//! and flagged `backfilled`. The API lists only the latest 50 incidents: it is polled, never
//! relied upon for history.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::text::to_plain_text;
use super::ParseError;
use crate::model::{FetchedItem, Phase};

/// Maps an API update `status` to a phase (`None` for unknown words).
pub fn status_phase(status: &str) -> Option<Phase> {
    super::statuspage_feed::label_phase(status)
}

/// Whether a JSON value is a Statuspage API document.
pub fn sniff(v: &Value) -> bool {
    let looks_like_incident = |i: &Value| {
        i.get("incident_updates").is_some() && i.get("id").is_some() && i.get("name").is_some()
    };
    match v {
        Value::Object(o) => {
            o.get("incident_updates").is_some()
                || ["incidents", "scheduled_maintenances"].iter().any(|k| {
                    o.get(*k)
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.is_empty() || a.iter().any(looks_like_incident))
                        && o.contains_key("page")
                })
                || ["incident", "event"]
                    .iter()
                    .any(|k| o.get(*k).is_some_and(looks_like_incident))
        }
        _ => false,
    }
}

/// The incident objects a document holds, whatever its shape.
fn incidents_of(v: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    match v {
        Value::Array(a) => a.iter().for_each(|x| out.extend(incidents_of(x))),
        Value::Object(o) => {
            if o.contains_key("incident_updates") {
                out.push(v);
            }
            for k in ["incidents", "scheduled_maintenances"] {
                if let Some(Value::Array(a)) = o.get(k) {
                    out.extend(a.iter().filter(|i| i.get("incident_updates").is_some()));
                }
            }
            for k in ["incident", "event"] {
                if let Some(i) = o.get(k).filter(|i| i.get("incident_updates").is_some()) {
                    out.push(i);
                }
            }
        }
        _ => {}
    }
    out
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Parses an API document (JSON, or JSON Lines) into one item per update, oldest first.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let text = super::text::decode_document(bytes);
    let docs = super::json_documents(&text).map_err(|e| ParseError::new("statuspage_api", e))?;
    let mut items = Vec::new();
    for doc in &docs {
        let page_url = doc
            .get("page")
            .and_then(|p| str_of(p, "url"))
            .map(|u| u.trim_end_matches('/').to_string());
        for inc in incidents_of(doc) {
            items.extend(incident_items(inc, page_url.as_deref()));
        }
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}

/// The items of one incident object, oldest first.
pub fn incident_items(inc: &Value, page_url: Option<&str>) -> Vec<FetchedItem> {
    let Some(id) = str_of(inc, "id") else {
        return Vec::new();
    };
    let name = str_of(inc, "name").map(str::to_string);
    let url = page_url
        .map(|p| format!("{p}/incidents/{id}"))
        .or_else(|| str_of(inc, "shortlink").map(str::to_string));
    let components: Vec<&str> = inc
        .get("components")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|c| str_of(c, "name")).collect())
        .unwrap_or_default();
    let context = json!({
        "id": id,
        "name": name,
        "status": inc.get("status"),
        "impact": inc.get("impact"),
        "components": components,
        "scheduled_for": inc.get("scheduled_for"),
        "scheduled_until": inc.get("scheduled_until"),
    });
    let updates: Vec<&Value> = inc
        .get("incident_updates")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    // (shown at, created at, update) sorted by the time shown.
    type Row<'a> = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, &'a Value);
    let mut rows: Vec<Row<'_>> = updates
        .into_iter()
        .map(|u| {
            let created = time(u, "created_at");
            (time(u, "display_at").or(created), created, u)
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut items = Vec::with_capacity(rows.len());
    for (i, (shown, created, u)) in rows.iter().enumerate() {
        let backdated =
            matches!((shown, created), (Some(s), Some(c)) if (*s - *c).num_seconds().abs() >= 1);
        let created_after_a_later_one = rows[i + 1..]
            .iter()
            .any(|later| matches!((created, later.1), (Some(c), Some(lc)) if *c > lc));
        let body_html = str_of(u, "body").unwrap_or("");
        let update_id = str_of(u, "id").map(str::to_string).unwrap_or_else(|| {
            format!("{id}#{}", shown.map(|s| s.to_rfc3339()).unwrap_or_default())
        });
        let mut body = json!({ "incident": context, "update": u });
        if let Some(ac) = u.get("affected_components").filter(|a| !a.is_null()) {
            body["affected_components"] = ac.clone();
        }
        items.push(FetchedItem {
            external_id: update_id,
            url: url.clone(),
            published_at: *shown,
            title: name.clone(),
            text: to_plain_text(body_html),
            body: body.to_string(),
            lang: None,
            thread_key: Some(id.to_string()),
            status_label: str_of(u, "status").and_then(status_phase),
            backfilled: backdated || created_after_a_later_one,
        });
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backdated_and_late_updates_are_flagged() {
        let doc = r#"{"page":{"url":"https://status.example.com"},"incidents":[{"id":"abc","name":"Outage","status":"resolved","impact":"major","incident_updates":[
          {"id":"u3","status":"resolved","body":"Fixed.","created_at":"2026-01-01T12:00:00Z","display_at":"2026-01-01T12:00:00Z"},
          {"id":"u2","status":"identified","body":"Found it.","created_at":"2026-01-01T13:00:00Z","display_at":"2026-01-01T11:00:00Z"},
          {"id":"u1","status":"investigating","body":"Looking.","created_at":"2026-01-01T10:00:00Z","display_at":"2026-01-01T10:00:00Z"}]}]}"#;
        let items = parse(doc.as_bytes(), Utc::now()).unwrap();
        let ids: Vec<_> = items.iter().map(|i| i.external_id.as_str()).collect();
        assert_eq!(ids, ["u1", "u2", "u3"]);
        assert_eq!(items[1].status_label, Some(Phase::Identified));
        assert!(items[1].backfilled);
        assert!(!items[0].backfilled && !items[2].backfilled);
        assert_eq!(items[0].thread_key.as_deref(), Some("abc"));
        assert_eq!(
            items[0].url.as_deref(),
            Some("https://status.example.com/incidents/abc")
        );
    }
}
