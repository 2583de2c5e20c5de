//! Configuration: one TOML file (`statustrail.toml`) describing the pipeline — the database, the
//! HTTP politeness settings, and the providers with their sources. Unknown keys are rejected; the
//! `DATABASE_URL` environment variable overrides the configured database. Secrets (database URLs
//! with passwords, webhook URLs) are held in [`Secret`], whose `Debug` redacts them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use crate::sources::SourceKind;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("invalid config: {0}")]
    Invalid(String),
}

/// A string that must not appear in logs. `Debug` and `Display` print a redacted form.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The value with any password or token removed, for logs and errors.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            Ok(u) if u.scheme().starts_with("http") => {
                format!("{}://{}/***", u.scheme(), u.host_str().unwrap_or(""))
            }
            Ok(u) => u.to_string(),
            Err(_) => "***".to_string(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub http: HttpConfig,
    /// Folder of rule files; relative paths are read from the working directory.
    #[serde(default = "default_patterns_dir")]
    pub patterns_dir: PathBuf,
    /// Read a phase with each language's learnt fallback where no rule named one
    /// (docs/extraction.md); `false` keeps the rules' readings only.
    #[serde(default = "default_true")]
    pub learnt_fallback: bool,
    #[serde(default, rename = "provider")]
    pub providers: Vec<ProviderConfig>,
    #[serde(default)]
    pub measure: MeasureConfig,
}

/// How measured data is read against the provider's words.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeasureConfig {
    /// Consecutive failed observations before a target counts as down.
    pub debounce: usize,
    /// A target's last observation speaks for it this long.
    #[serde(with = "humantime_serde")]
    pub stale_after: Duration,
    /// How far from an incident a measured outage may lie and still be the incident's.
    #[serde(with = "humantime_serde")]
    pub match_window: Duration,
    /// Window of the provider scorecards.
    #[serde(with = "humantime_serde")]
    pub scorecard_window: Duration,
    /// How far back each derivation recomputes outages and minutes (older ones are kept as
    /// derived); incidents and claims are always measured again.
    #[serde(with = "humantime_serde")]
    pub derive_horizon: Duration,
}

impl Default for MeasureConfig {
    fn default() -> Self {
        MeasureConfig {
            debounce: 2,
            stale_after: Duration::from_secs(600),
            match_window: Duration::from_secs(7200),
            scorecard_window: Duration::from_secs(90 * 86400),
            derive_horizon: Duration::from_secs(7 * 86400),
        }
    }
}

impl MeasureConfig {
    pub fn derive_settings(&self) -> crate::measure::derive::DeriveSettings {
        let d = |x: Duration| chrono::Duration::from_std(x).unwrap_or(chrono::Duration::MAX);
        crate::measure::derive::DeriveSettings {
            debounce: self.debounce.max(1),
            stale_after: d(self.stale_after),
            match_window: d(self.match_window),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_patterns_dir() -> PathBuf {
    PathBuf::from("patterns")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path.db` (created when missing) or `postgres://user:pass@host/db`.
    pub url: Secret,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::new("sqlite://statustrail.db"),
        }
    }
}

/// How the pollers behave on the network; decided here once for every source kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub user_agent: String,
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// Requests in flight to one host at once.
    pub per_host_concurrency: usize,
    /// Longest wait between polls of a failing source.
    #[serde(with = "humantime_serde")]
    pub max_backoff: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: format!(
                "statustrail/{} (+https://github.com/statustrail/statustrail; status feed poller)",
                env!("CARGO_PKG_VERSION")
            ),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            per_host_concurrency: 2,
            max_backoff: Duration::from_secs(6 * 3600),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Short stable name (`ovh`, `github`), used on the CLI and in the database.
    pub name: String,
    pub display_name: Option<String>,
    /// Zone for times the provider writes without one ("vers 11h30").
    #[serde(default = "default_tz")]
    pub timezone: Tz,
    /// Language of the provider's posts when its sources do not say.
    pub lang: Option<String>,
    /// A post after this much silence starts a new incident.
    #[serde(default = "default_quiet_gap", with = "humantime_serde")]
    pub quiet_gap: Duration,
    #[serde(default, rename = "source")]
    pub sources: Vec<SourceConfig>,
    /// Sites the provider hosts, probed to measure what its customers saw.
    #[serde(default, rename = "target")]
    pub targets: Vec<crate::measure::probe::TargetConfig>,
}

fn default_tz() -> Tz {
    Tz::UTC
}

fn default_quiet_gap() -> Duration {
    Duration::from_secs(6 * 3600)
}

impl ProviderConfig {
    pub fn display_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub kind: SourceKind,
    pub url: Url,
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
    /// Language of this source's posts ("fr", "en"); detected per post when absent.
    pub lang: Option<String>,
}

fn default_interval() -> Duration {
    Duration::from_secs(300)
}

impl Config {
    /// Reads and validates a config file, then applies environment overrides.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Config::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { source, .. } => ConfigError::Parse {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })?;
        cfg.apply_env();
        Ok(cfg)
    }

    /// Parses and validates TOML text (no environment overrides).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: PathBuf::from("<text>"),
            source: Box::new(source),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The configuration used when no file exists: the default database and no providers.
    pub fn empty() -> Config {
        let mut cfg = Config::from_toml("").expect("empty config is valid");
        cfg.apply_env();
        cfg
    }

    /// `DATABASE_URL` overrides the configured database.
    pub fn apply_env(&mut self) {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                self.database.url = Secret::new(url);
            }
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for p in &self.providers {
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ConfigError::Invalid(format!(
                    "provider name {:?} must be non-empty ASCII letters, digits, - or _",
                    p.name
                )));
            }
            if !names.insert(&p.name) {
                return Err(ConfigError::Invalid(format!(
                    "provider {:?} is defined twice",
                    p.name
                )));
            }
            for s in &p.sources {
                if !matches!(s.url.scheme(), "http" | "https") {
                    return Err(ConfigError::Invalid(format!(
                        "source {} of provider {}: only http and https URLs are polled",
                        s.url, p.name
                    )));
                }
                if s.interval < Duration::from_secs(1) {
                    return Err(ConfigError::Invalid(format!(
                        "source {} of provider {}: interval must be at least 1s",
                        s.url, p.name
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_configuration_is_valid() {
        let cfg = Config::from_toml(include_str!("../statustrail.example.toml")).unwrap();
        assert!(cfg.providers.len() >= 3);
        assert!(cfg
            .providers
            .iter()
            .flat_map(|p| &p.sources)
            .any(|s| s.kind == SourceKind::StatuspageFeed));
    }

    #[test]
    fn parses_providers_and_sources() {
        let cfg = Config::from_toml(
            r#"
            [[provider]]
            name = "ovh"
            timezone = "Europe/Paris"
            lang = "fr"
            quiet_gap = "3h"
            [[provider.source]]
            kind = "feed"
            url = "https://example.org/status.rss"
            interval = "2m"
            "#,
        )
        .unwrap();
        let p = &cfg.providers[0];
        assert_eq!(p.timezone, chrono_tz::Europe::Paris);
        assert_eq!(p.quiet_gap, Duration::from_secs(3 * 3600));
        assert_eq!(p.sources[0].interval, Duration::from_secs(120));
        assert_eq!(p.sources[0].kind, SourceKind::Feed);
        assert!(
            cfg.learnt_fallback,
            "the learnt fallback is on unless turned off"
        );
        assert!(
            !Config::from_toml("learnt_fallback = false")
                .unwrap()
                .learnt_fallback
        );
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(Config::from_toml("databse = 1").is_err());
        assert!(Config::from_toml("[[provider]]\nname = \"a b\"").is_err());
        let err = Config::from_toml(
            "[[provider]]\nname = \"x\"\n[[provider.source]]\nkind = \"feed\"\nurl = \"ftp://h/x\"",
        )
        .unwrap_err();
        assert!(err.to_string().contains("only http"), "{err}");
    }

    #[test]
    fn secret_debug_hides_password() {
        let s = Secret::new("postgres://app:hunter2@db.example/statustrail");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(format!("{s}").contains("db.example"));
        let hook = Secret::new("https://hooks.slack.com/services/T000/B000/XXXX");
        assert!(!format!("{hook:?}").contains("XXXX"));
    }
}
