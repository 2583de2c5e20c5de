//! The learnt fallback: a linear classifier that reads a post's phase where no rule named one,
//! and, where its reading clearly disagrees with the rules', overrules them.
//!
//! The rules read whole phrasings, and a writer whose wording falls outside them gets no phase
//! at all (docs/extraction.md §3, Session 15). Behind them sits one linear model per language,
//! over general cues: TF-IDF of word 1- and 2-grams and of character 3- to 5-grams inside
//! words (each block scaled to unit length), one-vs-rest linear SVMs with a squared hinge loss —
//! the model of the session 15 probe (`docs/probes/learnt_fallback/`).
//!
//! It is data, like the rules: the labelled posts it learns from sit beside them
//! (`patterns/<lang>/learnt.jsonl`, the format `patterns eval` reads) and the `[learnt]` table of
//! the language's `language.toml` names them and sets the model's knobs. It is trained when
//! first needed — in a fraction of a second, deterministically (a fixed-seed order of
//! coordinate descent) — and once per process for the same posts and settings. It yields a
//! phase only, never a percentage or a time of its own, and says "resolved" only when the
//! resolved score leads every other class's by the configured margin.
//!
//! Where a rule did name a phase, the model may overrule it (`override_gap`, docs/extraction.md
//! §1): on posts written by hands the rules never read, where model and rules disagree the
//! model is right more often than the rules (session 18: two times in three against one in
//! four on the blind sets), but the rules are right where it barely leads. So the model's
//! reading replaces the rules' phases only when its best class scores more than the gap above
//! the rules' state, and never when either is "resolved". The gap is chosen on blind labelled
//! posts (`statustrail patterns learnt --blind`).
//!
//! Training is the dual coordinate descent of Hsieh et al. (2008), liblinear's default solver
//! for this loss, written out here: the Rust machine-learning crates train SVMs through a kernel
//! matrix or dense arrays, and these posts have a hundred thousand sparse features.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::cache;
use super::eval::{parse_labels, same_pct, EvalError};
use super::shares::{self, ShareModel};
use crate::model::Phase;

/// The `[learnt]` table of a language file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LearntSettings {
    /// The labelled posts to learn from, relative to the file holding this table.
    pub posts: String,
    /// The SVMs' regularisation: larger fits the training posts more closely.
    #[serde(default = "default_c")]
    pub c: f64,
    /// How far the "resolved" score must lead the next class's before the fallback says
    /// "resolved" (0: whenever it is the best class).
    #[serde(default)]
    pub resolved_margin: f64,
    /// The least score the best class needs before the fallback names a phase (each class's
    /// model says yes above 0): lower lets it guess on posts its words barely touch.
    #[serde(default)]
    pub min_score: f64,
    /// How far the model's best class must score above the class of the rules' state before
    /// the model's reading replaces the rules' phases in a post where a rule named one. Absent:
    /// the model reads only posts where no rule named a phase. "Resolved" is never overruled:
    /// neither a "resolved" of the rules taken back nor another phase of theirs turned into one.
    #[serde(default)]
    pub override_gap: Option<f64>,
    /// How far a share's kind (restored or affected) must score above the next for the learnt
    /// share reader to yield it, where the rules yielded no share of that kind. Absent: shares
    /// are the rules' alone (docs/extraction.md §1, "The learnt share reader").
    #[serde(default)]
    pub share_margin: Option<f64>,
    /// The share reader's SVM regularisation.
    #[serde(default = "default_share_c")]
    pub share_c: f64,
}

fn default_share_c() -> f64 {
    0.5
}

fn default_c() -> f64 {
    1.0
}

/// Errors reading the labelled posts of a learnt fallback.
#[derive(Debug, thiserror::Error)]
pub enum LearntError {
    #[error("{named_by}: [learnt] posts = {posts:?}: no such file below the rules folder")]
    Missing { named_by: PathBuf, posts: String },
    #[error(transparent)]
    Posts(#[from] EvalError),
    #[error("{path}: {message}")]
    Settings { path: PathBuf, message: String },
}

/// What the fallback may answer: no phase (index 0) or one of [`Phase::ALL`] (index + 1).
const CLASSES: usize = Phase::ALL.len() + 1;

fn class_of(phase: Option<Phase>) -> usize {
    phase.map_or(0, |p| {
        1 + Phase::ALL
            .iter()
            .position(|&q| q == p)
            .expect("every phase is in Phase::ALL")
    })
}

fn phase_of(class: usize) -> Option<Phase> {
    class.checked_sub(1).map(|i| Phase::ALL[i])
}

/// Models trained in this process, by what they were trained from (posts, settings, rules).
type Trained<T> = OnceLock<Mutex<HashMap<[u8; 32], Arc<T>>>>;

/// The model trained from what `key` identifies: `train`ed now unless this process has one. The
/// lock is held while training, so that threads asking for the same model wait for one.
fn trained_once<T>(cache: &Trained<T>, key: [u8; 32], train: impl FnOnce() -> T) -> Arc<T> {
    let mut cache = cache
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| Arc::new(train()))
        .clone()
}

/// One language's labelled posts and settings, and the model trained from them when first asked.
#[derive(Debug)]
pub struct Learnt {
    settings: LearntSettings,
    /// Where the posts came from, for reports.
    pub path: PathBuf,
    posts: Vec<(String, usize)>,
    /// Each post's restored and affected labels, for the share reader.
    shares: Vec<(Option<f64>, Option<f64>)>,
    /// Identifies posts and settings, so that equal ones are trained once per process.
    key: [u8; 32],
    /// Identifies the posts alone (the bytes of their file), for the models kept on disk.
    posts_hash: [u8; 32],
    model: OnceLock<Arc<Model>>,
    share_model: OnceLock<Arc<ShareModel>>,
}

/// A share found in a post, for the share reader: its span, its sentence's span, its value.
pub(crate) type FoundShare = ((usize, usize), (usize, usize), f64);

/// A share of a labelled post: the post's index, the share's features, its kind.
type LabelledShare = (usize, Vec<(u8, u64)>, usize);

impl Learnt {
    /// Reads the labelled posts named by `settings` (in the file `named_by`): each line a JSON
    /// object with `text` and `phases` (the post's state is its most advanced phase) or `status`.
    pub fn new(
        settings: LearntSettings,
        named_by: &Path,
        path: PathBuf,
        jsonl: &str,
    ) -> Result<Learnt, LearntError> {
        let valid = settings.c.is_finite()
            && settings.c > 0.0
            && settings.share_c.is_finite()
            && settings.share_c > 0.0
            && settings.share_margin.is_none_or(f64::is_finite)
            && settings.resolved_margin.is_finite()
            && settings.min_score.is_finite()
            && settings
                .override_gap
                .is_none_or(|g| g.is_finite() && g >= 0.0);
        if !valid {
            return Err(LearntError::Settings {
                path: named_by.to_path_buf(),
                message: "[learnt] c and share_c must be positive numbers, resolved_margin, \
                          min_score and share_margin numbers, override_gap a number not below 0"
                    .into(),
            });
        }
        let labels = parse_labels(&path, jsonl)?;
        let shares = labels.iter().map(|l| (l.restored, l.affected)).collect();
        let posts: Vec<(String, usize)> = labels
            .into_iter()
            .map(|l| {
                let class = class_of(l.state());
                (l.text, class)
            })
            .collect();
        let mut classes: Vec<usize> = posts.iter().map(|p| p.1).collect();
        classes.sort_unstable();
        classes.dedup();
        if posts.len() < 10 || classes.len() < 2 {
            return Err(LearntError::Settings {
                path: path.clone(),
                message: format!(
                    "{} posts of {} classes: too few to learn from (at least 10 posts, 2 classes)",
                    posts.len(),
                    classes.len()
                ),
            });
        }
        let mut h = sha2::Sha256::new();
        h.update(format!("{settings:?}\0").as_bytes());
        h.update(jsonl.as_bytes());
        Ok(Learnt {
            settings,
            path,
            posts,
            shares,
            key: h.finalize().into(),
            posts_hash: sha2::Sha256::digest(jsonl.as_bytes()).into(),
            model: OnceLock::new(),
            share_model: OnceLock::new(),
        })
    }

    /// How many labelled posts it learns from.
    pub fn posts(&self) -> usize {
        self.posts.len()
    }

    /// The trained model: trained now if this process has not trained one for the same posts
    /// and settings.
    pub fn model(&self) -> &Model {
        self.model.get_or_init(|| {
            static TRAINED: Trained<Model> = OnceLock::new();
            trained_once(&TRAINED, self.key, || {
                let started = std::time::Instant::now();
                // Training reads the posts and `c`; the other settings only read its scores.
                let mut h = sha2::Sha256::new();
                h.update(self.posts_hash);
                h.update(self.settings.c.to_le_bytes());
                let (model, origin) =
                    cache::trained(cache::dir(), "phase", &h.finalize().into(), || {
                        Model::train(&self.posts, self.settings.c)
                    });
                tracing::debug!(
                    posts = self.posts.len(),
                    features = model.features(),
                    ms = started.elapsed().as_millis() as u64,
                    path = %self.path.display(),
                    "learnt fallback {}",
                    origin.verb()
                );
                model
            })
        })
    }

    /// The share reader's margin, when it reads shares at all.
    pub fn share_margin(&self) -> Option<f64> {
        self.settings.share_margin
    }

    /// The trained share reader: trained now, on the shares `find` finds in the labelled posts,
    /// if this process has not trained one for the same posts, settings and `rules` (what
    /// identifies the rules `find` runs).
    pub(crate) fn share_model(
        &self,
        rules: impl FnOnce() -> String,
        find: impl Fn(&str) -> Vec<FoundShare>,
    ) -> &ShareModel {
        self.share_model.get_or_init(|| {
            static TRAINED: Trained<ShareModel> = OnceLock::new();
            let rules = rules();
            let mut h = sha2::Sha256::new();
            h.update(self.key);
            h.update(rules.as_bytes());
            trained_once(&TRAINED, h.finalize().into(), || {
                let started = std::time::Instant::now();
                // Training reads the posts, `share_c` and the shares the rules find in them.
                let mut h = sha2::Sha256::new();
                h.update(self.posts_hash);
                h.update(self.settings.share_c.to_le_bytes());
                h.update(rules.as_bytes());
                let (model, origin) =
                    cache::trained(cache::dir(), "share", &h.finalize().into(), || {
                        let shares: Vec<_> = self
                            .labelled_shares(&find)
                            .into_iter()
                            .map(|(_, features, kind)| (features, kind))
                            .collect();
                        ShareModel::train(&shares, self.settings.share_c)
                    });
                tracing::debug!(
                    shares = model.trained_on.iter().sum::<usize>(),
                    ms = started.elapsed().as_millis() as u64,
                    path = %self.path.display(),
                    "learnt share reader {}",
                    origin.verb()
                );
                model
            })
        })
    }

    /// Every share `find` finds in the labelled posts, with its post's index, its features and
    /// its kind: restored when its value is the post's `restored` label, affected when it is the
    /// `affected` label, neither otherwise (a share that is both is left out).
    fn labelled_shares(&self, find: &impl Fn(&str) -> Vec<FoundShare>) -> Vec<LabelledShare> {
        let mut out = Vec::new();
        for (i, ((text, _), (restored, affected))) in
            self.posts.iter().zip(&self.shares).enumerate()
        {
            for (span, sentence, value) in find(text) {
                let is = |label: &Option<f64>| label.is_some_and(|l| same_pct(l, value));
                let kind = match (is(restored), is(affected)) {
                    (true, true) => continue,
                    (true, false) => shares::RESTORED,
                    (false, true) => shares::AFFECTED,
                    (false, false) => shares::NEITHER,
                };
                out.push((i, shares::share_terms(text, span, sentence), kind));
            }
        }
        out
    }

    /// The share reader out of fold: trained on the shares of all posts but one fold's, read on
    /// that fold's, and scored share by share at each of [`SHARE_MARGINS`].
    pub(crate) fn cross_validate_shares(
        &self,
        folds: usize,
        find: impl Fn(&str) -> Vec<FoundShare>,
    ) -> ShareCrossValidation {
        let folds = folds.clamp(2, self.posts.len());
        let items = self.labelled_shares(&find);
        // Labelled shares the share rules do not find: the reader never sees them.
        let mut unfound: [Vec<(f64, String)>; 2] = Default::default();
        for ((text, _), labels) in self.posts.iter().zip(&self.shares) {
            let labels = [labels.0, labels.1];
            if labels.iter().all(Option::is_none) {
                continue;
            }
            let found = find(text);
            for (kind, label) in labels.iter().enumerate() {
                if let Some(l) = label {
                    if !found.iter().any(|f| same_pct(*l, f.2)) {
                        unfound[kind].push((*l, text.clone()));
                    }
                }
            }
        }
        let mut scores = vec![[0.0; 3]; items.len()];
        for f in 0..folds {
            let train: Vec<(Vec<(u8, u64)>, usize)> = items
                .iter()
                .filter(|(post, _, _)| post % folds != f)
                .map(|(_, x, k)| (x.clone(), *k))
                .collect();
            let model = ShareModel::train(&train, self.settings.share_c);
            for (i, (post, x, _)) in items.iter().enumerate() {
                if post % folds == f {
                    scores[i] = model.scores(x);
                }
            }
        }
        let mut shares = [0; 3];
        for (_, _, k) in &items {
            shares[*k] += 1;
        }
        let rows = SHARE_MARGINS
            .iter()
            .map(|&margin| {
                let mut counts = [[0usize; 3]; 2];
                for ((_, _, gold), s) in items.iter().zip(&scores) {
                    let got = shares::kind_of(s, margin).map_or(shares::NEITHER, |k| k.0);
                    for (c, kind) in counts.iter_mut().zip([shares::RESTORED, shares::AFFECTED]) {
                        match (got == kind, *gold == kind) {
                            (true, true) => c[0] += 1,
                            (true, false) => c[1] += 1,
                            (false, true) => c[2] += 1,
                            (false, false) => {}
                        }
                    }
                }
                (margin, counts[0], counts[1])
            })
            .collect();
        ShareCrossValidation {
            folds,
            shares,
            rows,
            unfound,
        }
    }

    /// The phase the fallback reads in `text`, if any: the model's best class, when its score
    /// reaches `min_score` and, for "resolved", leads the next class by `resolved_margin`.
    pub fn phase(&self, text: &str) -> Option<Phase> {
        let s = &self.settings;
        phase_of(decide(
            &self.model().scores(text),
            s.min_score,
            s.resolved_margin,
        ))
    }

    /// What the model makes of `text`, where the rules read the state `rules`: `None` to let
    /// the rules' phases stand, `Some(state)` for the state that replaces them (`Some(None)`: no
    /// phase at all). Where the rules read no phase this is the fallback ([`Learnt::phase`]);
    /// where they read one, the model overrules them when `override_gap` is set and its best
    /// class leads the rules' class by more than it, "resolved" excepted (see [`overrule`]).
    ///
    /// `covered` is the share of the post the rules' phase matches read ([`covered`]): where it
    /// reaches [`OVERRULE_MAX_COVERED`], the rules stand.
    pub fn reading(&self, text: &str, rules: Option<Phase>, covered: f64) -> Option<Option<Phase>> {
        let s = &self.settings;
        match rules {
            None => self.phase(text).map(Some),
            Some(Phase::Resolved) => None,
            Some(_) if covered >= OVERRULE_MAX_COVERED => None,
            Some(state) => {
                let gap = s.override_gap?;
                let scores = self.model().scores(text);
                overrule(&scores, class_of(Some(state)), gap).map(phase_of)
            }
        }
    }

    /// The share of its own training posts the model reads right (a sanity figure for `patterns
    /// test`: a model that cannot fit its own posts has bad labels or settings).
    pub fn training_accuracy(&self) -> f64 {
        let model = self.model();
        let right = self
            .posts
            .iter()
            .filter(|(t, c)| top_two(&model.scores(t)).0 == *c)
            .count();
        right as f64 / self.posts.len() as f64
    }
}

/// How the fallback would do on posts it never saw, estimated on its own posts: each fold's
/// posts read by a model trained on the other folds (post `i` in fold `i % folds`), alone and
/// behind the rules at each margin for "resolved".
#[derive(Debug, Clone)]
pub struct CrossValidation {
    pub posts: usize,
    pub folds: usize,
    /// Share of posts whose state the model alone reads right.
    pub alone: f64,
    /// The rules alone: share of states right, false "resolved" (of the not-resolved posts).
    pub rules: (f64, usize),
    /// Posts whose state is not resolved.
    pub not_resolved: usize,
    /// Per least score and margin: share of states right, false "resolved", with the fallback
    /// behind the rules.
    pub behind_rules: Vec<(f64, f64, f64, usize)>,
}

/// Margins `patterns learnt` reports; the last one never lets the fallback say "resolved".
pub const MARGINS: [f64; 6] = [0.0, 0.25, 0.5, 1.0, 2.0, f64::INFINITY];
/// Least scores `patterns learnt` reports.
pub const MIN_SCORES: [f64; 5] = [f64::NEG_INFINITY, -0.5, -0.25, 0.0, 0.25];

impl Learnt {
    /// Cross-validates the fallback over its own posts; `rules` gives, for each post in order,
    /// the state the rules read in it (see [`Learnt::texts`]).
    pub fn cross_validate(&self, folds: usize, rules: &[Option<Phase>]) -> CrossValidation {
        let folds = folds.clamp(2, self.posts.len());
        let mut scores = vec![[0.0; CLASSES]; self.posts.len()];
        for f in 0..folds {
            let train: Vec<(String, usize)> = (0..self.posts.len())
                .filter(|i| i % folds != f)
                .map(|i| self.posts[i].clone())
                .collect();
            let model = Model::train(&train, self.settings.c);
            for i in (f..self.posts.len()).step_by(folds) {
                scores[i] = model.scores(&self.posts[i].0);
            }
        }
        let n = self.posts.len() as f64;
        let resolved = class_of(Some(Phase::Resolved));
        let gold: Vec<usize> = self.posts.iter().map(|p| p.1).collect();
        let rule_class: Vec<usize> = rules.iter().map(|&p| class_of(p)).collect();
        let share =
            |pred: &[usize]| pred.iter().zip(&gold).filter(|(p, g)| p == g).count() as f64 / n;
        let false_resolved = |pred: &[usize]| {
            pred.iter()
                .zip(&gold)
                .filter(|(p, g)| **p == resolved && **g != resolved)
                .count()
        };
        let alone: Vec<usize> = scores.iter().map(|s| top_two(s).0).collect();
        let mut behind_rules = Vec::new();
        for &floor in &MIN_SCORES {
            for &m in &MARGINS {
                let pred: Vec<usize> = (0..self.posts.len())
                    .map(|i| match rule_class[i] {
                        0 => decide(&scores[i], floor, m),
                        c => c,
                    })
                    .collect();
                behind_rules.push((floor, m, share(&pred), false_resolved(&pred)));
            }
        }
        CrossValidation {
            posts: self.posts.len(),
            folds,
            alone: share(&alone),
            rules: (share(&rule_class), false_resolved(&rule_class)),
            not_resolved: gold.iter().filter(|&&g| g != resolved).count(),
            behind_rules,
        }
    }

    /// The texts of its labelled posts, in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.posts.iter().map(|p| p.0.as_str())
    }
}

/// The margins the share reader's cross-validation reports.
pub const SHARE_MARGINS: [f64; 6] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5];

/// The share reader out of fold (`statustrail patterns learnt`), share by share.
#[derive(Debug, Clone)]
pub struct ShareCrossValidation {
    pub folds: usize,
    /// Shares found in the labelled posts: neither, restored, affected.
    pub shares: [usize; 3],
    /// Per margin: restored and affected, each as (right, wrongly read as it, missed).
    pub rows: Vec<(f64, [usize; 3], [usize; 3])>,
    /// Restored and affected labels that no share rule finds in their post: (label, text).
    pub unfound: [Vec<(f64, String)>; 2],
}

impl std::fmt::Display for ShareCrossValidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [neither, restored, affected] = self.shares;
        writeln!(
            f,
            "share reader: {} shares found in the posts ({restored} restored, {affected} affected, \
             {neither} neither), {}-fold cross-validation, share by share:",
            neither + restored + affected,
            self.folds
        )?;
        writeln!(
            f,
            "| share_margin | restored precision | restored recall | affected precision | affected recall |"
        )?;
        writeln!(f, "|---:|---:|---:|---:|---:|")?;
        let ratio = |a: usize, b: usize| {
            if a + b == 0 {
                "–".to_string()
            } else {
                pct(a as f64 / (a + b) as f64)
            }
        };
        for (margin, r, a) in &self.rows {
            writeln!(
                f,
                "| {margin} | {} | {} | {} | {} |",
                ratio(r[0], r[1]),
                ratio(r[0], r[2]),
                ratio(a[0], a[1]),
                ratio(a[0], a[2])
            )?;
        }
        for (kind, unfound) in ["restored", "affected"].iter().zip(&self.unfound) {
            if unfound.is_empty() {
                continue;
            }
            writeln!(
                f,
                "{} {kind} labels that no share rule finds in their post, e.g.:",
                unfound.len()
            )?;
            for (label, text) in unfound.iter().take(5) {
                let short: String = text.chars().take(160).collect();
                writeln!(f, "  {label}: {short}")?;
            }
        }
        Ok(())
    }
}

/// A share as the reports print it: "91.2 %".
fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

impl std::fmt::Display for CrossValidation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} posts, {}-fold cross-validation; model alone {}; rules alone {}, false resolved {} of {}",
            self.posts,
            self.folds,
            pct(self.alone),
            pct(self.rules.0),
            self.rules.1,
            self.not_resolved
        )?;
        writeln!(
            f,
            "behind the rules, share of states right / false resolved, per min_score (rows) and resolved_margin (columns):"
        )?;
        margin_table(f, &self.behind_rules)
    }
}

/// A table of (min_score, resolved_margin, share right, false resolved) rows, one line per
/// least score of [`MIN_SCORES`] and one column per margin of [`MARGINS`].
fn margin_table(
    f: &mut std::fmt::Formatter<'_>,
    cells: &[(f64, f64, f64, usize)],
) -> std::fmt::Result {
    write!(f, "| min_score |")?;
    for m in MARGINS {
        if m.is_finite() {
            write!(f, " {m} |")?;
        } else {
            write!(f, " never resolved |")?;
        }
    }
    writeln!(f)?;
    writeln!(f, "|---:|{}", "---:|".repeat(MARGINS.len()))?;
    for row in cells.chunks(MARGINS.len()) {
        let floor = row[0].0;
        if floor.is_finite() {
            write!(f, "| {floor} |")?;
        } else {
            write!(f, "| none |")?;
        }
        for (_, _, acc, fr) in row {
            write!(f, " {} / {fr} |", pct(*acc))?;
        }
        writeln!(f)?;
    }
    Ok(())
}

/// The model overrules the rules only in a post whose non-blank text lies less than this share
/// inside the rules' phase matches. Where a rule read most of the post (« Le problème a été
/// identifié vers 11h30. »), the model has no context the rule did not read, and a disagreement is
/// the noise of its grams (that post read "recovering" from the grams of « vers 11h30 »); its gain
/// is on posts whose rule matched a few words among many. Half changes no held-out figure
/// (docs/extraction.md §3, Session 23); 0.3 kept 52 more of the rules' one-line examples but
/// cost a post on each of five held-out and blind sets.
pub const OVERRULE_MAX_COVERED: f64 = 0.5;

/// The share of `text`'s non-blank bytes inside `spans` (byte ranges, which may overlap).
pub fn covered(text: &str, spans: impl IntoIterator<Item = (usize, usize)>) -> f64 {
    let mut spans: Vec<(usize, usize)> = spans.into_iter().collect();
    spans.sort_unstable();
    let non_blank = |r: &str| r.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    let (mut inside, mut upto) = (0, 0);
    for (from, to) in spans {
        let (from, to) = (from.max(upto), to.min(text.len()));
        if from < to {
            inside += text.get(from..to).map_or(0, non_blank);
            upto = to;
        }
    }
    let total = non_blank(text);
    if total == 0 {
        0.0
    } else {
        inside as f64 / total as f64
    }
}

/// Gaps `patterns learnt --blind` reports; the last one never overrules (the fallback alone).
pub const GAPS: [f64; 8] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, f64::INFINITY];

/// A labelled post neither the model nor the rules were written on, and what the rules read in
/// it: the data that can tell how far to let the model overrule them.
#[derive(Debug, Clone)]
pub struct BlindPost<'a> {
    pub text: &'a str,
    /// The labelled state.
    pub state: Option<Phase>,
    /// The state the rules read.
    pub rules: Option<Phase>,
    /// The share of the post the rules' phase matches read ([`covered`]).
    pub covered: f64,
    /// Compare as a Statuspage status word ([`super::eval::statuspage_word`]).
    pub status_word: bool,
}

/// How the model behind the rules reads blind posts at each `override_gap` ([`GAPS`]).
#[derive(Debug, Clone)]
pub struct Overrules {
    pub posts: usize,
    pub not_resolved: usize,
    /// The rules alone: share of states right, false "resolved".
    pub rules: (f64, usize),
    /// Per gap: share of states right, false "resolved", posts whose rules' phases were
    /// replaced.
    pub rows: Vec<(f64, f64, usize, usize)>,
    /// At the configured `override_gap`, per least score ([`MIN_SCORES`]) and margin for
    /// "resolved" ([`MARGINS`]) of the fallback (where no rule spoke): share of states right,
    /// false "resolved". Like the gap, these are chosen here: out of fold on the model's own
    /// posts the rules read the posts they were written on, which no later post resembles.
    pub fallback: Vec<(f64, f64, f64, usize)>,
    /// The configured `override_gap`, `min_score` and `resolved_margin`.
    pub configured: (Option<f64>, f64, f64),
}

impl Learnt {
    /// Reads `posts` with the rules' states given and this model behind them at each gap of
    /// [`GAPS`] (with this model's `min_score` and `resolved_margin` where the rules read no
    /// phase).
    pub fn overrules(&self, posts: &[BlindPost<'_>]) -> Overrules {
        let s = &self.settings;
        let model = self.model();
        let norm = |p: &BlindPost<'_>, c: Option<Phase>| {
            if p.status_word {
                c.map(super::eval::statuspage_word)
            } else {
                c
            }
        };
        let scores: Vec<[f64; CLASSES]> = posts.iter().map(|p| model.scores(p.text)).collect();
        let tally = |pred: &dyn Fn(usize) -> Option<Phase>| {
            let (mut right, mut false_resolved) = (0, 0);
            for (i, p) in posts.iter().enumerate() {
                let got = norm(p, pred(i));
                right += usize::from(got == p.state);
                false_resolved +=
                    usize::from(got == Some(Phase::Resolved) && p.state != Some(Phase::Resolved));
            }
            (right as f64 / posts.len().max(1) as f64, false_resolved)
        };
        // The state read in post `i` with the model behind the rules at these settings, and
        // whether it replaced the rules' phases.
        let pick = |i: usize, gap: f64, min_score: f64, margin: f64| -> (Option<Phase>, bool) {
            let rules = posts[i].rules;
            if rules.is_none() {
                return (phase_of(decide(&scores[i], min_score, margin)), false);
            }
            if posts[i].covered >= OVERRULE_MAX_COVERED {
                return (rules, false);
            }
            match overrule(&scores[i], class_of(rules), gap) {
                Some(c) => (phase_of(c), true),
                None => (rules, false),
            }
        };
        let rows = GAPS
            .iter()
            .map(|&gap| {
                let pick = |i| pick(i, gap, s.min_score, s.resolved_margin);
                let (acc, fr) = tally(&|i| pick(i).0);
                let replaced = (0..posts.len()).filter(|&i| pick(i).1).count();
                (gap, acc, fr, replaced)
            })
            .collect();
        let gap = s.override_gap.unwrap_or(f64::INFINITY);
        let fallback = MIN_SCORES
            .iter()
            .flat_map(|&floor| MARGINS.iter().map(move |&m| (floor, m)))
            .map(|(floor, m)| {
                let (acc, fr) = tally(&|i| pick(i, gap, floor, m).0);
                (floor, m, acc, fr)
            })
            .collect();
        Overrules {
            posts: posts.len(),
            not_resolved: posts
                .iter()
                .filter(|p| p.state != Some(Phase::Resolved))
                .count(),
            rules: tally(&|i| posts[i].rules),
            rows,
            fallback,
            configured: (s.override_gap, s.min_score, s.resolved_margin),
        }
    }
}

impl std::fmt::Display for Overrules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} blind posts; rules alone {}, false resolved {} of {}",
            self.posts,
            pct(self.rules.0),
            self.rules.1,
            self.not_resolved
        )?;
        writeln!(
            f,
            "| override_gap | states right | false resolved | rules' phases replaced |"
        )?;
        writeln!(f, "|---:|---:|---:|---:|")?;
        for (gap, acc, fr, replaced) in &self.rows {
            let gap = if gap.is_finite() {
                gap.to_string()
            } else {
                "never (fallback only)".to_string()
            };
            writeln!(f, "| {gap} | {} | {fr} | {replaced} |", pct(*acc))?;
        }
        let (gap, min_score, margin) = self.configured;
        let gap = gap.map_or("never".to_string(), |g| g.to_string());
        writeln!(
            f,
            "where no rule spoke, at override_gap {gap} (configured: min_score {min_score}, \
             resolved_margin {margin}): share of states right / false resolved, per min_score \
             (rows) and resolved_margin (columns):"
        )?;
        margin_table(f, &self.fallback)
    }
}

/// The class that replaces the rules' class `rules` for these scores, if any: the model's best
/// class when it is another one and leads the rules' class by more than `gap`. "Resolved" is
/// never overruled, neither taken back nor given: it closes an incident and notifies every
/// channel, the rules read it at 99 % precision on the Statuspage updates, and a model's
/// "resolved" over a rule's "monitoring" is the classic false one ("should be back up … we will
/// continue to monitor"). Where no rule spoke, the fallback may still say it, with its margin.
fn overrule(scores: &[f64; CLASSES], rules: usize, gap: f64) -> Option<usize> {
    let (best, _) = top_two(scores);
    let resolved = class_of(Some(Phase::Resolved));
    let leads = scores[best] - scores[rules] > gap;
    (rules != resolved && best != resolved && best != rules && leads).then_some(best)
}

/// The class the fallback answers for these scores: the best one, unless its score is under
/// `min_score` or it is "resolved" without `margin` over the next class (then none, 0).
fn decide(scores: &[f64; CLASSES], min_score: f64, margin: f64) -> usize {
    let (best, second) = top_two(scores);
    let resolved = class_of(Some(Phase::Resolved));
    if scores[best] < min_score || (best == resolved && scores[best] - scores[second] < margin) {
        0
    } else {
        best
    }
}

fn top_two(scores: &[f64; CLASSES]) -> (usize, usize) {
    let mut best = 0;
    for k in 1..CLASSES {
        if scores[k] > scores[best] {
            best = k;
        }
    }
    let second = (0..CLASSES)
        .filter(|&k| k != best)
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap_or(best);
    (best, second)
}

/// Which block a feature belongs to: each block is scaled to unit length on its own.
pub(super) const WORD: u8 = 0;
pub(super) const CHAR: u8 = 1;

/// FNV-1a, 64 bits: a feature's key is the hash of its block byte and its text, so a longer
/// feature's key continues a shorter one's (a 4-gram's from its 3-gram's, a word pair's from its
/// first word's).
pub(super) const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

pub(super) fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether `c` is a word character as the regex `\w` reads it (Unicode).
pub(super) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == '_'
    } else {
        regex_syntax::is_word_character(c)
    }
}

/// Every feature occurrence of `text`, as (block, key): lowercased words (runs of `\w`) and
/// pairs of consecutive words ([`word_terms`]); character 3- to 5-grams of each
/// whitespace-separated word with a space before and after it ([`char_terms`]).
fn terms(text: &str, out: &mut Vec<(u8, u64)>) {
    out.clear();
    let lower = text.to_lowercase();
    word_terms(&lower, out);
    let mut scratch = GramScratch::default();
    for w in lower.split_whitespace() {
        char_terms(w, &mut scratch, out);
    }
}

/// Appends the word features of `lower` (lowercased text): each run of `\w` and each pair of
/// consecutive runs, read in one scan, a pair's key continued from its first word's.
fn word_terms(lower: &str, out: &mut Vec<(u8, u64)>) {
    let word_start = fnv(FNV_START, &[WORD]);
    // The key of the previous word, continued by a space for the pair.
    let mut prev: Option<u64> = None;
    let mut run: Option<usize> = None;
    let mut word = |from: usize, to: usize, out: &mut Vec<(u8, u64)>| {
        let w = &lower.as_bytes()[from..to];
        let k = fnv(word_start, w);
        out.push((WORD, k));
        if let Some(p) = prev {
            out.push((WORD, fnv(fnv(p, b" "), w)));
        }
        prev = Some(k);
    };
    for (i, c) in lower.char_indices() {
        match (is_word(c), run) {
            (true, None) => run = Some(i),
            (false, Some(from)) => {
                word(from, i, out);
                run = None;
            }
            _ => {}
        }
    }
    if let Some(from) = run {
        word(from, lower.len(), out);
    }
}

/// Buffers of [`char_terms`], reused from word to word.
#[derive(Debug, Default)]
pub(super) struct GramScratch {
    padded: Vec<u8>,
    bounds: Vec<usize>,
    /// Per start, the keys of its 3-, 4- and 5-gram.
    grams: Vec<[u64; 3]>,
}

/// Appends the character features of `w`, one whitespace-separated word of lowercased text:
/// its 3- to 5-grams with a space before and after it (a word shorter than n gives itself once),
/// in the order of n, then of start; each key continued from the shorter gram at its start.
pub(super) fn char_terms(w: &str, s: &mut GramScratch, out: &mut Vec<(u8, u64)>) {
    let char_start = fnv(FNV_START, &[CHAR]);
    let GramScratch {
        padded,
        bounds,
        grams,
    } = s;
    padded.clear();
    padded.push(b' ');
    padded.extend_from_slice(w.as_bytes());
    padded.push(b' ');
    bounds.clear();
    bounds.push(0);
    bounds.push(1);
    bounds.extend(w.char_indices().skip(1).map(|(i, _)| i + 1));
    bounds.push(w.len() + 1);
    bounds.push(padded.len());
    let chars = bounds.len() - 1;
    grams.clear();
    for s in 0..chars.saturating_sub(2) {
        let mut h = fnv(char_start, &padded[bounds[s]..bounds[s + 3]]);
        let mut g = [h, 0, 0];
        for (n, slot) in [(4, 1), (5, 2)] {
            if s + n > chars {
                break;
            }
            h = fnv(h, &padded[bounds[s + n - 1]..bounds[s + n]]);
            g[slot] = h;
        }
        grams.push(g);
    }
    for (slot, n) in (3..=5).enumerate() {
        out.extend(grams[..=chars - n].iter().map(|g| (CHAR, g[slot])));
        if chars <= n {
            break;
        }
    }
}

/// A trained model: its vocabulary, each feature's inverse document frequency and block, and
/// per feature the weight of each class (the last row is the bias).
#[derive(Debug, Serialize, Deserialize)]
pub struct Model {
    /// Feature key → index; the keys are already hashes, so they are used as they are.
    vocab: nohash_hasher::IntMap<u64, u32>,
    /// Per whitespace-separated word of the training posts: its character features that are in
    /// the vocabulary, in the order [`char_terms`] finds them, as a range of `word_grams`. A word
    /// seen in training is then read with one lookup instead of hashing and looking up each of its
    /// 3- to 5-grams (a dozen or more); other words are read gram by gram.
    words: rustc_hash::FxHashMap<Box<str>, (u32, u32)>,
    word_grams: Vec<u32>,
    idf: Vec<f32>,
    block: Vec<u8>,
    /// `weights[f * CLASSES + k]`: feature `f`'s weight for class `k`; row `idf.len()` is the bias.
    weights: Vec<f32>,
}

/// Coordinate descent stops when the projected gradients span less than this, or after
/// `MAX_EPOCHS` passes.
const TOLERANCE: f64 = 0.01;
const MAX_EPOCHS: usize = 300;

impl Model {
    fn features(&self) -> usize {
        self.idf.len()
    }

    fn train(posts: &[(String, usize)], c: f64) -> Model {
        let mut seen = Vec::new();
        let (vocab, idf, block) = vocabulary(posts.iter().map(|(text, _)| {
            terms(text, &mut seen);
            seen.clone()
        }));
        let mut model = Model {
            vocab,
            words: rustc_hash::FxHashMap::default(),
            word_grams: Vec::new(),
            idf,
            block,
            weights: Vec::new(),
        };
        let mut scratch = GramScratch::default();
        let mut grams = Vec::new();
        for (text, _) in posts {
            for w in text.to_lowercase().split_whitespace() {
                if model.words.contains_key(w) {
                    continue;
                }
                grams.clear();
                char_terms(w, &mut scratch, &mut grams);
                let from = model.word_grams.len() as u32;
                let known = grams.iter().filter_map(|(_, k)| model.vocab.get(k));
                model.word_grams.extend(known);
                let to = model.word_grams.len() as u32;
                model.words.insert(w.into(), (from, to));
            }
        }
        let xs: Vec<Vec<(u32, f32)>> = posts.iter().map(|(t, _)| model.vector(t)).collect();
        let labels: Vec<usize> = posts.iter().map(|p| p.1).collect();
        model.weights = fit(&xs, &labels, CLASSES, model.idf.len() + 1, c);
        model
    }

    /// `text` as a sparse vector: sublinear term frequency times idf, each block of unit
    /// length, and the bias feature (1).
    fn vector(&self, text: &str) -> Vec<(u32, f32)> {
        /// Buffers of [`Model::vector`], one set per thread.
        #[derive(Default)]
        struct Scratch {
            /// Per known feature, its count in the post being read (zero between posts):
            /// counted in place, in first-seen order, instead of sorting the post's features.
            counts: Vec<u16>,
            occ: Vec<(u8, u64)>,
            grams: GramScratch,
        }
        thread_local! {
            static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
        }
        let lower = text.to_lowercase();
        let mut x: Vec<(u32, f32)> = Vec::with_capacity(lower.len() / 2 + 1);
        SCRATCH.with_borrow_mut(|Scratch { counts, occ, grams }| {
            if counts.len() < self.idf.len() {
                counts.resize(self.idf.len(), 0);
            }
            let mut count = |f: u32| {
                let n = &mut counts[f as usize];
                if *n == 0 {
                    x.push((f, 0.0));
                }
                *n = n.saturating_add(1);
            };
            // The features in the order `terms` finds them: the words' first, then each
            // whitespace-separated word's character grams.
            occ.clear();
            word_terms(&lower, occ);
            for (_, k) in occ.iter() {
                if let Some(&f) = self.vocab.get(k) {
                    count(f);
                }
            }
            for w in lower.split_whitespace() {
                if let Some(&(from, to)) = self.words.get(w) {
                    for &f in &self.word_grams[from as usize..to as usize] {
                        count(f);
                    }
                    continue;
                }
                occ.clear();
                char_terms(w, grams, occ);
                for (_, k) in occ.iter() {
                    if let Some(&f) = self.vocab.get(k) {
                        count(f);
                    }
                }
            }
            for e in &mut x {
                let n = std::mem::take(&mut counts[e.0 as usize]);
                e.1 = sublinear(n) * self.idf[e.0 as usize];
            }
        });
        normalise(&mut x, &self.block);
        x
    }

    /// Each class's score for `text`.
    fn scores(&self, text: &str) -> [f64; CLASSES] {
        dot(&self.weights, &self.vector(text))
    }
}

/// Each class's score for the sparse vector `x`, with `weights[f * K + k]` feature `f`'s weight
/// for class `k`: a row of `K` weights per feature, summed in the vector's order (in `f64`).
pub(super) fn dot<const K: usize>(weights: &[f32], x: &[(u32, f32)]) -> [f64; K] {
    let mut s = [0.0; K];
    for &(f, v) in x {
        let start = f as usize * K;
        let row: &[f32; K] = weights[start..start + K]
            .try_into()
            .expect("a row of K weights");
        let v = f64::from(v);
        for k in 0..K {
            s[k] += f64::from(row[k]) * v;
        }
    }
    s
}

/// A count's sublinear term frequency, `1 + ln(n)`: looked up for the small counts posts hold
/// (the same values as computed).
pub(super) fn sublinear(n: u16) -> f32 {
    const SMALL: usize = 32;
    static TABLE: std::sync::LazyLock<[f32; SMALL]> =
        std::sync::LazyLock::new(|| std::array::from_fn(|n| 1.0 + (n as f32).ln()));
    match TABLE.get(usize::from(n)) {
        Some(&v) => v,
        None => 1.0 + f32::from(n).ln(),
    }
}

/// The vocabulary of `docs` (each a list of feature occurrences): every word feature, and the
/// character features seen in two documents or more, in key order; with each feature's inverse
/// document frequency (smoothed, as scikit-learn's) and block.
pub(super) fn vocabulary(
    docs: impl Iterator<Item = Vec<(u8, u64)>>,
) -> (nohash_hasher::IntMap<u64, u32>, Vec<f32>, Vec<u8>) {
    let mut df: HashMap<(u8, u64), u32> = HashMap::new();
    let mut n = 0usize;
    for mut seen in docs {
        n += 1;
        seen.sort_unstable();
        seen.dedup();
        for t in &seen {
            *df.entry(*t).or_default() += 1;
        }
    }
    let mut kept: Vec<((u8, u64), u32)> = df
        .into_iter()
        .filter(|&((b, _), n)| b == WORD || n >= 2)
        .collect();
    kept.sort_unstable();
    let n = n as f64;
    let mut vocab = nohash_hasher::IntMap::with_capacity_and_hasher(kept.len(), Default::default());
    let mut idf = Vec::with_capacity(kept.len());
    let mut block = Vec::with_capacity(kept.len());
    for (i, &((b, k), d)) in kept.iter().enumerate() {
        vocab.insert(k, i as u32);
        idf.push(((1.0 + n) / (1.0 + f64::from(d))).ln() as f32 + 1.0);
        block.push(b);
    }
    (vocab, idf, block)
}

/// Scales each block of the sparse vector `x` to unit length and appends the bias feature (1),
/// whose index is the vocabulary's size.
pub(super) fn normalise(x: &mut Vec<(u32, f32)>, block: &[u8]) {
    // Both blocks' norms in one pass (each summed in the vector's order, as two passes would),
    // then each entry divided by its block's.
    let mut sums = [0.0f32; 2];
    for e in x.iter() {
        sums[usize::from(block[e.0 as usize] == CHAR)] += e.1 * e.1;
    }
    let norms = sums.map(f32::sqrt);
    for e in x.iter_mut() {
        let norm = norms[usize::from(block[e.0 as usize] == CHAR)];
        if norm > 0.0 {
            e.1 /= norm;
        }
    }
    x.push((block.len() as u32, 1.0));
}

/// One SVM per class against the rest, side by side (one thread each): the weights as
/// `weights[f * classes + k]`, feature `f`'s weight for class `k` (the last row the bias).
pub(super) fn fit(
    xs: &[Vec<(u32, f32)>],
    labels: &[usize],
    classes: usize,
    dim: usize,
    c: f64,
) -> Vec<f32> {
    let per_class: Vec<Vec<f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..classes)
            .map(|k| {
                let y: Vec<f64> = labels
                    .iter()
                    .map(|&l| if l == k { 1.0 } else { -1.0 })
                    .collect();
                s.spawn(move || train_one(xs, &y, dim, c))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut weights = vec![0.0; dim * classes];
    for (k, w) in per_class.iter().enumerate() {
        for (f, v) in w.iter().enumerate() {
            weights[f * classes + k] = *v as f32;
        }
    }
    weights
}

/// One class against the rest: an L2-regularised linear SVM with a squared hinge loss, by dual
/// coordinate descent (Hsieh et al., "A dual coordinate descent method for large-scale linear
/// SVM", ICML 2008, algorithm 1 without shrinking). `y` is +1 or -1 per post.
fn train_one(xs: &[Vec<(u32, f32)>], y: &[f64], dim: usize, c: f64) -> Vec<f64> {
    let diag = 0.5 / c;
    let qd: Vec<f64> = xs
        .iter()
        .map(|x| x.iter().map(|e| f64::from(e.1).powi(2)).sum::<f64>() + diag)
        .collect();
    let mut alpha = vec![0.0f64; xs.len()];
    let mut w = vec![0.0f64; dim];
    let mut order: Vec<usize> = (0..xs.len()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    for _ in 0..MAX_EPOCHS {
        order.shuffle(&mut rng);
        let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
        for &i in &order {
            let x = &xs[i];
            let wx: f64 = x.iter().map(|e| w[e.0 as usize] * f64::from(e.1)).sum();
            let g = y[i] * wx - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            hi = hi.max(pg);
            lo = lo.min(pg);
            if pg != 0.0 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let step = (alpha[i] - old) * y[i];
                for e in x {
                    w[e.0 as usize] += step * f64::from(e.1);
                }
            }
        }
        if hi - lo <= TOLERANCE {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feature's key hashed from scratch: its block, then its parts joined by spaces.
    fn key(block: u8, parts: &[&str]) -> u64 {
        let mut h = fnv(FNV_START, &[block]);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h = fnv(h, b" ");
            }
            h = fnv(h, p.as_bytes());
        }
        h
    }

    /// The features as first written (a regex for words, each key hashed from scratch): the
    /// scan in `terms` must find exactly these, in the same order.
    fn terms_as_first_written(text: &str) -> Vec<(u8, u64)> {
        let mut out = Vec::new();
        let lower = text.to_lowercase();
        let words = regex::Regex::new(r"\w+").unwrap();
        let mut prev: Option<&str> = None;
        for m in words.find_iter(&lower) {
            let w = m.as_str();
            out.push((WORD, key(WORD, &[w])));
            if let Some(p) = prev {
                out.push((WORD, key(WORD, &[p, w])));
            }
            prev = Some(w);
        }
        for w in lower.split_whitespace() {
            let padded = format!(" {w} ");
            let mut bounds: Vec<usize> = padded.char_indices().map(|(i, _)| i).collect();
            bounds.push(padded.len());
            let chars = bounds.len() - 1;
            for n in 3..=5 {
                if chars <= n {
                    out.push((CHAR, key(CHAR, &[&padded])));
                    break;
                }
                for s in 0..=chars - n {
                    out.push((CHAR, key(CHAR, &[&padded[bounds[s]..bounds[s + n]]])));
                }
            }
        }
        out
    }

    #[test]
    fn the_feature_scan_finds_exactly_the_features_of_the_plain_reading() {
        let texts = [
            "",
            " ",
            "a",
            "ab",
            "We're investigating elevated error rates on api_v2 (EU-West).",
            "Retour à la normale à 90\u{a0}% vers 12h30 : l'ensemble des services est rétabli.",
            "Ça ÉCHOUE encore… « incident clos » — 7 serveurs sur 10",
            "e\u{301}te\u{301} naïve cafe\u{301} 🚀🚀 x__y 日本語のテキスト Straße İstanbul",
            "\u{200d}\u{200c}tab\there\nnew\u{2003}line\u{0}",
        ];
        let mut out = Vec::new();
        for t in texts {
            terms(t, &mut out);
            assert_eq!(out, terms_as_first_written(t), "{t:?}");
        }
        let posts = include_str!("../../patterns/en/learnt.jsonl");
        for line in posts.lines().take(400) {
            terms(line, &mut out);
            assert_eq!(out, terms_as_first_written(line), "{line:?}");
        }
    }

    /// `Model::vector` as first written: every feature of `terms` looked up on its own.
    fn vector_gram_by_gram(model: &Model, text: &str) -> Vec<(u32, f32)> {
        let mut occ = Vec::new();
        terms(text, &mut occ);
        let mut x: Vec<(u32, f32)> = Vec::new();
        let mut counts = vec![0u16; model.features()];
        for (_, k) in &occ {
            if let Some(&f) = model.vocab.get(k) {
                if counts[f as usize] == 0 {
                    x.push((f, 0.0));
                }
                counts[f as usize] = counts[f as usize].saturating_add(1);
            }
        }
        for e in &mut x {
            let n = counts[e.0 as usize];
            e.1 = (1.0 + f32::from(n).ln()) * model.idf[e.0 as usize];
        }
        for b in [WORD, CHAR] {
            let norm = x
                .iter()
                .filter(|e| model.block[e.0 as usize] == b)
                .map(|e| e.1 * e.1)
                .sum::<f32>()
                .sqrt();
            if norm > 0.0 {
                for e in x.iter_mut().filter(|e| model.block[e.0 as usize] == b) {
                    e.1 /= norm;
                }
            }
        }
        x.push((model.features() as u32, 1.0));
        x
    }

    #[test]
    fn words_seen_in_training_are_read_as_their_grams_would_be() {
        let posts: Vec<(String, usize)> = include_str!("../../patterns/fr/learnt.jsonl")
            .lines()
            .step_by(3)
            .enumerate()
            .map(|(i, l)| (l.to_string(), i % CLASSES))
            .collect();
        let model = Model::train(&posts, 1.0);
        assert!(model.words.len() > 1000, "{}", model.words.len());
        let unseen = [
            "",
            "Retour à la normale à 90\u{a0}% vers 12h30 : l'ensemble des services est rétabli.",
            "e\u{301}te\u{301} naïve 🚀🚀 x__y 日本語のテキスト Straße İstanbul \u{0}",
            "Incident CLOS. Nous constatons des perturbations sur l'hébergement mutualisé.",
        ];
        let every = include_str!("../../patterns/fr/learnt.jsonl").lines();
        for text in unseen.into_iter().chain(every) {
            // Bit for bit: the same features in the same order, so the same sums.
            let bits = |x: Vec<(u32, f32)>| -> Vec<(u32, u32)> {
                x.into_iter().map(|(f, v)| (f, v.to_bits())).collect()
            };
            assert_eq!(
                bits(model.vector(text)),
                bits(vector_gram_by_gram(&model, text)),
                "{text:?}"
            );
        }
    }

    fn learnt(lines: &[(&str, &str)], margin: f64) -> Learnt {
        let jsonl: String = lines
            .iter()
            .map(|(t, p)| {
                let phases = if p.is_empty() {
                    "[]".to_string()
                } else {
                    format!("[\"{p}\"]")
                };
                format!(
                    "{{\"text\":{},\"phases\":{phases}}}\n",
                    serde_json::json!(t)
                )
            })
            .collect();
        let settings = LearntSettings {
            posts: "learnt.jsonl".into(),
            c: 1.0,
            resolved_margin: margin,
            min_score: 0.0,
            override_gap: None,
            share_margin: None,
            share_c: 0.5,
        };
        Learnt::new(
            settings,
            Path::new("x/language.toml"),
            "x/learnt.jsonl".into(),
            &jsonl,
        )
        .unwrap()
    }

    const POSTS: [(&str, &str); 12] = [
        ("all good again, the fault is behind us", "resolved"),
        ("behind us now, everything good again", "resolved"),
        ("good again everywhere, closing this", "resolved"),
        ("looking into reports of failed logins", "investigating"),
        ("we are looking into slow pages", "investigating"),
        ("looking into errors on checkout", "investigating"),
        ("a fix is rolling out, watching closely", "monitoring"),
        ("fix rolled out, watching the graphs", "monitoring"),
        ("still watching after the fix", "monitoring"),
        ("lunch menu posted", ""),
        ("our new office opens monday", ""),
        ("hiring two engineers", ""),
    ];

    #[test]
    fn it_reads_the_phase_of_wording_close_to_its_posts() {
        let l = learnt(&POSTS, 0.0);
        assert_eq!(l.phase("good again, behind us"), Some(Phase::Resolved));
        assert_eq!(
            l.phase("looking into failed pages"),
            Some(Phase::Investigating)
        );
        assert_eq!(l.phase("watching the fix"), Some(Phase::Monitoring));
        assert_eq!(l.phase("office lunch on monday"), None);
        assert_eq!(l.training_accuracy(), 1.0);
    }

    #[test]
    fn resolved_needs_its_margin() {
        let l = learnt(&POSTS, 100.0);
        assert_eq!(l.phase("good again, behind us"), None);
        assert_eq!(
            l.phase("looking into failed pages"),
            Some(Phase::Investigating)
        );
    }

    #[test]
    fn it_overrules_a_rules_state_only_by_the_gap_and_never_where_resolved_is_at_stake() {
        let mut l = learnt(&POSTS, 0.0);
        // Without `override_gap` a rule's state stands; with none, the fallback reads.
        assert_eq!(
            l.reading("watching the fix", Some(Phase::Investigating), 0.0),
            None
        );
        assert_eq!(
            l.reading("watching the fix", None, 0.0),
            Some(Some(Phase::Monitoring))
        );
        l.settings.override_gap = Some(0.0);
        assert_eq!(
            l.reading("watching the fix", Some(Phase::Investigating), 0.0),
            Some(Some(Phase::Monitoring))
        );
        assert_eq!(
            l.reading("office lunch on monday", Some(Phase::Investigating), 0.0),
            Some(None)
        );
        // Agreeing, it leaves the rules' statements as they are.
        assert_eq!(
            l.reading("watching the fix", Some(Phase::Monitoring), 0.0),
            None
        );
        // A resolved of the rules is never overruled.
        assert_eq!(
            l.reading("looking into failed pages", Some(Phase::Resolved), 0.0),
            None
        );
        l.settings.override_gap = Some(1e6);
        assert_eq!(
            l.reading("watching the fix", Some(Phase::Investigating), 0.0),
            None
        );
        // Nor is another phase of the rules turned into "resolved", whatever the lead.
        l.settings.override_gap = Some(0.0);
        assert_eq!(
            l.reading("good again, behind us", Some(Phase::Investigating), 0.0),
            None
        );
        assert_eq!(
            l.reading("good again, behind us", None, 0.0),
            Some(Some(Phase::Resolved))
        );
    }

    #[test]
    fn blind_posts_measure_the_fallbacks_least_score_and_margin_at_the_configured_gap() {
        let mut l = learnt(&POSTS, 0.0);
        l.settings.override_gap = Some(0.5);
        let post = |text, state, rules| BlindPost {
            text,
            state,
            rules,
            covered: 0.0,
            status_word: false,
        };
        let posts = [
            post(
                "looking into failed pages",
                Some(Phase::Investigating),
                None,
            ),
            post("watching the fix", Some(Phase::Monitoring), None),
            post("office lunch on monday", None, None),
            post(
                "good again, behind us",
                Some(Phase::Resolved),
                Some(Phase::Investigating),
            ),
        ];
        let o = l.overrules(&posts);
        assert_eq!(o.configured, (Some(0.5), 0.0, 0.0));
        assert_eq!(o.fallback.len(), MIN_SCORES.len() * MARGINS.len());
        // The cell of the configured settings is the row of the configured gap.
        let cell = o
            .fallback
            .iter()
            .find(|c| c.0 == 0.0 && c.1 == 0.0)
            .expect("min_score 0, margin 0");
        let row = o.rows.iter().find(|r| r.0 == 0.5).expect("gap 0.5");
        assert_eq!((cell.2, cell.3), (row.1, row.2));
        // A margin that never lets the fallback say "resolved" cannot add a false one.
        for c in o.fallback.iter().filter(|c| c.1.is_infinite()) {
            assert_eq!(c.3, 0);
        }
        let printed = o.to_string();
        assert!(
            printed.contains("where no rule spoke, at override_gap 0.5"),
            "{printed}"
        );
    }

    #[test]
    fn a_model_kept_on_disk_reads_as_the_one_trained_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let posts: Vec<(String, usize)> = POSTS
            .iter()
            .map(|(t, p)| (t.to_string(), class_of(p.parse().ok())))
            .collect();
        let trained = Model::train(&posts, 1.0);
        let path = cache::file(dir.path(), "phase", &[0; 32]);
        cache::write(dir.path(), &path, &trained).unwrap();
        let kept: Model = cache::read(&path).unwrap().expect("written");
        for text in [
            "good again, behind us",
            "Looking into failed pages — naïve Ünicode ok",
            "a word never seen: zyxwv",
            "",
        ] {
            let bits = |s: [f64; CLASSES]| s.map(f64::to_bits);
            assert_eq!(
                bits(kept.scores(text)),
                bits(trained.scores(text)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn training_is_deterministic_and_done_once_per_process() {
        let (a, b) = (learnt(&POSTS, 0.0), learnt(&POSTS, 0.0));
        assert!(std::ptr::eq(a.model(), b.model()));
        let again = Model::train(&a.posts, 1.0);
        assert_eq!(again.weights, a.model().weights);
    }

    #[test]
    fn a_bad_post_is_reported_with_its_line() {
        let settings = LearntSettings {
            posts: "p.jsonl".into(),
            c: 1.0,
            resolved_margin: 0.0,
            min_score: 0.0,
            override_gap: None,
            share_margin: None,
            share_c: 0.5,
        };
        let jsonl = "{\"text\":\"a\",\"phases\":[]}\n\n{\"text\":\"b\",\"phases\":[\"fixed\"]}\n";
        let e = Learnt::new(
            settings.clone(),
            Path::new("l.toml"),
            "p.jsonl".into(),
            jsonl,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("p.jsonl:3: "), "{e}");
        let e = Learnt::new(
            settings,
            Path::new("l.toml"),
            "p.jsonl".into(),
            "{\"text\":\"a\"}",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`phases` or `status`"), "{e}");
    }

    #[test]
    fn character_grams_follow_words_with_their_padding() {
        let mut out = Vec::new();
        terms("Ab  été", &mut out);
        let chars: Vec<u64> = out.iter().filter(|t| t.0 == CHAR).map(|t| t.1).collect();
        // " ab " is shorter than 5 but not than 3: " ab", "ab ", then " ab " once for n = 4.
        assert_eq!(
            chars[..3],
            [
                key(CHAR, &[" ab"]),
                key(CHAR, &["ab "]),
                key(CHAR, &[" ab "])
            ]
        );
        assert!(chars.contains(&key(CHAR, &[" été "])));
        let words: Vec<u64> = out.iter().filter(|t| t.0 == WORD).map(|t| t.1).collect();
        assert_eq!(
            words,
            [
                key(WORD, &["ab"]),
                key(WORD, &["été"]),
                key(WORD, &["ab", "été"])
            ]
        );
    }
}
