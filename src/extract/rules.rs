//! The rule language: TOML files under `patterns/`, one per language and concern
//! (`patterns/fr/phases.toml`). A file names its language and holds rules; a rule has an id, what
//! it yields, one or more regexes, optional guards, and examples that must and must not match.
//!
//! ```toml
//! lang = "fr"                       # or "any" for rules every language shares
//!
//! [define]                          # named fragments, written {{name}} in this file's regexes
//! number = '''\d{1,3}(?:[.,]\d{1,2})?'''
//!
//! [guards]                          # named guards, usable by every rule of this file
//! negation = '''\b(?:ne|n'|pas|plus|aucun)\b'''
//!
//! [[rule]]
//! id = "fr.identified.probleme_identifie"
//! yields = "identified"             # a phase, "restored", "affected" or "time"
//! priority = 10                     # wins over a lower one matching the same words
//! lowers = []                       # phases an earlier statement announced that this match takes back
//! spares = []                       # … except one a guard finds from its match to its sentence's end
//! regex = ['''probl[eè]me (?:a été |est )?identifi[ée]''']
//! unless = ["negation"]             # cancelled when a guard matches the clause before it
//! unless_after = []                 # … the rest of the clause after it
//! unless_inside = []                # … the matched text itself
//! unless_post = []                  # … anywhere in the post
//! examples = [{ text = "Le problème a été identifié vers 11h30", expect = "identified" }]
//! counter_examples = ["Le problème n'est pas encore identifié"]
//! ```
//!
//! Percentages capture `pct` (digits or a cardinal in words: "septante pour cent"), `part` and
//! `whole` ("7 serveurs sur 10"), or `frac` ("la moitié", "un quart", "two thirds"); times capture
//! `h`, `m` and optionally `tz`, `mon`, `day`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::prefilter::Form;
use regex::Regex;
use serde::Deserialize;

use crate::model::Phase;

/// Errors loading rules; each names the file, and the line and rule id where it can.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    #[error("cannot read rules from {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: syntax error: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}:{line}: rule {rule}: {message}")]
    Rule {
        path: PathBuf,
        line: usize,
        rule: String,
        message: String,
    },
    #[error("no rule files (*.toml) found under {0}")]
    Empty(PathBuf),
    #[error("compiling the rule set failed: {0}")]
    Set(String),
    #[error("learnt fallback: {0}")]
    Learnt(#[from] super::learnt::LearntError),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    lang: String,
    /// Common words of the language, for telling a post's language cheaply (`language.toml`).
    #[serde(default)]
    stopwords: Vec<String>,
    /// The language's learnt fallback (`language.toml`): where its labelled posts are, its knobs.
    #[serde(default)]
    learnt: Option<super::learnt::LearntSettings>,
    /// Named regex fragments, written `{{name}}` in this file's regexes, guards and other
    /// fragments: one place for what many rules share (how a number is written, say).
    #[serde(default)]
    define: BTreeMap<String, String>,
    #[serde(default)]
    guards: BTreeMap<String, String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    yields: String,
    #[serde(default)]
    priority: i32,
    /// A weak phase speaks only when nothing else in the post names a phase.
    #[serde(default)]
    weak: bool,
    /// Phases this rule's match takes back when an earlier statement of the post announced them:
    /// "All services are operating normally. We will post an update once the issue is fully
    /// resolved" is not a resolution.
    #[serde(default)]
    lowers: Vec<String>,
    /// Guards read in an earlier statement this rule would lower, from its match to the end of
    /// its sentence: a match spares it ("Incident clos. Nous restons attentifs" stays a resolution).
    #[serde(default)]
    spares: Vec<String>,
    regex: Vec<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    unless_after: Vec<String>,
    #[serde(default)]
    unless_inside: Vec<String>,
    #[serde(default)]
    unless_post: Vec<String>,
    #[serde(default)]
    examples: Vec<RawExample>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExample {
    pub text: String,
    /// A phase name, a percentage (number) or a time ("11:30").
    pub expect: toml::Value,
}

/// What a rule yields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleYield {
    Phase(Phase),
    Restored,
    Affected,
    /// A share mentioned, restored or affected as the learnt share reader reads the words
    /// around it (`[learnt] share_margin`); never a statement by itself.
    Share,
    Time,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub lang: String,
    pub yields: RuleYield,
    pub priority: i32,
    /// A weak phase (a retrospective "from 17:39 to 18:12 UTC … was down" reads as resolved)
    /// is dropped when any other rule finds a phase in the same post ("… we are monitoring").
    pub weak: bool,
    /// Phases announced earlier in the post that a match of this rule takes back.
    pub lowers: Vec<Phase>,
    /// The guards that spare an earlier statement from `lowers`, read from its match to the end of
    /// its sentence: an explicit closure ("incident clos") is not taken back by a later watch, a
    /// plain return is.
    pub spares: Option<Guard>,
    pub regexes: Vec<RuleRegex>,
    /// The rule's guards looked for in the clause before the match, as one regex: the
    /// alternation of every guard it names (one search per match, not one per guard).
    pub unless: Option<Guard>,
    /// The same for the guards looked for in the clause after the match.
    pub unless_after: Option<Guard>,
    /// The same for the guards looked for in the matched text itself: what a share is of, when
    /// the rule's gap takes it in ("60 % des appels au support sont traités").
    pub unless_inside: Option<Guard>,
    /// The same for the guards looked for anywhere in the post: what the whole post is (a
    /// write-up promised or published, a reply about the reader's own setup) that one clause
    /// does not show.
    pub unless_post: Option<Guard>,
    pub examples: Vec<RawExample>,
    pub counter_examples: Vec<String>,
    pub file: PathBuf,
    pub line: usize,
}

impl Rule {
    /// A fallback: a weak phase that takes nothing back. It is read only when the post's other
    /// rules leave no phase, so it never competes with them (nor costs its guards when they spoke).
    pub fn is_fallback(&self) -> bool {
        self.weak && self.lowers.is_empty() && matches!(self.yields, RuleYield::Phase(_))
    }
}

/// Reads a rules folder: every `*.toml` (rule files) and `*.jsonl` (labelled posts for a learnt
/// fallback) below it, sorted by path.
pub fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, String)>, RulesError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path
                .extension()
                .is_some_and(|e| e == "toml" || e == "jsonl")
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths).map_err(|source| RulesError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            std::fs::read_to_string(&p)
                .map(|text| (p.clone(), text))
                .map_err(|source| RulesError::Io { path: p, source })
        })
        .collect()
}

/// What a rule file names and never uses: its guards that no rule names, and its `define`
/// fragments written as `{{name}}` nowhere in the file. Each with its line, for
/// `patterns test` to point at (left-overs of rules reworded or removed, not errors).
pub fn unused_names(path: &Path, text: &str) -> Result<Vec<(String, usize)>, RulesError> {
    let file = parse_file(path, text)?;
    let named: std::collections::BTreeSet<&str> = file
        .rules
        .iter()
        .flat_map(|r| {
            [
                &r.unless,
                &r.unless_after,
                &r.unless_inside,
                &r.unless_post,
                &r.spares,
            ]
        })
        .flatten()
        .map(String::as_str)
        .collect();
    let line = |key: &str| {
        text.lines()
            .position(|l| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map_or(0, |i| i + 1)
    };
    let mut out: Vec<(String, usize)> = file
        .guards
        .keys()
        .filter(|g| !named.contains(g.as_str()))
        .map(|g| (format!("guard {g}"), line(g)))
        .collect();
    out.extend(
        file.define
            .keys()
            .filter(|d| !text.contains(&format!("{{{{{d}}}}}")))
            .map(|d| (format!("define {d}"), line(d))),
    );
    out.sort_by_key(|&(_, l)| l);
    Ok(out)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A rule file as written, or its syntax error with file and line.
fn parse_file(path: &Path, text: &str) -> Result<RuleFile, RulesError> {
    toml::from_str(text).map_err(|e| RulesError::Syntax {
        path: path.to_path_buf(),
        line: e.span().map_or(0, |s| line_of(text, s.start)),
        message: e.message().to_string(),
    })
}

/// What one rule file holds once compiled.
#[derive(Debug, Clone)]
pub struct CompiledFile {
    pub lang: String,
    pub stopwords: Vec<String>,
    pub learnt: Option<super::learnt::LearntSettings>,
    pub rules: Vec<Rule>,
    /// Per rule, per regex: what the prefilter reads of it, for building the prefilter of each
    /// pack that holds the rule (found here, in the thread that parsed the regex).
    pub(crate) prefilter_forms: Vec<Vec<Form>>,
}

/// Parses and compiles the rules of one file.
pub fn compile_file(path: &Path, text: &str) -> Result<CompiledFile, RulesError> {
    let file = parse_file(path, text)?;
    let rule_line = |id: &str| {
        text.find(&format!("\"{id}\""))
            .or_else(|| text.find(&format!("'{id}'")))
            .map_or(0, |o| line_of(text, o))
    };
    let named_line = |name: &str| text.find(name).map_or(0, |o| line_of(text, o));
    for name in file.define.keys() {
        expand(&format!("{{{{{name}}}}}"), &file.define).map_err(|e| RulesError::Rule {
            path: path.to_path_buf(),
            line: named_line(name),
            rule: format!("define {name}"),
            message: e,
        })?;
    }
    // Each guard is compiled once, alone, so that a broken one is reported by its own name and
    // line; every rule naming it shares it (below).
    let mut guards = BTreeMap::new();
    for (name, pattern) in &file.guards {
        let err = |message: String| RulesError::Rule {
            path: path.to_path_buf(),
            line: named_line(name),
            rule: format!("guard {name}"),
            message,
        };
        let pattern = expand(pattern, &file.define).map_err(err)?;
        let part = std::sync::Arc::new(GuardPart::new(&pattern).map_err(err)?);
        guards.insert(name.clone(), (pattern, part));
    }
    // Rules naming the same guards share one `Guard` of them.
    let mut combined: BTreeMap<Vec<String>, Guard> = BTreeMap::new();
    let mut rules = Vec::new();
    let mut prefilter_forms = Vec::new();
    for raw in file.rules {
        let line = rule_line(&raw.id);
        let err = |message: String| RulesError::Rule {
            path: path.to_path_buf(),
            line,
            rule: raw.id.clone(),
            message,
        };
        let yields = match raw.yields.as_str() {
            "restored" => RuleYield::Restored,
            "affected" => RuleYield::Affected,
            "time" => RuleYield::Time,
            "share" => RuleYield::Share,
            other => RuleYield::Phase(other.parse::<Phase>().map_err(|e| err(e.to_string()))?),
        };
        if raw.regex.is_empty() {
            return Err(err("a rule needs at least one regex".into()));
        }
        let regexes = raw
            .regex
            .iter()
            .map(|r| RuleRegex::new(&expand(r, &file.define)?))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        for (re, names, _) in &regexes {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let ok = match yields {
                RuleYield::Restored | RuleYield::Affected | RuleYield::Share => {
                    names.contains(&"pct")
                        || names.contains(&"frac")
                        || (names.contains(&"part") && names.contains(&"whole"))
                }
                RuleYield::Time => names.contains(&"h"),
                RuleYield::Phase(_) => true,
            };
            if !ok {
                return Err(err(format!(
                    "regex {:?} lacks the capture groups its yield needs (pct, frac, or part and whole; h for times)",
                    re.as_str()
                )));
            }
        }
        let mut resolve = |names: &[String]| -> Result<Option<Guard>, RulesError> {
            if names.is_empty() {
                return Ok(None);
            }
            if let Some(re) = combined.get(names) {
                return Ok(Some(re.clone()));
            }
            let mut alternation = Vec::new();
            let mut parts = Vec::new();
            for g in names {
                let Some((pattern, part)) = guards.get(g) else {
                    return Err(err(format!("unknown guard {g:?}")));
                };
                // A group scopes the guard's own inline flags (`(?m)`) to the guard.
                alternation.push(format!("(?:{pattern})"));
                parts.push(part.clone());
            }
            let re = Guard::of_parts(&alternation.join("|"), parts);
            combined.insert(names.to_vec(), re.clone());
            Ok(Some(re))
        };
        let unless = resolve(&raw.unless)?;
        let unless_after = resolve(&raw.unless_after)?;
        let unless_inside = resolve(&raw.unless_inside)?;
        let unless_post = resolve(&raw.unless_post)?;
        let spares = resolve(&raw.spares)?;
        if spares.is_some() && raw.lowers.is_empty() {
            return Err(err(
                "spares needs lowers: it names what a lowering spares".into()
            ));
        }
        if raw.examples.is_empty() {
            return Err(err("a rule needs at least one example".into()));
        }
        let lowers = raw
            .lowers
            .iter()
            .map(|p| p.parse::<Phase>().map_err(|e| err(format!("lowers: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let (regexes, forms): (Vec<RuleRegex>, Vec<Form>) =
            regexes.into_iter().map(|(re, _, f)| (re, f)).unzip();
        prefilter_forms.push(forms);
        rules.push(Rule {
            id: raw.id,
            lang: file.lang.clone(),
            yields,
            priority: raw.priority,
            weak: raw.weak,
            lowers,
            spares,
            regexes,
            unless,
            unless_after,
            unless_inside,
            unless_post,
            examples: raw.examples,
            counter_examples: raw.counter_examples,
            file: path.to_path_buf(),
            line,
        });
    }
    Ok(CompiledFile {
        lang: file.lang,
        stopwords: file.stopwords.iter().map(|w| w.to_lowercase()).collect(),
        learnt: file.learnt,
        rules,
        prefilter_forms,
    })
}

/// `pattern` with each `{{name}}` replaced by the file's fragment of that name, in a group (and
/// fragments' own references replaced in turn, at most eight deep: a fragment naming itself is an
/// error).
fn expand(pattern: &str, define: &BTreeMap<String, String>) -> Result<String, String> {
    fn go(p: &str, define: &BTreeMap<String, String>, depth: usize) -> Result<String, String> {
        let mut out = String::with_capacity(p.len());
        let mut rest = p;
        while let Some(i) = rest.find("{{") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(j) = after.find("}}") else {
                return Err(format!("unclosed {{{{ in {p:?}"));
            };
            let name = &after[..j];
            let Some(fragment) = define.get(name) else {
                return Err(format!("unknown fragment {{{{{name}}}}} (not in [define])"));
            };
            if depth >= 8 {
                return Err(format!(
                    "fragment {{{{{name}}}}} nests too deep (does it name itself?)"
                ));
            }
            out.push_str("(?:");
            out.push_str(&go(fragment, define, depth + 1)?);
            out.push(')');
            rest = &after[j + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
    go(pattern, define, 0)
}

/// A rule's regex, checked when its file is loaded and compiled when first used: compiling every
/// regex of every rule is most of the start-up time, and a short run needs few of them. Clones
/// share the compiled regex.
#[derive(Clone)]
pub struct RuleRegex {
    /// The pattern as compiled (`'` already widened to `['’]`).
    source: std::sync::Arc<str>,
    compiled: std::sync::Arc<std::sync::OnceLock<Regex>>,
    /// The same regex for searches anchored at a given offset (see [`RuleRegex::match_at`]).
    anchored: std::sync::Arc<std::sync::OnceLock<regex_automata::meta::Regex>>,
    /// Why a form of the pattern could not be built (a size limit), once one was tried: the
    /// regex then never matches, and `patterns test` fails on it.
    error: std::sync::Arc<std::sync::OnceLock<String>>,
    /// The bytes a match may begin with (`None` when the pattern matches the empty string):
    /// where [`RuleRegex::matches_from`] tries an anchored search.
    first: Option<Starts>,
}

/// A set of bytes, one bit each.
#[derive(Clone, Copy, Debug, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.0[usize::from(b >> 6)] |= 1 << (b & 63);
        }
    }

    fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    fn intersection(&self, other: &ByteSet) -> ByteSet {
        ByteSet(std::array::from_fn(|i| self.0[i] & other.0[i]))
    }

    fn difference(&self, other: &ByteSet) -> ByteSet {
        ByteSet(std::array::from_fn(|i| self.0[i] & !other.0[i]))
    }

    #[inline]
    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// Where a match may begin: at a byte of `free` anywhere, or at a byte of `bounded` when the
/// byte before it is not an ASCII word character (the pattern opens with a word boundary there:
/// `\bhalf`, `\b(?:about|roughly)`). The bytes a match may begin with are a superset: a class's
/// characters outside ASCII count by their UTF-8 lead bytes, and a boundary after a character
/// outside ASCII is left to the search.
#[derive(Clone, Copy, Debug, Default)]
struct Starts {
    free: ByteSet,
    bounded: ByteSet,
}

impl Starts {
    /// May a match begin at `at` in `bytes`?
    #[inline]
    fn at(&self, bytes: &[u8], at: usize) -> bool {
        let b = bytes[at];
        self.free.contains(b)
            || (self.bounded.contains(b)
                && (at == 0 || {
                    let p = bytes[at - 1];
                    !(p.is_ascii_alphanumeric() || p == b'_')
                }))
    }
}

/// The places a match of `hir` may begin, and whether it matches the empty string (then a
/// match may begin anywhere). Case-insensitive parsing has already turned letters into classes.
fn first_bytes(hir: &regex_syntax::hir::Hir) -> (Starts, bool) {
    use regex_syntax::hir::{Class, HirKind, Look};
    let mut st = Starts::default();
    let empty = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => match lit.0.first() {
            Some(&b) => {
                st.free.insert_range(b, b);
                false
            }
            None => true,
        },
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                st.free.insert_range(r.start(), r.end());
            }
            c.ranges().is_empty()
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.ranges() {
                let (lo, hi) = (u32::from(r.start()), u32::from(r.end()));
                if lo < 0x80 {
                    st.free.insert_range(lo as u8, hi.min(0x7F) as u8);
                }
                if hi >= 0x80 {
                    // Lead bytes of every length the range spans: a superset is enough.
                    let lead = |c: u32| match c {
                        0..=0x7F => c as u8,
                        0x80..=0x7FF => 0xC0 | (c >> 6) as u8,
                        0x800..=0xFFFF => 0xE0 | (c >> 12) as u8,
                        _ => 0xF0 | (c >> 18) as u8,
                    };
                    st.free.insert_range(lead(lo.max(0x80)), lead(hi));
                }
            }
            c.ranges().is_empty()
        }
        HirKind::Repetition(r) => {
            let (s, e) = first_bytes(&r.sub);
            st = s;
            e || r.min == 0
        }
        HirKind::Capture(c) => return first_bytes(&c.sub),
        HirKind::Concat(xs) => {
            let mut empty = true;
            // A word boundary read before anything else: a word byte after it begins a match
            // only after a byte that is not a word byte.
            let mut boundary = false;
            for x in xs {
                if let HirKind::Look(
                    Look::WordUnicode
                    | Look::WordStartUnicode
                    | Look::WordStartHalfUnicode
                    | Look::WordAscii
                    | Look::WordStartAscii
                    | Look::WordStartHalfAscii,
                ) = x.kind()
                {
                    boundary = true;
                    continue;
                }
                let (mut s, e) = first_bytes(x);
                if boundary {
                    let mut word = ByteSet::default();
                    for (lo, hi) in [(b'0', b'9'), (b'A', b'Z'), (b'a', b'z'), (b'_', b'_')] {
                        word.insert_range(lo, hi);
                    }
                    s.bounded.union(&s.free.intersection(&word));
                    s.free = s.free.difference(&word);
                }
                st.free.union(&s.free);
                st.bounded.union(&s.bounded);
                if !e {
                    empty = false;
                    break;
                }
            }
            empty
        }
        HirKind::Alternation(xs) => {
            let mut empty = false;
            for x in xs {
                let (s, e) = first_bytes(x);
                st.free.union(&s.free);
                st.bounded.union(&s.bounded);
                empty |= e;
            }
            empty
        }
    };
    (st, empty)
}

impl RuleRegex {
    /// Checks the pattern's syntax, and returns it with its capture group names and what the
    /// prefilter reads of it (made from this parse: parsing with case folding is much of the
    /// rules' load time).
    fn new(pattern: &str) -> Result<(RuleRegex, Vec<String>, Form), String> {
        let source = widen_quotes(pattern);
        let hir = super::prefilter::parse(&source)?;
        fn names(h: &regex_syntax::hir::Hir, out: &mut Vec<String>) {
            use regex_syntax::hir::HirKind;
            match h.kind() {
                HirKind::Capture(c) => {
                    out.extend(c.name.as_deref().map(str::to_string));
                    names(&c.sub, out);
                }
                HirKind::Repetition(r) => names(&r.sub, out),
                HirKind::Concat(xs) | HirKind::Alternation(xs) => {
                    xs.iter().for_each(|x| names(x, out))
                }
                _ => {}
            }
        }
        let mut found = Vec::new();
        names(&hir, &mut found);
        let (first, empty) = first_bytes(&hir);
        let re = RuleRegex {
            first: (!empty).then_some(first),
            source: source.into(),
            compiled: Default::default(),
            anchored: Default::default(),
            error: Default::default(),
        };
        Ok((re, found, Form::of(&hir)))
    }

    /// The pattern, without compiling it.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The match that starts at `at` in `text` and ends by `end`, if any (the one a search from
    /// `at` would find first); the text around `at..end` is read as context for word boundaries.
    /// An anchored search reads only as far as a match from `at` may go, and builds few states.
    pub(crate) fn match_at(&self, text: &str, at: usize, end: usize) -> Option<(usize, usize)> {
        let input = regex_automata::Input::new(text)
            .span(at..end)
            .anchored(regex_automata::Anchored::Yes);
        self.anchored().search(&input).map(|m| (m.start(), m.end()))
    }

    /// The successive non-overlapping matches in `text` that start at `from` or later and end by
    /// `end`, as `find_iter` over `text[..end]` from `from` gives them (`text` beyond is read as
    /// context for word boundaries, as [`RuleRegex::match_at`] does).
    ///
    /// The search is anchored at each byte a match may begin with, in order: the first place
    /// where an anchored search matches is where the leftmost match starts, and what it matches
    /// there is the leftmost-first match. An unanchored search would find the same match with a
    /// forward lazy DFA that tracks every start at once and a reverse one back to the start; on
    /// text they have never read, those two build most of the states a pass pays for (the rule
    /// regexes with long word gaps most: docs/perf.md, Session 16). Anchored runs build few.
    pub(crate) fn matches_from(&self, text: &str, from: usize, end: usize) -> Vec<(usize, usize)> {
        let Some(first) = &self.first else {
            // A pattern matching the empty string may match anywhere: searched unanchored.
            return self.matches_unanchored(text, from, end);
        };
        let mut out = Vec::new();
        let bytes = text.as_bytes();
        let mut at = from;
        while at < end {
            let Some(start) = (at..end).find(|&i| first.at(bytes, i)) else {
                break;
            };
            match self.match_at(text, start, end) {
                Some((s, e)) => {
                    out.push((s, e));
                    // Never empty (the pattern matches no empty string): go on from its end.
                    at = e;
                }
                None => at = start + 1,
            }
        }
        out
    }

    /// The same matches as [`RuleRegex::matches_from`], found by `find_at` over `text[..end]`
    /// (an unanchored search: a forward lazy DFA, then a reverse one back to the match start).
    pub(crate) fn matches_unanchored(
        &self,
        text: &str,
        from: usize,
        end: usize,
    ) -> Vec<(usize, usize)> {
        let hay = &text[..end];
        let mut out = Vec::new();
        let mut at = Some(from);
        while let Some(pos) = at {
            let Some(m) = self.find_at(hay, pos) else {
                break;
            };
            out.push((m.start(), m.end()));
            at = next_search(hay, m.start(), m.end());
        }
        out
    }

    /// Does the pattern match the empty string? [`RuleRegex::matches_from`] then searches it
    /// unanchored, with the form [`std::ops::Deref`] gives.
    pub(crate) fn matches_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The capture groups of the match `start..end` of this regex in `text` (one it found):
    /// read by an anchored search over that span alone.
    pub(crate) fn groups_at(
        &self,
        text: &str,
        start: usize,
        end: usize,
    ) -> regex_automata::util::captures::Captures {
        let re = self.anchored();
        let mut caps = re.create_captures();
        let input = regex_automata::Input::new(text)
            .span(start..end)
            .anchored(regex_automata::Anchored::Yes);
        re.search_captures(&input, &mut caps);
        caps
    }

    fn anchored(&self) -> &regex_automata::meta::Regex {
        self.anchored.get_or_init(|| {
            regex_automata::meta::Regex::builder()
                .syntax(regex_automata::util::syntax::Config::new().case_insensitive(true))
                .configure(
                    regex_automata::meta::Config::new()
                        .nfa_size_limit(Some(SIZE_LIMIT))
                        .hybrid_cache_capacity(DFA_SIZE_LIMIT),
                )
                .build(&self.source)
                .unwrap_or_else(|e| {
                    self.not_built(e.to_string());
                    regex_automata::meta::Regex::new(r"[^\s\S]").expect("an empty class")
                })
        })
    }

    /// A form of the pattern could not be built (the syntax was checked at load time: only a size
    /// limit can fail): logged, kept for [`RuleRegex::build_error`]; that form never matches.
    fn not_built(&self, error: String) {
        tracing::error!(pattern = %self.source, %error, "rule regex not compiled: it never matches");
        let _ = self.error.set(error);
    }

    /// Builds both forms of the pattern now, and tells why one could not be built (the syntax
    /// was checked at load time: only a size limit can fail).
    pub(crate) fn build_error(&self) -> Option<&str> {
        self.compile(true, true);
        self.error.get().map(String::as_str)
    }

    /// Compiles now its form for searches from an offset if `plain`, its anchored form if
    /// `anchored` (each is otherwise compiled when first used).
    pub(crate) fn compile(&self, plain: bool, anchored: bool) {
        if plain {
            let _: &Regex = self;
        }
        if anchored {
            self.match_at("", 0, 0);
        }
    }
}

/// The size limit of a rule regex's compiled program.
const SIZE_LIMIT: usize = 1 << 22;
/// Room for the lazy DFA of a rule with Unicode classes in bounded repetitions: with the default
/// 2 MiB its cache kept being cleared and states rebuilt.
const DFA_SIZE_LIMIT: usize = 1 << 24;

impl std::ops::Deref for RuleRegex {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            compile(&self.source).unwrap_or_else(|e| {
                self.not_built(e);
                Regex::new(r"[^\s\S]").expect("an empty class")
            })
        })
    }
}

impl std::fmt::Debug for RuleRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RuleRegex").field(&self.source).finish()
    }
}

/// A rule's guards: the named guards it lists, any of which cancels a match. Each is read on its
/// own, first by a wider byte pattern: most clauses hold no guard, and the wider pattern (the
/// guard without word boundaries, over ASCII-lowercased bytes, as the prefilter reads rules) says
/// so, after a literal scan, with a lazy DFA, where the guard's Unicode word boundaries make the
/// regex crate read text outside ASCII with a slower engine. Clones share all of it.
#[derive(Clone)]
pub struct Guard {
    /// The alternation of the named guards, as the rule reads (and prints) them.
    pattern: String,
    /// The named guards, each compiled once per file and shared by every rule naming it (so are
    /// the states their lazy DFAs build).
    parts: Vec<std::sync::Arc<GuardPart>>,
}

/// One named guard: its regex, and the wider pattern read before it.
#[derive(Debug)]
struct GuardPart {
    exact: Regex,
    /// `None` when the superset could not be built: the guard's own regex is then always read.
    wider: Option<regex_automata::meta::Regex>,
    /// The literals of the wider pattern's cover (every match holds one), found by one
    /// Aho-Corasick scan: text without any of them holds no match, and is not read by the lazy
    /// DFA, which would build states for text it has never read (docs/perf.md, Session 21).
    cover: Option<aho_corasick::AhoCorasick>,
}

impl GuardPart {
    fn new(pattern: &str) -> Result<GuardPart, String> {
        let exact = build(pattern)?;
        let superset = super::prefilter::superset(&widen_quotes(pattern)).ok();
        let wider = superset.as_ref().and_then(|hir| {
            regex_automata::meta::Builder::new()
                .configure(regex_automata::meta::Config::new().utf8_empty(false))
                .build_from_hir(hir)
                .ok()
        });
        let cover = superset
            .as_ref()
            .and_then(super::prefilter::cover)
            .and_then(|literals| aho_corasick::AhoCorasick::new(literals).ok());
        Ok(GuardPart {
            exact,
            wider,
            cover,
        })
    }

    /// Does the guard occur in `text`, whose ASCII-lowercased bytes are `lower` (`None` when the
    /// text holds a character outside ASCII folding onto an ASCII letter, which the wider
    /// pattern leaves out)?
    fn is_match(&self, text: &str, lower: Option<&[u8]>) -> bool {
        if let (Some(lower), Some(wider)) = (lower, &self.wider) {
            if self.cover.as_ref().is_some_and(|c| !c.is_match(lower)) || !wider.is_match(lower) {
                return false;
            }
        }
        self.exact.is_match(text)
    }
}

impl Guard {
    #[cfg(test)]
    fn new(pattern: &str) -> Result<Guard, String> {
        Ok(Guard::of_parts(
            pattern,
            vec![std::sync::Arc::new(GuardPart::new(pattern)?)],
        ))
    }

    /// The guard whose regex is `pattern`, the alternation of `parts`.
    fn of_parts(pattern: &str, parts: Vec<std::sync::Arc<GuardPart>>) -> Guard {
        Guard {
            pattern: widen_quotes(pattern),
            parts,
        }
    }

    /// Does the guard occur in `text`: does one of its named guards?
    pub fn is_match(&self, text: &str) -> bool {
        thread_local! {
            static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        if super::prefilter::folds_outside_ascii(text.as_bytes()) {
            return self.parts.iter().any(|p| p.is_match(text, None));
        }
        LOWER.with(|l| {
            let mut l = l.borrow_mut();
            l.clear();
            l.extend_from_slice(text.as_bytes());
            l.make_ascii_lowercase();
            self.parts
                .iter()
                .any(|p| p.is_match(text, Some(l.as_slice())))
        })
    }

    /// The guard's regex.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Guard").field(&self.pattern).finish()
    }
}

/// Where the search after a match of `start..end` resumes: at its end, or past the next
/// character after an empty match (`None` at the end of the text).
pub(crate) fn next_search(hay: &str, start: usize, end: usize) -> Option<usize> {
    if start < end {
        return Some(end);
    }
    hay[end..].chars().next().map(|c| end + c.len_utf8())
}

/// `'` in a rule also matches the typographic ’.
fn widen_quotes(pattern: &str) -> String {
    pattern.replace('\'', "['’]")
}

/// Rules are case-insensitive and Unicode-aware; `'` in a rule also matches the typographic ’.
fn build(pattern: &str) -> Result<Regex, String> {
    compile(&widen_quotes(pattern))
}

fn compile(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guard_reads_as_its_regex_whatever_the_wider_pattern_lets_through() {
        let g = Guard::new(r"\b(?:pas|plus)\s+encore\b|\bpanne\b").unwrap();
        assert!(g.parts[0].wider.is_some());
        assert!(g.parts[0].cover.is_some());
        // No literal of the cover: no match, without reading the wider pattern.
        assert!(!g.is_match("Le service est rétabli"));
        assert!(g.is_match("Le service n'est PAS encore rétabli"));
        assert!(g.is_match("Suite à la panne"));
        // The wider pattern has no word boundaries; the guard's own regex decides.
        assert!(!g.is_match("Le dépanneur est passé"));
        assert!(!g.is_match("Tout est rétabli."));
        // `'` also reads the typographic apostrophe.
        let q = Guard::new(r"\bn'est\b").unwrap();
        assert!(q.is_match("ce n’est rien"));
        // A guard naming several guards reads as their alternation, each read on its own first.
        let parts = [r"\bpas\s+encore\b", r"\bprévu\w*\b"];
        let both = Guard::of_parts(
            &parts.map(|p| format!("(?:{p})")).join("|"),
            parts
                .map(|p| std::sync::Arc::new(GuardPart::new(p).unwrap()))
                .to_vec(),
        );
        assert!(both.is_match("retour PRÉVU vers 14h"));
        assert!(both.is_match("pas encore"));
        assert!(!both.is_match("imprévu"));
        assert!(!both.is_match("tout est rétabli"));
        // A text holding a character folding onto ASCII is read by the guard's regex alone.
        assert!(Guard::new(r"\bpas\b").unwrap().is_match("paſ"));
    }
}
