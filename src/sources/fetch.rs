//! HTTP fetching with every politeness rule decided in one place: conditional GET (ETag,
//! If-Modified-Since), connect and total timeouts, a cap on the body counted after
//! decompression, redirects followed a bounded number of times and recorded, a descriptive
//! User-Agent, a per-host concurrency limit, Retry-After, and the classification of errors into
//! retryable or not. Source kinds call [`Fetcher::get`] and never build requests of their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use url::Url;

use crate::config::HttpConfig;

/// Why a fetch failed, as stored in `poll_log.error_class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Dns,
    Connect,
    Tls,
    Timeout,
    HttpStatus,
    TooLarge,
    Redirect,
    Body,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::Timeout => "timeout",
            ErrorClass::HttpStatus => "http_status",
            ErrorClass::TooLarge => "too_large",
            ErrorClass::Redirect => "redirect",
            ErrorClass::Body => "body",
        }
    }
}

/// A failed fetch, carrying the URL and what the server said.
#[derive(Debug, thiserror::Error)]
#[error("fetching {url} failed ({}): {message}", class.as_str())]
pub struct FetchError {
    pub url: String,
    pub class: ErrorClass,
    pub message: String,
    pub status: Option<u16>,
    /// The server asked us to wait this long (429 / 503 with Retry-After).
    pub retry_after: Option<Duration>,
    pub redirects: usize,
    pub bytes: Option<u64>,
}

impl FetchError {
    /// Whether trying again later may succeed. Client errors other than 408 and 429 will not.
    pub fn is_retryable(&self) -> bool {
        match self.class {
            ErrorClass::HttpStatus => match self.status {
                Some(s) => s == 408 || s == 429 || s >= 500,
                None => true,
            },
            ErrorClass::TooLarge | ErrorClass::Redirect => false,
            _ => true,
        }
    }
}

/// Validators remembered from the previous poll of a URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful exchange: either a body, or "not modified" (304) with nothing to parse.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    pub final_url: Url,
    pub redirects: usize,
    /// `None` on 304 Not Modified.
    pub body: Option<Vec<u8>>,
    pub content_type: Option<String>,
    /// Validators to send next time (the previous ones when the server sent none).
    pub validators: Validators,
    pub duration: Duration,
    pub fetched_at: DateTime<Utc>,
}

impl Fetched {
    pub fn not_modified(&self) -> bool {
        self.body.is_none()
    }
    pub fn bytes(&self) -> u64 {
        self.body.as_ref().map_or(0, |b| b.len() as u64)
    }
}

/// The one HTTP client of the process.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    cfg: HttpConfig,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Fetcher {
    pub fn new(cfg: &HttpConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            // Redirects are followed by hand so each hop is counted, bounded and recorded.
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()?;
        Ok(Fetcher {
            client,
            cfg: cfg.clone(),
            hosts: Arc::default(),
        })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.cfg
    }

    fn host_permit(&self, url: &Url) -> Arc<Semaphore> {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self.hosts.lock().expect("host table poisoned");
        hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.cfg.per_host_concurrency.max(1))))
            .clone()
    }

    /// GET `url`, conditionally when validators are given.
    #[tracing::instrument(skip_all, fields(url = %url))]
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        self.get_with(url, validators, &[]).await
    }

    /// GET with extra request headers (an `Accept` a source kind prefers, …).
    pub async fn get_with(
        &self,
        url: &Url,
        validators: &Validators,
        extra: &[(header::HeaderName, HeaderValue)],
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let fetched_at = Utc::now();
        let mut current = url.clone();
        let mut seen = vec![current.clone()];
        let mut redirects = 0usize;
        loop {
            let permit_pool = self.host_permit(&current);
            let _permit = permit_pool.acquire().await.expect("semaphore never closed");
            let mut req = self.client.get(current.clone());
            if let Some(etag) = &validators.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
            for (k, v) in extra {
                req = req.header(k, v.clone());
            }
            let (hop_url, hop_redirects) = (current.to_string(), redirects);
            let err = |class, message: String, status: Option<u16>| FetchError {
                url: hop_url.clone(),
                class,
                message,
                status,
                retry_after: None,
                redirects: hop_redirects,
                bytes: None,
            };
            let resp = req.send().await.map_err(|e| {
                let (class, msg) = classify(&e);
                err(class, msg, None)
            })?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        err(
                            ErrorClass::Redirect,
                            format!("{status} without a Location header"),
                            Some(status.as_u16()),
                        )
                    })?;
                let next = current.join(location).map_err(|e| {
                    err(
                        ErrorClass::Redirect,
                        format!("bad Location {location:?}: {e}"),
                        Some(status.as_u16()),
                    )
                })?;
                let redirects_after = redirects + 1;
                if seen.contains(&next) {
                    return Err(err(
                        ErrorClass::Redirect,
                        format!("redirect loop back to {next}"),
                        Some(status.as_u16()),
                    ));
                }
                if redirects_after > self.cfg.max_redirects {
                    return Err(err(
                        ErrorClass::Redirect,
                        format!("more than {} redirects", self.cfg.max_redirects),
                        Some(status.as_u16()),
                    ));
                }
                tracing::debug!(from = %current, to = %next, "following redirect");
                seen.push(next.clone());
                redirects = redirects_after;
                current = next;
                continue;
            }
            let headers = resp.headers().clone();
            let new_validators = Validators {
                etag: header_str(&headers, header::ETAG).or_else(|| validators.etag.clone()),
                last_modified: header_str(&headers, header::LAST_MODIFIED)
                    .or_else(|| validators.last_modified.clone()),
            };
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched {
                    status: status.as_u16(),
                    final_url: current,
                    redirects,
                    body: None,
                    content_type: None,
                    validators: new_validators,
                    duration: started.elapsed(),
                    fetched_at,
                });
            }
            if !status.is_success() {
                let mut e = err(
                    ErrorClass::HttpStatus,
                    format!("server answered {status}"),
                    Some(status.as_u16()),
                );
                if status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE
                {
                    e.retry_after = parse_retry_after(&headers, Utc::now());
                }
                return Err(e);
            }
            let cap = self.cfg.max_body_bytes;
            if let Some(len) = resp.content_length() {
                // With content-encoding this is the compressed length: a lower bound.
                if len > cap {
                    let mut e = err(
                        ErrorClass::TooLarge,
                        format!("body of {len} bytes exceeds the cap of {cap} bytes"),
                        Some(status.as_u16()),
                    );
                    e.bytes = Some(len);
                    return Err(e);
                }
            }
            let content_type = header_str(&headers, header::CONTENT_TYPE);
            let mut resp = resp;
            let mut body = Vec::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if body.len() as u64 + chunk.len() as u64 > cap {
                            let mut e = err(
                                ErrorClass::TooLarge,
                                format!(
                                    "body exceeds the cap of {cap} bytes (after decompression)"
                                ),
                                Some(status.as_u16()),
                            );
                            e.bytes = Some(body.len() as u64 + chunk.len() as u64);
                            return Err(e);
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let (class, msg) = classify(&e);
                        let class = if class == ErrorClass::Connect {
                            ErrorClass::Body
                        } else {
                            class
                        };
                        return Err(err(class, msg, Some(status.as_u16())));
                    }
                }
            }
            return Ok(Fetched {
                status: status.as_u16(),
                final_url: current,
                redirects,
                body: Some(body),
                content_type,
                validators: new_validators,
                duration: started.elapsed(),
                fetched_at,
            });
        }
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Retry-After as seconds or as an HTTP date.
pub fn parse_retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at: DateTime<Utc> = httpdate::parse_http_date(v).ok()?.into();
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

pub(crate) fn classify(e: &reqwest::Error) -> (ErrorClass, String) {
    use std::error::Error as _;
    let mut chain = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    let lower = chain.to_lowercase();
    let class = if e.is_timeout() {
        ErrorClass::Timeout
    } else if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        ErrorClass::Dns
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        ErrorClass::Tls
    } else if e.is_connect() {
        ErrorClass::Connect
    } else if e.is_body() || e.is_decode() {
        ErrorClass::Body
    } else {
        ErrorClass::Connect
    };
    (class, chain)
}

/// When to poll a source next: its interval with ±10 % jitter after a success; after `failures`
/// consecutive failures, exponential backoff capped at `max_backoff`, and never sooner than the
/// server's Retry-After.
pub fn next_poll_delay(
    interval: Duration,
    failures: u32,
    retry_after: Option<Duration>,
    max_backoff: Duration,
) -> Duration {
    use rand::Rng;
    let base = if failures == 0 {
        interval
    } else {
        let factor = 2u32.saturating_pow(failures.min(16));
        interval
            .saturating_mul(factor)
            .min(max_backoff.max(interval))
    };
    let jitter = rand::rng().random_range(0.9..1.1);
    let delay = base.mul_f64(jitter);
    match retry_after {
        Some(ra) if ra > delay => ra,
        _ => delay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = Utc::now();
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date((now + chrono::Duration::seconds(300)).into());
        h.insert(header::RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = parse_retry_after(&h, now).unwrap();
        assert!(d.as_secs() >= 298 && d.as_secs() <= 300, "{d:?}");
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h, now), None);
    }

    #[test]
    fn backoff_grows_with_failures_and_respects_cap_and_retry_after() {
        let i = Duration::from_secs(60);
        let cap = Duration::from_secs(3600);
        let d0 = next_poll_delay(i, 0, None, cap);
        assert!(d0 >= Duration::from_secs(54) && d0 <= Duration::from_secs(66));
        let d3 = next_poll_delay(i, 3, None, cap);
        assert!(d3 >= Duration::from_secs(432) && d3 <= Duration::from_secs(528));
        let d20 = next_poll_delay(i, 20, None, cap);
        assert!(d20 <= Duration::from_secs(3960));
        let ra = next_poll_delay(i, 0, Some(Duration::from_secs(900)), cap);
        assert_eq!(ra, Duration::from_secs(900));
    }

    #[test]
    fn client_errors_are_final_server_errors_retryable() {
        let mk = |class, status| FetchError {
            url: "http://x".into(),
            class,
            message: String::new(),
            status,
            retry_after: None,
            redirects: 0,
            bytes: None,
        };
        assert!(!mk(ErrorClass::HttpStatus, Some(404)).is_retryable());
        assert!(mk(ErrorClass::HttpStatus, Some(429)).is_retryable());
        assert!(mk(ErrorClass::HttpStatus, Some(503)).is_retryable());
        assert!(mk(ErrorClass::Connect, None).is_retryable());
        assert!(!mk(ErrorClass::TooLarge, Some(200)).is_retryable());
    }
}
