//! Measured data: what the sites a provider hosts really did, beside what the provider said.
//!
//! Observations come from the tool's own HTTP probes ([`probe`]) or from other monitoring tools
//! ([`import`]: CSV, Prometheus `probe_success`); each is stored once per (target, time, origin).
//! [`derive`] turns them into outage windows, a per-minute share of targets up, provider-level
//! measured outages, and the claim-versus-measure figures the SQL views expose. Adding an import
//! format is one function in [`import`] returning [`Observation`]s.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod derive;
pub mod import;
pub mod probe;

/// Why an observation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    Dns,
    Connect,
    Tls,
    Timeout,
    HttpStatus,
    BodyMismatch,
    Other,
}

impl FailureClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Dns => "dns",
            FailureClass::Connect => "connect",
            FailureClass::Tls => "tls",
            FailureClass::Timeout => "timeout",
            FailureClass::HttpStatus => "http_status",
            FailureClass::BodyMismatch => "body_mismatch",
            FailureClass::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FailureClass> {
        Some(match s {
            "dns" => FailureClass::Dns,
            "connect" => FailureClass::Connect,
            "tls" => FailureClass::Tls,
            "timeout" => FailureClass::Timeout,
            "http_status" => FailureClass::HttpStatus,
            "body_mismatch" => FailureClass::BodyMismatch,
            "other" => FailureClass::Other,
            _ => return None,
        })
    }
}

/// Where an observation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Probe,
    Csv,
    Prometheus,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Probe => "probe",
            Origin::Csv => "csv",
            Origin::Prometheus => "prometheus",
        }
    }
}

/// One measurement of one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// The target's name (as configured, or as the imported data names it).
    pub target: String,
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub http_status: Option<u16>,
    pub latency_ms: Option<f64>,
    pub failure: Option<FailureClass>,
    pub error: Option<String>,
}
