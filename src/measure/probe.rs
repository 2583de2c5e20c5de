//! The tool's own probes: one HTTP GET of a target, judged by its success rule (a status range
//! and, optionally, a regex the body must match), timed, and classified when it fails.
//!
//! Probing runs beside polling, one task per target, so a slow target delays neither the
//! pollers nor the other targets; each probe is bounded by its own timeout.

use std::time::{Duration, Instant};

use chrono::Utc;
use regex::Regex;
use serde::Deserialize;
use url::Url;

use super::{FailureClass, Observation};
use crate::sources::fetch::{classify, ErrorClass};

/// A site a provider hosts, probed to see what the provider's customers saw.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    pub url: Url,
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    #[serde(default = "default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// Status codes that count as up, "200-399" (the default) or "200".
    #[serde(default = "default_expect")]
    pub expect_status: StatusRange,
    /// A regex the body must match to count as up (a CDN's error page answers 200 too).
    #[serde(default, with = "serde_regex_opt")]
    pub body_regex: Option<Regex>,
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_expect() -> StatusRange {
    StatusRange(200, 399)
}

/// An inclusive range of HTTP status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange(pub u16, pub u16);

impl StatusRange {
    pub fn contains(self, status: u16) -> bool {
        (self.0..=self.1).contains(&status)
    }
}

impl std::str::FromStr for StatusRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expect_status {s:?}: want \"200\" or \"200-399\"");
        let (a, b) = s.split_once('-').unwrap_or((s, s));
        let a: u16 = a.trim().parse().map_err(|_| bad())?;
        let b: u16 = b.trim().parse().map_err(|_| bad())?;
        if a > b || !(100..=599).contains(&a) || !(100..=599).contains(&b) {
            return Err(bad());
        }
        Ok(StatusRange(a, b))
    }
}

impl<'de> Deserialize<'de> for StatusRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

mod serde_regex_opt {
    use regex::Regex;
    use serde::Deserialize;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Regex>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| Regex::new(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Bodies are read up to this much for the body rule; the rest is not needed to judge a page.
const MAX_PROBE_BODY: usize = 1 << 20;

/// Sends probes. One client for all targets; each request carries its target's timeout.
#[derive(Debug, Clone)]
pub struct Prober {
    client: reqwest::Client,
}

impl Prober {
    pub fn new(user_agent: &str) -> Result<Prober, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()?;
        Ok(Prober { client })
    }

    /// Probes a target once. Never fails: a failure is an observation too.
    pub async fn probe(&self, target: &TargetConfig) -> Observation {
        let at = Utc::now();
        let started = Instant::now();
        let outcome = tokio::time::timeout(target.timeout, self.exchange(target)).await;
        let latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        let (ok, http_status, failure, error) = match outcome {
            Err(_) => (
                false,
                None,
                Some(FailureClass::Timeout),
                Some(format!("no answer within {:?}", target.timeout)),
            ),
            Ok(Err(e)) => {
                let (class, msg) = classify(&e);
                let failure = match class {
                    ErrorClass::Dns => FailureClass::Dns,
                    ErrorClass::Tls => FailureClass::Tls,
                    ErrorClass::Timeout => FailureClass::Timeout,
                    ErrorClass::Connect => FailureClass::Connect,
                    _ => FailureClass::Other,
                };
                (
                    false,
                    e.status().map(|s| s.as_u16()),
                    Some(failure),
                    Some(msg),
                )
            }
            Ok(Ok((status, body))) => {
                if !target.expect_status.contains(status) {
                    (
                        false,
                        Some(status),
                        Some(FailureClass::HttpStatus),
                        Some(format!("HTTP {status}")),
                    )
                } else if target
                    .body_regex
                    .as_ref()
                    .is_some_and(|re| !re.is_match(&String::from_utf8_lossy(&body)))
                {
                    (
                        false,
                        Some(status),
                        Some(FailureClass::BodyMismatch),
                        Some("body does not match body_regex".into()),
                    )
                } else {
                    (true, Some(status), None, None)
                }
            }
        };
        tracing::debug!(target = %target.name, ok, ?http_status, "probe");
        Observation {
            target: target.name.clone(),
            at,
            ok,
            http_status,
            latency_ms,
            failure,
            error,
        }
    }

    async fn exchange(&self, target: &TargetConfig) -> Result<(u16, Vec<u8>), reqwest::Error> {
        let mut resp = self
            .client
            .get(target.url.clone())
            .timeout(target.timeout)
            .send()
            .await?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        if target.body_regex.is_some() {
            while let Some(chunk) = resp.chunk().await? {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_PROBE_BODY {
                    break;
                }
            }
        }
        Ok((status, body))
    }
}
