//! The learnt share reader: whether a share that a `share` rule found in a post ("environ
//! 70 %", "3 of 4", "la moitié") is a share **restored**, a share **affected**, or neither, read
//! from the words around it in its sentence.
//!
//! The percentage rules name the verb or noun that makes a share restored or affected
//! ("70 % des sites répondent de nouveau"); on posts they were not written on they miss about
//! half of the shares, mostly because the words between the share and its verb vary without
//! end. The share rules only find shares, which are regular; this reader then weighs the words
//! on each side of the share (each word and word pair tagged with its side, the nearest word on
//! each side on its own, and the character 3- to 5-grams of every word around it) with one linear
//! SVM per kind, trained like the phase model (`learnt.rs`) on the shares of the labelled posts
//! of `learnt.jsonl`: a share whose value is the post's `restored` label is restored, the
//! `affected` label affected, any other share neither.
//!
//! It speaks only where the rules left a kind unsaid: a post whose rules yield a restored share
//! gets no restored share from it, and a share whose value a rule already yielded is not read
//! again. It yields at most one share of each kind per post (the best scored), and only when its
//! kind leads the next by `share_margin` (docs/extraction.md §1, "The learnt share reader").

use super::learnt::{
    char_terms, dot, fit, fnv, is_word, normalise, sublinear, vocabulary, GramScratch,
};
use super::learnt::{CHAR, FNV_START, WORD};
use serde::{Deserialize, Serialize};

/// What a share is: neither (index 0), restored or affected.
pub(crate) const NEITHER: usize = 0;
pub(crate) const RESTORED: usize = 1;
pub(crate) const AFFECTED: usize = 2;
const KINDS: usize = 3;

/// How many words on each side of a share are read (within its sentence).
const LEFT: usize = 8;
const RIGHT: usize = 10;

/// Side tags of the word features.
const BEFORE: u8 = b'<';
const AFTER: u8 = b'>';
const NEAREST_BEFORE: u8 = b'[';
const NEAREST_AFTER: u8 = b']';

/// A trained share reader.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShareModel {
    vocab: nohash_hasher::IntMap<u64, u32>,
    idf: Vec<f32>,
    block: Vec<u8>,
    /// `weights[f * KINDS + k]`; the last row is the bias.
    weights: Vec<f32>,
    /// Shares it was trained on, per kind.
    pub trained_on: [usize; KINDS],
}

/// The lowercased words (runs of `\w`, with inner apostrophes: "n'ont", "aren't") of `text`.
fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut run: Option<usize> = None;
    let mut chars = lower.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let apostrophe_inside = (c == '\'' || c == '’')
            && run.is_some()
            && chars.peek().is_some_and(|&(_, n)| is_word(n));
        match (is_word(c) || apostrophe_inside, run) {
            (true, None) => run = Some(i),
            (false, Some(from)) => {
                out.push(lower[from..i].to_string());
                run = None;
            }
            _ => {}
        }
    }
    if let Some(from) = run {
        out.push(lower[from..].to_string());
    }
    out
}

/// The features of the share at `start..end` of `text`, whose sentence is `sentence`: the words
/// before it (up to [`LEFT`]) and after it (up to [`RIGHT`]), each and each pair tagged with its
/// side, the nearest word on each side (or the sentence's edge), and the character grams of them
/// all.
pub(crate) fn share_terms(
    text: &str,
    (start, end): (usize, usize),
    sentence: (usize, usize),
) -> Vec<(u8, u64)> {
    let before = words(&text[sentence.0.min(start)..start]);
    let after = words(&text[end..sentence.1.max(end)]);
    let before = &before[before.len().saturating_sub(LEFT)..];
    let after = &after[..after.len().min(RIGHT)];
    let word_start = fnv(FNV_START, &[WORD]);
    let tagged = |tag: u8, w: &str| fnv(fnv(word_start, &[tag]), w.as_bytes());
    let mut out = Vec::new();
    for (tag, side) in [(BEFORE, before), (AFTER, after)] {
        for (i, w) in side.iter().enumerate() {
            let k = tagged(tag, w);
            out.push((WORD, k));
            if let Some(next) = side.get(i + 1) {
                out.push((WORD, fnv(fnv(k, b" "), next.as_bytes())));
            }
        }
    }
    out.push((
        WORD,
        tagged(NEAREST_BEFORE, before.last().map_or("^", String::as_str)),
    ));
    out.push((
        WORD,
        tagged(NEAREST_AFTER, after.first().map_or("$", String::as_str)),
    ));
    let mut scratch = GramScratch::default();
    for w in before.iter().chain(after) {
        char_terms(w, &mut scratch, &mut out);
    }
    debug_assert!(out.iter().all(|(b, _)| *b == WORD || *b == CHAR));
    out
}

impl ShareModel {
    /// Trains on shares given by their features and kind.
    pub(crate) fn train(shares: &[(Vec<(u8, u64)>, usize)], c: f64) -> ShareModel {
        let (vocab, idf, block) = vocabulary(shares.iter().map(|(occ, _)| occ.clone()));
        let mut model = ShareModel {
            vocab,
            idf,
            block,
            weights: Vec::new(),
            trained_on: [0; KINDS],
        };
        for (_, k) in shares {
            model.trained_on[*k] += 1;
        }
        let xs: Vec<Vec<(u32, f32)>> = shares.iter().map(|(occ, _)| model.vector(occ)).collect();
        let labels: Vec<usize> = shares.iter().map(|s| s.1).collect();
        model.weights = fit(&xs, &labels, KINDS, model.idf.len() + 1, c);
        model
    }

    /// The share's features as a sparse vector: sublinear term frequency times idf, each
    /// block of unit length, and the bias.
    fn vector(&self, occ: &[(u8, u64)]) -> Vec<(u32, f32)> {
        let mut x: Vec<(u32, f32)> = Vec::new();
        let mut counts: Vec<u16> = Vec::new();
        for (_, k) in occ {
            if let Some(&f) = self.vocab.get(k) {
                match x.iter().position(|e| e.0 == f) {
                    Some(i) => counts[i] = counts[i].saturating_add(1),
                    None => {
                        x.push((f, 0.0));
                        counts.push(1);
                    }
                }
            }
        }
        for (e, n) in x.iter_mut().zip(&counts) {
            e.1 = sublinear(*n) * self.idf[e.0 as usize];
        }
        normalise(&mut x, &self.block);
        x
    }

    /// Each kind's score for a share with features `occ`.
    pub(crate) fn scores(&self, occ: &[(u8, u64)]) -> [f64; KINDS] {
        dot(&self.weights, &self.vector(occ))
    }

    /// The share's kind, when it is restored or affected and leads the next kind by `margin`;
    /// with its score.
    pub(crate) fn kind(&self, occ: &[(u8, u64)], margin: f64) -> Option<(usize, f64)> {
        kind_of(&self.scores(occ), margin)
    }
}

/// The kind that the scores `s` name by `margin`, if restored or affected, with its score.
pub(crate) fn kind_of(s: &[f64; KINDS], margin: f64) -> Option<(usize, f64)> {
    let best = (0..KINDS).max_by(|&a, &b| s[a].total_cmp(&s[b]))?;
    let next = (0..KINDS)
        .filter(|&k| k != best)
        .map(|k| s[k])
        .fold(f64::NEG_INFINITY, f64::max);
    (best != NEITHER && s[best] - next > margin).then_some((best, s[best]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str, share: &str) -> Vec<(u8, u64)> {
        let start = text.find(share).unwrap();
        share_terms(text, (start, start + share.len()), (0, text.len()))
    }

    #[test]
    fn words_keep_their_inner_apostrophes() {
        assert_eq!(
            words("Les clients n'ont plus d’accès — 30 % aren't."),
            ["les", "clients", "n'ont", "plus", "d’accès", "30", "aren't"]
        );
    }

    #[test]
    fn a_share_is_read_from_the_words_on_each_side() {
        let mut shares = Vec::new();
        for (kind, verbs) in [
            (
                RESTORED,
                ["answer again", "are back online", "respond normally"],
            ),
            (AFFECTED, ["are down", "cannot connect", "are failing"]),
        ] {
            for (i, verb) in verbs.iter().enumerate() {
                for n in 0..4 {
                    let t = format!("About {} % of the sites {verb} now.", 20 + 10 * n + i);
                    shares.push((features(&t, &format!("{} %", 20 + 10 * n + i)), kind));
                }
            }
        }
        for n in 0..6 {
            let t = format!("Get {n}0 % off your first year of hosting.");
            shares.push((features(&t, &format!("{n}0 %")), NEITHER));
        }
        let model = ShareModel::train(&shares, 1.0);
        assert_eq!(model.trained_on, [6, 12, 12]);
        let read = |t: &str, s: &str| model.kind(&features(t, s), 0.0).map(|k| k.0);
        assert_eq!(
            read("Roughly 75 % of the sites answer again.", "75 %"),
            Some(RESTORED)
        );
        assert_eq!(
            read("Roughly 75 % of the sites are down.", "75 %"),
            Some(AFFECTED)
        );
        assert_eq!(read("Get 15 % off your first year.", "15 %"), None);
    }
}
