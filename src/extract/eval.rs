//! `statustrail patterns eval`: measures the rules against labelled posts.
//!
//! A labelled post is one JSON object per line with its `text` and what a careful reader finds in
//! it: either `phases` (every phase the post announces, as in `tests/fixtures/extraction/fr_*.jsonl`)
//! or `status` (the one status word a status page attached to the update, as in
//! `statuspage_labels.jsonl`), and optionally `restored` / `affected` percentages. Posts sharing an
//! `incident` are read in file order to score the timeline a user would see, where an update that
//! names no phase keeps the previous one.
//!
//! The report gives, per phase, precision and recall; the accuracy of the post's state (its most
//! advanced incident phase, or none), read from its own text and carried along its incident;
//! resolved recall and the false "resolved" rate (the two numbers a chat channel's users feel);
//! and precision and recall of restored and affected percentages.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::Utc;
use serde::Deserialize;

use super::{ExtractContext, Extractor};
use crate::model::{Phase, Yield};

/// One labelled post.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    #[serde(default, alias = "update")]
    pub id: Option<String>,
    /// Provider or voice, for the per-group figures.
    #[serde(default, alias = "provider", alias = "voice")]
    pub group: Option<String>,
    #[serde(default)]
    pub incident: Option<String>,
    pub text: String,
    /// Every phase the post announces (hand labels).
    #[serde(default)]
    pub phases: Option<Vec<Phase>>,
    /// The status word a status page gave the update.
    #[serde(default)]
    pub status: Option<Phase>,
    #[serde(default)]
    pub restored: Option<f64>,
    #[serde(default)]
    pub affected: Option<f64>,
    /// Language, when the label file states it (otherwise detected, as for a post).
    #[serde(default)]
    pub lang: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {source}")]
    Json {
        path: String,
        line: usize,
        source: serde_json::Error,
    },
    #[error("{path}:{line}: a label needs `phases` or `status`")]
    NoLabel { path: String, line: usize },
}

/// Reads a JSONL label file.
pub fn read_labels(path: &Path) -> Result<Vec<Labelled>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_labels(path, &text)
}

/// Parses labelled posts, one JSON object per line (blank lines skipped); `path` names them in
/// errors, with the line.
pub fn parse_labels(path: &Path, text: &str) -> Result<Vec<Labelled>, EvalError> {
    let p = path.display().to_string();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let l: Labelled = serde_json::from_str(line).map_err(|source| EvalError::Json {
            path: p.clone(),
            line: i + 1,
            source,
        })?;
        if l.phases.is_none() && l.status.is_none() {
            return Err(EvalError::NoLabel {
                path: p,
                line: i + 1,
            });
        }
        out.push(l);
    }
    Ok(out)
}

impl Labelled {
    /// The state the post's label gives: its most advanced phase, or the status word.
    pub fn state(&self) -> Option<Phase> {
        match (&self.phases, self.status) {
            (Some(ps), _) => state_of(ps),
            (None, s) => s,
        }
    }
}

/// A status page repeats its status word at the head of the text in some renderings
/// ("Resolved - This incident has been resolved."): the rules must read the prose, not the label.
pub fn strip_status_word(text: &str) -> &str {
    const WORDS: [&str; 10] = [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
        "update",
        "postmortem",
        "scheduled",
        "in progress",
        "verifying",
        "completed",
    ];
    let t = text.trim_start();
    for w in WORDS {
        if t.len() > w.len() && t.is_char_boundary(w.len()) && t[..w.len()].eq_ignore_ascii_case(w)
        {
            let rest = t[w.len()..].trim_start();
            if let Some(r) = rest
                .strip_prefix('-')
                .or_else(|| rest.strip_prefix(':'))
                .or_else(|| rest.strip_prefix('–'))
                .or_else(|| rest.strip_prefix('—'))
            {
                return r.trim_start();
            }
        }
    }
    t
}

/// The state a post leaves its incident in: its most advanced incident phase, where a
/// resolution outranks the promise of a report written in the same post.
pub fn state_of(phases: &[Phase]) -> Option<Phase> {
    phases.iter().copied().max_by_key(|&p| state_rank(p))
}

/// How far along an incident a phase is, for [`state_of`]: the intermediate phases in their
/// order, then postmortem, resolved and the maintenance phases.
pub fn state_rank(p: Phase) -> u8 {
    match p {
        Phase::Postmortem => 4,
        Phase::Resolved => 5,
        Phase::MaintenanceScheduled => 6,
        Phase::MaintenanceStarted => 7,
        Phase::MaintenanceCompleted => 8,
        other => other as u8,
    }
}

/// The status word a Statuspage page would use for a state: the page has no "recovering" (a
/// service coming back after a fix is what its "monitoring" means) and closes with "resolved".
pub fn statuspage_word(p: Phase) -> Phase {
    match p {
        Phase::Recovering => Phase::Monitoring,
        Phase::Postmortem => Phase::Resolved,
        other => other,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// A post the rules got wrong, for inspection.
#[derive(Debug, Clone)]
pub struct Miss {
    pub id: String,
    pub expected: Option<Phase>,
    pub got: Option<Phase>,
    pub text: String,
}

/// A post whose restored or affected percentage the rules got wrong (missed, or one too many).
#[derive(Debug, Clone)]
pub struct PctMiss {
    pub id: String,
    pub expected_restored: Option<f64>,
    pub expected_affected: Option<f64>,
    pub got_restored: Vec<f64>,
    pub got_affected: Vec<f64>,
    pub text: String,
}

/// What `evaluate` measured.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    pub posts: usize,
    pub phases: BTreeMap<Phase, Counts>,
    pub state_correct: usize,
    pub state_correct_carried: usize,
    pub resolved: Counts,
    /// Posts not labelled resolved.
    pub not_resolved: usize,
    pub restored: Counts,
    pub affected: Counts,
    pub misses: Vec<Miss>,
    pub false_resolved: Vec<Miss>,
    pub pct_misses: Vec<PctMiss>,
    /// How many posts of each labelled state the rules read as another state (`None`: no phase),
    /// keyed by (labelled, read): an aggregate that names no post, safe to print for a held-out set.
    pub confusion: BTreeMap<(Option<Phase>, Option<Phase>), usize>,
}

impl EvalReport {
    pub fn state_accuracy(&self) -> f64 {
        ratio(self.state_correct, self.posts).unwrap_or(0.0)
    }
    pub fn carried_accuracy(&self) -> f64 {
        ratio(self.state_correct_carried, self.posts).unwrap_or(0.0)
    }
    /// Share of posts not labelled resolved that the rules called resolved.
    pub fn false_resolved_rate(&self) -> f64 {
        ratio(self.resolved.fp, self.not_resolved).unwrap_or(0.0)
    }
}

/// Two percentages read as the same share (a label's 66.7 and a reading's "two thirds").
pub(crate) fn same_pct(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.51
}

/// Scores one post's percentages of one kind; `true` when they are exactly right.
fn score_pct(c: &mut Counts, expected: Option<f64>, got: &[f64]) -> bool {
    let before = (c.fp, c.fn_);
    let mut hit = false;
    for g in got {
        if expected.is_some_and(|e| same_pct(e, *g)) && !hit {
            c.tp += 1;
            hit = true;
        } else {
            c.fp += 1;
        }
    }
    if expected.is_some() && !hit {
        c.fn_ += 1;
    }
    (c.fp, c.fn_) == before
}

/// Runs the rules over every labelled post.
pub fn evaluate(extractor: &Extractor, labels: &[Labelled], lang: Option<&str>) -> EvalReport {
    let mut r = EvalReport::default();
    let mut carried: BTreeMap<String, Phase> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        let text = strip_status_word(&l.text);
        let ctx = ExtractContext {
            lang: l.lang.clone().or_else(|| lang.map(str::to_string)),
            tz: chrono_tz::UTC,
            reference: Utc::now(),
        };
        let st = extractor.extract(text, &ctx);
        let mut got: Vec<Phase> = Vec::new();
        let (mut restored, mut affected) = (Vec::new(), Vec::new());
        for s in &st {
            match s.yields {
                Yield::Phase(p) if !got.contains(&p) => got.push(p),
                Yield::Restored(p) => restored.push(p.value()),
                Yield::Affected(p) => affected.push(p.value()),
                _ => {}
            }
        }
        r.posts += 1;
        let id = l.id.clone().unwrap_or_else(|| format!("#{}", i + 1));
        // Per phase: against the hand-labelled set, or against the status word alone.
        let expected_set = match (&l.phases, l.status) {
            (Some(ps), _) => ps.clone(),
            (None, s) => s.into_iter().collect(),
        };
        let expected_state = l.state();
        let mut got_state = state_of(&got);
        if l.phases.is_none() {
            got_state = got_state.map(statuspage_word);
        }
        let compared: Vec<Phase> = if l.phases.is_some() {
            got.clone()
        } else {
            got_state.into_iter().collect()
        };
        for p in Phase::ALL {
            let (e, g) = (expected_set.contains(&p), compared.contains(&p));
            let c = r.phases.entry(p).or_default();
            match (e, g) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                _ => {}
            }
        }
        if got_state == expected_state {
            r.state_correct += 1;
        } else {
            *r.confusion.entry((expected_state, got_state)).or_default() += 1;
            r.misses.push(Miss {
                id: id.clone(),
                expected: expected_state,
                got: got_state,
                text: text.to_string(),
            });
        }
        let carried_state = match (&l.incident, got_state) {
            (Some(inc), Some(s)) => {
                carried.insert(inc.clone(), s);
                Some(s)
            }
            (Some(inc), None) => carried.get(inc).copied(),
            (None, s) => s,
        };
        if carried_state == expected_state {
            r.state_correct_carried += 1;
        }
        let (e, g) = (
            expected_set.contains(&Phase::Resolved),
            got.contains(&Phase::Resolved),
        );
        if !e {
            r.not_resolved += 1;
        }
        match (e, g) {
            (true, true) => r.resolved.tp += 1,
            (true, false) => r.resolved.fn_ += 1,
            (false, true) => {
                r.resolved.fp += 1;
                r.false_resolved.push(Miss {
                    id: id.clone(),
                    expected: expected_state,
                    got: got_state,
                    text: text.to_string(),
                });
            }
            _ => {}
        }
        let right_restored = score_pct(&mut r.restored, l.restored, &restored);
        let right_affected = score_pct(&mut r.affected, l.affected, &affected);
        if !(right_restored && right_affected) {
            r.pct_misses.push(PctMiss {
                id,
                expected_restored: l.restored,
                expected_affected: l.affected,
                got_restored: restored,
                got_affected: affected,
                text: text.to_string(),
            });
        }
    }
    r
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{:.1} %", v * 100.0))
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "posts: {}", self.posts)?;
        writeln!(
            f,
            "state accuracy: {:.1} % from each post's text, {:.1} % along its incident",
            self.state_accuracy() * 100.0,
            self.carried_accuracy() * 100.0
        )?;
        writeln!(
            f,
            "resolved: recall {}, precision {}, false resolved {} ({} of {} not-resolved posts)",
            pct(self.resolved.recall()),
            pct(self.resolved.precision()),
            pct(Some(self.false_resolved_rate())),
            self.resolved.fp,
            self.not_resolved
        )?;
        writeln!(f, "| phase | labelled | precision | recall |")?;
        writeln!(f, "|---|---:|---:|---:|")?;
        for (p, c) in &self.phases {
            if c.tp + c.fn_ + c.fp == 0 {
                continue;
            }
            writeln!(
                f,
                "| {} | {} | {} | {} |",
                p.as_str(),
                c.tp + c.fn_,
                pct(c.precision()),
                pct(c.recall())
            )?;
        }
        for (name, c) in [("restored %", self.restored), ("affected %", self.affected)] {
            writeln!(
                f,
                "| {name} | {} | {} | {} |",
                c.tp + c.fn_,
                pct(c.precision()),
                pct(c.recall())
            )?;
        }
        if !self.confusion.is_empty() {
            let mut pairs: Vec<_> = self.confusion.iter().collect();
            pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            writeln!(f, "| state labelled | state read | posts |")?;
            writeln!(f, "|---|---|---:|")?;
            let name = |p: &Option<Phase>| p.map_or("(none)", |p| p.as_str());
            for ((labelled, read), n) in pairs {
                writeln!(f, "| {} | {} | {n} |", name(labelled), name(read))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_status_word_is_stripped_so_the_rules_read_the_prose() {
        assert_eq!(
            strip_status_word("Resolved - This incident has been resolved."),
            "This incident has been resolved."
        );
        assert_eq!(strip_status_word("Update: still going"), "still going");
        assert_eq!(
            strip_status_word("Resolved the cache issue"),
            "Resolved the cache issue"
        );
    }

    #[test]
    fn a_resolution_outranks_the_report_it_promises() {
        assert_eq!(
            state_of(&[Phase::Resolved, Phase::Postmortem]),
            Some(Phase::Resolved)
        );
        assert_eq!(
            state_of(&[Phase::Identified, Phase::Recovering]),
            Some(Phase::Recovering)
        );
        assert_eq!(state_of(&[]), None);
    }

    fn labelled(text: &str, phases: &[Phase]) -> Labelled {
        Labelled {
            id: None,
            group: None,
            incident: None,
            text: text.into(),
            phases: Some(phases.to_vec()),
            status: None,
            restored: None,
            affected: None,
            lang: Some("en".into()),
        }
    }

    #[test]
    fn the_report_counts_which_state_each_missed_post_was_read_as_without_naming_it() {
        let extractor = Extractor::bundled().unwrap();
        let labels = [
            labelled("This incident has been resolved.", &[Phase::Resolved]),
            labelled(
                "We are investigating reports of errors.",
                &[Phase::Monitoring],
            ),
            labelled(
                "We are investigating elevated latency.",
                &[Phase::Monitoring],
            ),
            labelled("Lunch is served.", &[Phase::Identified]),
        ];
        let report = evaluate(&extractor, &labels, None);
        assert_eq!(report.state_correct, 1);
        let confusion: Vec<_> = report.confusion.iter().map(|(k, n)| (*k, *n)).collect();
        assert_eq!(
            confusion,
            [
                ((Some(Phase::Identified), None), 1),
                ((Some(Phase::Monitoring), Some(Phase::Investigating)), 2),
            ]
        );
        let shown = report.to_string();
        assert!(
            shown.contains("| monitoring | investigating | 2 |"),
            "{shown}"
        );
        assert!(shown.contains("| identified | (none) | 1 |"), "{shown}");
        assert!(!shown.contains("elevated latency"), "{shown}");
    }
}
