//! The `gcp_incidents` source kind: Google Cloud's `status.cloud.google.com/incidents.json`, an
//! array of incidents (`id`, `begin`, `end`, `severity`, `status_impact`, `affected_products`,
//! `updates[]` with `when`, `created`, `status`, `text` in Markdown).
//!
//! One update becomes one item: `thread_key` = the incident id, `external_id` =
//! `<incident id>#<created>`, `published_at` = `when` (`backfilled` when it differs from
//! `created`). Google writes no phase words, so labels are limited to what the data itself says:
//! the update from which the status stays `AVAILABLE` to the end, in an incident that has an
//! `end`, is labelled `resolved`; every other update is unlabelled and left to the rules (its
//! status impact, severity and locations are kept in `body`). Incident reports posted after the
//! resolution are also unlabelled: their prose says what they are.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::ParseError;
use crate::model::{FetchedItem, Phase};

const BASE: &str = "https://status.cloud.google.com/";

/// Whether a JSON value is a Google Cloud incidents list (or one incident).
pub fn sniff(v: &Value) -> bool {
    let is_incident = |i: &Value| {
        i.get("updates").is_some()
            && (i.get("service_key").is_some()
                || i.get("external_desc").is_some()
                || i.get("status_impact").is_some())
    };
    match v {
        Value::Array(a) => a.first().is_some_and(is_incident),
        other => is_incident(other),
    }
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Google's Markdown to plain text: heading marks, emphasis and backslash escapes removed.
pub fn markdown_to_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for line in md.lines() {
        // Heading marks, escaped or not: "## \\#\\# Summary" → "Summary".
        let l = line.trim_start_matches(['#', '\\', ' ']);
        let mut escaped = false;
        for c in l.replace("**", "").chars() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                _ => {
                    out.push(c);
                    escaped = false;
                }
            }
        }
        out.push('\n');
    }
    super::text::to_plain_text(&out)
}

/// Parses an incidents document into one item per update, oldest first.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let text = super::text::decode_document(bytes);
    let docs = super::json_documents(&text).map_err(|e| ParseError::new("gcp_incidents", e))?;
    let mut items = Vec::new();
    for doc in &docs {
        let incidents: Vec<&Value> = match doc {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for inc in incidents {
            items.extend(incident_items(inc));
        }
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}

fn incident_items(inc: &Value) -> Vec<FetchedItem> {
    let Some(id) = inc.get("id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let url = inc
        .get("uri")
        .and_then(Value::as_str)
        .map(|u| format!("{BASE}{}", u.trim_start_matches('/')))
        .unwrap_or_else(|| format!("{BASE}incidents/{id}"));
    let title = inc
        .get("external_desc")
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string());
    let products: Vec<&str> = inc
        .get("affected_products")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("title").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let context = json!({
        "id": id,
        "begin": inc.get("begin"),
        "end": inc.get("end"),
        "severity": inc.get("severity"),
        "status_impact": inc.get("status_impact"),
        "service_name": inc.get("service_name"),
        "affected_products": products,
    });
    let has_end = inc.get("end").is_some_and(|e| !e.is_null());
    let mut updates: Vec<&Value> = inc
        .get("updates")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    updates.sort_by_key(|u| time(u, "when").or_else(|| time(u, "created")));
    let available = |u: &Value| u.get("status").and_then(Value::as_str) == Some("AVAILABLE");
    // The first update of the final run of AVAILABLE updates.
    let resolved_at = if has_end && updates.last().is_some_and(|u| available(u)) {
        let mut i = updates.len();
        while i > 0 && available(updates[i - 1]) {
            i -= 1;
        }
        Some(i)
    } else {
        None
    };
    updates
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let created = time(u, "created");
            let when = time(u, "when").or(created);
            let stamp = u
                .get("created")
                .or_else(|| u.get("when"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let md = u.get("text").and_then(Value::as_str).unwrap_or("");
            let mut update = (*u).clone();
            if let Some(o) = update.as_object_mut() {
                o.remove("text");
            }
            FetchedItem {
                external_id: format!("{id}#{stamp}"),
                url: Some(url.clone()),
                published_at: when,
                title: title.clone(),
                text: markdown_to_text(md),
                body: json!({ "incident": context, "update": update, "text": md }).to_string(),
                lang: Some("en".into()),
                thread_key: Some(id.to_string()),
                status_label: (resolved_at == Some(i)).then_some(Phase::Resolved),
                backfilled: matches!((when, created), (Some(w), Some(c)) if w != c),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_marks_are_removed() {
        assert_eq!(
            markdown_to_text(
                "## \\# Incident Report\n## \\#\\# Summary\nOn **Wednesday**, 15 July"
            ),
            "Incident Report\nSummary\nOn Wednesday, 15 July"
        );
    }
}
