//! `statustrail extract`: the offline mode. Reads feed documents (any format the pollers accept),
//! files of posts in the import formats (JSON Lines or CSV with a text field, as `statustrail
//! import` reads them, only the text required) or plain text (one post per line), and writes
//! one JSON object per statement. No database.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{ExtractContext, Extractor};
use crate::model::Yield;
use crate::sources::import::{self, ImportFormat};
use rayon::prelude::*;

/// What `extract` reads, in order, for the paths it is given: `-` is standard input, a file is
/// itself, and a folder stands for every file below it, in path order, hidden files and
/// folders left out. A path that cannot be listed is an `Err`, in its place, so that the caller
/// reads the rest and reports it.
pub fn inputs(paths: &[PathBuf]) -> Vec<Result<PathBuf, (PathBuf, std::io::Error)>> {
    let mut found = Vec::new();
    for path in paths {
        if path == Path::new("-") || !path.is_dir() {
            found.push(Ok(path.clone()));
            continue;
        }
        let walk = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() => found.push(Ok(e.into_path())),
                Ok(_) => {}
                Err(e) => {
                    let at = e.path().unwrap_or(path).to_path_buf();
                    found.push(Err((at, e.into())));
                }
            }
        }
    }
    found
}

/// One output line.
#[derive(Debug, Serialize)]
pub struct ExtractLine<'a> {
    /// The input file, or `-` for standard input.
    pub input: &'a str,
    /// The feed item's id, for feed documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<&'a str>,
    /// The 1-based line number, for plain text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub lang: &'a str,
    pub phase: Option<&'static str>,
    pub restored: Option<f64>,
    pub affected: Option<f64>,
    pub mentioned_at: Option<DateTime<Utc>>,
    pub rule_id: &'a str,
    pub span: (usize, usize),
    pub matched: &'a str,
}

/// Totals of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExtractStats {
    pub posts: usize,
    pub statements: usize,
    pub bytes: usize,
    /// The input was binary data and was not read.
    pub skipped: bool,
}

/// One post of an input, as it is read: its text, where it came from, the time its undated
/// mentions are read against, and the language it says it is in.
struct Post<'a> {
    text: &'a str,
    item: Option<&'a str>,
    line: Option<usize>,
    reference: DateTime<Utc>,
    lang: Option<&'a str>,
}

/// Bad lines of a file of posts named one by one in the log; the rest are counted.
const SHOWN_BAD_LINES: usize = 10;

/// Posts read side by side (on rayon's threads) before their statements are written in order:
/// enough for every thread to have work, few enough that a huge input is not held as output.
const BATCH: usize = 1024;

/// Reads one input (a feed document, a file of posts or plain text) and writes its statements
/// as JSON Lines, in the posts' order. `lang` forces the language; `tz` reads times written
/// without a zone. The posts are read in parallel on rayon's thread pool (run it inside a
/// one-thread pool for one core's figure).
pub fn run_extract(
    extractor: &Extractor,
    name: &str,
    bytes: &[u8],
    lang: Option<&str>,
    tz: Tz,
    out: &mut dyn Write,
) -> std::io::Result<ExtractStats> {
    let now = Utc::now();
    let mut stats = ExtractStats::default();
    let parsed = crate::sources::parse_document(bytes, now);
    let text;
    let imported;
    let posts: Vec<Post<'_>> = match &parsed {
        Ok(items) => items
            .iter()
            .map(|it| Post {
                text: &it.text,
                item: Some(&it.external_id),
                line: None,
                reference: it.published_at.unwrap_or(now),
                lang: it.lang.as_deref(),
            })
            .collect(),
        Err(e) => {
            let guessed;
            (text, guessed) = crate::sources::text::decode_plain_text(bytes);
            if crate::sources::text::looks_binary(&text) {
                tracing::warn!(
                    input = name,
                    bytes = bytes.len(),
                    "binary data, not text: skipped"
                );
                stats.skipped = true;
                return Ok(stats);
            }
            if let Some(encoding) = guessed {
                tracing::warn!(
                    input = name,
                    encoding = encoding.name(),
                    "not UTF-8: read in the encoding guessed"
                );
            }
            let named = ImportFormat::from_path(Path::new(name));
            let read = import::sniff(&text, named).and_then(|format| {
                import::read_posts(&text, format)
                    .inspect_err(|e| {
                        tracing::warn!(
                            input = name,
                            error = %e,
                            "not a file of posts after all: reading it as plain text"
                        );
                    })
                    .ok()
            });
            if let Some(read) = read {
                let bad;
                (imported, bad) = read;
                for b in bad.iter().take(SHOWN_BAD_LINES) {
                    tracing::warn!(
                        input = name,
                        line = b.line,
                        problem = %b.message,
                        "a line of posts that cannot be read: skipped"
                    );
                }
                if bad.len() > SHOWN_BAD_LINES {
                    tracing::warn!(
                        input = name,
                        skipped = bad.len(),
                        "lines of posts that cannot be read: more than shown, all skipped"
                    );
                }
                imported
                    .iter()
                    .map(|p| Post {
                        text: &p.text,
                        item: p.id.as_deref(),
                        line: usize::try_from(p.line).ok(),
                        reference: p.time.unwrap_or(now),
                        lang: p.lang.as_deref(),
                    })
                    .collect()
            } else {
                if text.trim_start().starts_with(['<', '{', '[']) {
                    tracing::warn!(
                        input = name,
                        error = %e,
                        "not a readable feed: reading it as plain text"
                    );
                }
                text.lines()
                    .enumerate()
                    .filter(|(_, line)| !line.trim().is_empty())
                    .map(|(i, line)| Post {
                        text: line,
                        item: None,
                        line: Some(i + 1),
                        reference: now,
                        lang: None,
                    })
                    .collect()
            }
        }
    };
    for batch in posts.chunks(BATCH) {
        let read: Vec<(Vec<u8>, usize)> = batch
            .par_iter()
            .map(|post| write_post(extractor, name, post, lang, tz))
            .collect::<serde_json::Result<_>>()?;
        for (lines, statements) in read {
            out.write_all(&lines)?;
            stats.statements += statements;
        }
        stats.posts += batch.len();
        stats.bytes += batch.iter().map(|p| p.text.len()).sum::<usize>();
    }
    Ok(stats)
}

/// The JSON lines of one post's statements, and how many there are.
fn write_post(
    extractor: &Extractor,
    name: &str,
    post: &Post<'_>,
    lang: Option<&str>,
    tz: Tz,
) -> serde_json::Result<(Vec<u8>, usize)> {
    let ctx = ExtractContext {
        lang: lang.or(post.lang).map(str::to_string),
        tz,
        reference: post.reference,
    };
    let (detected, statements) = extractor.read(post.text, &ctx);
    let mut out = Vec::new();
    for s in &statements {
        let (phase, restored, affected) = match s.yields {
            Yield::Phase(p) => (Some(p.as_str()), None, None),
            Yield::Restored(p) => (None, Some(p.value()), None),
            Yield::Affected(p) => (None, None, Some(p.value())),
        };
        let line = ExtractLine {
            input: name,
            item: post.item,
            line: post.line,
            lang: &detected,
            phase,
            restored,
            affected,
            mentioned_at: s.mentioned_at,
            rule_id: &s.rule_id,
            span: s.span,
            matched: &s.matched,
        };
        serde_json::to_writer(&mut out, &line)?;
        out.push(b'\n');
    }
    Ok((out, statements.len()))
}
