//! Sources: the kinds of documents statustrail polls and how each becomes [`FetchedItem`]s.
//!
//! Adding a source kind is one file in this folder, one variant of [`SourceKind`] and one arm in
//! [`SourceKind::parse`]. Network politeness (validators, timeouts, size caps, redirects,
//! backoff) is not a source's business: it lives in [`fetch`], once for all kinds.

use serde::Deserialize;

pub mod feed;
pub mod fetch;

pub use crate::model::FetchedItem;

/// The kinds of source a provider can be followed through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// RSS 2.0, Atom or JSON Feed: a status page's feed, a social account through an RSS bridge.
    Feed,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
        }
    }
}
