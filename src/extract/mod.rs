//! Extraction: reads rules from `patterns/` and turns a post's plain text into [`Statement`]s
//! (phases, restored/affected percentages, mentioned times).
//!
//! PLACEHOLDER INTERFACE — the rule engine lands with the extraction work.

use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::model::Statement;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    #[error("cannot read rules from {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What the extractor needs to know about a post besides its text.
#[derive(Debug, Clone)]
pub struct ExtractContext {
    /// Language configured for the source, if any ("fr", "en"); detected from the text otherwise.
    pub lang: Option<String>,
    /// The provider's time zone, for times written without one ("vers 11h30").
    pub tz: Tz,
    /// The post's own time: mentioned times are resolved relative to it.
    pub reference: DateTime<Utc>,
}

/// All rules of all packs, compiled once.
#[derive(Debug)]
pub struct Extractor {}

impl Extractor {
    /// Loads and compiles every rule file below `dir`.
    pub fn from_dir(_dir: &Path) -> Result<Self, RulesError> {
        Ok(Extractor {})
    }

    /// The rules bundled with the binary.
    pub fn bundled() -> Result<Self, RulesError> {
        Ok(Extractor {})
    }

    /// The statements the rules find in `text`, in text order.
    pub fn extract(&self, _text: &str, _ctx: &ExtractContext) -> Vec<Statement> {
        Vec::new()
    }
}
