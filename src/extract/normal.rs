//! The text the rules read: a post in Unicode's composed form (NFC), without the invisible
//! format characters that split words to the eye of a regex and to no reader's.
//!
//! The rules are written in composed letters (`é` is one character). Text written on some
//! systems, or copied out of a PDF, carries the decomposed form (`e` and a combining acute),
//! which no rule would match; a zero-width space or a soft hyphen inside « rétabli » hides it as
//! well. [`Normal::of`] rewrites only the clusters that need it (a letter and its combining marks,
//! or an invisible character), and maps every byte offset of the rewritten text back to the
//! post as given, so that spans and matched text still refer to what the caller holds.
//! Text that needs nothing (all ASCII, or already composed with nothing invisible) is borrowed.

use std::borrow::Cow;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Characters that draw nothing and join or split nothing a reader sees: the soft hyphen, the
/// zero-width space, non-joiner, joiner and word joiner, the byte-order mark used as a
/// zero-width no-break space, and the bidirectional marks, embeddings and isolates.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Whether `c` belongs to the cluster before it: a combining mark, or a Hangul vowel or final
/// consonant jamo (the characters NFC may compose with what precedes them).
fn continues(c: char) -> bool {
    is_combining_mark(c) || ('\u{1160}'..='\u{11ff}').contains(&c)
}

/// A post as the rules read it, with the way back to the post as given.
#[derive(Debug)]
pub struct Normal<'a> {
    text: Cow<'a, str>,
    /// Each rewritten cluster, in order: its range in `text` and in the post as given.
    changed: Vec<Change>,
}

#[derive(Debug, Clone, Copy)]
struct Change {
    start: usize,
    end: usize,
    orig_start: usize,
    orig_end: usize,
}

impl<'a> Normal<'a> {
    /// `text` in NFC without invisible characters; borrowed when it is so already.
    pub fn of(text: &'a str) -> Normal<'a> {
        let clean = text.is_ascii()
            || (!text.chars().any(invisible) && is_nfc_quick(text.chars()) == IsNormalized::Yes);
        if clean {
            return Normal {
                text: Cow::Borrowed(text),
                changed: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut changed = Vec::new();
        let mut pos = 0;
        while let Some(c) = text[pos..].chars().next() {
            let start = pos;
            let at = out.len();
            if invisible(c) {
                // A run of invisible characters that no combining mark follows inside a
                // cluster: dropped, as one empty cluster.
                let run = text[pos..]
                    .char_indices()
                    .find(|&(_, c)| !invisible(c))
                    .map_or(text.len(), |(i, _)| pos + i);
                changed.push(Change {
                    start: at,
                    end: at,
                    orig_start: start,
                    orig_end: run,
                });
                pos = run;
                continue;
            }
            // The cluster: `c`, then each combining mark, invisible characters before one
            // taken in (« re\u{200b}\u{301}tabli » composes to « ré »).
            let mut end = pos + c.len_utf8();
            loop {
                let after = text[end..].char_indices().find(|&(_, c)| !invisible(c));
                match after {
                    Some((i, next)) if continues(next) => end += i + next.len_utf8(),
                    _ => break,
                }
            }
            pos = end;
            let cluster = &text[start..end];
            if c.is_ascii() && cluster.len() == 1 {
                out.push(c);
                continue;
            }
            if cluster.chars().any(invisible) {
                let kept: String = cluster.chars().filter(|&c| !invisible(c)).collect();
                out.extend(kept.nfc());
            } else {
                out.extend(cluster.nfc());
            }
            if &out[at..] != cluster {
                changed.push(Change {
                    start: at,
                    end: out.len(),
                    orig_start: start,
                    orig_end: end,
                });
            }
        }
        Normal {
            text: Cow::Owned(out),
            changed,
        }
    }

    /// The text the rules read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the text was rewritten.
    pub fn is_rewritten(&self) -> bool {
        !self.changed.is_empty()
    }

    /// The post's own byte range for the range `start..end` of [`Normal::text`]: a bound inside
    /// a rewritten cluster widens to the whole cluster.
    /// An empty range stays empty (where a dropped character was, it is after it).
    pub fn original(&self, (start, end): (usize, usize)) -> (usize, usize) {
        let from = self.back(start, false);
        if start >= end {
            return (from, from);
        }
        (from, self.back(end, true))
    }

    /// The post's offset for offset `p` of the text: `p` shifted by what every rewritten
    /// cluster before it changed in length; inside one, its start (or its end, `at_end`).
    fn back(&self, p: usize, at_end: bool) -> usize {
        // The first rewritten cluster that ends after `p`. A dropped character at `p` counts
        // as before a start and after an end, so a span never takes one in at either edge.
        let next = if at_end {
            self.changed
                .partition_point(|c| c.end < p || (c.end == p && c.start < p))
        } else {
            self.changed.partition_point(|c| c.end <= p)
        };
        if let Some(c) = self.changed.get(next).filter(|c| c.start < p) {
            return if at_end { c.orig_end } else { c.orig_start };
        }
        match next.checked_sub(1).map(|i| self.changed[i]) {
            Some(c) => c.orig_end + (p - c.end),
            None => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn back<'a>(n: &Normal<'a>, original: &'a str, needle: &str) -> &'a str {
        let at = n.text().find(needle).expect("the needle is in the text");
        let (s, e) = n.original((at, at + needle.len()));
        &original[s..e]
    }

    #[test]
    fn composed_ascii_and_plain_text_is_borrowed_as_it_is() {
        for t in [
            "The incident is resolved.",
            "Le service est rétabli à 90\u{a0}%.",
        ] {
            let n = Normal::of(t);
            assert!(matches!(n.text, Cow::Borrowed(_)), "{t}");
            assert!(!n.is_rewritten());
            assert_eq!(n.original((3, 10)), (3, 10));
        }
    }

    #[test]
    fn decomposed_accents_are_composed_and_spans_map_back() {
        let t = "Le service est re\u{301}tabli a\u{300} 90 %, de\u{301}sole\u{301}s.";
        let n = Normal::of(t);
        assert_eq!(n.text(), "Le service est rétabli à 90 %, désolés.");
        assert_eq!(
            back(&n, t, "rétabli à 90 %"),
            "re\u{301}tabli a\u{300} 90 %"
        );
        assert_eq!(back(&n, t, "Le service"), "Le service");
        assert_eq!(back(&n, t, "désolés."), "de\u{301}sole\u{301}s.");
    }

    #[test]
    fn invisible_characters_are_dropped_and_spans_cover_them() {
        let t = "Incident\u{200b} clos. Ré\u{ad}tabli\u{200d} \u{202e}pour tous\u{202c}.";
        let n = Normal::of(t);
        assert_eq!(n.text(), "Incident clos. Rétabli pour tous.");
        assert_eq!(back(&n, t, "Incident clos"), "Incident\u{200b} clos");
        assert_eq!(back(&n, t, "Rétabli"), "Ré\u{ad}tabli");
        assert_eq!(back(&n, t, "pour tous"), "pour tous");
        assert_eq!(back(&n, t, "pour tous."), "pour tous\u{202c}.");
        assert_eq!(n.original((0, n.text().len())), (0, t.len()));
    }

    #[test]
    fn an_invisible_character_inside_a_letter_and_its_accent_does_not_keep_them_apart() {
        let t = "Service re\u{200b}\u{301}tabli, he\u{ad}\u{301}las.";
        let n = Normal::of(t);
        assert_eq!(n.text(), "Service rétabli, hélas.");
        assert_eq!(back(&n, t, "rétabli"), "re\u{200b}\u{301}tabli");
        assert_eq!(back(&n, t, "tabli"), "tabli");
    }

    #[test]
    fn an_empty_range_maps_to_an_empty_range_even_where_a_character_was_dropped() {
        for t in [
            "\u{200b}Incident",
            "a\u{200b}b",
            "\u{200b}",
            "\u{feff}\u{202e}x\u{301}",
        ] {
            let n = Normal::of(t);
            for p in (0..=n.text().len()).filter(|&p| n.text().is_char_boundary(p)) {
                let (s, e) = n.original((p, p));
                assert_eq!(s, e, "{t:?} at {p}");
                assert!(t.is_char_boundary(s), "{t:?} at {p}");
            }
        }
    }

    #[test]
    fn every_range_maps_to_a_range_of_the_post_on_its_character_boundaries() {
        // A long mixed text: letters, accents composed and not, invisible runs, Hangul jamo.
        let t = "\u{200b}\u{200b}Le re\u{301}seau \u{ad}\u{ad}est re\u{200b}\u{301}tabli. \
                 \u{1100}\u{1161}\u{11a8} x\u{301}\u{316}\u{200d}y \u{212b} fin\u{200e}";
        let n = Normal::of(t);
        let bounds: Vec<usize> = (0..=n.text().len())
            .filter(|&p| n.text().is_char_boundary(p))
            .collect();
        for (i, &a) in bounds.iter().enumerate() {
            for &b in &bounds[i..] {
                let (s, e) = n.original((a, b));
                assert!(
                    s <= e && t.is_char_boundary(s) && t.is_char_boundary(e),
                    "{a}..{b}"
                );
            }
        }
        assert_eq!(
            n.original((0, n.text().len())).1,
            t.len() - '\u{200e}'.len_utf8()
        );
    }

    #[test]
    fn a_bound_inside_a_rewritten_cluster_widens_to_the_whole_cluster() {
        // e + acute + tilde: NFC composes é and keeps the tilde apart (two characters).
        let t = "xe\u{301}\u{303}y";
        let n = Normal::of(t);
        assert_eq!(n.text(), "xé\u{303}y");
        let inside = 1 + 'é'.len_utf8();
        assert_eq!(n.original((1, inside)), (1, t.len() - 1));
        assert_eq!(n.original((inside, n.text().len())), (1, t.len()));
    }
}
