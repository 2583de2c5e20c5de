//! The `betterstack` source kind: a Better Stack (formerly Better Uptime) status page's RSS 2.0
//! feed, `https://<status page>/feed.rss`. One item per incident or maintenance update, titled
//! with the update's status word in brackets: `[Resolved] Database Connection Issues`; the link
//! is the incident's page, the guid the update's (`…/incidents/98765#update-11111`).
//!
//! One update becomes one item: `status_label` = the bracketed word (the pipeline stores it as a
//! `source:betterstack` statement), title = the title without it, text = the update message
//! without a leading bracketed word (the rules must not state the phase a second time),
//! `thread_key` = the incident link, so an incident's updates group together. A guid that is
//! only the incident link (shared by every update of the incident) is made unique with the
//! update's time.

use chrono::{DateTime, Utc};

use super::ParseError;
use crate::model::{FetchedItem, Phase};

/// Maps a bracketed status word to a phase (`None` for words such as "Update").
pub fn status_phase(word: &str) -> Option<Phase> {
    let w = word.trim().to_ascii_lowercase();
    match w.as_str() {
        "maintenance" | "upcoming maintenance" | "scheduled maintenance" => {
            Some(Phase::MaintenanceScheduled)
        }
        "maintenance in progress" | "ongoing maintenance" => Some(Phase::MaintenanceStarted),
        "maintenance completed" | "maintenance finished" => Some(Phase::MaintenanceCompleted),
        _ => super::statuspage_feed::label_phase(&w),
    }
}

/// Splits `[Word] rest` into the word and the rest; `None` without a leading bracket.
pub fn split_status(s: &str) -> Option<(&str, &str)> {
    let t = s.trim_start();
    let inner = t.strip_prefix('[')?;
    let end = inner.find(']')?;
    let word = inner[..end].trim();
    if word.is_empty() || word.len() > 40 {
        return None;
    }
    Some((
        word,
        inner[end + 1..]
            .trim_start_matches([' ', '-', ':', '\u{a0}'])
            .trim_start(),
    ))
}

/// Whether a decoded feed looks like a Better Stack status feed: RSS items titled with a
/// bracketed status word and linking to an incident page.
pub fn sniff(text: &str) -> bool {
    static TITLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)<item>\s*<title>(?:<!\[CDATA\[)?\[(?:investigating|identified|monitoring|resolved|update|maintenance)\]",
        )
        .expect("valid regex")
    });
    text.contains("<rss") && text.contains("/incidents/") && TITLE.is_match(text)
}

/// Parses a Better Stack feed into one item per update, oldest first.
pub fn parse(bytes: &[u8], fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let mut items = super::feed::parse(bytes, fetched_at)
        .map_err(|e| ParseError::new("betterstack", e.message))?;
    for item in &mut items {
        let mut word = None;
        if let Some(title) = item.title.take() {
            match split_status(&title) {
                Some((w, rest)) => {
                    word = Some(w.to_string());
                    item.title = Some(rest.to_string()).filter(|t| !t.is_empty());
                }
                None => item.title = Some(title),
            }
        }
        if let Some((w, rest)) = split_status(&item.text) {
            if word.as_deref().is_none_or(|t| t.eq_ignore_ascii_case(w)) {
                word = Some(w.to_string());
                item.text = rest.to_string();
            }
        }
        if item.text.is_empty() {
            // An update without a message: its headline is all there is to read.
            item.text = item.title.clone().unwrap_or_default();
        }
        item.status_label = word.as_deref().and_then(status_phase);
        let link = item.url.clone().map(|u| match u.split_once('#') {
            Some((base, _)) => base.to_string(),
            None => u,
        });
        if link.as_deref() == Some(item.external_id.as_str()) || item.external_id.is_empty() {
            let at = item
                .published_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            item.external_id = format!("{}#{at}", link.as_deref().unwrap_or(""));
        }
        item.thread_key = link;
    }
    items.sort_by_key(|i| i.published_at);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_words_split_off() {
        assert_eq!(
            split_status("[Resolved] API outage"),
            Some(("Resolved", "API outage"))
        );
        assert_eq!(
            split_status(" [Investigating] - Slow API"),
            Some(("Investigating", "Slow API"))
        );
        assert_eq!(split_status("API [beta] outage"), None);
        assert_eq!(split_status("[] x"), None);
        assert_eq!(status_phase("Resolved"), Some(Phase::Resolved));
        assert_eq!(status_phase("Update"), None);
    }

    #[test]
    fn better_stack_feeds_are_recognised_by_their_titles() {
        let rss = "<rss version=\"2.0\"><channel><item>\n  <title>[Resolved] API outage</title><link>https://s.example/incidents/1</link></item></channel></rss>";
        assert!(sniff(rss));
        assert!(!sniff(&rss.replace("[Resolved] ", "")));
    }
}
