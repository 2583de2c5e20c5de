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
        let slot = match field_of(&key.trim().to_ascii_lowercase()) {
            Some("provider") => &mut self.provider,
            Some("time") => &mut self.time,
            Some("text") => &mut self.text,
            Some("url") => &mut self.url,
            Some("id") => &mut self.id,
            Some("title") => &mut self.title,
            Some("lang") => &mut self.lang,
            Some("thread_key") => &mut self.thread_key,
            Some("status") => &mut self.status,
            _ => return,
        };
        *slot = v;
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

impl Fields {
    fn into_post(self, line: u64) -> Result<PostRecord, BadLine> {
        let bad = |message: String| BadLine { line, message };
        let text = self.text.ok_or_else(|| bad("missing text".into()))?;
        let time = match self.time {
            None => None,
            Some(raw) => Some(parse_time(&raw).ok_or_else(|| {
                bad(format!(
                    "time {raw:?} is not RFC 3339, RFC 2822 or the X archive form, with a zone"
                ))
            })?),
        };
        Ok(PostRecord {
            line,
            id: self.id,
            time,
            lang: self.lang,
            text: to_plain_text(&text),
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

/// Each line's fields, or why it could not be read.
type FieldLines = Vec<Result<(u64, Fields), BadLine>>;

fn read_jsonl(mut reader: impl Read) -> Result<Read2, ImportError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let text = super::text::decode_document(&bytes);
    Ok(records(jsonl_fields(&text), Fields::into_record))
}

fn read_csv(reader: impl Read) -> Result<Read2, ImportError> {
    Ok(records(
        csv_fields(reader, &["provider", "time", "text"])?,
        Fields::into_record,
    ))
}

/// The records of `lines`, each made by `make`, and every bad line.
fn records<T>(
    lines: FieldLines,
    make: impl Fn(Fields, u64) -> Result<T, BadLine>,
) -> (Vec<T>, Vec<BadLine>) {
    let (mut records, mut bad) = (Vec::new(), Vec::new());
    for line in lines {
        match line.and_then(|(n, f)| make(f, n)) {
            Ok(r) => records.push(r),
            Err(b) => bad.push(b),
        }
    }
    (records, bad)
}

fn jsonl_fields(text: &str) -> FieldLines {
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| {
            Err(BadLine {
                line: line_no,
                message,
            })
        };
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                lines.push(bad(format!("not JSON: {e}")));
                continue;
            }
        };
        let Value::Object(o) = v else {
            lines.push(bad("not a JSON object".into()));
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
        lines.push(Ok((line_no, f)));
    }
    lines
}

/// Each field a record may have, and the names it goes by (the first is its own).
const FIELDS: &[&[&str]] = &[
    &["provider"],
    &["time", "published_at", "created_at", "date"],
    &["text", "body", "full_text"],
    &["url", "link"],
    &["id", "external_id"],
    &["title"],
    &["lang", "language"],
    &["thread_key", "thread"],
    &["status", "status_label", "label"],
];

/// The field a (lowercased) column or key name stands for, by its own name.
fn field_of(name: &str) -> Option<&'static str> {
    FIELDS
        .iter()
        .find(|names| names.contains(&name))
        .map(|names| names[0])
}

/// Whether a CSV header `name` (lowercased) may stand for the field `field`.
fn names_field(name: &str, field: &str) -> bool {
    field_of(name) == Some(field)
}

fn csv_fields(reader: impl Read, required: &[&str]) -> Result<FieldLines, ImportError> {
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
    for required in required {
        if !names.iter().any(|n| names_field(n, required)) {
            return Err(ImportError::Header(format!(
                "no {required:?} column (columns: {})",
                names.join(", ")
            )));
        }
    }
    let mut lines = Vec::new();
    for row in rdr.records() {
        match row {
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                lines.push(Err(BadLine {
                    line,
                    message: e.to_string(),
                }));
            }
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line());
                let mut f = Fields::default();
                for (name, value) in names.iter().zip(row.iter()) {
                    f.set(name, value.to_string());
                }
                lines.push(Ok((line, f)));
            }
        }
    }
    Ok(lines)
}

/// A post of an import file as `statustrail extract` reads it: only its text is required, since
/// nothing is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PostRecord {
    /// 1-based line in the file (the header is line 1 in CSV).
    pub line: u64,
    pub id: Option<String>,
    pub time: Option<DateTime<Utc>>,
    pub lang: Option<String>,
    /// The text, as [`to_plain_text`] makes it.
    pub text: String,
}

/// Whether decoded text is a file of posts in an import format: JSON Lines whose first line is
/// an object with a text field, or CSV whose header row names a text column among names that
/// are identifiers (`created_at`, `full_text`, `notes`), with another field `import` knows or a
/// file name that says CSV (`named`, from [`ImportFormat::from_path`]) — so that a line of prose
/// with commas is never taken for a header.
pub fn sniff(text: &str, named: Option<ImportFormat>) -> Option<ImportFormat> {
    let (_, first) = first_line(text)?;
    let first = first.trim();
    if first.starts_with('{') {
        let Ok(Value::Object(o)) = serde_json::from_str::<Value>(first) else {
            return None;
        };
        let has_text = o
            .keys()
            .any(|k| names_field(&k.to_ascii_lowercase(), "text"));
        return has_text.then_some(ImportFormat::Jsonl);
    }
    let names: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(first.as_bytes())
        .records()
        .next()?
        .ok()?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let identifier = |n: &String| {
        n.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let text_at = names.iter().position(|n| names_field(n, "text"))?;
    let other_field = names
        .iter()
        .enumerate()
        .any(|(i, n)| i != text_at && field_of(n).is_some());
    let header = names.len() >= 2 && names.iter().all(identifier);
    (header && (other_field || named == Some(ImportFormat::Csv))).then_some(ImportFormat::Csv)
}

/// The first line of `text` that is not blank, after a byte-order mark: its byte offset and
/// its text.
fn first_line(text: &str) -> Option<(usize, &str)> {
    let body = text.trim_start_matches('\u{feff}');
    let mut at = text.len() - body.len();
    for line in body.split_inclusive('\n') {
        if !line.trim().is_empty() {
            return Some((at, line));
        }
        at += line.len();
    }
    None
}

/// Every post of an import file (decoded text), for reading without storing: each line's text,
/// and its time, id and language where it has them; every line that could not be read (no
/// text, a time that is not one) as a [`BadLine`].
pub fn read_posts(
    text: &str,
    format: ImportFormat,
) -> Result<(Vec<PostRecord>, Vec<BadLine>), ImportError> {
    let lines = match format {
        ImportFormat::Jsonl => jsonl_fields(text),
        ImportFormat::Csv => {
            // From the line `sniff` read as the header; lines counted in the whole file.
            let (at, _) = first_line(text).unwrap_or((text.len(), ""));
            let skipped = text[..at].matches('\n').count() as u64;
            let mut lines = csv_fields(&text.as_bytes()[at..], &["text"])?;
            for line in &mut lines {
                match line {
                    Ok((n, _)) => *n += skipped,
                    Err(b) => b.line += skipped,
                }
            }
            lines
        }
    };
    Ok(records(lines, Fields::into_post))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_posts_are_told_from_prose() {
        let csv = Some(ImportFormat::Csv);
        let jsonl = "{\"provider\": \"ovh\", \"text\": \"Incident clos.\"}\n";
        assert_eq!(sniff(jsonl, None), Some(ImportFormat::Jsonl));
        assert_eq!(
            sniff("\u{feff}\nid,time,text\n1,x,y\n", None),
            Some(ImportFormat::Csv)
        );
        assert_eq!(
            sniff("Text,Lang\nIncident clos.,fr\n", None),
            Some(ImportFormat::Csv)
        );
        assert_eq!(
            sniff(" \n\"text\",\"lang\"\nx,fr\n", None),
            Some(ImportFormat::Csv)
        );
        // An X archive turned into CSV keeps columns `import` ignores.
        let archive = "id,created_at,full_text,retweet_count\n1,x,y,0\n";
        assert_eq!(sniff(archive, None), Some(ImportFormat::Csv));
        assert_eq!(sniff("full_text,notes\ny,z\n", None), None);
        assert_eq!(
            sniff("full_text,notes\ny,z\n", csv),
            Some(ImportFormat::Csv)
        );
        // Prose with commas, a JSON object without a text, a lone column: not files of posts.
        assert_eq!(sniff("Text, body and title were lost, sorry.\n", csv), None);
        assert_eq!(sniff("text, time and lang\n", None), None);
        assert_eq!(sniff("text\nIncident clos.\n", None), None);
        assert_eq!(sniff("{\"status\": \"ok\"}\n", None), None);
        assert_eq!(sniff("{not json\n", None), None);
    }

    #[test]
    fn a_csv_after_blank_lines_reads_from_its_header_and_counts_lines_in_the_file() {
        let text = " \n\ntext,lang\nIncident clos.,fr\n";
        assert_eq!(sniff(text, None), Some(ImportFormat::Csv));
        let (posts, bad) = read_posts(text, ImportFormat::Csv).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            (posts[0].line, posts[0].text.as_str()),
            (4, "Incident clos.")
        );
        assert_eq!(posts[0].lang.as_deref(), Some("fr"));
    }

    #[test]
    fn posts_to_read_need_only_a_text_and_bad_lines_are_named() {
        let jsonl = "{\"text\": \"Incident clos.\", \"time\": \"2026-11-24T12:30:00+01:00\", \"lang\": \"fr\", \"id\": \"p1\"}\n\
                     {\"text\": \"Retour à la normale.\"}\n\
                     \n\
                     {\"time\": \"2026-11-24T12:30:00+01:00\"}\n\
                     {\"text\": \"x\", \"time\": \"midi\"}\n\
                     [1]\n";
        let (posts, bad) = read_posts(jsonl, ImportFormat::Jsonl).unwrap();
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].id.as_deref(), Some("p1"));
        assert_eq!(posts[0].lang.as_deref(), Some("fr"));
        assert_eq!(
            posts[0].time.unwrap().to_rfc3339(),
            "2026-11-24T11:30:00+00:00"
        );
        assert_eq!((posts[1].line, posts[1].time), (2, None));
        let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [4, 5, 6]);
        assert!(bad[0].message.contains("missing text"), "{bad:?}");

        let csv = "text,time\n\"Incident clos, merci.\",2026-11-24T12:30:00+01:00\n";
        let (posts, bad) = read_posts(csv, ImportFormat::Csv).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            (posts[0].line, posts[0].text.as_str()),
            (2, "Incident clos, merci.")
        );
    }

    #[test]
    fn times_need_a_zone() {
        assert!(parse_time("2026-11-24T10:31:00+01:00").is_some());
        assert!(parse_time("Wed Oct 10 20:19:24 +0000 2018").is_some());
        assert!(parse_time("Tue, 24 Nov 2026 10:31:00 +0100").is_some());
        assert!(parse_time("2026-11-24 10:31:00").is_none());
    }
}
