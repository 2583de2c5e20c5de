//! The prefilter: which rules of a pack may match a post, and where, found by one scan for
//! literals.
//!
//! Every regex of every rule is widened to a byte pattern read on the ASCII-lowercased post
//! ([`superset`]: no word boundaries; a class's few accented letters spelled out as their bytes,
//! a large class's characters outside ASCII read as "some bytes above ASCII"), and from that
//! pattern a **cover** is drawn: a few literal strings such that every match of the pattern
//! contains at least one of them (`investigat`, `rétabli`, `%`). One Aho-Corasick automaton over
//! the literals of every cover reads the post once; a regex is a candidate when one of its
//! literals occurs, and only the candidates' own regexes then run.
//!
//! Where every match of a pattern starts with one of a few literals (its **start literals**:
//! `nous constatons`, `incident`), the same scan records where they occur, and the candidate's
//! widened lazy DFA is run anchored at those places only, each run stopping where no match from
//! there can go on. Anchored runs build few states, so new text costs little; the places where
//! it matched are where the rule's own regex is then searched, anchored too. A pattern without
//! such start literals but whose every match ends with one of a few rare literals (its **end
//! literals**: a share's `%`, `percent`) is read backwards by a reverse lazy DFA from the end of
//! each of their occurrences. Other patterns are read from the start of the post to the end.
//!
//! Until session 7 the prefilter was a handful of lazy DFAs, each over up to 64 widened
//! patterns. Their states tracked every rule's partial matches across the word gaps at once, so
//! a DFA built new states for most new text: on posts it had never read, English ran at
//! 0.3 MB/s and French at 0.02 MB/s (tens of megabytes of states), against 6–14 MB/s on a corpus
//! read again. The literal automaton holds a few hundred kilobytes whatever the text, and reads
//! new text as fast as old (docs/perf.md, sessions 7 and 8).

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::{Anchored, Input};
use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look,
    Repetition,
};

use super::RulesError;

/// Characters outside ASCII that case-insensitive matching folds onto ASCII letters (simple case
/// folding): `ſ` (long s) and `K` (Kelvin sign). The covers leave them out; a post holding one
/// is read by every regex.
const FOLDS_OUTSIDE_ASCII: [(char, char); 2] = [('\u{17F}', 's'), ('\u{212A}', 'k')];

/// A class with at most this many characters outside ASCII is widened to those characters'
/// bytes; a larger one to any run of bytes above ASCII.
const SPELLED_OUT: usize = 8;

/// A pattern's start literals are used when they occur at most this often per byte of text (by
/// [`score`]): `nous ` or `incident` anchor it, a lone `s` does not.
const START_USEFUL: f64 = 0.05;

/// At most this many literals in one pattern's cover: a cover of thousands of spellings (a
/// cross product of alternations) is no cheaper to scan for than a shorter, commoner literal.
const MAX_COVER: usize = 250;

/// Largest literal automaton, as a contiguous NFA, that is also built as a DFA (one transition
/// table lookup per byte, no failure transitions followed while reading). A DFA takes ten to twenty
/// times its NFA's memory: the English pack's 3,000 literals make a 373 KB NFA and a 3.5 MB DFA
/// that reads a corpus pass with 8 % fewer instructions; the French pack's 10,700 make a 1.1 MB NFA
/// that would be a 21 MB DFA, and is not built as one (docs/perf.md, Session 13).
const MAX_NFA_FOR_DFA: usize = 512 << 10;

/// Which patterns of a pack may match a post.
#[derive(Debug, Clone)]
pub(crate) struct Prefilter {
    /// Every literal of every cover, on ASCII-lowercased text; overlapping matches.
    ac: AhoCorasick,
    /// For each literal, the (branch, cover of the branch) holding it.
    owners: PerLiteral<(u32, u8)>,
    /// For each branch (a pattern, or one alternative of a pattern's top-level alternation): its
    /// pattern, and the mask of its covers, all of which must occur for it to be a candidate.
    branches: Vec<(u32, u8)>,
    /// Patterns without a cover (no literal every match must contain): candidates on every post.
    always: Vec<usize>,
    /// For each literal, the patterns every match of which starts with one of their start
    /// literals, it among them.
    starters: PerLiteral<u32>,
    /// Per pattern: does every match start with one of its start literals?
    anchored: Vec<bool>,
    /// For each literal, the patterns (not anchored at their starts) every match of which ends
    /// with one of their end literals, it among them.
    enders: PerLiteral<u32>,
    /// Per pattern: is it read backwards from its end literals?
    end_anchored: Vec<bool>,
    /// Each end-anchored pattern's superset as a reverse lazy DFA, built on first use.
    rdfas: Vec<std::sync::OnceLock<DFA>>,
    patterns: usize,
    /// Each pattern's superset as a lazy DFA over lowercased bytes: run on a candidate, it tells
    /// whether the pattern may match at all, and where its last match may end. Built when the
    /// pattern is first a candidate, from `supersets`.
    dfas: Vec<std::sync::OnceLock<DFA>>,
    supersets: Vec<String>,
}

/// For each literal of the automaton, a list of what it stands for, kept flat: literal `i`'s
/// items are `items[starts[i]..starts[i + 1]]`.
#[derive(Debug, Clone)]
struct PerLiteral<T> {
    starts: Vec<u32>,
    items: Vec<T>,
}

impl<T> PerLiteral<T> {
    fn new(lists: Vec<Vec<T>>) -> PerLiteral<T> {
        let mut starts = vec![0u32];
        let mut items = Vec::new();
        for list in lists {
            items.extend(list);
            starts.push(items.len() as u32);
        }
        PerLiteral { starts, items }
    }

    fn of(&self, li: usize) -> &[T] {
        &self.items[self.starts[li] as usize..self.starts[li + 1] as usize]
    }

    fn bytes(&self) -> usize {
        4 * self.starts.len() + std::mem::size_of::<T>() * self.items.len()
    }
}

impl PerLiteral<u32> {
    /// Turns `occurrences`, (literal, offset) pairs in text order, into (pattern, offset) for
    /// each pattern the literal stands for that is a candidate in `bits`, sorted.
    fn candidates(&self, bits: &[u64], occurrences: &mut Vec<(u32, u32)>) {
        let n = occurrences.len();
        for i in 0..n {
            let (li, at) = occurrences[i];
            for &p in self.of(li as usize) {
                if bits[p as usize / 64] & (1 << (p % 64)) != 0 {
                    occurrences.push((p, at));
                }
            }
        }
        occurrences.drain(..n);
        occurrences.sort_unstable();
    }
}

/// Per post: which covers of which branches occurred, and the patterns found candidates.
#[derive(Debug, Default, Clone)]
pub(crate) struct Marks {
    /// One bit per pattern: a candidate.
    pub bits: Vec<u64>,
    /// For each branch, the covers seen so far (zero between posts).
    covers: Vec<u8>,
    /// The branches whose entry of `covers` this post set.
    touched: Vec<u32>,
    /// (pattern, offset) of every occurrence of an anchored pattern's start literal, sorted.
    starts: Vec<(u32, u32)>,
    /// (pattern, offset) of the end of every occurrence of an end-anchored pattern's end
    /// literal, sorted.
    ends: Vec<(u32, u32)>,
    /// The post holds a character outside ASCII that folds onto an ASCII letter: every pattern
    /// is a candidate, and none may rely on its start literals.
    every: bool,
}

/// What the prefilter holds (see [`super::Extractor::prefilter_health`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefilterHealth {
    pub lang: String,
    /// Regexes of the pack's rules.
    pub patterns: usize,
    /// Distinct literals the automaton looks for.
    pub literals: usize,
    /// Rule ids whose regex has no literal cover and is therefore run on every post.
    pub uncovered: Vec<String>,
    /// Memory of the literal automaton.
    pub bytes: usize,
    /// Regexes read only from where one of their start literals occurs.
    pub anchored: usize,
    /// Regexes read only backwards from where one of their end literals occurs.
    pub end_anchored: usize,
    /// Regexes with neither start nor end literals, read over the whole of every post their
    /// literals occur in: one entry per regex, the id of its rule (docs/perf.md, Session 15).
    pub read_whole: Vec<String>,
    /// Regexes whose widened lazy DFA is built so far (each is built when the regex is first a
    /// candidate, or all at once by `Extractor::compile_all`).
    pub built: usize,
}

impl std::fmt::Display for PrefilterHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "prefilter {}: {} regexes anchored by {} literals ({:.0} KB), {} read on every post, \
             {} read only from their start literals, {} only back from their end literals, \
             {} from the start of the post",
            self.lang,
            self.patterns,
            self.literals,
            self.bytes as f64 / 1e3,
            self.uncovered.len(),
            self.anchored,
            self.end_anchored,
            self.read_whole.len()
        )?;
        if !self.uncovered.is_empty() {
            write!(
                f,
                " ({}: no literal every match contains, see docs/perf.md)",
                self.uncovered.join(", ")
            )?;
        }
        Ok(())
    }
}

/// What the prefilter reads of one pattern, found once when the pattern is parsed (in the
/// thread compiling its file): its superset, as the text of a byte regex, and the literals the
/// superset starts or ends with, or that each of its alternatives contains.
#[derive(Debug, Clone)]
pub(crate) struct Form {
    superset: String,
    /// The literals every match starts with, when they are rare enough to anchor it on.
    starts: Option<Vec<Vec<u8>>>,
    /// Otherwise, the literals every match ends with, when rare enough.
    ends: Option<Vec<Vec<u8>>>,
    /// Per alternative of the pattern, the covers it needs (each a set of literals one of
    /// which every match of the alternative contains); `None`: the pattern is read on every post.
    alternatives: Option<Vec<Vec<Vec<Vec<u8>>>>>,
}

impl Form {
    /// The form of a pattern as [`parse`]d.
    pub(crate) fn of(hir: &Hir) -> Form {
        Form::of_superset(&ascii_superset(hir))
    }

    fn of_superset(hir: &Hir) -> Form {
        let starts = starts(hir).filter(|l| score(l) <= START_USEFUL);
        let ends = if starts.is_none() {
            ends(hir).filter(|l| score(l) <= START_USEFUL)
        } else {
            None
        };
        Form {
            superset: hir.to_string(),
            starts,
            ends,
            alternatives: alternatives(hir)
                .iter()
                .map(required)
                .collect::<Option<Vec<_>>>(),
        }
    }
}

impl Prefilter {
    /// The prefilter of `patterns` (the rules' regexes, as written).
    #[cfg(test)]
    pub(crate) fn new(patterns: &[&str]) -> Result<Prefilter, RulesError> {
        let forms = patterns
            .iter()
            .map(|p| superset(p).map(|h| Form::of_superset(&h)))
            .collect::<Result<Vec<_>, _>>()?;
        Prefilter::of_forms(&forms.iter().collect::<Vec<_>>())
    }

    /// The prefilter of the rules' regexes, given as their [`Form`]s.
    pub(crate) fn of_forms(forms: &[&Form]) -> Result<Prefilter, RulesError> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut by_literal: Vec<Vec<(u32, u8)>> = Vec::new();
        let mut branches: Vec<(u32, u8)> = Vec::new();
        let mut always = Vec::new();
        let mut supersets = Vec::new();
        let mut starting: Vec<Vec<u32>> = Vec::new();
        let mut ending: Vec<Vec<u32>> = Vec::new();
        let mut anchored = vec![false; forms.len()];
        let mut end_anchored = vec![false; forms.len()];
        // The index of a literal, added to the automaton's if new.
        let mut literal = |lit: &[u8],
                           by_literal: &mut Vec<Vec<(u32, u8)>>,
                           starting: &mut Vec<Vec<u32>>,
                           ending: &mut Vec<Vec<u32>>| {
            if let Some(&li) = index.get(lit) {
                return li;
            }
            literals.push(lit.to_vec());
            by_literal.push(Vec::new());
            starting.push(Vec::new());
            ending.push(Vec::new());
            index.insert(lit.to_vec(), literals.len() - 1);
            literals.len() - 1
        };
        for (pi, form) in forms.iter().enumerate() {
            supersets.push(form.superset.clone());
            if let Some(lits) = &form.starts {
                anchored[pi] = true;
                for lit in lits {
                    let li = literal(lit, &mut by_literal, &mut starting, &mut ending);
                    starting[li].push(pi as u32);
                }
            } else if let Some(lits) = &form.ends {
                end_anchored[pi] = true;
                for lit in lits {
                    let li = literal(lit, &mut by_literal, &mut starting, &mut ending);
                    ending[li].push(pi as u32);
                }
            }
            let Some(alternatives) = &form.alternatives else {
                always.push(pi);
                continue;
            };
            for covers in alternatives {
                let b = branches.len() as u32;
                branches.push((pi as u32, (1u8 << covers.len()) - 1));
                for (ci, lits) in covers.iter().enumerate() {
                    for lit in lits {
                        let li = literal(lit, &mut by_literal, &mut starting, &mut ending);
                        if by_literal[li].last() != Some(&(b, ci as u8)) {
                            by_literal[li].push((b, ci as u8));
                        }
                    }
                }
            }
        }
        let ac = literal_automaton(&literals)?;
        Ok(Prefilter {
            ac,
            owners: PerLiteral::new(by_literal),
            branches,
            always,
            starters: PerLiteral::new(starting),
            anchored,
            enders: PerLiteral::new(ending),
            end_anchored,
            patterns: forms.len(),
            dfas: supersets.iter().map(|_| Default::default()).collect(),
            rdfas: supersets.iter().map(|_| Default::default()).collect(),
            supersets,
        })
    }

    /// Builds every pattern's lazy DFA now.
    pub(crate) fn compile_all(&self) {
        for pi in 0..self.patterns {
            self.dfa(pi);
            if self.end_anchored[pi] {
                self.rdfa(pi);
            }
        }
    }

    /// Pattern `pi`'s lazy DFA, built on first use.
    fn dfa(&self, pi: usize) -> &DFA {
        self.dfas[pi].get_or_init(|| self.build(pi, false))
    }

    /// Pattern `pi`'s superset as a lazy DFA reading forwards, or backwards (`reverse`).
    fn build(&self, pi: usize, reverse: bool) -> DFA {
        DFA::builder()
            // The superset reads bytes, not UTF-8 (see `ascii_superset`).
            .syntax(regex_automata::util::syntax::Config::new().utf8(false))
            .configure(DFA::config().match_kind(regex_automata::MatchKind::All))
            .thompson(
                regex_automata::nfa::thompson::Config::new()
                    .utf8(false)
                    .reverse(reverse),
            )
            .build(&self.supersets[pi])
            .unwrap_or_else(|e| {
                // Built from a parsed pattern, so only a size limit can fail: the pattern is
                // then a candidate wherever its literals occur.
                tracing::error!(pattern = %self.supersets[pi], error = %e, "prefilter pattern not built");
                DFA::always_match().expect("a DFA that matches everywhere")
            })
    }

    /// Pattern `pi`'s superset as a reverse lazy DFA (for a pattern read from its end
    /// literals), built on first use.
    fn rdfa(&self, pi: usize) -> &DFA {
        self.rdfas[pi].get_or_init(|| self.build(pi, true))
    }

    /// A cache for each pattern's lazy DFAs (forward at `pi`, reverse at `patterns + pi`),
    /// created when first needed.
    pub(crate) fn caches(&self) -> Vec<Option<Cache>> {
        (0..2 * self.patterns).map(|_| None).collect()
    }

    /// Where the last match of pattern `pi`'s superset in `lower` ends, if it matches at all
    /// (the end of the text if its lazy DFA gave up, which it should not). A lazy DFA reports a
    /// match one byte late: entering a match state on the byte at `at` (or on the end of the
    /// text, `at` = its length) means a match ended at `at`.
    pub(crate) fn last_end(
        &self,
        pi: usize,
        caches: &mut [Option<Cache>],
        lower: &[u8],
    ) -> Option<usize> {
        let dfa = self.dfa(pi);
        let cache = caches[pi].get_or_insert_with(|| dfa.create_cache());
        // With `MatchKind::All`, a forward search goes on past every match until the DFA dies
        // or the text ends, and reports where the last match ended (the search loop of the
        // regex crate itself, unrolled over runs of states that are neither matches nor new).
        match dfa.try_search_fwd(cache, &Input::new(lower)) {
            Ok(m) => m.map(|m| m.offset()),
            // Gave up (its cache cleared too often): read as "may match anywhere".
            Err(_) => Some(lower.len()),
        }
    }

    /// Where matches of pattern `pi`'s superset may start and where the last one ends, if it
    /// matches at all: `(0, last_end)` for a pattern read from the start of the text; for one
    /// whose every match starts with a start literal, the superset is read anchored at each
    /// occurrence of those (`marks.starts`) and only as far as a match from there may reach,
    /// and the first such occurrence where it matches is given as the start. Each occurrence
    /// where it matches is pushed on `found` with the end of its longest match, in order; none
    /// is pushed when the pattern is read from the start.
    pub(crate) fn span(
        &self,
        pi: usize,
        caches: &mut [Option<Cache>],
        lower: &[u8],
        marks: &Marks,
        found: &mut Vec<(usize, usize)>,
    ) -> Option<(usize, usize)> {
        if !marks.every && self.end_anchored[pi] {
            return self.span_back(pi, caches, lower, marks);
        }
        if marks.every || !self.anchored[pi] {
            return self.last_end(pi, caches, lower).map(|e| (0, e));
        }
        let dfa = self.dfa(pi);
        let cache = caches[pi].get_or_insert_with(|| dfa.create_cache());
        let pushed = found.len();
        let mut span: Option<(usize, usize)> = None;
        for at in places(&marks.starts, pi) {
            let input = Input::new(lower)
                .range(at as usize..)
                .anchored(Anchored::Yes);
            let end = match dfa.try_search_fwd(cache, &input) {
                Ok(m) => m.map(|m| m.offset()),
                // Gave up: read from the start, as a pattern without start literals.
                Err(_) => {
                    found.truncate(pushed);
                    return Some((0, lower.len()));
                }
            };
            if let Some(end) = end {
                found.push((at as usize, end));
                span = Some(match span {
                    None => (at as usize, end),
                    Some((s, e)) => (s, e.max(end)),
                });
            }
        }
        span
    }

    /// Where matches of pattern `pi`, whose every match ends with one of its end literals, may
    /// start and where the last one ends: its superset is read backwards, anchored at the end
    /// of each occurrence of those literals (`marks.ends`), and only as far back as a match
    /// ending there may reach. A pattern whose matches start with any word (`\w+ restored`),
    /// or after a sentence's end, but end with a rare literal (`%`) is thus read around the
    /// literal rather than from the start of the post.
    fn span_back(
        &self,
        pi: usize,
        caches: &mut [Option<Cache>],
        lower: &[u8],
        marks: &Marks,
    ) -> Option<(usize, usize)> {
        let dfa = self.rdfa(pi);
        let cache = caches[self.patterns + pi].get_or_insert_with(|| dfa.create_cache());
        let mut span: Option<(usize, usize)> = None;
        for at in places(&marks.ends, pi) {
            let input = Input::new(lower)
                .range(..at as usize)
                .anchored(Anchored::Yes);
            match dfa.try_search_rev(cache, &input) {
                Ok(Some(m)) => {
                    let (s, e) = (m.offset(), at as usize);
                    span = Some(match span {
                        None => (s, e),
                        Some((s0, e0)) => (s0.min(s), e0.max(e)),
                    });
                }
                Ok(None) => {}
                // Gave up: read as a pattern without literals at either end.
                Err(_) => return self.last_end(pi, caches, lower).map(|e| (0, e)),
            }
        }
        span
    }

    /// Buffers for [`Prefilter::mark`].
    pub(crate) fn marks(&self) -> Marks {
        Marks {
            bits: vec![0; self.patterns.div_ceil(64)],
            covers: vec![0; self.branches.len()],
            touched: Vec::new(),
            starts: Vec::new(),
            ends: Vec::new(),
            every: false,
        }
    }

    /// Sets in `marks.bits` (cleared here) every pattern that may match the post whose
    /// ASCII-lowercased bytes are `lower`: those with a branch all of whose covers occur.
    pub(crate) fn mark(&self, lower: &[u8], marks: &mut Marks) {
        let Marks {
            bits,
            covers,
            touched,
            starts,
            ends,
            every,
        } = marks;
        bits.fill(0);
        starts.clear();
        ends.clear();
        let mut set = |pi: usize| bits[pi / 64] |= 1 << (pi % 64);
        // "ſ" and "K", which the covers leave out: every regex may match.
        if folds_outside_ascii(lower) {
            (0..self.patterns).for_each(set);
            *every = true;
            return;
        }
        *every = false;
        self.always.iter().copied().for_each(&mut set);
        // Reset again here, in case a previous post was interrupted by a panic.
        for b in touched.drain(..) {
            covers[b as usize] = 0;
        }
        for m in self.ac.find_overlapping_iter(lower) {
            let li = m.pattern().as_usize();
            // For now the literal; its patterns once the candidates are known.
            if !self.starters.of(li).is_empty() {
                starts.push((li as u32, m.start() as u32));
            }
            if !self.enders.of(li).is_empty() {
                ends.push((li as u32, m.end() as u32));
            }
            for &(branch, ci) in self.owners.of(li) {
                let c = &mut covers[branch as usize];
                if *c == 0 {
                    touched.push(branch);
                }
                *c |= 1 << ci;
            }
        }
        for b in touched.drain(..) {
            let (pi, full) = self.branches[b as usize];
            if covers[b as usize] == full {
                set(pi as usize);
            }
            covers[b as usize] = 0;
        }
        // Each start (end) literal's occurrence, for the candidates among the patterns it starts
        // (ends).
        self.starters.candidates(bits, starts);
        self.enders.candidates(bits, ends);
    }

    pub(crate) fn literals(&self) -> usize {
        self.ac.patterns_len()
    }

    pub(crate) fn memory(&self) -> usize {
        self.ac.memory_usage() + self.owners.bytes() + 8 * self.branches.len()
    }

    /// How many patterns' lazy DFAs are built (on first use, or by `compile_all`).
    pub(crate) fn built(&self) -> usize {
        self.dfas.iter().filter(|d| d.get().is_some()).count()
    }

    /// Patterns without a cover.
    pub(crate) fn uncovered(&self) -> &[usize] {
        &self.always
    }

    /// How many patterns are read only from their start literals.
    pub(crate) fn anchored(&self) -> usize {
        self.anchored.iter().filter(|&&a| a).count()
    }

    /// Patterns with a cover but neither start nor end literals: read from the start of the post.
    pub(crate) fn read_whole(&self) -> Vec<usize> {
        (0..self.patterns)
            .filter(|&pi| {
                !self.anchored[pi] && !self.end_anchored[pi] && !self.always.contains(&pi)
            })
            .collect()
    }

    /// How many patterns are read only backwards from their end literals.
    pub(crate) fn end_anchored(&self) -> usize {
        self.end_anchored.iter().filter(|&&a| a).count()
    }
}

/// The distinct offsets recorded for pattern `pi` in `occurrences` ((pattern, offset) pairs,
/// sorted), in order.
fn places(occurrences: &[(u32, u32)], pi: usize) -> impl Iterator<Item = u32> + '_ {
    let from = occurrences.partition_point(|&(p, _)| (p as usize) < pi);
    let mut previous = None;
    occurrences[from..]
        .iter()
        .take_while(move |&&(p, _)| p as usize == pi)
        .filter_map(move |&(_, at)| (previous.replace(at) != Some(at)).then_some(at))
}

/// Does the text hold `ſ` or `K` (UTF-8 C5 BF, E2 84 AA), which the supersets leave out?
pub(crate) fn folds_outside_ascii(text: &[u8]) -> bool {
    text.windows(2).any(|w| w == [0xC5, 0xBF]) || text.windows(3).any(|w| w == [0xE2, 0x84, 0xAA])
}

/// The alternatives of a pattern's top-level alternation (the pattern itself if it is none): a
/// pattern matches where one of them does.
fn alternatives(h: &Hir) -> Vec<Hir> {
    match h.kind() {
        HirKind::Alternation(xs) => xs.clone(),
        _ => vec![h.clone()],
    }
}

/// Up to three covers of `h`, each of which every match of `h` holds a literal of: the best
/// cover of each part of a concatenation (`(?:we|we're)\s+…investigating` needs a subject and
/// `investigat`), the best cover of `h` otherwise. `None` without any cover.
fn required(h: &Hir) -> Option<Vec<Vec<Vec<u8>>>> {
    /// A cover worth requiring besides a better one: at most this expected rate per byte.
    const USEFUL: f64 = 0.02;
    let HirKind::Concat(xs) = h.kind() else {
        return cover(h).map(|c| vec![c]);
    };
    let covers: Vec<Option<Vec<Vec<u8>>>> = xs.iter().map(cover).collect();
    let best = concat_cover(xs, &covers);
    let mut parts: Vec<(f64, Vec<Vec<u8>>)> = covers
        .into_iter()
        .flatten()
        .map(|c| (score(&c), c))
        .collect();
    parts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let best = best?;
    let best_score = score(&best);
    let mut out = vec![best];
    for (sc, c) in parts {
        if out.len() == 3 || sc > USEFUL.max(best_score) {
            break;
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Some(out)
}

/// The literals of a cover of `h`: every match of `h` contains one of them. `None` when no
/// cover is found (a pattern made of classes and gaps only).
pub(crate) fn cover(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(_) | HirKind::Class(_) => prefixes(h),
        HirKind::Capture(c) => cover(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => cover(&r.sub),
        HirKind::Repetition(_) => None,
        HirKind::Alternation(xs) => {
            let mut all: Vec<Vec<u8>> = Vec::new();
            for x in xs {
                all.extend(cover(x)?);
            }
            all.sort();
            all.dedup();
            (all.len() <= MAX_COVER).then_some(all)
        }
        HirKind::Concat(xs) => {
            let covers: Vec<_> = xs.iter().map(cover).collect();
            concat_cover(xs, &covers)
        }
    }
}

/// The best cover of the concatenation of `xs`, given each part's own (`covers`, from
/// [`cover`]): any match of the concatenation holds a match of each part, and of each suffix of
/// parts, which starts with one of its prefixes.
fn concat_cover(xs: &[Hir], covers: &[Option<Vec<Vec<u8>>>]) -> Option<Vec<Vec<u8>>> {
    let mut best: Option<(f64, Vec<Vec<u8>>)> = None;
    let mut consider = |c: Option<Vec<Vec<u8>>>| {
        if let Some(c) = c {
            let s = score(&c);
            if best.as_ref().is_none_or(|(b, _)| s < *b) {
                best = Some((s, c));
            }
        }
    };
    for (i, part) in covers.iter().enumerate() {
        consider(suffix_prefixes(&xs[i..]));
        consider(part.clone());
    }
    best.map(|(_, c)| c)
}

/// [`prefixes`] of the concatenation of `xs` (the parts of a concatenation from some part on),
/// without cloning every part: the extraction reads a concatenation's parts only until its
/// literals are all inexact (regex-syntax's `extract_concat`), so the parts are read a window at
/// a time, the window doubled while the literals it gives are still exact.
fn suffix_prefixes(xs: &[Hir]) -> Option<Vec<Vec<u8>>> {
    let mut window = 4;
    loop {
        let end = window.min(xs.len());
        let seq = edge_seq(&Hir::concat(xs[..end].to_vec()), ExtractKind::Prefix);
        if end == xs.len() || seq.is_inexact() {
            return prefixes_of(seq);
        }
        window *= 2;
    }
}

/// The literals every match of `h` starts with (each alternative of a top-level alternation
/// its own), a literal dropped where a shorter one of the set starts it: at the offset where one
/// of the set occurs, so does the shortest it begins with. `None` when some match may start
/// with anything else.
fn starts(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut all = Vec::new();
    for alt in alternatives(h) {
        all.extend(prefix_literals(&alt)?);
    }
    all.sort();
    all.dedup();
    // Sorted, a literal's shortest prefix in the set comes before it.
    let mut out: Vec<Vec<u8>> = Vec::new();
    for l in all {
        if !out.iter().any(|s| l.starts_with(s)) {
            out.push(l);
        }
    }
    (out.len() <= MAX_COVER).then_some(out)
}

/// The literals every match of `h` ends with, if they are a finite set (`None` when some match
/// may end with anything, or with nothing): the end literals of a pattern read backwards from
/// them. A literal that ends another one of the set stands for both.
fn ends(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut all = Vec::new();
    for alt in alternatives(h) {
        all.extend(edge_literals(&alt, ExtractKind::Suffix)?);
    }
    all.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    all.dedup();
    let mut out: Vec<Vec<u8>> = Vec::new();
    for l in all {
        if !out.iter().any(|s| l.ends_with(s)) {
            out.push(l);
        }
    }
    (out.len() <= MAX_COVER).then_some(out)
}

/// The finite set of literals every match of `h` starts with, as regex-syntax extracts them
/// (`None` when some match may start with anything else, or with nothing).
fn prefix_literals(h: &Hir) -> Option<Vec<Vec<u8>>> {
    edge_literals(h, ExtractKind::Prefix)
}

/// The automaton that finds every literal of the covers in a post: the contiguous NFA, or a DFA
/// when the NFA is at most [`MAX_NFA_FOR_DFA`].
fn literal_automaton(literals: &[Vec<u8>]) -> Result<AhoCorasick, RulesError> {
    let build = |kind| {
        AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(literals)
            .map_err(|e| RulesError::Set(e.to_string()))
    };
    let nfa = build(AhoCorasickKind::ContiguousNFA)?;
    if nfa.memory_usage() <= MAX_NFA_FOR_DFA {
        build(AhoCorasickKind::DFA)
    } else {
        Ok(nfa)
    }
}

/// The finite set of literals every match of `h` starts with (`Prefix`) or ends with
/// (`Suffix`), as regex-syntax extracts them (`None` when some match may start or end with
/// anything else, or with nothing).
fn edge_literals(h: &Hir, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    literals_of(&edge_seq(h, kind))
}

/// The literals regex-syntax extracts from the start (`Prefix`) or the end (`Suffix`) of `h`.
fn edge_seq(h: &Hir, kind: ExtractKind) -> Seq {
    Extractor::new()
        .kind(kind)
        .limit_class(12)
        .limit_repeat(4)
        .limit_literal_len(16)
        .limit_total(MAX_COVER)
        .extract(h)
}

/// The extracted literals as byte strings (`None` when the set is infinite, empty, or holds
/// the empty literal).
fn literals_of(seq: &Seq) -> Option<Vec<Vec<u8>>> {
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The finite set of literals every match of `h` starts with, if any, without the empty one.
fn prefixes(h: &Hir) -> Option<Vec<Vec<u8>>> {
    prefixes_of(edge_seq(h, ExtractKind::Prefix))
}

/// [`prefixes`] of an extracted start.
fn prefixes_of(seq: Seq) -> Option<Vec<Vec<u8>>> {
    let mut out = literals_of(&seq)?;
    out.sort();
    out.dedup();
    // A literal that contains another of the set is redundant: the shorter one occurs wherever
    // it does.
    let keep: Vec<bool> = out
        .iter()
        .map(|l| {
            !out.iter()
                .any(|s| s.len() < l.len() && l.windows(s.len()).any(|w| w == s.as_slice()))
        })
        .collect();
    let mut k = keep.into_iter();
    out.retain(|_| k.next().unwrap_or(true));
    Some(out)
}

/// How often a cover's literals are expected per byte of text: the sum over its literals of the
/// product of their bytes' frequencies. The smaller, the fewer posts let the pattern through.
fn score(cover: &[Vec<u8>]) -> f64 {
    cover
        .iter()
        .map(|lit| lit.iter().map(|&b| byte_frequency(b)).product::<f64>())
        .sum()
}

/// A rough frequency of a byte in ASCII-lowercased status posts. Letters are counted alike (and
/// high): short words and common endings ("in", "ing", "ent") are far commoner than the product
/// of their letters' frequencies would say, and a cover must not prefer them to a longer word.
fn byte_frequency(b: u8) -> f64 {
    match b {
        b'a'..=b'z' | b' ' => 0.2,
        b'0'..=b'9' => 0.03,
        b'%' => 0.003,
        0x80..=0xFF => 0.02,
        _ => 0.02,
    }
}

/// A rule's pattern parsed as the rules compile it (case-insensitively): the parse a rule
/// regex is checked with, and its [`Form`] and superset are made from (the error as its message).
pub(crate) fn parse(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// The pattern's superset as the prefilter reads it: parsed case-insensitively, without word
/// boundaries or captures, over ASCII-lowercased bytes (see [`ascii_superset`]).
pub(crate) fn superset(pattern: &str) -> Result<Hir, RulesError> {
    let hir = parse(pattern).map_err(RulesError::Set)?;
    Ok(ascii_superset(&hir))
}

/// The same pattern read byte by byte over ASCII-lowercased text: a class's few characters
/// outside ASCII are spelled out as their bytes (`r[ée]tabli` becomes
/// `r(?:e|\xC3\xA9|\xC3\x89)tabli`), a large class's (`\w`) read as any run of bytes above
/// ASCII, and word boundaries and captures are dropped. A superset of what the rule matches.
fn ascii_superset(h: &Hir) -> Hir {
    let high = || {
        Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
            0x80, 0xFF,
        )])))
    };
    // One or more non-ASCII bytes: any non-ASCII character, or several.
    let high_run = || {
        Hir::repetition(Repetition {
            min: 1,
            max: None,
            greedy: true,
            sub: Box::new(high()),
        })
    };
    match h.kind() {
        // Word boundaries are dropped: a superset needs none.
        HirKind::Look(
            Look::WordUnicode
            | Look::WordUnicodeNegate
            | Look::WordStartUnicode
            | Look::WordEndUnicode
            | Look::WordStartHalfUnicode
            | Look::WordEndHalfUnicode
            | Look::WordAscii
            | Look::WordAsciiNegate
            | Look::WordStartAscii
            | Look::WordEndAscii
            | Look::WordStartHalfAscii
            | Look::WordEndHalfAscii,
        ) => Hir::empty(),
        // A literal is matched as written (case-insensitive parsing left only characters without
        // another case as literals): its ASCII letters lowercased, its other bytes as they are.
        HirKind::Literal(lit) => Hir::literal(lit.0.to_ascii_lowercase()),
        HirKind::Class(Class::Unicode(c)) => {
            // The case folds of `s` and `k` outside ASCII (`ſ`, the Kelvin sign) would split every
            // literal holding those letters: they are left out, and a post that holds one of them
            // is read by every regex (see `Prefilter::mark`).
            let mut c = c.clone();
            c.difference(&ClassUnicode::new(
                FOLDS_OUTSIDE_ASCII.map(|(ch, _)| ClassUnicodeRange::new(ch, ch)),
            ));
            let mut ascii = ClassBytes::new(
                c.ranges()
                    .iter()
                    .filter(|r| r.start() <= '\x7f')
                    .map(|r| ClassBytesRange::new(r.start() as u8, r.end().min('\x7f') as u8)),
            );
            lowercase(&mut ascii);
            // The characters outside ASCII: spelled out when they are a few (`[ée]` is `e`, `é`
            // or `É`, whose bytes stay literals a cover or a start may use), "some bytes above
            // ASCII" when they are many (`\w`).
            let outside: Vec<char> = c
                .ranges()
                .iter()
                .filter(|r| r.end() > '\x7f')
                .flat_map(|r| r.start().max('\u{80}')..=r.end())
                .take(SPELLED_OUT + 1)
                .collect();
            let has_ascii = c.ranges().first().is_some_and(|r| r.start() <= '\x7f');
            let mut alts = Vec::new();
            if has_ascii {
                alts.push(Hir::class(Class::Bytes(ascii)));
            }
            if outside.len() > SPELLED_OUT {
                alts.push(high_run());
            } else {
                alts.extend(
                    outside
                        .iter()
                        .map(|ch| Hir::literal(ch.to_string().into_bytes())),
                );
            }
            Hir::alternation(alts)
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut c = c.clone();
            lowercase(&mut c);
            Hir::class(Class::Bytes(c))
        }
        // Built anew rather than cloned: a clone would copy the whole sub-tree only to drop it.
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(ascii_superset(&r.sub)),
        }),
        HirKind::Capture(c) => ascii_superset(&c.sub),
        HirKind::Concat(xs) => Hir::concat(xs.iter().map(ascii_superset).collect()),
        HirKind::Alternation(xs) => Hir::alternation(xs.iter().map(ascii_superset).collect()),
        _ => h.clone(),
    }
}

/// The class as it reads ASCII-lowercased text: its capitals become small letters.
fn lowercase(c: &mut ClassBytes) {
    let upper = ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]);
    let mut caps = c.clone();
    caps.intersect(&upper);
    c.difference(&upper);
    c.union(&ClassBytes::new(
        caps.iter()
            .map(|r| ClassBytesRange::new(r.start() + 32, r.end() + 32)),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cover_of(pattern: &str) -> Option<Vec<String>> {
        cover(&superset(pattern).unwrap()).map(|c| {
            c.into_iter()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .collect()
        })
    }

    #[test]
    fn a_suffix_of_parts_starts_with_what_the_whole_suffix_would_start_with() {
        // Read a window of parts at a time, the start literals of every suffix are those of the
        // suffix cloned whole: short suffixes, suffixes whose literals stay exact for more parts
        // than the first window holds, and suffixes that turn inexact early.
        for pattern in [
            r"\bwe\s+are\s+investigating",
            r"a(?:b)?c(?:d)?e(?:f)?g(?:h)?i(?:j)?k(?:l)?m",
            r"(?:service|access)\s+(?:has|have)\s+been\s+r[ée]tabli(?:e|s)?\s+(?:\w+\s+){0,3}?vers",
            r"\d+\s*%",
        ] {
            let hir = superset(pattern).unwrap();
            let HirKind::Concat(xs) = hir.kind() else {
                panic!("{pattern} is not a concatenation");
            };
            for i in 0..xs.len() {
                assert_eq!(
                    suffix_prefixes(&xs[i..]),
                    prefixes(&Hir::concat(xs[i..].to_vec())),
                    "{pattern}, parts from {i}"
                );
            }
        }
    }

    #[test]
    fn a_cover_is_the_rarest_literal_every_match_contains() {
        assert_eq!(
            cover_of(r"\b(?:we|we're)\s+(?:\w+\s+){0,3}investigating\b").unwrap(),
            ["investigating"]
        );
        // Each branch of an alternation brings its own literals.
        let c = cover_of(r"\bservice restored\b|\bback to normal\b").unwrap();
        assert_eq!(c.len(), 2, "{c:?}");
        // A class of a few accented letters is spelled out: one literal per spelling.
        assert_eq!(
            cover_of(r"\b(?:le|un)\s+r[ée]tablissement\b").unwrap(),
            ["retablissement", "rÉtablissement", "rétablissement"]
        );
        // Capitals in the rule read lowercased text.
        assert_eq!(cover_of(r"(?-i:ETA)\s+\d").unwrap(), ["eta"]);
    }

    #[test]
    fn a_pattern_of_classes_and_gaps_alone_has_no_cover() {
        assert_eq!(cover_of(r"\d+\s*\w*"), None);
    }

    #[test]
    fn the_prefilter_lets_through_the_patterns_whose_literals_occur() {
        let p = Prefilter::new(&[r"\binvestigating\b", r"\bresolved\b", r"\d+\s*%"]).unwrap();
        let marked = |text: &str| {
            let mut marks = p.marks();
            p.mark(text.to_ascii_lowercase().as_bytes(), &mut marks);
            (0..3)
                .filter(|i| marks.bits[0] & (1 << i) != 0)
                .collect::<Vec<_>>()
        };
        assert_eq!(marked("We are INVESTIGATING."), [0]);
        assert_eq!(marked("Resolved: 100 % back."), [1, 2]);
        assert_eq!(marked("unresolvedinvestigating"), [0, 1]);
        // Every part of a concatenation brings a literal the post must hold.
        let p = Prefilter::new(&[r"\b(?:we|they)\s+(?:\w+\s+){0,3}restored\s+(?:service|access)"])
            .unwrap();
        let mut marks = p.marks();
        let mut reads = |text: &str| {
            p.mark(text.as_bytes(), &mut marks);
            marks.bits[0] & 1 == 1
        };
        assert!(reads("we have now restored service"));
        assert!(!reads("we restored it"));
        assert!(!reads("restoring service"));
        assert!(marked("Nothing to see.").is_empty());
    }

    #[test]
    fn a_pattern_whose_matches_start_with_a_literal_is_read_from_those_only() {
        let starts_of = |p: &str| {
            starts(&superset(p).unwrap()).map(|s| {
                s.into_iter()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            starts_of(r"\bnous (?:constatons|observons)\s+\w+").unwrap(),
            ["nous constatons", "nous observons"]
        );
        // Each alternative brings its own; a literal another one of the set starts is dropped.
        assert_eq!(
            starts_of(r"\bpanne\b|\bpannes?\s+g[ée]n[ée]rale").unwrap(),
            ["panne"]
        );
        // A match may start with any word: read from the start of the text.
        assert_eq!(starts_of(r"(?:\w+\s+){0,2}?en cours\b"), None);
        // The start of the text holds no character: the literal after it starts the match.
        assert_eq!(
            starts_of(r"(?:^|[.!]\s*)panne\b").unwrap(),
            ["!", ".", "panne"]
        );

        let pf = Prefilter::new(&[r"\bpanne\s+\w+"]).unwrap();
        let (mut marks, mut caches) = (pf.marks(), pf.caches());
        let text = "Une panne réseau, puis une panne disque.";
        let lower = text.to_ascii_lowercase();
        pf.mark(lower.as_bytes(), &mut marks);
        assert_eq!(marks.bits[0], 1);
        let mut found = Vec::new();
        assert_eq!(
            pf.span(0, &mut caches, lower.as_bytes(), &marks, &mut found),
            Some((text.find("panne").unwrap(), text.find('.').unwrap()))
        );
        // Both places where a match may start, each with where the longest from there ends.
        let second = text.rfind("panne").unwrap();
        assert_eq!(
            found,
            [
                (text.find("panne").unwrap(), text.find(',').unwrap()),
                (second, text.find('.').unwrap())
            ]
        );
        pf.mark(b"pas de souci", &mut marks);
        assert_eq!(marks.bits[0], 0);
    }

    #[test]
    fn a_pattern_whose_matches_end_with_a_literal_is_read_back_from_those_only() {
        let ends_of = |p: &str| {
            ends(&superset(p).unwrap()).map(|s| {
                s.into_iter()
                    .map(|l| String::from_utf8_lossy(&l).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        // A share: any number, then the sign or the word.
        assert_eq!(
            ends_of(r"\b\d{1,3}\s*(?:%|percent|per cent)").unwrap(),
            ["%", "percent", "per cent"]
        );
        // A literal that ends another one of the set stands for both.
        assert_eq!(
            ends_of(r"\w+ (?:restored|fully restored)").unwrap(),
            [" restored"]
        );
        // A match may end with any word: no end literals.
        assert_eq!(ends_of(r"restored\s+\w+"), None);

        // Starts with any word, ends with a rare literal: read backwards from where it ends.
        let pf = Prefilter::new(&[r"\b(?:\w+\s+){0,2}?(?:up|back) by \d+\s*%"]).unwrap();
        assert!(!pf.anchored[0] && pf.end_anchored[0]);
        let (mut marks, mut caches) = (pf.marks(), pf.caches());
        let text = "Traffic is back by 40 %, then 50 %. Errors up by 3 %!";
        let lower = text.to_ascii_lowercase();
        pf.mark(lower.as_bytes(), &mut marks);
        assert_eq!(marks.bits[0], 1);
        let mut found = Vec::new();
        // From the earliest start of a match to the end of the last one; "50 %" ends none.
        let (start, end) = pf
            .span(0, &mut caches, lower.as_bytes(), &marks, &mut found)
            .unwrap();
        assert_eq!(end, text.rfind('%').unwrap() + 1);
        assert!(start <= text.find("back").unwrap());
        // The same as reading the whole post forwards.
        assert_eq!(pf.last_end(0, &mut caches, lower.as_bytes()), Some(end));
        pf.mark(b"back by forty percent", &mut marks);
        assert_eq!(marks.bits[0], 0);
    }

    #[test]
    fn the_prefilter_is_a_wider_byte_pattern_read_on_lowercased_text() {
        let p = superset(r"\b(?P<w>rétabli)e?s?\b").unwrap().to_string();
        assert!(!p.contains(r"\b") && !p.contains("?P<"));
        let re = regex::bytes::Regex::new(&p).unwrap();
        let reads = |t: &str| re.is_match(t.to_ascii_lowercase().as_bytes());
        assert!(reads("Service RÉTABLI."));
        // Wider than the rule (no word boundary), never narrower: the rule's own regex decides.
        assert!(reads("nonrétablis"));
        assert!(!reads("rÖtabli"));
        assert!(!reads("rtabli"));
        // A large class reads any run of bytes above ASCII.
        let w = superset(r"\b\w+ment\b").unwrap().to_string();
        let w = regex::bytes::Regex::new(&w).unwrap();
        assert!(w.is_match("déploiement".as_bytes()) && w.is_match("ŝŝŝment".as_bytes()));
        // A capital folds as the rule's case-insensitive regex folds it: the set's copy holds
        // small letters only, and reads a lowercased copy of the post.
        let caps = superset(r"(?-i:ETA)\s+\d").unwrap().to_string();
        assert!(caps.contains("eta"), "{caps}");
    }
}
