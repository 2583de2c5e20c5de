//! `statustrail patterns test`: loads every rule file, then runs each rule alone on its own
//! examples (it must yield what the example expects) and counter-examples (it must yield nothing);
//! each language's learnt fallback is trained on its labelled posts (a file that cannot be read is
//! a load error, with its line) and reports how many of them it reads right.
//!
//! A rule's phase example is also read the way `statustrail extract` reads a post, by the whole
//! pack of its language with the learnt model behind it. Where that reading loses the example's
//! phase (the model overrules the rule, or a rule of higher precedence takes its words), the
//! report notes it. That is not a failure: the rule does what its example says, and the
//! model's overruling is measured on posts from other hands (docs/extraction.md §3, Session 23).
//! But a rule writer should know that the whole extractor reads their sentence otherwise.

use std::fmt;
use std::path::Path;

use chrono::{TimeZone, Timelike, Utc};

use super::rules::RuleYield;
use super::{ExtractContext, Extractor, HitValue, RulesError};
use crate::model::Yield;

/// One failed example.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub rule: String,
    pub file: String,
    pub line: usize,
    pub text: String,
    pub problem: String,
}

/// The outcome of `patterns test`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternReport {
    pub files: usize,
    pub rules: usize,
    pub examples: usize,
    pub failures: Vec<Failure>,
    /// `file:line`, and what is named there and used by no rule (a guard, a `define`): reported,
    /// not a failure.
    pub unused: Vec<String>,
    /// Per learnt fallback: its language, posts file, posts, and the share of them its model
    /// reads right.
    pub learnt: Vec<(String, String, usize, f64)>,
    /// Phase examples their rule reads, but the whole extractor does not (the `problem` says
    /// what it reads instead): reported, not a failure.
    pub read_otherwise: Vec<Failure>,
    /// Phase examples read by the whole extractor.
    pub phase_examples: usize,
    /// List every example of `read_otherwise`, not only their count.
    pub list_read_otherwise: bool,
}

impl Failure {
    /// Two lines: `{tag} file:line rule id: {lead}problem`, then the example's text under it.
    fn write(&self, f: &mut fmt::Formatter<'_>, tag: &str, lead: &str) -> fmt::Result {
        writeln!(
            f,
            "{tag} {}:{} rule {}: {lead}{}",
            self.file, self.line, self.rule, self.problem
        )?;
        writeln!(f, "{:width$} text: {:?}", "", self.text, width = tag.len())
    }
}

impl PatternReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for PatternReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for u in &self.unused {
            writeln!(f, "note: {u}: used by no rule")?;
        }
        for x in &self.failures {
            x.write(f, "FAIL", "")?;
        }
        if !self.read_otherwise.is_empty() {
            if self.list_read_otherwise {
                for x in &self.read_otherwise {
                    x.write(f, "note:", "the whole extractor ")?;
                }
            }
            writeln!(
                f,
                "note: {} of {} phase examples are read otherwise by the whole extractor (the \
                 learnt model or a rule of higher precedence){}",
                self.read_otherwise.len(),
                self.phase_examples,
                if self.list_read_otherwise {
                    ""
                } else {
                    "; `statustrail patterns test --read-otherwise` lists them"
                }
            )?;
        }
        for (lang, path, posts, right) in &self.learnt {
            writeln!(
                f,
                "learnt fallback {lang}: {path}, {posts} labelled posts, {:.1} % read right by its model",
                100.0 * right
            )?;
        }
        writeln!(
            f,
            "{} rules in {} files, {} examples: {} passed, {} failed",
            self.rules,
            self.files,
            self.examples,
            self.examples - self.failures.len(),
            self.failures.len()
        )
    }
}

/// Loads the rules below `dir` (a load error is returned as is, with file, line and rule id) and
/// runs every rule's examples.
pub fn test_patterns(dir: &Path) -> Result<PatternReport, RulesError> {
    let files = super::rules::read_dir(dir)?;
    let extractor = Extractor::from_dir(dir)?;
    let files: Vec<_> = files
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    let mut report = run_examples(&extractor, files.len());
    for (lang, l) in extractor.learnt() {
        report.learnt.push((
            lang.to_string(),
            l.path.display().to_string(),
            l.posts(),
            l.training_accuracy(),
        ));
    }
    for (path, text) in &files {
        for (what, line) in super::rules::unused_names(path, text)? {
            report
                .unused
                .push(format!("{}:{line}: {what}", path.display()));
        }
    }
    Ok(report)
}

/// Runs the examples of every rule of an extractor.
pub fn run_examples(extractor: &Extractor, files: usize) -> PatternReport {
    // Examples are read as posts published on 2026-11-17 at 18:00 UTC by a provider in UTC.
    let ctx = ExtractContext {
        lang: None,
        tz: chrono_tz::Tz::UTC,
        reference: Utc.with_ymd_and_hms(2026, 11, 17, 18, 0, 0).unwrap(),
    };
    let mut report = PatternReport {
        files,
        ..Default::default()
    };
    for rule in extractor.rules() {
        report.rules += 1;
        let fail = |text: &str, problem: String| Failure {
            rule: rule.id.clone(),
            file: rule.file.display().to_string(),
            line: rule.line,
            text: text.to_string(),
            problem,
        };
        for (i, re) in rule.regexes.iter().enumerate() {
            if let Some(e) = re.build_error() {
                report.failures.push(fail(
                    re.as_str(),
                    format!(
                        "regex {} cannot be built, so it would never match: {e}",
                        i + 1
                    ),
                ));
            }
        }
        for ex in &rule.examples {
            report.examples += 1;
            let hits = extractor.extract_one(&rule.id, &ex.text, &ctx);
            let got: Vec<String> = hits.iter().map(|h| describe(h.value)).collect();
            let want = expected(rule.yields, &ex.expect);
            match want {
                Err(problem) => report.failures.push(fail(&ex.text, problem)),
                Ok(want) if !got.contains(&want) => report.failures.push(fail(
                    &ex.text,
                    format!(
                        "expected {want}, got {}",
                        if got.is_empty() {
                            "nothing".into()
                        } else {
                            got.join(", ")
                        }
                    ),
                )),
                Ok(want) => {
                    if matches!(rule.yields, RuleYield::Phase(_)) && rule.lang != "any" {
                        report.phase_examples += 1;
                        let whole = ExtractContext {
                            lang: Some(rule.lang.clone()),
                            ..ctx.clone()
                        };
                        let (_, statements) = extractor.read(&ex.text, &whole);
                        let phases: Vec<String> = statements
                            .iter()
                            .filter_map(|s| s.phase().map(|p| p.to_string()))
                            .collect();
                        if !phases.contains(&want) {
                            let read = if phases.is_empty() {
                                "no phase".to_string()
                            } else {
                                phases.join(", ")
                            };
                            report
                                .read_otherwise
                                .push(fail(&ex.text, format!("reads {read}, not {want}")));
                        }
                    }
                }
            }
        }
        for text in &rule.counter_examples {
            report.examples += 1;
            let hits = extractor.extract_one(&rule.id, text, &ctx);
            if !hits.is_empty() {
                let got: Vec<String> = hits.iter().map(|h| describe(h.value)).collect();
                report.failures.push(fail(
                    text,
                    format!("must not match, got {}", got.join(", ")),
                ));
            }
        }
    }
    report
}

fn describe(v: HitValue) -> String {
    match v {
        HitValue::Yield(Yield::Phase(p)) => p.to_string(),
        HitValue::Yield(Yield::Restored(p)) => format!("restored {}", p.value()),
        HitValue::Yield(Yield::Affected(p)) => format!("affected {}", p.value()),
        HitValue::Share(p) => format!("share {}", p.value()),
        HitValue::Time(t) => format!("time {:02}:{:02}", t.hour(), t.minute()),
    }
}

fn expected(y: RuleYield, expect: &toml::Value) -> Result<String, String> {
    let num = |v: &toml::Value| match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    };
    match (y, expect) {
        (RuleYield::Phase(_), toml::Value::String(s)) => Ok(s.clone()),
        (RuleYield::Restored, v) => num(v)
            .map(|n| format!("restored {n}"))
            .ok_or_else(|| "a restored example expects a number".into()),
        (RuleYield::Affected, v) => num(v)
            .map(|n| format!("affected {n}"))
            .ok_or_else(|| "an affected example expects a number".into()),
        (RuleYield::Share, v) => num(v)
            .map(|n| format!("share {n}"))
            .ok_or_else(|| "a share example expects a number".into()),
        (RuleYield::Time, toml::Value::String(s)) => Ok(format!("time {s}")),
        _ => Err(format!(
            "example expectation {expect} does not fit the rule's yield"
        )),
    }
}
