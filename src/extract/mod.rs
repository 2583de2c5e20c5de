//! Extraction: reads rules from `patterns/` and turns a post's plain text into [`Statement`]s —
//! phases, restored or affected percentages — each with the time the text mentions for it.
//!
//! All rules of all packs are compiled once, with one prefilter per language ([`prefilter`]): a
//! post is scanned once for the literals every rule regex needs, the candidates' widened patterns
//! confirm them, and only then are the rules' own regexes run for their positions and captures —
//! anchored at the places the widened pattern matched from when its matches start with known
//! literals, otherwise anchored at each byte a match may begin with from the earliest place the
//! widened pattern allows, and never past where the widened pattern saw its last match end. The rule language is described in [`rules`] and in `docs/extraction.md`.

use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use regex_automata::util::pool::Pool;

use crate::model::{Percent, Phase, Statement, Yield};

mod cache;
pub mod check;
pub mod cli;
pub mod eval;
pub mod learnt;
mod normal;
mod prefilter;
pub mod rules;
mod shares;
mod time;
pub use time::AHEAD_SLACK;

pub use check::{test_patterns, PatternReport};
pub use prefilter::PrefilterHealth;
use prefilter::{Form, Prefilter};

pub use rules::RulesError;
use rules::{next_search, Rule, RuleRegex, RuleYield};

/// The rule packs shipped with statustrail, embedded at build time.
static BUNDLED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/patterns");

/// What the extractor needs to know about a post besides its text.
#[derive(Debug, Clone)]
pub struct ExtractContext {
    /// Language configured for the source, if any ("fr", "en"); detected from the text otherwise.
    pub lang: Option<String>,
    /// The provider's time zone, for times written without one ("vers 11h30").
    pub tz: Tz,
    /// The post's own time: mentioned times are resolved relative to it.
    pub reference: DateTime<Utc>,
}

/// The rule files a post of `lang` is read with, when every post's language is given: its own
/// language's and the `any` files (English's when `lang` has none, as [`Extractor::read`] reads
/// it), and the labelled posts. Compiling the rules is most of a start-up, so a run
/// told its language skips the others'. A file whose language cannot be read is kept, for its
/// error to be reported as it would be.
fn only_language(
    files: Vec<(std::path::PathBuf, String)>,
    lang: Option<&str>,
) -> Vec<(std::path::PathBuf, String)> {
    let Some(lang) = lang else {
        return files;
    };
    #[derive(serde::Deserialize)]
    struct Head {
        lang: String,
    }
    let of = |(path, text): &(std::path::PathBuf, String)| -> Option<String> {
        if path.extension().is_some_and(|e| e == "jsonl") {
            return None;
        }
        toml::from_str::<Head>(text).ok().map(|h| h.lang)
    };
    let langs: Vec<Option<String>> = files.iter().map(of).collect();
    let wanted = if langs.iter().flatten().any(|l| l == lang) {
        lang
    } else {
        "en"
    };
    files
        .into_iter()
        .zip(langs)
        // Labelled posts are kept: only a kept `[learnt]` table reads them.
        .filter(|(_, l)| l.as_ref().is_none_or(|l| l == wanted || l == "any"))
        .map(|(f, _)| f)
        .collect()
}

/// The rules of one language (plus the language-independent ones), behind their prefilter.
#[derive(Debug, Clone)]
struct Pack {
    lang: String,
    rules: Vec<Rule>,
    /// Which of the pack's regexes may match a post.
    prefilter: Prefilter,
    /// Buffers reused from post to post, one set per thread using the pack.
    scratch: std::sync::Arc<ScratchPool>,
    /// For each regex of the prefilter: (rule index, regex index).
    owners: Vec<(usize, usize)>,
    /// For each regex: may it stop reading where its superset's last match ends? Not when it
    /// asserts the end of the text (`$`).
    bounded: Vec<bool>,
    /// Per regex (index into `owners`): its rule is a fallback (`Rule::is_fallback`), read in a
    /// second pass only when the first left no phase.
    fallback: Vec<bool>,
    /// The language's learnt fallback, read last, when no rule named a phase.
    learnt: Option<std::sync::Arc<learnt::Learnt>>,
}

/// A regex of a pack that may match a post.
#[derive(Debug)]
struct Candidate {
    /// Index into `Pack::owners`.
    pi: usize,
    /// No match ends after `read_to`.
    read_to: usize,
    /// No match starts before `from` (for a regex read back from its end literals, the earliest
    /// start of its superset's matches; 0 otherwise).
    from: usize,
    /// For a regex read from its start literals only: the range of `candidates`'s second
    /// output holding (offset, farthest end) of every such literal where its superset matched;
    /// a match of the regex starts at one of them.
    starts: Option<std::ops::Range<usize>>,
}

/// Per thread: buffers reused from post to post.
#[derive(Debug, Default)]
struct Scratch {
    /// The post, ASCII-lowercased (same length, same offsets).
    lower: Vec<u8>,
    /// Which regexes of the pack may match the post.
    marks: prefilter::Marks,
    /// Each regex's superset lazy DFA cache, once it was a candidate on this thread.
    caches: Vec<Option<regex_automata::hybrid::dfa::Cache>>,
}
type ScratchPool = Pool<
    Scratch,
    Box<dyn Fn() -> Scratch + Send + Sync + std::panic::RefUnwindSafe + std::panic::UnwindSafe>,
>;

impl Pack {
    /// The pack of `rules`, with what its prefilter reads of each rule's regexes
    /// (`forms[rule][regex]`, see [`rules::CompiledFile`]).
    fn new(lang: &str, rules: Vec<Rule>, forms: &[&[Form]]) -> Result<Pack, RulesError> {
        let mut owners = Vec::new();
        let mut flat = Vec::new();
        for (ri, (r, forms)) in rules.iter().zip(forms).enumerate() {
            debug_assert_eq!(r.regexes.len(), forms.len());
            for (xi, form) in forms.iter().enumerate() {
                owners.push((ri, xi));
                flat.push(form);
            }
        }
        let prefilter = Prefilter::of_forms(&flat)?;
        let (marks, caches) = (prefilter.marks(), prefilter.caches());
        let scratch: ScratchPool = Pool::new(Box::new(move || Scratch {
            lower: Vec::new(),
            marks: marks.clone(),
            caches: caches.clone(),
        }));
        let bounded = owners
            .iter()
            .map(|&(ri, xi)| !rules[ri].regexes[xi].as_str().contains('$'))
            .collect();
        let fallback = owners
            .iter()
            .map(|&(ri, _)| rules[ri].is_fallback())
            .collect();
        Ok(Pack {
            lang: lang.to_string(),
            rules,
            prefilter,
            scratch: std::sync::Arc::new(scratch),
            owners,
            bounded,
            fallback,
            learnt: None,
        })
    }

    /// The regexes (indices into `owners`) that may match `text`, in index order, each with the
    /// end of the text its own regex needs to read: those whose literals occur, and whose
    /// superset then matches; no match of the regex can end after its superset's last. Only the
    /// regexes of fallback rules when `fallback`, only the others otherwise.
    fn candidates(&self, text: &str, fallback: bool) -> (Vec<Candidate>, Vec<(usize, usize)>) {
        let mut scratch = self.scratch.get();
        let Scratch {
            lower,
            marks,
            caches,
        } = &mut *scratch;
        lower.clear();
        lower.extend_from_slice(text.as_bytes());
        lower.make_ascii_lowercase();
        self.prefilter.mark(lower, marks);
        let mut out = Vec::new();
        let mut found = Vec::new();
        for (w, &bits) in marks.bits.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let pi = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if self.fallback[pi] != fallback {
                    continue;
                }
                let first = found.len();
                if let Some((from, end)) = self.prefilter.span(pi, caches, lower, marks, &mut found)
                {
                    out.push(Candidate {
                        pi,
                        read_to: self.read_to(pi, end, text),
                        from,
                        starts: (found.len() > first).then_some(first..found.len()),
                    });
                }
            }
        }
        (out, found)
    }

    /// Where regex `pi` may stop reading `text` when its superset's last match ends at `end`:
    /// past the end of that word, so that a word boundary there reads as in the whole text.
    fn read_to(&self, pi: usize, end: usize, text: &str) -> usize {
        if !self.bounded[pi] {
            return text.len();
        }
        let rest = &text[end..];
        end + rest
            .char_indices()
            .find(|&(_, c)| !regex_syntax::is_word_character(c))
            .map_or(rest.len(), |(i, _)| i)
    }

    fn health(&self) -> PrefilterHealth {
        PrefilterHealth {
            lang: self.lang.clone(),
            patterns: self.owners.len(),
            literals: self.prefilter.literals(),
            uncovered: self
                .prefilter
                .uncovered()
                .iter()
                .map(|&pi| self.rules[self.owners[pi].0].id.clone())
                .collect(),
            bytes: self.prefilter.memory(),
            anchored: self.prefilter.anchored(),
            end_anchored: self.prefilter.end_anchored(),
            read_whole: self
                .prefilter
                .read_whole()
                .into_iter()
                .map(|pi| self.rules[self.owners[pi].0].id.clone())
                .collect(),
            built: self.prefilter.built(),
        }
    }
}

/// A raw match before guards and overlap resolution.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub value: HitValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum HitValue {
    Yield(Yield),
    /// A share a `share` rule found, for the learnt share reader.
    Share(Percent),
    Time(DateTime<Utc>),
}

/// Where a time rule matched. Resolving it (its captures, the provider's zone, the post's
/// date) is left until a statement in the same sentence asks for it: most times a post
/// mentions sit beside no phase or percentage.
#[derive(Debug, Clone, Copy)]
struct TimeMatch {
    rule: usize,
    regex: usize,
    start: usize,
    end: usize,
}

impl TimeMatch {
    fn resolve(
        &self,
        pack: &Pack,
        text: &str,
        ctx: &ExtractContext,
        when: time::When,
    ) -> Option<DateTime<Utc>> {
        let caps = pack.rules[self.rule].regexes[self.regex].captures_at(text, self.start)?;
        if caps.get(0)?.start() != self.start {
            return None;
        }
        time::resolve(&caps, ctx.tz, ctx.reference, when)
    }
}

/// Which way a bare time beside a statement of `y` is read: ahead of the post for planned
/// work, back from it otherwise.
fn when_of(y: Yield) -> time::When {
    match y {
        Yield::Phase(Phase::MaintenanceScheduled) => time::When::Ahead,
        _ => time::When::Past,
    }
}

/// How much of a post language detection reads.
const LANG_SAMPLE_BYTES: usize = 160;

/// All rules of all packs, compiled once.
#[derive(Debug, Clone)]
pub struct Extractor {
    packs: Vec<Pack>,
    /// Chooses among the packs' languages when a source does not say; built once.
    detector: Option<whatlang::Detector>,
    /// Each language's common words (`patterns/<lang>/language.toml`): a clear majority of
    /// them decides a post's language before any trigram statistics.
    stopwords: Vec<(String, std::collections::HashSet<String>)>,
}

impl Extractor {
    /// Loads and compiles every rule file below `dir`.
    pub fn from_dir(dir: &Path) -> Result<Self, RulesError> {
        Self::from_dir_for(dir, None)
    }

    /// The rules bundled with the binary (the repository's `patterns/` at build time).
    pub fn bundled() -> Result<Self, RulesError> {
        Self::bundled_for(None)
    }

    /// `dir` when it exists, else the bundled rules.
    pub fn from_dir_or_bundled(dir: &Path) -> Result<Self, RulesError> {
        Self::from_dir_or_bundled_for(dir, None)
    }

    /// The rule files below `dir`; with `lang`, only those a post of that language is read
    /// with ([`only_language`]).
    pub fn from_dir_for(dir: &Path, lang: Option<&str>) -> Result<Self, RulesError> {
        let files = rules::read_dir(dir)?;
        if files.is_empty() {
            return Err(RulesError::Empty(dir.to_path_buf()));
        }
        Self::from_files(only_language(files, lang))
    }

    /// The bundled rules; with `lang`, only those a post of that language is read with.
    pub fn bundled_for(lang: Option<&str>) -> Result<Self, RulesError> {
        let mut files = Vec::new();
        collect_bundled(&BUNDLED, &mut files);
        files.sort();
        Self::from_files(only_language(files, lang))
    }

    /// `dir` when it exists, else the bundled rules; with `lang`, only those a post of that
    /// language is read with.
    pub fn from_dir_or_bundled_for(dir: &Path, lang: Option<&str>) -> Result<Self, RulesError> {
        if dir.is_dir() {
            Self::from_dir_for(dir, lang)
        } else {
            tracing::debug!(dir = %dir.display(), "no rules folder: using the bundled rules");
            Self::bundled_for(lang)
        }
    }

    fn from_files(files: Vec<(std::path::PathBuf, String)>) -> Result<Self, RulesError> {
        let mut all = Vec::new();
        let mut all_forms: Vec<Vec<Form>> = Vec::new();
        let mut stopwords: Vec<(String, std::collections::HashSet<String>)> = Vec::new();
        let (files, posts): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|(p, _)| p.extension().is_none_or(|e| e != "jsonl"));
        // Compiling the rules' regexes is most of the start-up time (Unicode classes, case
        // folding): files are compiled side by side, one thread each, and read in file order.
        let compiled: Vec<Result<rules::CompiledFile, RulesError>> = std::thread::scope(|s| {
            let handles: Vec<_> = files
                .iter()
                .map(|(path, text)| {
                    s.spawn(move || {
                        let started = std::time::Instant::now();
                        let compiled = rules::compile_file(path, text);
                        tracing::debug!(
                            path = %path.display(),
                            ms = started.elapsed().as_millis() as u64,
                            "rules file compiled"
                        );
                        compiled
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut learnt: Vec<(String, learnt::Learnt)> = Vec::new();
        for (file, (path, _)) in compiled.into_iter().zip(&files) {
            let file = file?;
            if let Some(settings) = file.learnt {
                let want = path.parent().unwrap_or(Path::new("")).join(&settings.posts);
                let Some((at, jsonl)) = posts.iter().find(|(p, _)| *p == want) else {
                    return Err(learnt::LearntError::Missing {
                        named_by: path.clone(),
                        posts: settings.posts,
                    }
                    .into());
                };
                if learnt.iter().any(|(l, _)| *l == file.lang) {
                    return Err(learnt::LearntError::Settings {
                        path: path.clone(),
                        message: format!("a second [learnt] table for {:?}", file.lang),
                    }
                    .into());
                }
                let model = learnt::Learnt::new(settings, path, at.clone(), jsonl)?;
                learnt.push((file.lang.clone(), model));
            }
            if !file.stopwords.is_empty() {
                match stopwords.iter_mut().find(|(l, _)| *l == file.lang) {
                    Some((_, set)) => set.extend(file.stopwords),
                    None => stopwords.push((file.lang, file.stopwords.into_iter().collect())),
                }
            }
            all.extend(file.rules);
            all_forms.extend(file.prefilter_forms);
        }
        let mut ids = std::collections::HashMap::new();
        for r in &all {
            if let Some(prev) = ids.insert(r.id.clone(), r.file.clone()) {
                return Err(RulesError::Rule {
                    path: r.file.clone(),
                    line: r.line,
                    rule: r.id.clone(),
                    message: format!("duplicate rule id (also in {})", prev.display()),
                });
            }
        }
        let mut langs: Vec<String> = all
            .iter()
            .map(|r| r.lang.clone())
            .filter(|l| l != "any")
            .collect();
        langs.sort();
        langs.dedup();
        // Each language's prefilter is built from its rules' patterns alone: side by side.
        let built: Vec<Result<Pack, RulesError>> = std::thread::scope(|s| {
            let handles: Vec<_> = langs
                .iter()
                .map(|lang| {
                    let (rules, forms): (Vec<Rule>, Vec<&[Form]>) = all
                        .iter()
                        .zip(&all_forms)
                        .filter(|(r, _)| r.lang == *lang || r.lang == "any")
                        .map(|(r, f)| (r.clone(), f.as_slice()))
                        .unzip();
                    s.spawn(move || Pack::new(lang, rules, &forms))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let mut packs = Vec::new();
        for pack in built {
            let mut pack = pack?;
            if let Some(i) = learnt.iter().position(|(l, _)| *l == pack.lang) {
                pack.learnt = Some(std::sync::Arc::new(learnt.swap_remove(i).1));
            }
            packs.push(pack);
        }
        let allow: Vec<whatlang::Lang> = packs
            .iter()
            .filter_map(|p| whatlang::Lang::from_code(iso639_3(&p.lang)))
            .collect();
        let detector = (allow.len() > 1).then(|| whatlang::Detector::with_allowlist(allow));
        stopwords.retain(|(l, _)| packs.iter().any(|p| p.lang == *l));
        Ok(Extractor {
            packs,
            detector,
            stopwords,
        })
    }

    /// Languages with rules.
    pub fn languages(&self) -> Vec<&str> {
        self.packs.iter().map(|p| p.lang.as_str()).collect()
    }

    /// What each language's prefilter holds: its literals, the memory of their automaton, and
    /// the rules whose regexes it cannot anchor on a literal (those run on every post).
    pub fn prefilter_health(&self) -> Vec<PrefilterHealth> {
        self.packs.iter().map(Pack::health).collect()
    }

    /// Compiles now what is otherwise compiled on first use (every rule regex, every prefilter
    /// automaton): for a long-running worker that would rather pay at start-up, and for
    /// measurements of reading that should not include compiling.
    pub fn compile_all(&self) {
        for pack in &self.packs {
            for &(ri, xi) in &pack.owners {
                let rule = &pack.rules[ri];
                // Every match is found by anchored searches (and capture groups read by one);
                // the other form serves the times, whose groups are read from it, and the
                // patterns that match the empty string, searched unanchored.
                let re = &rule.regexes[xi];
                re.compile(rule.yields == RuleYield::Time || re.matches_empty(), true);
            }
            pack.prefilter.compile_all();
        }
        self.train_learnt();
    }

    /// Trains each language's learnt fallback and share reader now (each is otherwise trained on
    /// the first post that needs it).
    pub fn train_learnt(&self) {
        for pack in &self.packs {
            if let Some(l) = &pack.learnt {
                l.model();
                if l.share_margin().is_some() {
                    l.share_model(|| share_rules_key(pack), |t| find_shares(pack, t));
                }
            }
        }
    }

    /// The same rules without their learnt fallbacks: what the rules alone read (`patterns eval
    /// --no-learnt`, and the tests that pin the rules).
    pub fn without_learnt(mut self) -> Self {
        for pack in &mut self.packs {
            pack.learnt = None;
        }
        self
    }

    /// The share reader of `lang` out of fold (`patterns learnt`), when it reads shares.
    pub fn share_cross_validation(
        &self,
        lang: &str,
        folds: usize,
    ) -> Option<learnt::ShareCrossValidation> {
        let pack = self.packs.iter().find(|p| p.lang == lang)?;
        let learnt = pack.learnt.as_ref()?;
        learnt.share_margin()?;
        Some(learnt.cross_validate_shares(folds, |t| find_shares(pack, t)))
    }

    /// Each language's learnt fallback, for reports.
    pub fn learnt(&self) -> impl Iterator<Item = (&str, &learnt::Learnt)> {
        self.packs
            .iter()
            .filter_map(|p| Some((p.lang.as_str(), p.learnt.as_deref()?)))
    }

    /// Every rule, for checks and listings.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.packs.iter().flat_map(|p| p.rules.iter())
    }

    /// The language the rules should read `text` in: the configured one (its primary subtag:
    /// `fr-FR` is `fr`; a code that names no language, such as `und`, counts as none), else
    /// detected among the languages that have rules (English when undecided).
    pub fn language_of(&self, text: &str, configured: Option<&str>) -> String {
        self.language_of_normal(normal::Normal::of(text).text(), configured)
    }

    /// [`Extractor::language_of`] for text already in the form the rules read.
    fn language_of_normal(&self, text: &str, configured: Option<&str>) -> String {
        if let Some(l) = configured
            .map(crate::sources::feed::primary_lang)
            .filter(|l| !undetermined(l))
        {
            return l;
        }
        // A post's language shows in its first sentences; trigram statistics over a long
        // status update cost more than every rule together.
        let mut cut = text.len().min(LANG_SAMPLE_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let sample = &text[..cut];
        if let Some(lang) = self.stopword_vote(sample) {
            return lang.to_string();
        }
        let guess = self.detector.as_ref().and_then(|d| d.detect(sample));
        let pack_of = |info: &whatlang::Info| {
            let code = info.lang().code();
            self.packs.iter().find(|p| iso639_3(&p.lang) == code)
        };
        if let Some(p) = guess.as_ref().filter(|i| i.is_reliable()).and_then(pack_of) {
            return p.lang.clone();
        }
        // Too short or too mixed for the statistics to be sure (« Incident clos. », « Remise en
        // marche progressive des services. »): the language whose rules read most of it.
        if let Some(p) = self.pack_reading_most_of(text) {
            return p.lang.clone();
        }
        if let Some(p) = guess.as_ref().and_then(pack_of) {
            return p.lang.clone();
        }
        if self.packs.iter().any(|p| p.lang == "en") {
            "en".into()
        } else {
            self.packs
                .first()
                .map_or_else(|| "en".into(), |p| p.lang.clone())
        }
    }

    /// The pack whose rules' matches cover more of `text` than any other pack's, if one does.
    fn pack_reading_most_of(&self, text: &str) -> Option<&Pack> {
        let mut read: Vec<(f64, &Pack)> = self
            .packs
            .iter()
            .map(|pack| {
                let (values, times) = hits(pack, None, false, false, text);
                let spans = values.iter().map(|h| (h.start, h.end));
                let spans = spans.chain(times.iter().map(|t| (t.start, t.end)));
                (learnt::covered(text, spans), pack)
            })
            .collect();
        read.sort_by(|a, b| b.0.total_cmp(&a.0));
        match read.as_slice() {
            [(best, pack), rest @ ..]
                if *best > 0.0 && rest.first().is_none_or(|r| r.0 < *best) =>
            {
                Some(*pack)
            }
            _ => None,
        }
    }

    /// The language whose common words clearly dominate `sample` (at least three, and twice
    /// as many as any other language's), if one does.
    fn stopword_vote(&self, sample: &str) -> Option<&str> {
        if self.stopwords.len() < 2 {
            return None;
        }
        let mut counts = vec![0usize; self.stopwords.len()];
        for word in sample
            .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
            .filter(|w| !w.is_empty())
        {
            let word = word.to_lowercase();
            // "l'incident", "n’est": the article and the negation count as words.
            let head = word.split(['\'', '’']).next().unwrap_or(&word);
            for (i, (_, set)) in self.stopwords.iter().enumerate() {
                if set.contains(word.as_str()) || (head != word && set.contains(head)) {
                    counts[i] += 1;
                }
            }
        }
        let (best, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
        let second = counts
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        (n >= 3 && n >= 2 * second.max(1)).then(|| self.stopwords[best].0.as_str())
    }

    /// The statements the rules find in `text`, in text order.
    pub fn extract(&self, text: &str, ctx: &ExtractContext) -> Vec<Statement> {
        self.read(text, ctx).1
    }

    /// The language `text` is read in ([`Extractor::language_of`]) and the statements the rules
    /// find in it, the language decided once.
    pub fn read(&self, text: &str, ctx: &ExtractContext) -> (String, Vec<Statement>) {
        self.read_normal(text, ctx, false)
    }

    /// What `extract` finds when every regex of the pack runs, whatever the set says: the set
    /// must never change a result, and tests hold it to that.
    pub fn extract_exhaustive(&self, text: &str, ctx: &ExtractContext) -> Vec<Statement> {
        self.read_normal(text, ctx, true).1
    }

    /// [`Extractor::read`], every regex run when `exhaustive`. The rules read the post composed
    /// and without invisible characters ([`normal`]); spans and matched text are the post's own.
    fn read_normal(
        &self,
        text: &str,
        ctx: &ExtractContext,
        exhaustive: bool,
    ) -> (String, Vec<Statement>) {
        let normal = normal::Normal::of(text);
        let lang = self.language_of_normal(normal.text(), ctx.lang.as_deref());
        let mut statements = self
            .pack_of(&lang)
            .map(|pack| extract_with(pack, None, exhaustive, normal.text(), ctx))
            .unwrap_or_default();
        if normal.is_rewritten() {
            for s in &mut statements {
                s.span = normal.original(s.span);
                // Mapped spans fall on the post's character boundaries (normal.rs tests).
                debug_assert!(text.get(s.span.0..s.span.1).is_some());
                s.matched = text.get(s.span.0..s.span.1).unwrap_or_default().to_string();
            }
        }
        (lang, statements)
    }

    /// The pack of `lang`, else English.
    fn pack_of(&self, lang: &str) -> Option<&Pack> {
        self.packs
            .iter()
            .find(|p| p.lang == lang)
            .or_else(|| self.packs.iter().find(|p| p.lang == "en"))
    }

    /// Runs one rule alone (used by the self-tests of `patterns test`).
    pub(crate) fn extract_one(&self, rule_id: &str, text: &str, ctx: &ExtractContext) -> Vec<Hit> {
        for pack in &self.packs {
            if let Some(i) = pack.rules.iter().position(|r| r.id == rule_id) {
                let fallback = pack.rules[i].is_fallback();
                let (mut out, times) = hits(pack, Some(i), false, fallback, text);
                out.extend(times.iter().filter_map(|t| {
                    Some(Hit {
                        rule: t.rule,
                        start: t.start,
                        end: t.end,
                        value: HitValue::Time(t.resolve(pack, text, ctx, time::When::Past)?),
                    })
                }));
                out.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
                return out;
            }
        }
        Vec::new()
    }
}

fn collect_bundled(dir: &include_dir::Dir<'static>, out: &mut Vec<(std::path::PathBuf, String)>) {
    for f in dir.files() {
        if f.path()
            .extension()
            .is_some_and(|e| e == "toml" || e == "jsonl")
        {
            if let Some(text) = f.contents_utf8() {
                out.push((Path::new("patterns").join(f.path()), text.to_string()));
            }
        }
    }
    for d in dir.dirs() {
        collect_bundled(d, out);
    }
}

/// Whether a language code names no language: ISO 639's undetermined (`und`), no linguistic
/// content (`zxx`), multiple (`mul`) and uncoded (`mis`), and the private-use range `qaa`–`qtz`
/// (X's archives mark media-only and hashtag-only posts `qme`, `qht`, `qam`…).
fn undetermined(code: &str) -> bool {
    matches!(code, "und" | "zxx" | "mul" | "mis")
        || (code.len() == 3 && code.starts_with('q') && code.as_bytes()[1] <= b't')
}

fn iso639_3(lang: &str) -> &str {
    match lang {
        "en" => "eng",
        "fr" => "fra",
        "de" => "deu",
        "es" => "spa",
        "it" => "ita",
        "nl" => "nld",
        "pt" => "por",
        other => other,
    }
}

/// The clause breaks of one post, found by one scan, so that the bounds of the clause around
/// each guarded match are two binary searches ([`Clauses::around`]) instead of a scan of the
/// post's bytes back and forth for every match.
///
/// Breaks are sentence ends, semicolons, colons, line breaks, em dashes and "|"; a "." followed
/// by a digit ("99.9") is no break, except as the last byte before the match. A clause also
/// starts after " but " / " mais " (and their kin) and after ", so ": "went through with no
/// latency spikes, so this incident is closed" (the "no" is not the closure's negation).
///
/// Every break is ASCII except the em dash, so the text is read as bytes (a UTF-8 continuation
/// byte never equals an ASCII one).
struct Clauses {
    /// Each break (offset, offset after it, is it a "." before a digit?), in text order.
    breaks: Vec<(u32, u32, bool)>,
    /// Each " but "-like separator (offset, offset after it), in order of its end.
    seps: Vec<(u32, u32)>,
    /// The post's length: where its last clause ends.
    len: usize,
}

impl Clauses {
    const SEPS: [&'static str; 6] = [
        " but ",
        " mais ",
        " however ",
        " cependant ",
        " toutefois ",
        ", so ",
    ];

    fn new(text: &str) -> Clauses {
        let b = text.as_bytes();
        let mut breaks = Vec::new();
        let mut seps = Vec::new();
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'.' | b'!' | b'?' | b';' | b'\n' | b':' | b'|' => {
                    let before_digit = c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit);
                    breaks.push((i as u32, i as u32 + 1, before_digit));
                }
                0xE2 if b.get(i..i + 3) == Some("—".as_bytes()) => {
                    breaks.push((i as u32, i as u32 + 3, false));
                }
                // Only a space before b, m, h, c or t, or a comma before a space, may open a
                // separator: most spaces are passed over after one comparison.
                b' ' | b',' => {
                    let next = b.get(i + 1).map(u8::to_ascii_lowercase);
                    if !matches!(
                        (c, next),
                        (b' ', Some(b'b' | b'm' | b'h' | b'c' | b't')) | (b',', Some(b' '))
                    ) {
                        continue;
                    }
                    for sep in Self::SEPS {
                        let e = i + sep.len();
                        if b.get(i..e)
                            .is_some_and(|s| s.eq_ignore_ascii_case(sep.as_bytes()))
                        {
                            seps.push((i as u32, e as u32));
                        }
                    }
                }
                _ => {}
            }
        }
        seps.sort_by_key(|&(_, e)| e);
        Clauses {
            breaks,
            seps,
            len: b.len(),
        }
    }

    /// Bounds of the clause around the byte range `start..end`: from the last break (or
    /// separator) that ends at or before `start` to the first break at or after `end`.
    fn around(&self, start: usize, end: usize) -> (usize, usize) {
        let (start32, end32) = (start as u32, end as u32);
        // The last break ending at or before the match; a "." before a digit only when it is
        // the match's last byte before ("v2." then "5" matched).
        let before = self
            .breaks
            .partition_point(|&(_, after, _)| after <= start32);
        let s = self.breaks[..before]
            .iter()
            .rev()
            .find(|&&(at, _, before_digit)| !before_digit || at + 1 == start32)
            .map_or(0, |&(_, after, _)| after as usize);
        // The separator that ends last, at or before the match, starting inside the clause.
        let upto = self.seps.partition_point(|&(_, e)| e <= start32);
        let s = self.seps[..upto]
            .iter()
            .rev()
            .take_while(|&&(_, e)| e as usize > s)
            .find(|&&(p, _)| p as usize >= s)
            .map_or(s, |&(_, e)| e as usize);
        let from = self.breaks.partition_point(|&(at, _, _)| at < end32);
        let e = self.breaks[from..]
            .iter()
            .find(|&&(_, _, before_digit)| !before_digit)
            .map_or(self.len, |&(at, _, _)| at as usize);
        (s, e)
    }
}

/// The share of `text` the rules' phase matches among `statements` cover, for the learnt model
/// ([`learnt::covered`], [`learnt::OVERRULE_MAX_COVERED`]).
pub fn rules_read(text: &str, statements: &[Statement]) -> f64 {
    let spans = statements
        .iter()
        .filter(|s| s.phase().is_some())
        .map(|s| s.span);
    learnt::covered(text, spans)
}

/// How far from a match the extractor reads its sentence or clause, each way, in bytes. Real
/// sentences are a few hundred bytes (the longest labelled post, a Google Cloud report, is 10 KB
/// in all); a post of one endless "sentence" of matches ("90 % 90 % …", hostile or broken) would
/// otherwise be read once per match, end to end.
const REACH: usize = 2_000;

/// At most this many rule matches of each kind (phases and shares, times) are read in one post,
/// the first ones: no real post comes near (a few dozen at most), and each statement is
/// compared with the others, so a post of a hundred thousand matches would take hours.
const MAX_MATCHES: usize = 2_000;

/// Keeps the first [`MAX_MATCHES`] of `matches` in text order (all of them, untouched, when there
/// are no more).
fn keep_first<T>(matches: &mut Vec<T>, start: impl Fn(&T) -> usize) {
    if matches.len() > MAX_MATCHES {
        matches.sort_by_key(start);
        matches.truncate(MAX_MATCHES);
    }
}

/// The char boundary at or before `i` in `text`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The char boundary at or after `i` in `text` (at most its length).
fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Sentence bounds, for attaching mentioned times to statements: from the last ".", "!", "?" or
/// line break before `pos` to the next after it, none of them counting when a digit follows;
/// at most [`REACH`] bytes each way.
fn sentence(text: &str, pos: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let is_end = |i: usize, limit: usize| {
        matches!(b[i], b'.' | b'!' | b'?' | b'\n') && !(i + 1 < limit && b[i + 1].is_ascii_digit())
    };
    let from = ceil_boundary(text, pos.saturating_sub(REACH));
    let to = floor_boundary(text, (pos + REACH).min(b.len()));
    let s = (from..pos)
        .rev()
        .find(|&i| is_end(i, pos))
        .map_or(from, |i| i + 1);
    let e = (pos..to).find(|&i| is_end(i, b.len())).unwrap_or(to);
    (s, e)
}

/// A number as posts write it: digits ("90", "99,9", thousands grouped by a space, a no-break
/// space or a thin space: "1 200", or by commas: "12,000"), or a cardinal in words up to a
/// thousand, compound ones included ("septante", "quatre-vingt-quinze", "soixante et onze",
/// "ninety-five", "one hundred").
fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Some(v) = grouped_digits(s) {
        return Some(v);
    }
    if let Ok(v) = s.replace(',', ".").parse::<f64>() {
        return Some(v);
    }
    number_words(s)
}

/// Digits with thousands grouped: "12,000" and "1,200,000.5" the English way (groups split by
/// commas, a decimal point), "1 200" and "12 500,5" the French way (groups split by one space of
/// any width, a decimal comma or point). Groups after the first have exactly three digits, so
/// "2 3" is not 23 and "99,9" or "12,50" stay decimal (`None` here).
fn grouped_digits(s: &str) -> Option<f64> {
    let is_space = |c: char| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}');
    let english = |c: char| c == ',';
    grouped(s, &english, &['.']).or_else(|| grouped(s, &is_space, &[',', '.']))
}

/// `s` as groups split by `sep`, then an optional fraction after one of `decimal`.
fn grouped(s: &str, sep: &dyn Fn(char) -> bool, decimal: &[char]) -> Option<f64> {
    let (int, frac) = match s.find(decimal) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let mut groups = int.split(sep);
    let first = groups.next()?;
    let rest: Vec<&str> = groups.collect();
    if rest.is_empty()
        || !digits(first)
        || first.len() > 3
        || !rest.iter().all(|g| g.len() == 3 && digits(g))
        || frac.is_some_and(|f| !digits(f))
    {
        return None;
    }
    let mut n = first.to_string();
    rest.iter().for_each(|g| n.push_str(g));
    if let Some(f) = frac {
        n.push('.');
        n.push_str(f);
    }
    n.parse().ok()
}

/// A cardinal in French or English words, read word by word: units and tens add up
/// ("soixante-quinze" = 60 + 15), "vingt" after "quatre" multiplies ("quatre-vingt-dix" = 90),
/// "cent" / "hundred" multiplies what precedes it, or is 100 alone.
fn number_words(s: &str) -> Option<f64> {
    let lower = s.to_lowercase();
    let mut total: u32 = 0;
    let mut words = 0;
    for w in lower
        .split(['-', ' ', '\u{a0}', '\u{202f}', '\u{2009}'])
        .filter(|w| !w.is_empty())
    {
        let v: u32 = match w {
            "et" | "and" | "a" => continue,
            "zéro" | "zero" => 0,
            "un" | "une" | "one" => 1,
            "deux" | "two" => 2,
            "trois" | "three" => 3,
            "quatre" | "four" => 4,
            "cinq" | "five" => 5,
            "six" => 6,
            "sept" | "seven" => 7,
            "huit" | "eight" => 8,
            "neuf" | "nine" => 9,
            "dix" | "ten" => 10,
            "onze" | "eleven" => 11,
            "douze" | "twelve" => 12,
            "treize" | "thirteen" => 13,
            "quatorze" | "fourteen" => 14,
            "quinze" | "fifteen" => 15,
            "seize" | "sixteen" => 16,
            "seventeen" => 17,
            "eighteen" => 18,
            "nineteen" => 19,
            "vingt" | "vingts" if total % 100 == 4 => {
                total = total - 4 + 80;
                words += 1;
                continue;
            }
            "vingt" | "vingts" | "twenty" => 20,
            "trente" | "thirty" => 30,
            "quarante" | "forty" => 40,
            "cinquante" | "fifty" => 50,
            "soixante" | "sixty" => 60,
            "septante" | "seventy" => 70,
            "huitante" | "octante" | "eighty" => 80,
            "nonante" | "ninety" => 90,
            "cent" | "cents" | "hundred" => {
                let below = total % 100;
                total = total - below + below.max(1) * 100;
                words += 1;
                continue;
            }
            _ => return None,
        };
        total += v;
        words += 1;
    }
    (words > 0).then_some(f64::from(total))
}

/// A share written as a fraction in words ("la moitié", "un quart", "two thirds"), in percent.
fn share_word(s: &str) -> Option<f64> {
    let lower = s.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split_whitespace()
        .filter(|w| !matches!(*w, "la" | "les" | "le" | "un" | "une" | "a" | "one"))
        .collect();
    Some(match words.as_slice() {
        ["moitié" | "moitie" | "half"] => 50.0,
        ["quart" | "quarter"] => 25.0,
        ["tiers" | "third"] => 100.0 / 3.0,
        ["deux" | "two", "tiers" | "thirds"] => 200.0 / 3.0,
        ["trois" | "three", "quarts" | "quarters"] => 75.0,
        ["cinquième" | "cinquieme" | "fifth"] => 20.0,
        ["dixième" | "dixieme" | "tenth"] => 10.0,
        _ => return None,
    })
}

/// Every rule match in `text` that its guards let stand: yields, and time mentions (unresolved).
/// Only the fallback rules' when `fallback`, only the other rules' otherwise.
fn hits(
    pack: &Pack,
    only: Option<usize>,
    exhaustive: bool,
    fallback: bool,
    text: &str,
) -> (Vec<Hit>, Vec<TimeMatch>) {
    let mut out = Vec::new();
    let mut times = Vec::new();
    let (matched, found) = if only.is_some() || exhaustive {
        let all = (0..pack.owners.len())
            .filter(|&pi| pack.fallback[pi] == fallback)
            .map(|pi| Candidate {
                pi,
                read_to: text.len(),
                from: 0,
                starts: None,
            });
        (all.collect(), Vec::new())
    } else {
        pack.candidates(text, fallback)
    };
    // The post's clause breaks, found when a guard first needs them.
    let clauses = std::cell::OnceCell::new();
    for c in matched {
        // What the rule's regex reads; offsets in it are offsets in `text`.
        let (ri, xi) = pack.owners[c.pi];
        if only.is_some_and(|o| o != ri) {
            continue;
        }
        let rule = &pack.rules[ri];
        let re = &rule.regexes[xi];
        // The regex's matches: searched anchored at each place one may start, or over `hay`.
        let spans: Vec<(usize, usize)> = match &c.starts {
            Some(r) => anchored_matches(re, text, &found[r.clone()], |end| {
                pack.read_to(c.pi, end, text)
            }),
            None => re.matches_from(text, c.from, c.read_to),
        };
        if spans.is_empty() {
            continue;
        }
        // A post-wide guard drops every match of the rule in the post.
        if rule.unless_post.as_ref().is_some_and(|g| g.is_match(text)) {
            continue;
        }
        // Guards read the clause before the match, for `unless_after` the rest of the clause
        // after it, and for `unless_inside` the match itself.
        let guarded = |start: usize, end: usize| {
            if rule
                .unless_inside
                .as_ref()
                .is_some_and(|g| g.is_match(&text[start..end]))
            {
                return true;
            }
            if rule.unless.is_none() && rule.unless_after.is_none() {
                return false;
            }
            let (cs, ce) = clauses
                .get_or_init(|| Clauses::new(text))
                .around(start, end);
            // At most `REACH` bytes each way of the match.
            let cs = cs.max(ceil_boundary(text, start.saturating_sub(REACH)));
            let ce = ce.min(floor_boundary(text, (end + REACH).min(text.len())));
            rule.unless
                .as_ref()
                .is_some_and(|g| g.is_match(&text[cs..start]))
                || rule
                    .unless_after
                    .as_ref()
                    .is_some_and(|g| g.is_match(&text[end..ce]))
        };
        if rule.yields == RuleYield::Time {
            for (start, end) in spans {
                if !guarded(start, end) {
                    times.push(TimeMatch {
                        rule: ri,
                        regex: xi,
                        start,
                        end,
                    });
                }
            }
            continue;
        }
        if let RuleYield::Phase(p) = rule.yields {
            // A phase needs only the span: no capture groups to resolve.
            for (start, end) in spans {
                if !guarded(start, end) {
                    out.push(Hit {
                        rule: ri,
                        start,
                        end,
                        value: HitValue::Yield(Yield::Phase(p)),
                    });
                }
            }
            continue;
        }
        // The same matches with their capture groups.
        for (start, end) in spans {
            if guarded(start, end) {
                continue;
            }
            let caps = re.groups_at(text, start, end);
            let group = |name: &str| caps.get_group_by_name(name).map(|s| &text[s]);
            let value = match rule.yields {
                RuleYield::Phase(p) => HitValue::Yield(Yield::Phase(p)),
                RuleYield::Restored | RuleYield::Affected | RuleYield::Share => {
                    let pct = match (group("pct"), group("part"), group("whole")) {
                        (Some(p), _, _) => parse_number(p).and_then(|v| Percent::new(v).ok()),
                        _ if group("frac").is_some() => group("frac")
                            .and_then(share_word)
                            .and_then(|v| Percent::new((v * 10.0).round() / 10.0).ok()),
                        (None, Some(a), Some(b)) => match (parse_number(a), parse_number(b)) {
                            (Some(a), Some(b)) => Percent::from_ratio(a, b),
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some(pct) = pct else { continue };
                    match rule.yields {
                        RuleYield::Restored => HitValue::Yield(Yield::Restored(pct)),
                        RuleYield::Affected => HitValue::Yield(Yield::Affected(pct)),
                        _ => HitValue::Share(pct),
                    }
                }
                RuleYield::Time => continue,
            };
            out.push(Hit {
                rule: ri,
                start,
                end,
                value,
            });
        }
    }
    out.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
    times.sort_by_key(|t| (t.start, std::cmp::Reverse(t.end)));
    (out, times)
}

/// The successive non-overlapping matches of `re` in `text`, as `find_iter` gives them, when
/// each starts at one of `starts` (offset, farthest end of a match from there; in order): the
/// regex is searched anchored at each start past the previous match, up to `read_to` of its
/// farthest end.
fn anchored_matches(
    re: &RuleRegex,
    text: &str,
    starts: &[(usize, usize)],
    read_to: impl Fn(usize) -> usize,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = Some(0);
    for &(start, end) in starts {
        let Some(from) = at else { break };
        if start < from {
            continue;
        }
        if let Some((s, e)) = re.match_at(text, start, read_to(end)) {
            out.push((s, e));
            at = next_search(text, s, e);
        }
    }
    out
}

/// Overlapping matches of the same kind (phase, or percentage): the higher priority wins, then
/// the longer match. "not fully resolved" and "resolved" cannot both speak. In text order.
fn without_overlaps(pack: &Pack, mut values: Vec<Hit>) -> Vec<Hit> {
    values.sort_by_key(|h| {
        (
            std::cmp::Reverse(pack.rules[h.rule].priority),
            std::cmp::Reverse(h.end - h.start),
            h.start,
        )
    });
    let mut kept: Vec<Hit> = Vec::new();
    for h in values {
        let kind = |v: &HitValue| matches!(v, HitValue::Yield(Yield::Phase(_)));
        let clash = kept
            .iter()
            .any(|k| k.start < h.end && h.start < k.end && kind(&k.value) == kind(&h.value));
        if !clash {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

/// Does the later match `later` take back the earlier statement `earlier` (of phase `phase`)? Its
/// rule must lower that phase, and none of the guards it `spares` may be found in the earlier
/// statement, from its match to the end of its sentence ("Incident clos. Nous restons attentifs").
fn takes_back(pack: &Pack, text: &str, later: &Hit, earlier: &Hit, phase: Phase) -> bool {
    let rule = &pack.rules[later.rule];
    later.start > earlier.start
        && rule.lowers.contains(&phase)
        && !rule.spares.as_ref().is_some_and(|spares| {
            spares.is_match(&text[earlier.start..sentence(text, earlier.start).1])
        })
}

fn extract_with(
    pack: &Pack,
    only: Option<usize>,
    exhaustive: bool,
    text: &str,
    ctx: &ExtractContext,
) -> Vec<Statement> {
    let (mut values, mut times) = hits(pack, only, exhaustive, false, text);
    if values.len() > MAX_MATCHES || times.len() > MAX_MATCHES {
        tracing::warn!(
            matches = values.len(),
            times = times.len(),
            bytes = text.len(),
            "a post with more rule matches than any real one: only the first {MAX_MATCHES} of each kind are read"
        );
        keep_first(&mut values, |h| h.start);
        keep_first(&mut times, |t| t.start);
    }
    // The shares the `share` rules found wait for the share reader, below.
    let (shares, values): (Vec<Hit>, Vec<Hit>) = values
        .into_iter()
        .partition(|h| matches!(h.value, HitValue::Share(_)));
    // Each time mention resolved at most once each way (back from the post, ahead of it), when a
    // statement needs it.
    type Resolved = Vec<[Option<Option<DateTime<Utc>>>; 2]>;
    let mut resolved: Resolved = vec![[None; 2]; times.len()];
    let resolve = |resolved: &mut Resolved, i: usize, when: time::When| {
        *resolved[i][usize::from(when == time::When::Ahead)]
            .get_or_insert_with(|| times[i].resolve(pack, text, ctx, when))
    };
    // The time mention nearest to `start..end` in its sentence (the first such, on a tie), read
    // the way a statement of `y` reads it.
    let nearest_time = |resolved: &mut Resolved, start: usize, end: usize, y: Yield| {
        let sent = sentence(text, start);
        let mut mentioned_at = None;
        let mut best = usize::MAX;
        for (i, t) in times.iter().enumerate() {
            if !(t.start >= sent.0 && sentence(text, t.start) == sent) {
                continue;
            }
            let distance = if t.start >= end {
                t.start - end
            } else {
                start.saturating_sub(t.end)
            };
            if distance >= best {
                continue;
            }
            if let Some(at) = resolve(resolved, i, when_of(y)) {
                best = distance;
                mentioned_at = Some(at);
            }
        }
        mentioned_at
    };
    let mut kept = without_overlaps(pack, values);
    // A rule that `lowers` phases takes back the statements of those phases made before it
    // (nothing to do, and nothing allocated, in the usual post where no such rule matched).
    if kept.iter().any(|l| !pack.rules[l.rule].lowers.is_empty()) {
        let lowered: Vec<bool> = kept
            .iter()
            .map(|h| match h.value {
                HitValue::Yield(Yield::Phase(p)) => {
                    kept.iter().any(|l| takes_back(pack, text, l, h, p))
                }
                _ => false,
            })
            .collect();
        let mut flags = lowered.into_iter();
        kept.retain(|_| !flags.next().unwrap_or(false));
    }
    // A weak phase speaks only when no other rule names one in the post.
    let is_phase = |h: &Hit| matches!(h.value, HitValue::Yield(Yield::Phase(_)));
    if kept.iter().any(|h| is_phase(h) && !pack.rules[h.rule].weak) {
        kept.retain(|h| !(is_phase(h) && pack.rules[h.rule].weak));
    }
    // The fallback rules are read only when no phase is left: a single word of return, cause or
    // failure names the post's phase when no phrase did.
    if !kept.iter().any(is_phase) && pack.fallback.contains(&true) {
        let (mut values, _) = hits(pack, only, exhaustive, true, text);
        keep_first(&mut values, |h| h.start);
        if !values.is_empty() {
            kept.extend(without_overlaps(pack, values));
            kept.sort_by_key(|h| h.start);
        }
    }
    // One statement per yield per sentence: "incident clos, services rétablis" is one resolution.
    let mut seen: Vec<((usize, usize), Yield)> = Vec::new();
    let mut out = Vec::new();
    for h in kept {
        let HitValue::Yield(y) = h.value else {
            continue;
        };
        let sent = sentence(text, h.start);
        if seen.iter().any(|(s, v)| *s == sent && *v == y) {
            continue;
        }
        seen.push((sent, y));
        out.push(Statement {
            yields: y,
            mentioned_at: nearest_time(&mut resolved, h.start, h.end, y),
            rule_id: pack.rules[h.rule].id.clone(),
            span: (h.start, h.end),
            matched: text[h.start..h.end].to_string(),
        });
    }
    // The learnt model reads the post when no rule named its phase, and may overrule the rules'
    // state where it reads another one clearly (`override_gap`): the rules' phase statements
    // past its state go, and if none of them names it, it speaks for the post, with the post's
    // first mention of a time.
    if only.is_none() {
        if let Some(learnt) = &pack.learnt {
            let phases: Vec<Phase> = out.iter().filter_map(Statement::phase).collect();
            let covered = rules_read(text, &out);
            if let Some(state) = learnt.reading(text, eval::state_of(&phases), covered) {
                match state {
                    Some(p) if phases.contains(&p) => out.retain(|s| {
                        s.phase()
                            .is_none_or(|q| eval::state_rank(q) <= eval::state_rank(p))
                    }),
                    _ => out.retain(|s| s.phase().is_none()),
                }
                if let Some(p) = state.filter(|p| !phases.contains(p)) {
                    let when = when_of(Yield::Phase(p));
                    let mentioned_at =
                        (0..times.len()).find_map(|i| resolve(&mut resolved, i, when));
                    out.push(Statement {
                        yields: Yield::Phase(p),
                        mentioned_at,
                        rule_id: format!("{}.learnt", pack.lang),
                        span: (0, text.len()),
                        matched: text.to_string(),
                    });
                }
            }
            // Only in a post of an incident: where neither the rules nor the model read a phase,
            // a percentage is a discount, a survey or a growth figure far more often than a share
            // of service ("73% of homes can now order Gigabit", `en_shares_dev`).
            let incident = out.iter().any(|s| s.phase().is_some());
            if let Some(margin) = learnt
                .share_margin()
                .filter(|_| incident && !shares.is_empty())
            {
                let model = learnt.share_model(|| share_rules_key(pack), |t| find_shares(pack, t));
                for s in read_shares(model, margin, text, &shares, &out) {
                    let HitValue::Yield(y) = s.value else {
                        continue;
                    };
                    out.push(Statement {
                        yields: y,
                        mentioned_at: nearest_time(&mut resolved, s.start, s.end, y),
                        rule_id: format!("{}.learnt.share", pack.lang),
                        span: (s.start, s.end),
                        matched: text[s.start..s.end].to_string(),
                    });
                }
            }
        }
    }
    out
}

/// What the share reader adds to the statements `out` of a post: for each kind (restored,
/// affected) the rules left unsaid, the best-scored share of `shares` it reads as that kind by
/// `margin`, unless a rule already yielded that share's value.
fn read_shares(
    model: &shares::ShareModel,
    margin: f64,
    text: &str,
    shares: &[Hit],
    out: &[Statement],
) -> Vec<Hit> {
    let said: Vec<(bool, f64)> = out
        .iter()
        .filter_map(|s| match s.yields {
            Yield::Restored(p) => Some((true, p.value())),
            Yield::Affected(p) => Some((false, p.value())),
            _ => None,
        })
        .collect();
    let mut best: [Option<(f64, &Hit, Percent)>; 2] = [None, None];
    for h in shares {
        let HitValue::Share(pct) = h.value else {
            continue;
        };
        if said.iter().any(|(_, v)| eval::same_pct(*v, pct.value())) {
            continue;
        }
        let features = shares::share_terms(text, (h.start, h.end), sentence(text, h.start));
        let Some((kind, score)) = model.kind(&features, margin) else {
            continue;
        };
        let restored = kind == shares::RESTORED;
        if said.iter().any(|(r, _)| *r == restored) {
            continue;
        }
        let slot = &mut best[usize::from(!restored)];
        if slot.is_none_or(|(s, _, _)| score > s) {
            *slot = Some((score, h, pct));
        }
    }
    best.into_iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let (_, h, pct) = b?;
            Some(Hit {
                value: HitValue::Yield(if i == 0 {
                    Yield::Restored(pct)
                } else {
                    Yield::Affected(pct)
                }),
                ..*h
            })
        })
        .collect()
}

/// The shares the pack's `share` rules find in `text`, each rule run alone: what the share
/// reader is trained on (the same shares a pass over the post finds, by the prefilter's contract).
fn find_shares(pack: &Pack, text: &str) -> Vec<learnt::FoundShare> {
    let mut out = Vec::new();
    for (i, rule) in pack.rules.iter().enumerate() {
        if rule.yields != RuleYield::Share {
            continue;
        }
        for h in hits(pack, Some(i), false, false, text).0 {
            if let HitValue::Share(p) = h.value {
                out.push(((h.start, h.end), sentence(text, h.start), p.value()));
            }
        }
    }
    out.sort_by_key(|s| s.0);
    out.dedup_by_key(|s| s.0);
    out
}

/// What identifies the pack's `share` rules, for the share reader's training cache.
fn share_rules_key(pack: &Pack) -> String {
    let mut key = String::new();
    for rule in pack.rules.iter().filter(|r| r.yields == RuleYield::Share) {
        key.push_str(&format!("{:?}\0", rule));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Told every post's language, the extractor compiles that language's rules and the shared
    /// ones only, and reads its posts as the whole extractor does; a language without rules is
    /// read with English's, as it always was.
    #[test]
    fn a_run_told_its_language_compiles_that_language_only_and_reads_the_same() {
        let all = Extractor::bundled().unwrap();
        assert_eq!(all.languages(), ["en", "fr"]);
        for (lang, pack, text) in [
            (
                "fr",
                "fr",
                "Retour à la normale à 90 % vers 12h30, incident clos.",
            ),
            (
                "en",
                "en",
                "We have restored 80% of the affected servers at 11:30 UTC.",
            ),
            ("de", "en", "We are investigating. 40 % of sites are down."),
        ] {
            let only = Extractor::bundled_for(Some(lang)).unwrap();
            assert_eq!(only.languages(), [pack]);
            assert!(only.rules().any(|r| r.lang == "any"));
            let ctx = ExtractContext {
                lang: Some(lang.into()),
                tz: chrono_tz::Europe::Paris,
                reference: "2026-11-28T12:00:00Z".parse().unwrap(),
            };
            let (read, whole) = (only.extract(text, &ctx), all.extract(text, &ctx));
            assert!(!whole.is_empty());
            assert_eq!(format!("{read:?}"), format!("{whole:?}"), "{text}");
        }
    }

    /// A post of endless matches (broken or hostile: "90 % 90 % …", one resolution repeated
    /// in thousands of sentences) is read in time linear in its length: its first
    /// [`MAX_MATCHES`] matches of each kind, each sentence and clause read at most [`REACH`]
    /// bytes from its match. Each of these posts took minutes to hours before.
    #[test]
    fn a_post_of_endless_matches_is_read_its_first_matches_only() {
        let x = Extractor::bundled().unwrap();
        let ctx = ExtractContext {
            lang: Some("en".into()),
            tz: chrono_tz::UTC,
            reference: "2026-11-28T12:00:00Z".parse().unwrap(),
        };
        let sentence = "This incident has been resolved at 11:30 UTC. ";
        let got = x.extract(&sentence.repeat(5_000), &ctx);
        let resolved: Vec<_> = got
            .iter()
            .filter(|s| s.phase() == Some(Phase::Resolved))
            .collect();
        assert!(resolved.len() > 100 && resolved.len() <= MAX_MATCHES);
        let at = "2026-11-28T11:30:00Z".parse().ok();
        assert!(resolved.iter().all(|s| s.mentioned_at == at));
        // The same sentence alone reads the same.
        let one = x.extract(sentence, &ctx);
        assert_eq!(
            (one[0].yields, one[0].mentioned_at),
            (resolved[0].yields, at)
        );
        // One sentence of twenty thousand shares, and a share in a sentence beyond the reach.
        assert!(x.extract(&"90 % ".repeat(20_000), &ctx).len() <= MAX_MATCHES);
        let far = format!(
            "{} 90% of the sites are back online.",
            "word ".repeat(2_000)
        );
        assert!(x
            .extract(&far, &ctx)
            .iter()
            .any(|s| s.restored().map(|p| p.value()) == Some(90.0)));
    }

    /// `RuleRegex::matches_from` searches anchored at each place a match may begin; it must find
    /// what an unanchored `find_iter` finds, for every bundled regex, on real posts and on text
    /// built to trip it (accents before a word, combining marks, the long s, emoji, nothing).
    #[test]
    fn anchored_searches_from_each_start_find_what_an_unanchored_search_finds() {
        let x = Extractor::bundled().unwrap();
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extraction");
        let sample = |file: &str, n: usize| -> Vec<String> {
            eval::read_labels(&dir.join(file))
                .unwrap()
                .into_iter()
                .take(n)
                .map(|l| l.text)
                .collect()
        };
        let tricky = [
            "",
            " ",
            "é50% of éservices are back; Ahalf of them; _90 percent restored",
            "Resolu\u{301} : le service est re\u{301}tabli a\u{300} 90\u{a0}% — ſervices 🎉 back",
            "90 %. 80% 70 % 12:30 11h30 à 12h30 vers 11h30 UTC, resolvedresolved resolved.",
            "ÉTAT : RÉTABLI À 100 %. Incident clos. We are investigating. ✅ All systems operational",
        ];
        for pack in &x.packs {
            let mut texts: Vec<String> = tricky.iter().map(|t| t.to_string()).collect();
            if pack.lang == "fr" {
                texts.extend(sample("fr_dev20.jsonl", 25));
                texts.extend(sample("fr_posts.jsonl", 25));
            } else {
                texts.extend(sample("statuspage_labels.jsonl", 25));
                texts.extend(sample("en_social_dev15.jsonl", 25));
            }
            for rule in &pack.rules {
                for re in &rule.regexes {
                    for text in &texts {
                        // From the start, and from the middle of the post.
                        let mid = (0..=text.len() / 2)
                            .rev()
                            .find(|&i| text.is_char_boundary(i))
                            .unwrap_or(0);
                        for from in [0, mid] {
                            assert_eq!(
                                re.matches_from(text, from, text.len()),
                                re.matches_unanchored(text, from, text.len()),
                                "{} on {text:?} from {from}",
                                rule.id
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_bundled_regex_is_anchored_by_a_literal() {
        // A regex without a literal that each of its matches contains is run on every post; the
        // bundled rules have none, and the first to lose its literal should be noticed.
        for h in Extractor::bundled().unwrap().prefilter_health() {
            assert!(h.uncovered.is_empty(), "{h}");
            assert!(h.literals > 50 && h.bytes < 4 << 20, "{h}");
            // Most are read only from where their start literals occur (docs/perf.md, session 8).
            assert!(h.anchored * 4 > h.patterns * 3, "{h}");
        }
    }

    #[test]
    fn numbers_and_shares_are_read_in_digits_and_in_words() {
        assert_eq!(parse_number("99,9"), Some(99.9));
        assert_eq!(parse_number(" Septante "), Some(70.0));
        assert_eq!(parse_number("quatre-vingt-dix"), Some(90.0));
        assert_eq!(parse_number("six"), Some(6.0));
        assert_eq!(parse_number("plusieurs"), None);
        assert_eq!(parse_number("quatre-vingt-quinze"), Some(95.0));
        assert_eq!(parse_number("quatre-vingts"), Some(80.0));
        assert_eq!(parse_number("soixante et onze"), Some(71.0));
        assert_eq!(parse_number("soixante\u{202f}et\u{a0}onze"), Some(71.0));
        assert_eq!(parse_number("soixante-dix-neuf"), Some(79.0));
        assert_eq!(parse_number("dix-sept"), Some(17.0));
        assert_eq!(parse_number("Ninety-five"), Some(95.0));
        assert_eq!(parse_number("one hundred"), Some(100.0));
        assert_eq!(parse_number("cent"), Some(100.0));
        assert_eq!(parse_number("1 200"), Some(1200.0));
        assert_eq!(parse_number("1\u{a0}600"), Some(1600.0));
        assert_eq!(parse_number("12\u{202f}500,5"), Some(12500.5));
        assert_eq!(parse_number("2 3"), None);
        assert_eq!(parse_number("12,000"), Some(12000.0));
        assert_eq!(parse_number("1,200,000.5"), Some(1_200_000.5));
        assert_eq!(parse_number("12,50"), Some(12.5));
        assert_eq!(parse_number("1 20"), None);
        assert_eq!(parse_number("quatre-vingt-dix-huit pour"), None);
        assert_eq!(share_word("la moitié"), Some(50.0));
        assert_eq!(share_word("Three quarters"), Some(75.0));
        assert_eq!(share_word("les deux tiers").map(|v| v.round()), Some(67.0));
        assert_eq!(share_word("la plupart"), None);
    }

    /// The clause bounds as a plain scan of the post read them before [`Clauses`] (session 14),
    /// with the same separators: the reference the index must agree with.
    fn clause_by_scan(text: &str, start: usize, end: usize) -> (usize, usize) {
        const BREAKS: &[u8] = b".!?;\n:|";
        let b = text.as_bytes();
        let dash_at = |i: usize| b.get(i..i + 3) == Some("—".as_bytes());
        let digit_after = |i: usize, limit: usize| i + 1 < limit && b[i + 1].is_ascii_digit();
        let mut s = 0;
        for i in (0..start).rev() {
            if (BREAKS.contains(&b[i]) && !(b[i] == b'.' && digit_after(i, start)))
                || (i + 3 <= start && dash_at(i))
            {
                s = if b[i] == b'\xE2' { i + 3 } else { i + 1 };
                break;
            }
        }
        // The last separator between the clause start and the match: the one that ends last.
        let mut best = s;
        for p in (s..start).rev() {
            if p + " toutefois ".len() <= best {
                break;
            }
            if b[p] != b' ' && b[p] != b',' {
                continue;
            }
            for sep in Clauses::SEPS {
                let e = p + sep.len();
                if e <= start && e > best && b[p..e].eq_ignore_ascii_case(sep.as_bytes()) {
                    best = e;
                }
            }
        }
        let s = best;
        let mut e = text.len();
        for i in end..b.len() {
            if (BREAKS.contains(&b[i]) && !(b[i] == b'.' && digit_after(i, b.len()))) || dash_at(i)
            {
                e = i;
                break;
            }
        }
        (s, e)
    }

    fn clause(text: &str, start: usize, end: usize) -> (usize, usize) {
        Clauses::new(text).around(start, end)
    }

    #[test]
    fn the_clause_index_agrees_with_a_scan_of_the_post() {
        // Every character boundary of every labelled post, as start and end of a match.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extraction");
        let mut texts = vec![
            "v2.5 is out. Errors at 99.9% — but fixed: no, so done".to_string(),
            "a.5".to_string(),
            "—".to_string(),
            String::new(),
        ];
        for f in ["en_social_dev13.jsonl", "fr_dev18.jsonl", "fr_posts.jsonl"] {
            texts.extend(
                eval::read_labels(&dir.join(f))
                    .unwrap()
                    .into_iter()
                    .map(|l| l.text),
            );
        }
        for text in &texts {
            let index = Clauses::new(text);
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for (k, &start) in bounds.iter().enumerate() {
                for &end in bounds[k..].iter().take(12) {
                    assert_eq!(
                        index.around(start, end),
                        clause_by_scan(text, start, end),
                        "{text:?} {start}..{end}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_clause_starts_after_but_and_after_a_comma_so() {
        let text = "Backups ran with no spikes, so this incident is closed.";
        let at = text.find("this").unwrap();
        assert_eq!(&text[clause(text, at, at + 4).0..at], "");
        let text = "No errors since 10:00 but the queue is slow.";
        let at = text.find("the queue").unwrap();
        assert_eq!(&text[clause(text, at, at + 9).0..at], "");
        // A "so" without its comma is no clause break: "not so bad".
        let text = "It was not so bad.";
        let at = text.find("bad").unwrap();
        assert_eq!(clause(text, at, at + 3).0, 0);
    }

    #[test]
    fn a_language_configured_with_its_region_reads_with_that_language_s_rules() {
        let x = Extractor::bundled().unwrap();
        assert_eq!(x.language_of("Incident clos.", Some("fr-FR")), "fr");
        assert_eq!(x.language_of("Incident clos.", Some(" FR_ca ")), "fr");
        // Codes that name no language leave the choice to detection.
        for code in ["und", "zxx", "qme", "qht", "mul"] {
            assert_eq!(x.language_of("Incident clos.", Some(code)), "fr", "{code}");
        }
        assert_eq!(x.language_of("Incident clos.", Some("de")), "de");
        let ctx = ExtractContext {
            lang: Some("fr-BE".into()),
            tz: chrono_tz::Europe::Brussels,
            reference: Utc::now(),
        };
        let (lang, got) = x.read("Le service est rétabli pour tous.", &ctx);
        assert_eq!(lang, "fr");
        assert!(got.iter().any(|s| s.rule_id.starts_with("fr.")), "{got:?}");
    }

    #[test]
    fn a_long_post_is_read_whole_but_its_language_from_its_start() {
        let x = Extractor::bundled().unwrap();
        let mut text = String::from("Nous constatons un incident sur nos serveurs mutualisés. ");
        text.push_str(&"Les équipes sont mobilisées pour rétablir le service. ".repeat(40));
        text.push_str("Incident clos.");
        assert_eq!(x.language_of(&text, None), "fr");
        let ctx = ExtractContext {
            lang: None,
            tz: chrono_tz::Europe::Paris,
            reference: Utc::now(),
        };
        let got = x.extract(&text, &ctx);
        assert!(got
            .iter()
            .any(|s| s.yields == Yield::Phase(crate::model::Phase::Resolved)));
    }

    #[test]
    fn a_fallback_rule_speaks_only_where_no_phrase_rule_did_and_never_takes_its_place() {
        let rules = r#"
lang = "en"

[[rule]]
id = "t.recovering.phrase"
yields = "recovering"
regex = ['\bservice is back\b']
examples = [{ text = "The service is back.", expect = "recovering" }]

[[rule]]
id = "t.investigating.word"
yields = "investigating"
weak = true
regex = ['\b(?:the service is back|down)\b']
examples = [{ text = "Site down.", expect = "investigating" }]
"#;
        let x = Extractor::from_files(vec![("t/en/t.toml".into(), rules.to_string())]).unwrap();
        let ctx = ExtractContext {
            lang: Some("en".into()),
            tz: chrono_tz::UTC,
            reference: Utc::now(),
        };
        let read = |text: &str| -> Vec<String> {
            x.extract(text, &ctx)
                .into_iter()
                .map(|s| s.rule_id)
                .collect()
        };
        // The fallback's longer match does not push the phrase rule's out before being dropped.
        assert_eq!(
            read("Good news: the service is back."),
            ["t.recovering.phrase"]
        );
        assert_eq!(read("Site down since 9:00."), ["t.investigating.word"]);
        assert!(read("Nothing to report.").is_empty());
    }
}
