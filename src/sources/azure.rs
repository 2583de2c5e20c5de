//! The `azure_feed` source kind: the Azure status RSS (`azure.status.microsoft/en-us/status/feed/`).
//!
//! It is RSS read by the generic feed parser (CRLF line ends, `Sat, 20 Jul 2024 12:59:45 Z` dates
//! and `&amp;nbsp;` in bodies are handled there), with one difference: Azure reuses a guid across
//! incidents (`crowdstrike-falcon-agent-guidance`, the same link for every item), so an item's
//! id is its guid plus its date, and a later incident under the same guid is a new item.

use chrono::{DateTime, Utc};

use super::ParseError;
use crate::model::FetchedItem;

/// Whether a decoded feed is Azure's status feed.
pub fn sniff(text: &str) -> bool {
    text.contains("<title>Azure Status</title>")
        || text.contains("status.azure.com")
        || text.contains("azure.status.microsoft")
}

/// Parses the feed; ids are `<guid>#<published, RFC 3339>`.
pub fn parse(bytes: &[u8], fetched_at: DateTime<Utc>) -> Result<Vec<FetchedItem>, ParseError> {
    let mut items = super::feed::parse(bytes, fetched_at)?;
    for item in &mut items {
        if let Some(at) = item.published_at {
            item.external_id = format!("{}#{}", item.external_id, at.format("%Y-%m-%dT%H:%M:%SZ"));
        }
        item.lang = item.lang.take().or(Some("en".into()));
    }
    Ok(items)
}
