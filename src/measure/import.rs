//! Measured data from other tools: a CSV export (`time,target,ok,latency_ms,status`) or the
//! Prometheus HTTP API (a range query of blackbox_exporter's `probe_success`). Each returns
//! [`Observation`]s; the store keeps each (target, time, origin) once, so importing the same data
//! twice stores nothing twice.

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::Observation;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("CSV line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("Prometheus answer: {0}")]
    Prometheus(String),
    #[error("Prometheus request to {url} failed: {source}")]
    Http { url: String, source: reqwest::Error },
}

#[derive(Debug, Deserialize)]
struct CsvRow {
    time: String,
    target: String,
    ok: String,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(default)]
    status: Option<u16>,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Utc.timestamp_millis_opt((secs * 1000.0) as i64).single();
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

fn parse_ok(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "up" | "ok" | "yes" => Some(true),
        "0" | "false" | "down" | "fail" | "failed" | "no" => Some(false),
        _ => None,
    }
}

/// Reads a CSV with a header naming at least `time`, `target`, `ok` (and optionally
/// `latency_ms`, `status`). Times are RFC 3339, Unix seconds, or `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Observation>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Vec::new();
    for (i, row) in rdr.deserialize::<CsvRow>().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| ImportError::Csv {
            line,
            message: e.to_string(),
        })?;
        let at = parse_time(&row.time).ok_or_else(|| ImportError::Csv {
            line,
            message: format!(
                "time {:?} is not RFC 3339, Unix seconds or YYYY-MM-DD HH:MM:SS",
                row.time
            ),
        })?;
        let ok = parse_ok(&row.ok).ok_or_else(|| ImportError::Csv {
            line,
            message: format!("ok {:?} is not 1/0, true/false or up/down", row.ok),
        })?;
        if row.target.is_empty() {
            return Err(ImportError::Csv {
                line,
                message: "empty target".into(),
            });
        }
        out.push(Observation {
            target: row.target,
            at,
            ok,
            http_status: row.status,
            latency_ms: row.latency_ms,
            failure: None,
            error: None,
        });
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct PromAnswer {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<PromData>,
}

#[derive(Debug, Deserialize)]
struct PromData {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<PromSeries>,
}

#[derive(Debug, Deserialize)]
struct PromSeries {
    metric: std::collections::BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

/// Reads a Prometheus `query_range` answer: one target per series, named by `label`
/// (`instance` for blackbox_exporter), a value of 1 meaning up.
pub fn read_prometheus(bytes: &[u8], label: &str) -> Result<Vec<Observation>, ImportError> {
    let a: PromAnswer =
        serde_json::from_slice(bytes).map_err(|e| ImportError::Prometheus(e.to_string()))?;
    if a.status != "success" {
        return Err(ImportError::Prometheus(
            a.error.unwrap_or_else(|| format!("status {}", a.status)),
        ));
    }
    let data = a
        .data
        .ok_or_else(|| ImportError::Prometheus("no data".into()))?;
    if data.result_type != "matrix" {
        return Err(ImportError::Prometheus(format!(
            "expected a range query (matrix), got {}",
            data.result_type
        )));
    }
    let mut out = Vec::new();
    for s in data.result {
        let Some(target) = s.metric.get(label) else {
            tracing::warn!(label, metric = ?s.metric, "series without the target label skipped");
            continue;
        };
        for (ts, v) in s.values {
            let Some(at) = Utc
                .timestamp_millis_opt((ts * 1000.0).round() as i64)
                .single()
            else {
                continue;
            };
            let ok = v.parse::<f64>().is_ok_and(|x| x >= 1.0);
            out.push(Observation {
                target: target.clone(),
                at,
                ok,
                http_status: None,
                latency_ms: None,
                failure: None,
                error: None,
            });
        }
    }
    Ok(out)
}

/// The largest Prometheus answer read (a 90-day range of 1-minute steps for 50 targets is about
/// 200 MB of JSON; ask for less at a time).
pub const MAX_PROMETHEUS_ANSWER: usize = 256 << 20;

/// What to ask Prometheus.
#[derive(Debug, Clone)]
pub struct PrometheusQuery {
    /// Base URL of the Prometheus server (`http://prometheus:9090`).
    pub base: url::Url,
    pub query: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub step: std::time::Duration,
    pub label: String,
}

/// Runs a range query and reads its answer.
pub async fn fetch_prometheus(
    client: &reqwest::Client,
    q: &PrometheusQuery,
) -> Result<Vec<Observation>, ImportError> {
    let mut url = q
        .base
        .join("api/v1/query_range")
        .map_err(|e| ImportError::Prometheus(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("query", &q.query)
        .append_pair("start", &q.start.timestamp().to_string())
        .append_pair("end", &q.end.timestamp().to_string())
        .append_pair("step", &format!("{}s", q.step.as_secs().max(1)));
    let http = |source| ImportError::Http {
        url: url.to_string(),
        source,
    };
    let mut resp = client.get(url.clone()).send().await.map_err(http)?;
    let status = resp.status();
    // Prometheus answers errors as JSON with a 4xx/5xx status: read it for its message, but
    // never more than the cap, whatever the server sends.
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(http)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_PROMETHEUS_ANSWER {
            return Err(ImportError::Prometheus(format!(
                "answer larger than {MAX_PROMETHEUS_ANSWER} bytes: narrow the query or the range"
            )));
        }
    }
    match read_prometheus(&bytes, &q.label) {
        Err(e) if !status.is_success() => {
            Err(ImportError::Prometheus(format!("HTTP {status}: {e}")))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_observations_and_a_bad_row_names_its_line() {
        let csv = "time,target,ok,latency_ms,status\n2026-11-17T08:00:00Z,lemonde,1,120,200\n1795420860,lemonde,down,,\n";
        let obs = read_csv(csv.as_bytes()).unwrap();
        assert_eq!(obs.len(), 2);
        assert!(obs[0].ok && !obs[1].ok);
        assert_eq!(obs[0].http_status, Some(200));
        let err = read_csv(b"time,target,ok\nyesterday,a,1\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn a_prometheus_error_or_instant_vector_is_refused() {
        let err = read_prometheus(br#"{"status":"error","error":"bad query"}"#, "instance");
        assert!(err.unwrap_err().to_string().contains("bad query"));
        let err = read_prometheus(
            br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            "instance",
        );
        assert!(err.unwrap_err().to_string().contains("matrix"));
    }
}
