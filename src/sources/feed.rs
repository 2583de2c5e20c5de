//! The `feed` source kind: RSS 2.0, Atom and JSON Feed documents, parsed by feed-rs from raw bytes
//! (the XML prolog names the encoding). One entry becomes one [`FetchedItem`]; the entry's HTML
//! is turned into plain text for the rules and kept as-is as the original body.

use chrono::{DateTime, Utc};

use super::text::to_plain_text;
use super::ParseError;
use crate::model::FetchedItem;

/// Parses a feed document into items, in document order.
pub fn parse(bytes: &[u8], fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let _ = fetched_at;
    let feed = feed_rs::parser::parse(bytes).map_err(|e| ParseError::new("feed", e.to_string()))?;
    let feed_lang = feed.language.clone();
    let items = feed
        .entries
        .into_iter()
        .map(|e| {
            let body = e
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .or_else(|| e.summary.as_ref().map(|s| s.content.clone()))
                .unwrap_or_default();
            let title = e.title.as_ref().map(|t| to_plain_text(&t.content));
            let text = to_plain_text(&body);
            let url = e.links.first().map(|l| l.href.clone());
            let lang = e
                .language
                .clone()
                .or_else(|| feed_lang.clone())
                .map(|l| primary_lang(&l));
            FetchedItem {
                external_id: e.id.clone(),
                url,
                published_at: e.published.or(e.updated),
                title,
                text,
                body,
                lang,
                thread_key: None,
                status_label: None,
                backfilled: false,
            }
        })
        .collect();
    Ok(items)
}

/// "fr-FR" → "fr".
pub fn primary_lang(tag: &str) -> String {
    tag.trim()
        .split(['-', '_'])
        .next()
        .unwrap_or(tag)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_items_become_items_with_plain_text() {
        let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><language>fr-FR</language>
<item><guid>42</guid><link>https://x.example/42</link><pubDate>Tue, 24 Nov 2026 10:31:00 +0000</pubDate>
<title>Incident réseau</title><description>&lt;p&gt;Nous constatons un incident&lt;/p&gt;</description></item>
</channel></rss>"#;
        let items = parse(rss.as_bytes(), Utc::now()).unwrap();
        assert_eq!(items.len(), 1);
        let it = &items[0];
        assert_eq!(it.external_id, "42");
        assert_eq!(it.text, "Nous constatons un incident");
        assert_eq!(it.lang.as_deref(), Some("fr"));
        assert_eq!(
            it.published_at.unwrap().to_rfc3339(),
            "2026-11-24T10:31:00+00:00"
        );
    }

    #[test]
    fn malformed_xml_is_a_parse_error() {
        let err = parse(b"<rss><channel><item>", Utc::now()).unwrap_err();
        assert_eq!(err.format, "feed");
    }
}
