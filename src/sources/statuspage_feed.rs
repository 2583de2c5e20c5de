//! The `statuspage_feed` source kind: an Atlassian Statuspage `history.rss` / `history.atom`.
//!
//! One feed item is one incident, rewritten at every update, with all its updates packed in the
//! description HTML, newest first:
//!
//! ```text
//! <p><small>Nov <var data-var='date'>20</var>, <var data-var='time'>02:50</var> UTC</small><br>
//! <strong>Update</strong> - Error rates are improving.</p>
//! ```
//!
//! Each update becomes one [`FetchedItem`] with its own time and the page's status word as
//! `status_label`. The update's date has no year (taken from the item's date, closest candidate,
//! so New Year is right) and its zone is the page's abbreviation (read with
//! [`dates::resolve_local`], which trusts the item's numeric offset over the abbreviation).
//! `thread_key` is the incident code from the link (`…/incidents/<code>`), the same id the JSON
//! API uses, so feed and API posts join (the Atom id's number is Statuspage's internal one, not
//! the API's incident id). Items come out oldest first.
//!
//! French pages write their dates day first or month first with French month names
//! (`17 nov., 11:30 CET`, `nov 17, 11:30 CET`) and French status words ("Enquête en cours",
//! "Identifié", "Surveillance", "Résolu", "Mise à jour", "Maintenance planifiée", …); both are
//! read here. A label becomes a statement with rule id [`LABEL_RULE_ID`], for the feed and the
//! API alike.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use regex::Regex;

use super::dates;
use super::text::to_plain_text;
use super::ParseError;
use crate::model::{FetchedItem, Phase};

/// The update head: `<small>Mon D, HH:MM TZ</small><br><strong>Label</strong> - `, after `<var>`
/// tags are removed. Tolerates space-padded days, an explicit year, 12-hour clocks, extra spaces,
/// and French pages: the day first and accented month names (`17 nov., 11:30 CET`,
/// `nov 17, 11:30 CET`, `3 févr., 09:05 CET`).
static UPDATE_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?is)<small>\s*(?:(?P<mon>\p{L}{3,9})\.?\s+(?P<day>\d{1,2})|(?P<fday>\d{1,2})\s+(?P<fmon>\p{L}{3,9})\.?)(?:\s*,?\s*(?P<year>\d{4}))?\s*,?\s*(?:-\s*)?(?P<h>\d{1,2}):(?P<m>\d{2})\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>[A-Za-z]{1,5}|[+-]\d{2}:?\d{2})?\s*</small>\s*(?:<br\s*/?>)?\s*(?:<strong>\s*(?P<label>[^<]{1,40}?)\s*</strong>\s*(?:[-–—]\s*)?)?",
    )
    .expect("valid regex")
});

static VAR_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)</?var[^>]*>").expect("valid regex"));

static INCIDENT_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/incidents/([A-Za-z0-9_-]+)").expect("valid regex"));

static ENTRY_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<(?:entry|item)[\s>]").expect("valid regex"));

static ENTRY_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(published|pubDate|updated)>\s*([^<]+?)\s*</").expect("valid regex")
});

/// The rule id of a Statuspage update's own status word, from the feed or the API alike.
pub const LABEL_RULE_ID: &str = "source:statuspage";

/// Maps a Statuspage update label to a phase. "Update" (new text, phase unchanged) and unknown
/// words give `None`; the word is kept in the body either way.
pub fn label_phase(label: &str) -> Option<Phase> {
    let l = label.trim().to_lowercase().replace(['_', '-'], " ");
    let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(match l.as_str() {
        "investigating" => Phase::Investigating,
        "identified" => Phase::Identified,
        "monitoring" => Phase::Monitoring,
        "resolved" => Phase::Resolved,
        "postmortem" | "post mortem" => Phase::Postmortem,
        "scheduled" => Phase::MaintenanceScheduled,
        "in progress" => Phase::MaintenanceStarted,
        "verifying" => Phase::Monitoring,
        "completed" => Phase::MaintenanceCompleted,
        // French pages.
        "enquête en cours" | "investigation" | "en cours d'investigation" => Phase::Investigating,
        "identifié" => Phase::Identified,
        "surveillance" => Phase::Monitoring,
        "résolu" => Phase::Resolved,
        "vérification" => Phase::Monitoring,
        "maintenance planifiée" | "planifiée" | "planifié" => Phase::MaintenanceScheduled,
        "maintenance en cours" | "en cours" => Phase::MaintenanceStarted,
        "maintenance terminée" | "terminée" | "terminé" => Phase::MaintenanceCompleted,
        // "Update" / "Mise à jour": new text, the phase is unchanged.
        _ => return None,
    })
}

/// Whether a decoded feed looks like a Statuspage history feed (its markup, not its name).
pub fn sniff(text: &str) -> bool {
    let escaped = text.contains("&lt;small&gt;") && text.contains("&lt;strong&gt;");
    let cdata = text.contains("<small>") && text.contains("<strong>");
    (escaped || cdata)
        && (text.contains("/incidents/") || text.contains("2005:Incident/"))
        && (text.contains("<rss") || text.contains("<feed"))
}

/// One update found in an item's description.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub at: DateTime<Utc>,
    pub label: Option<String>,
    /// The update's own HTML fragment, head included.
    pub html: String,
    /// The prose after the status word.
    pub text: String,
}

/// Splits one item's description into its updates, in document order (newest first).
/// `reference` is the item's date with its numeric offset (year and zone come from it).
pub fn split_updates(description: &str, reference: Option<DateTime<FixedOffset>>) -> Vec<Update> {
    let html = VAR_TAG.replace_all(description, "");
    let heads: Vec<_> = UPDATE_HEAD.captures_iter(&html).collect();
    let mut out = Vec::with_capacity(heads.len());
    for (i, cap) in heads.iter().enumerate() {
        let whole = cap.get(0).expect("match");
        let end = heads
            .get(i + 1)
            .map(|c| c.get(0).expect("match").start())
            .unwrap_or(html.len());
        let Some(at) = head_time(cap, reference) else {
            continue;
        };
        let rest = trim_fragment(&html[whole.end()..end]);
        let fragment = trim_fragment(&html[whole.start()..end]);
        out.push(Update {
            at,
            label: cap.name("label").map(|l| l.as_str().trim().to_string()),
            html: format!("<p>{fragment}</p>"),
            text: to_plain_text(rest),
        });
    }
    out
}

/// Drops a paragraph boundary left at either end of a cut fragment.
fn trim_fragment(s: &str) -> &str {
    let mut s = s.trim();
    loop {
        let before = s.len();
        for t in ["<p>", "</p>"] {
            s = s.strip_suffix(t).unwrap_or(s).trim_end();
            s = s.strip_prefix(t).unwrap_or(s).trim_start();
        }
        if s.len() == before {
            return s;
        }
    }
}

fn head_time(
    cap: &regex::Captures<'_>,
    reference: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<Utc>> {
    let (mon, day) = match (cap.name("mon"), cap.name("day")) {
        (Some(mon), Some(day)) => (mon, day),
        _ => (cap.name("fmon")?, cap.name("fday")?),
    };
    let month = dates::month_number(mon.as_str())?;
    let day: u32 = day.as_str().parse().ok()?;
    let mut hour: u32 = cap["h"].parse().ok()?;
    let minute: u32 = cap["m"].parse().ok()?;
    if let Some(ampm) = cap.name("ampm") {
        let pm = ampm.as_str().to_ascii_lowercase().starts_with('p');
        hour = match (hour, pm) {
            (12, false) => 0,
            (h, true) if h < 12 => h + 12,
            (h, _) => h,
        };
    }
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    let year = match cap.name("year") {
        Some(y) => y.as_str().parse().ok()?,
        None => {
            let r = reference?;
            dates::infer_year(month, day, time, r.naive_local())?
        }
    };
    let local = NaiveDate::from_ymd_opt(year, month, day)?.and_time(time);
    Some(dates::resolve_local(
        local,
        cap.name("tz").map(|m| m.as_str()),
        reference,
    ))
}

/// The dates of each entry as written (with their numeric offsets), in document order.
fn raw_entry_dates(doc: &str) -> Vec<Option<DateTime<FixedOffset>>> {
    let starts: Vec<usize> = ENTRY_START.find_iter(doc).map(|m| m.start()).collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let e = starts.get(i + 1).copied().unwrap_or(doc.len());
            let chunk = &doc[s..e];
            let mut found: HashMap<&str, &str> = HashMap::new();
            for c in ENTRY_DATE.captures_iter(chunk) {
                let (k, v) = (c.get(1).expect("g").as_str(), c.get(2).expect("g").as_str());
                found.entry(k).or_insert(v);
            }
            ["published", "pubDate", "updated"]
                .iter()
                .find_map(|k| found.get(k).and_then(|v| dates::parse_with_offset(v)))
        })
        .collect()
}

/// Slug of a label for ids: "In progress" → "in_progress".
fn label_slug(label: Option<&str>) -> String {
    match label {
        None => "update".into(),
        Some(l) => l
            .trim()
            .to_ascii_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_"),
    }
}

/// Parses a Statuspage history feed into one item per update, oldest first.
pub fn parse(bytes: &[u8], fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let feed = feed_rs::parser::parse(bytes)
        .map_err(|e| ParseError::new("statuspage_feed", e.to_string()))?;
    let doc = super::text::decode_document(bytes);
    let raw_dates = raw_entry_dates(&doc);
    let raw_dates_usable = raw_dates.len() == feed.entries.len();
    let lang = feed.language.as_deref().map(super::feed::primary_lang);
    let mut items = Vec::new();
    for (idx, e) in feed.entries.iter().enumerate() {
        let description = e
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .or_else(|| e.summary.as_ref().map(|s| s.content.clone()))
            .unwrap_or_default();
        let url = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(e.links.first())
            .map(|l| l.href.clone());
        let code = url
            .as_deref()
            .and_then(|u| INCIDENT_CODE.captures(u))
            .or_else(|| INCIDENT_CODE.captures(&e.id))
            .map(|c| c[1].to_string())
            .unwrap_or_else(|| e.id.clone());
        let item_date = e.published.or(e.updated);
        let reference = raw_dates
            .get(idx)
            .copied()
            .flatten()
            .filter(|_| raw_dates_usable)
            .or_else(|| item_date.map(|d| d.fixed_offset()))
            .or(Some(fetched_at.fixed_offset()));
        let title = e.title.as_ref().map(|t| to_plain_text(&t.content));
        let updates = split_updates(&description, reference);
        if updates.is_empty() {
            // Not the usual markup: keep the item whole, as the generic feed would.
            items.push(FetchedItem {
                external_id: e.id.clone(),
                url,
                published_at: item_date,
                title,
                text: to_plain_text(&description),
                body: description,
                lang: lang.clone(),
                thread_key: Some(code),
                status_label: None,
                backfilled: false,
            });
            continue;
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        // Oldest first, so a repeated id's counter does not shift when newer updates arrive.
        for u in updates.into_iter().rev() {
            let base = format!(
                "{code}#{}#{}",
                u.at.format("%Y-%m-%dT%H:%MZ"),
                label_slug(u.label.as_deref())
            );
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let external_id = if *n == 1 { base } else { format!("{base}#{n}") };
            items.push(FetchedItem {
                external_id,
                url: url.clone(),
                published_at: Some(u.at),
                title: title.clone(),
                text: u.text,
                body: u.html,
                lang: lang.clone(),
                thread_key: Some(code.clone()),
                status_label: u.label.as_deref().and_then(label_phase),
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
    fn labels_map_to_phases_and_update_means_no_change() {
        assert_eq!(label_phase("Investigating"), Some(Phase::Investigating));
        assert_eq!(label_phase("In progress"), Some(Phase::MaintenanceStarted));
        assert_eq!(label_phase("Verifying"), Some(Phase::Monitoring));
        assert_eq!(label_phase("Completed"), Some(Phase::MaintenanceCompleted));
        assert_eq!(label_phase("Update"), None);
    }

    #[test]
    fn french_labels_map_to_phases() {
        assert_eq!(label_phase("Résolu"), Some(Phase::Resolved));
        assert_eq!(label_phase("Surveillance"), Some(Phase::Monitoring));
        assert_eq!(label_phase("Identifié"), Some(Phase::Identified));
        assert_eq!(label_phase("Enquête en cours"), Some(Phase::Investigating));
        assert_eq!(label_phase("Investigation"), Some(Phase::Investigating));
        assert_eq!(label_phase("Mise à jour"), None);
        assert_eq!(
            label_phase("Maintenance planifiée"),
            Some(Phase::MaintenanceScheduled)
        );
        assert_eq!(
            label_phase("Maintenance en cours"),
            Some(Phase::MaintenanceStarted)
        );
        assert_eq!(
            label_phase("Maintenance terminée"),
            Some(Phase::MaintenanceCompleted)
        );
    }

    #[test]
    fn french_heads_put_the_day_first_or_the_month_first() {
        let html = "<p><small>17 nov., 11:30 CET</small><br><strong>Résolu</strong> - Incident clos.</p><p><small>nov 17, 10:05 CET</small><br><strong>Enquête en cours</strong> - Nous enquêtons.</p><p><small>3 févr., 09:05 CET</small><br><strong>Mise à jour</strong> - Encore.</p>";
        let r = dates::parse_with_offset("2026-11-17T11:30:00+01:00");
        let u = split_updates(html, r);
        assert_eq!(u.len(), 3);
        assert_eq!(u[0].at.to_rfc3339(), "2026-11-17T10:30:00+00:00");
        assert_eq!(u[0].label.as_deref(), Some("Résolu"));
        assert_eq!(u[1].at.to_rfc3339(), "2026-11-17T09:05:00+00:00");
        assert_eq!(u[1].text, "Nous enquêtons.");
        // February is closer in the next year than in this one.
        assert_eq!(u[2].at.to_rfc3339(), "2027-02-03T08:05:00+00:00");
    }

    #[test]
    fn one_description_splits_into_updates_newest_first() {
        let html = "<p> <small>Aug <var data-var='date'>21</var>, <var data-var='time'>00:37</var> UTC</small><br> <strong>Resolved</strong> - This incident has been resolved. </p> <p> <small>Aug <var data-var='date'>20</var>, <var data-var='time'>20:37</var> UTC</small><br> <strong>Update</strong> - We are seeing <b>gradual</b> recovery. </p>";
        let r = dates::parse_with_offset("2026-08-21T00:37:20Z");
        let u = split_updates(html, r);
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].at.to_rfc3339(), "2026-08-21T00:37:00+00:00");
        assert_eq!(u[0].label.as_deref(), Some("Resolved"));
        assert_eq!(u[0].text, "This incident has been resolved.");
        assert_eq!(u[1].text, "We are seeing gradual recovery.");
        assert!(u[1].html.contains("<strong>Update</strong>"));
    }

    #[test]
    fn space_padded_days_without_var_tags_and_twelve_hour_clocks() {
        let html = "<p><small>Jan  1, 09:09 PST</small><br><strong>Resolved</strong> - ok.</p><p><small>Dec 31, 11:50 PM PST</small><br><strong>Investigating</strong> - bad.</p>";
        let r = dates::parse_with_offset("Wed, 01 Jan 2014 09:09:00 -0800");
        let u = split_updates(html, r);
        assert_eq!(u[0].at.to_rfc3339(), "2014-01-01T17:09:00+00:00");
        assert_eq!(u[1].at.to_rfc3339(), "2014-01-01T07:50:00+00:00");
    }
}
