//! Reading posts to import (`statustrail import FILE`): posts gathered by hand or exported from
//! elsewhere (an X/Twitter archive turned into CSV, press quotations, a provider's old posts).
//!
//! Two formats, one record per line: JSON Lines (`{"provider": …, "time": …, "text": …}`) and CSV
//! with a header row. Columns: `provider`, `time`, `text` (required), `url`, `id`, `title`,
//! `lang`, `thread_key`, `status` (optional; `status` is a phase name such as `resolved`).
//! `time` must name its zone: RFC 3339 (`2026-11-24T10:31:00+01:00`), RFC 2822, or the X archive
//! form (`Wed Oct 10 20:19:24 +0000 2018`); a time without a zone is an error, not a guess. When
//! `id` is absent a stable one is derived from provider, time and text. Every bad line is
//! reported with its line number; nothing is dropped silently.

use std::io::Read;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::text::to_plain_text;
use crate::model::{FetchedItem, Phase};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    Jsonl,
}

impl ImportFormat {
    /// From a file name: `.csv` → CSV, `.jsonl` / `.ndjson` / `.json` → JSON Lines.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(ImportFormat::Csv),
            "jsonl" | "ndjson" | "json" => Some(ImportFormat::Jsonl),
            _ => None,
        }
    }
}

/// One post to import, with the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    /// 1-based line in the file (the header is line 1 in CSV).
    pub line: u64,
    /// The provider's short name, as in the config (`ovh`).
    pub provider: String,
    pub item: FetchedItem,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("cannot read the import file: {0}")]
    Io(#[from] std::io::Error),
    #[error("CSV header: {0}")]
    Header(String),
    #[error("{} bad line(s): {}", .0.len(), .0.iter().map(|b| b.to_string()).collect::<Vec<_>>().join("; "))]
    BadLines(Vec<BadLine>),
}

/// Reads every record, or reports every bad line.
pub fn read_import(
    reader: impl Read,
    format: ImportFormat,
) -> Result<Vec<ImportRecord>, ImportError> {
    let (records, bad) = match format {
        ImportFormat::Jsonl => read_jsonl(reader)?,
        ImportFormat::Csv => read_csv(reader)?,
    };
    if bad.is_empty() {
        Ok(records)
    } else {
        Err(ImportError::BadLines(bad))
    }
}

/// The fields of one record before validation.
#[derive(Default)]
struct Fields {
    provider: Option<String>,
    time: Option<String>,
    text: Option<String>,
    url: Option<String>,
    id: Option<String>,
    title: Option<String>,
    lang: Option<String>,
    thread_key: Option<String>,
    status: Option<String>,
}

impl Fields {
    fn set(&mut self, key: &str, value: String) {
        let v = Some(value).filter(|v| !v.trim().is_empty());
        match key.trim().to_ascii_lowercase().as_str() {
            "provider" => self.provider = v,
            "time" | "published_at" | "created_at" | "date" => self.time = v,
            "text" | "body" | "full_text" => self.text = v,
            "url" | "link" => self.url = v,
            "id" | "external_id" => self.id = v,
            "title" => self.title = v,
            "lang" | "language" => self.lang = v,
            "thread_key" | "thread" => self.thread_key = v,
            "status" | "status_label" | "label" => self.status = v,
            _ => {}
        }
    }

    fn into_record(self, line: u64) -> Result<ImportRecord, BadLine> {
        let bad = |message: String| BadLine { line, message };
        let provider = self
            .provider
            .ok_or_else(|| bad("missing provider".into()))?;
        let time_raw = self.time.ok_or_else(|| bad("missing time".into()))?;
        let text_raw = self.text.ok_or_else(|| bad("missing text".into()))?;
        let time = parse_time(&time_raw).ok_or_else(|| {
            bad(format!(
                "time {time_raw:?} is not RFC 3339, RFC 2822 or the X archive form, with a zone"
            ))
        })?;
        let status_label = match self.status {
            None => None,
            Some(s) => Some(
                s.trim()
                    .to_ascii_lowercase()
                    .parse::<Phase>()
                    .map_err(|e| bad(e.to_string()))?,
            ),
        };
        let text = to_plain_text(&text_raw);
        let external_id = self
            .id
            .unwrap_or_else(|| derived_id(&provider, time, &text));
        Ok(ImportRecord {
            line,
            provider: provider.trim().to_string(),
            item: FetchedItem {
                external_id,
                url: self.url,
                published_at: Some(time),
                title: self.title,
                text,
                body: text_raw,
                lang: self.lang,
                thread_key: self.thread_key,
                status_label,
                backfilled: false,
            },
        })
    }
}

/// A stable id for a record without one: provider, time and text hashed.
pub fn derived_id(provider: &str, time: DateTime<Utc>, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(provider.trim().as_bytes());
    h.update([0u8]);
    h.update(time.to_rfc3339().as_bytes());
    h.update([0u8]);
    h.update(text.as_bytes());
    format!("import:{}", &hex::encode(h.finalize())[..24])
}

/// RFC 3339, RFC 2822, or the X archive's `Wed Oct 10 20:19:24 +0000 2018`; a zone is required.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .or_else(|_| DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y"))
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

type Read2 = (Vec<ImportRecord>, Vec<BadLine>);

fn read_jsonl(mut reader: impl Read) -> Result<Read2, ImportError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let text = super::text::decode_document(&bytes);
    let (mut records, mut bad) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                bad.push(BadLine {
                    line: line_no,
                    message: format!("not JSON: {e}"),
                });
                continue;
            }
        };
        let Value::Object(o) = v else {
            bad.push(BadLine {
                line: line_no,
                message: "not a JSON object".into(),
            });
            continue;
        };
        let mut f = Fields::default();
        for (k, v) in o {
            let s = match v {
                Value::String(s) => s,
                Value::Null => continue,
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            f.set(&k, s);
        }
        match f.into_record(line_no) {
            Ok(r) => records.push(r),
            Err(b) => bad.push(b),
        }
    }
    Ok((records, bad))
}

fn read_csv(reader: impl Read) -> Result<Read2, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::Headers)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| ImportError::Header(e.to_string()))?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for required in ["provider", "time", "text"] {
        let alias_ok = match required {
            "time" => names
                .iter()
                .any(|n| ["time", "published_at", "created_at", "date"].contains(&n.as_str())),
            "text" => names
                .iter()
                .any(|n| ["text", "body", "full_text"].contains(&n.as_str())),
            _ => names.iter().any(|n| n == required),
        };
        if !alias_ok {
            return Err(ImportError::Header(format!(
                "no {required:?} column (columns: {})",
                names.join(", ")
            )));
        }
    }
    let (mut records, mut bad) = (Vec::new(), Vec::new());
    for row in rdr.records() {
        match row {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push(BadLine {
                    line,
                    message: e.to_string(),
                });
            }
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line());
                let mut f = Fields::default();
                for (name, value) in names.iter().zip(row.iter()) {
                    f.set(name, value.to_string());
                }
                match f.into_record(line) {
                    Ok(r) => records.push(r),
                    Err(b) => bad.push(b),
                }
            }
        }
    }
    Ok((records, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_need_a_zone() {
        assert!(parse_time("2026-11-24T10:31:00+01:00").is_some());
        assert!(parse_time("Wed Oct 10 20:19:24 +0000 2018").is_some());
        assert!(parse_time("Tue, 24 Nov 2026 10:31:00 +0100").is_some());
        assert!(parse_time("2026-11-24 10:31:00").is_none());
    }
}
