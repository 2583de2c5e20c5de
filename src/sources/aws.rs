//! The `aws_health` source kind: the AWS Health Dashboard's JSON, in its two published forms.
//!
//! - `health.aws.amazon.com/public/currentevents`: an array of events (`arn`, `summary`,
//!   `status`, `event_log[]` of `{summary, message, status, timestamp}`), served in UTF-16BE with
//!   a byte-order mark. One log entry is one item; `thread_key` = the event ARN.
//! - the legacy `status.aws.amazon.com/data.json` (`{"archive": […], "current": […]}`): one
//!   event per service and start date, its updates packed in `description` as
//!   `<div><span class="yellowfg"> 3:55 PM PST</span>&nbsp;text</div>`, times without a date
//!   (the event's start date, moving to the next day when the clock goes back; an explicit
//!   "Sep 23, " wins). `thread_key` = `<service>#<date>`.
//!
//! AWS writes numeric severities, not phases: entries are unlabelled, except the last update of
//! a legacy event whose summary is tagged "[RESOLVED]", labelled `resolved`. Per-service RSS
//! feeds (`ec2-us-east-1.rss`) are read by the generic `feed` kind.

use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;
use serde_json::{json, Value};

use super::dates;
use super::text::to_plain_text;
use super::ParseError;
use crate::model::{FetchedItem, Phase};

static LEGACY_UPDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?is)<div>\s*<span class="yellowfg">\s*(?:(?P<mon>[A-Za-z]{3})\s+(?P<day>\d{1,2}),\s*)?(?P<h>\d{1,2}):(?P<m>\d{2})\s*(?P<ampm>[AP]M)?\s*(?P<tz>[A-Z]{2,4})?\s*</span>(?P<text>.*?)</div>"#,
    )
    .expect("valid regex")
});

fn is_legacy_event(v: &Value) -> bool {
    v.get("service_name").is_some() && v.get("description").is_some() && v.get("date").is_some()
}

fn is_health_event(v: &Value) -> bool {
    v.get("event_log").is_some() || (v.get("arn").is_some() && v.get("date").is_some())
}

/// Whether a JSON value is an AWS Health document in either form.
pub fn sniff(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.first().is_some_and(is_health_event),
        Value::Object(o) => {
            ["archive", "current"].iter().any(|k| {
                o.get(*k)
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.first().is_none_or(is_legacy_event))
            }) && (o.contains_key("archive") || o.contains_key("current"))
                || o.get("event").is_some_and(is_legacy_event)
                || is_legacy_event(v)
                || is_health_event(v)
        }
        _ => false,
    }
}

/// Parses either form (or JSON Lines of legacy events) into items, oldest first.
pub fn parse(bytes: &[u8], _fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let text = super::text::decode_document(bytes);
    let docs = super::json_documents(&text).map_err(|e| ParseError::new("aws_health", e))?;
    let mut items = Vec::new();
    for doc in &docs {
        match doc {
            Value::Array(a) => a
                .iter()
                .filter(|e| is_health_event(e))
                .for_each(|e| items.extend(health_event_items(e))),
            Value::Object(o) => {
                for k in ["archive", "current"] {
                    if let Some(Value::Array(a)) = o.get(k) {
                        a.iter().for_each(|e| items.extend(legacy_event_items(e)));
                    }
                }
                if let Some(e) = o.get("event").filter(|e| is_legacy_event(e)) {
                    items.extend(legacy_event_items(e));
                }
                if is_legacy_event(doc) {
                    items.extend(legacy_event_items(doc));
                } else if is_health_event(doc) {
                    items.extend(health_event_items(doc));
                }
            }
            _ => {}
        }
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}

fn epoch(v: &Value) -> Option<DateTime<Utc>> {
    let secs = match v {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    Utc.timestamp_opt(secs, 0).single()
}

fn health_event_items(ev: &Value) -> Vec<FetchedItem> {
    let arn = ev
        .get("arn")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{}#{}",
                ev.get("service").and_then(Value::as_str).unwrap_or(""),
                ev.get("date").map(Value::to_string).unwrap_or_default()
            )
        });
    let context = json!({
        "arn": arn,
        "service": ev.get("service"),
        "service_name": ev.get("service_name"),
        "region_name": ev.get("region_name"),
        "summary": ev.get("summary"),
        "status": ev.get("status"),
        "impacted_services": ev.get("impacted_services"),
    });
    let url = Some("https://health.aws.amazon.com/health/status".to_string());
    let log = ev
        .get("event_log")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut seen = std::collections::HashMap::new();
    log.iter()
        .map(|entry| {
            let ts = entry
                .get("timestamp")
                .map(Value::to_string)
                .unwrap_or_default();
            let n = seen.entry(ts.clone()).or_insert(0);
            *n += 1;
            let external_id = if *n == 1 {
                format!("{arn}#{ts}")
            } else {
                format!("{arn}#{ts}#{n}")
            };
            let message = entry.get("message").and_then(Value::as_str).unwrap_or("");
            FetchedItem {
                external_id,
                url: url.clone(),
                published_at: entry.get("timestamp").and_then(epoch),
                title: entry
                    .get("summary")
                    .or_else(|| ev.get("summary"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                text: to_plain_text(message),
                body: json!({ "event": context, "entry": entry }).to_string(),
                lang: Some("en".into()),
                thread_key: Some(arn.clone()),
                status_label: None,
                backfilled: false,
            }
        })
        .collect()
}

/// Splits a legacy `description` into (time, text) pairs, oldest first as AWS writes them.
pub fn legacy_updates(description: &str, start: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    let mut out = Vec::new();
    let mut running: Option<NaiveDateTime> = None;
    for cap in LEGACY_UPDATE.captures_iter(description) {
        let Some(mut hour) = cap["h"].parse::<u32>().ok() else {
            continue;
        };
        let minute: u32 = cap["m"].parse().unwrap_or(0);
        if let Some(ampm) = cap.name("ampm") {
            let pm = ampm.as_str().eq_ignore_ascii_case("PM");
            hour = match (hour, pm) {
                (12, false) => 0,
                (h, true) if h < 12 => h + 12,
                (h, _) => h,
            };
        }
        let Some(time) = NaiveTime::from_hms_opt(hour, minute, 0) else {
            continue;
        };
        let abbr = cap.name("tz").map(|m| m.as_str());
        // The event start read in the zone the updates are written in.
        let start_local = {
            let off = dates::resolve_local(start.naive_utc(), abbr, None) - start;
            (start - off).naive_utc()
        };
        let explicit = cap.name("mon").zip(cap.name("day")).and_then(|(m, d)| {
            let month = dates::month_number(m.as_str())?;
            let day: u32 = d.as_str().parse().ok()?;
            let year = dates::infer_year(month, day, time, start_local)?;
            NaiveDate::from_ymd_opt(year, month, day)
        });
        let local = match explicit {
            Some(d) => d.and_time(time),
            None => {
                let base = running.unwrap_or(start_local);
                let mut candidate = base.date().and_time(time);
                // Allow a few minutes of disorder before assuming the clock went past midnight.
                while candidate + Duration::minutes(10) < base {
                    candidate += Duration::days(1);
                }
                candidate
            }
        };
        running = Some(local);
        let at = dates::resolve_local(local, abbr, None);
        let text = to_plain_text(&cap["text"]);
        out.push((at, text));
    }
    out
}

fn legacy_event_items(ev: &Value) -> Vec<FetchedItem> {
    let service = ev.get("service").and_then(Value::as_str).unwrap_or("");
    let date_raw = match ev.get("date") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let Some(start) = ev.get("date").and_then(epoch) else {
        return Vec::new();
    };
    let thread = format!("{service}#{date_raw}");
    let summary = ev.get("summary").and_then(Value::as_str).unwrap_or("");
    let resolved = summary
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("[RESOLVED]");
    let title = ev
        .get("service_name")
        .and_then(Value::as_str)
        .map(|n| format!("{n}: {summary}"));
    let description = ev.get("description").and_then(Value::as_str).unwrap_or("");
    let context = json!({
        "service": service,
        "service_name": ev.get("service_name"),
        "summary": summary,
        "status": ev.get("status"),
        "date": date_raw,
    });
    let updates = legacy_updates(description, start);
    let last = updates.len().saturating_sub(1);
    let mut seen = std::collections::HashMap::new();
    updates
        .into_iter()
        .enumerate()
        .map(|(i, (at, text))| {
            let base = format!("{thread}#{}", at.format("%Y-%m-%dT%H:%MZ"));
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            FetchedItem {
                external_id: if *n == 1 { base } else { format!("{base}#{n}") },
                url: Some("https://status.aws.amazon.com/".into()),
                published_at: Some(at),
                title: title.clone(),
                body: json!({ "event": context, "update": text }).to_string(),
                text,
                lang: None,
                thread_key: Some(thread.clone()),
                status_label: (resolved && i == last).then_some(Phase::Resolved),
                backfilled: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_updates_roll_over_midnight_and_follow_the_season() {
        // 2020-11-06 23:55 UTC = 3:55 PM PST.
        let start = Utc.timestamp_opt(1604706900, 0).unwrap();
        let d = r#"<div><span class="yellowfg"> 3:55 PM PST</span>&nbsp;We are investigating.</div><div><span class="yellowfg">11:40 PM PST</span>&nbsp;Still.</div><div><span class="yellowfg"> 1:05 AM PST</span>&nbsp;Resolved.</div>"#;
        let u = legacy_updates(d, start);
        let times: Vec<_> = u.iter().map(|(t, _)| t.to_rfc3339()).collect();
        assert_eq!(
            times,
            [
                "2020-11-06T23:55:00+00:00",
                "2020-11-07T07:40:00+00:00",
                "2020-11-07T09:05:00+00:00"
            ]
        );
        assert_eq!(u[0].1, "We are investigating.");
    }
}
