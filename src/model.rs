//! Domain types shared by every pipeline stage: phases, percentages, fetched items and the
//! statements extracted from them. Invalid states cannot be built: a [`Percent`] is always within
//! 0..=100 and every timestamp is UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A phase of an incident as a provider reports it. The snake_case names are the project's
/// vocabulary: they are stored as-is in the database and printed as-is by every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Investigating,
    Identified,
    Recovering,
    Monitoring,
    Resolved,
    Postmortem,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceCompleted,
}

impl Phase {
    pub const ALL: [Phase; 9] = [
        Phase::Investigating,
        Phase::Identified,
        Phase::Recovering,
        Phase::Monitoring,
        Phase::Resolved,
        Phase::Postmortem,
        Phase::MaintenanceScheduled,
        Phase::MaintenanceStarted,
        Phase::MaintenanceCompleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Investigating => "investigating",
            Phase::Identified => "identified",
            Phase::Recovering => "recovering",
            Phase::Monitoring => "monitoring",
            Phase::Resolved => "resolved",
            Phase::Postmortem => "postmortem",
            Phase::MaintenanceScheduled => "maintenance_scheduled",
            Phase::MaintenanceStarted => "maintenance_started",
            Phase::MaintenanceCompleted => "maintenance_completed",
        }
    }

    /// Whether this phase closes an incident (a later post opens a new one).
    pub fn closes_incident(self) -> bool {
        matches!(self, Phase::Resolved | Phase::MaintenanceCompleted)
    }

    pub fn is_maintenance(self) -> bool {
        matches!(
            self,
            Phase::MaintenanceScheduled | Phase::MaintenanceStarted | Phase::MaintenanceCompleted
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown phase {0:?} (expected one of investigating, identified, recovering, monitoring, resolved, postmortem, maintenance_scheduled, maintenance_started, maintenance_completed)")]
pub struct UnknownPhase(pub String);

impl FromStr for Phase {
    type Err = UnknownPhase;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPhase(s.to_string()))
    }
}

/// A share in percent, always within 0..=100 (decimals allowed: "99.9 %").
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Percent(f64);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("percentage {0} is outside 0..=100")]
pub struct PercentOutOfRange(pub f64);

impl Percent {
    pub fn new(value: f64) -> Result<Self, PercentOutOfRange> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(Percent(value))
        } else {
            Err(PercentOutOfRange(value))
        }
    }

    /// `part` out of `whole` ("7 serveurs sur 10"); `None` when the ratio is not a share.
    pub fn from_ratio(part: f64, whole: f64) -> Option<Self> {
        if whole > 0.0 && part >= 0.0 && part <= whole {
            Percent::new(part / whole * 100.0).ok()
        } else {
            None
        }
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Percent::new(v).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 {
            write!(f, "{} %", self.0 as i64)
        } else {
            write!(f, "{} %", self.0)
        }
    }
}

/// One item as a source produced it, before storage: a social post, a feed entry, or one update
/// of a status-page incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchedItem {
    /// Stable id of the item within its source (feed guid, status-page update id, post id).
    pub external_id: String,
    pub url: Option<String>,
    /// When the provider published it; `None` when the feed gave no date (the fetch time is used).
    pub published_at: Option<DateTime<Utc>>,
    pub title: Option<String>,
    /// Plain text the rules read (HTML converted, entities decoded, whitespace normalised).
    pub text: String,
    /// The original body as the source delivered it (HTML, JSON, …).
    pub body: String,
    /// ISO 639-1 language when the source knows it ("fr", "en").
    pub lang: Option<String>,
    /// Grouping key given by the source itself (a status-page incident id, a reply thread root).
    pub thread_key: Option<String>,
    /// Phase label the provider attached to the item itself (a Statuspage update's status word).
    pub status_label: Option<Phase>,
    /// The item appeared after later ones, or its display time differs from its creation time.
    pub backfilled: bool,
}

impl FetchedItem {
    /// A content hash over what a reader sees; a changed hash makes a new version of the post.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.title.as_deref().unwrap_or("").as_bytes());
        h.update([0u8]);
        h.update(self.text.as_bytes());
        h.update([0u8]);
        h.update(
            self.status_label
                .map(Phase::as_str)
                .unwrap_or("")
                .as_bytes(),
        );
        hex::encode(h.finalize())
    }
}

/// What a statement yields: a phase or a percentage of a given kind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Yield {
    Phase(Phase),
    Restored(Percent),
    Affected(Percent),
}

/// What one rule extracted from one post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub yields: Yield,
    /// A time the text mentions for this statement ("vers 11h30"), resolved to UTC.
    pub mentioned_at: Option<DateTime<Utc>>,
    /// Rule id (`fr.phases.identified`), or `source:<kind>` for a label the source carried.
    pub rule_id: String,
    /// Byte span of the match in the post's plain text.
    pub span: (usize, usize),
    /// The matched text itself.
    pub matched: String,
}

impl Statement {
    pub fn phase(&self) -> Option<Phase> {
        match self.yields {
            Yield::Phase(p) => Some(p),
            _ => None,
        }
    }
    pub fn restored(&self) -> Option<Percent> {
        match self.yields {
            Yield::Restored(p) => Some(p),
            _ => None,
        }
    }
    pub fn affected(&self) -> Option<Percent> {
        match self.yields {
            Yield::Affected(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_round_trip() {
        for p in Phase::ALL {
            assert_eq!(p.as_str().parse::<Phase>().unwrap(), p);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
        assert!("fixed".parse::<Phase>().is_err());
    }

    #[test]
    fn percent_rejects_values_outside_0_to_100() {
        assert!(Percent::new(90.0).is_ok());
        assert!(Percent::new(99.9).is_ok());
        assert_eq!(Percent::new(101.0), Err(PercentOutOfRange(101.0)));
        assert!(Percent::new(-1.0).is_err());
        assert!(Percent::new(f64::NAN).is_err());
        assert_eq!(Percent::from_ratio(7.0, 10.0).unwrap().value(), 70.0);
        assert!(Percent::from_ratio(11.0, 10.0).is_none());
        assert!(serde_json::from_str::<Percent>("150").is_err());
    }

    #[test]
    fn content_hash_changes_with_text_only() {
        let mut item = FetchedItem {
            external_id: "1".into(),
            url: None,
            published_at: None,
            title: Some("Incident".into()),
            text: "Nous constatons un incident".into(),
            body: "<p>Nous constatons un incident</p>".into(),
            lang: Some("fr".into()),
            thread_key: None,
            status_label: None,
            backfilled: false,
        };
        let h1 = item.content_hash();
        item.body = "<p>Nous constatons un incident</p>\n".into();
        assert_eq!(item.content_hash(), h1);
        item.text.push_str(" majeur");
        assert_ne!(item.content_hash(), h1);
    }
}
