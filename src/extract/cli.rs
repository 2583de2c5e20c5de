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
use crate::sources::import;

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

/// Reads one input (a feed document or plain text) and writes its statements as JSON Lines.
/// `lang` forces the language; `tz` reads times written without a zone.
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
    let mut emit = |text: &str,
                    item: Option<&str>,
                    line: Option<usize>,
                    reference: DateTime<Utc>,
                    post_lang: Option<&str>,
                    out: &mut dyn Write|
     -> std::io::Result<()> {
        let ctx = ExtractContext {
            lang: lang.or(post_lang).map(str::to_string),
            tz,
            reference,
        };
        let (detected, statements) = extractor.read(text, &ctx);
        stats.posts += 1;
        stats.bytes += text.len();
        for s in statements {
            stats.statements += 1;
            let (phase, restored, affected) = match s.yields {
                Yield::Phase(p) => (Some(p.as_str()), None, None),
                Yield::Restored(p) => (None, Some(p.value()), None),
                Yield::Affected(p) => (None, None, Some(p.value())),
            };
            let line = ExtractLine {
                input: name,
                item,
                line,
                lang: &detected,
                phase,
                restored,
                affected,
                mentioned_at: s.mentioned_at,
                rule_id: &s.rule_id,
                span: s.span,
                matched: &s.matched,
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    };
    match crate::sources::parse_document(bytes, now) {
        Ok(items) => {
            for it in &items {
                emit(
                    &it.text,
                    Some(&it.external_id),
                    None,
                    it.published_at.unwrap_or(now),
                    it.lang.as_deref(),
                    out,
                )?;
            }
        }
        Err(e) => {
            let (text, guessed) = crate::sources::text::decode_plain_text(bytes);
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
            if let Some(format) = import::sniff(&text) {
                let (posts, bad) =
                    import::read_posts(&text, format).map_err(std::io::Error::other)?;
                for b in bad {
                    tracing::warn!(input = name, line = b.line, problem = %b.message, "a line of posts that cannot be read: skipped");
                }
                for p in &posts {
                    let line = usize::try_from(p.line).ok();
                    emit(
                        &p.text,
                        p.id.as_deref(),
                        line,
                        p.time.unwrap_or(now),
                        p.lang.as_deref(),
                        out,
                    )?;
                }
                return Ok(stats);
            }
            let looks_structured = text.trim_start().starts_with(['<', '{', '[']);
            if looks_structured {
                tracing::warn!(input = name, error = %e, "not a readable feed: reading it as plain text");
            }
            for (i, line) in text.lines().enumerate() {
                if !line.trim().is_empty() {
                    emit(line, None, Some(i + 1), now, None, out)?;
                }
            }
        }
    }
    Ok(stats)
}
