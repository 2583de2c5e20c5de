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
        let mut chars = text.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            let mut end = start + c.len_utf8();
            while let Some(&(i, next)) = chars.peek() {
                if !continues(next) || invisible(next) {
                    break;
                }
                end = i + next.len_utf8();
                chars.next();
            }
            let cluster = &text[start..end];
            let at = out.len();
            if invisible(c) {
                // Dropped; what follows it is its own cluster.
                out.push_str(&cluster[c.len_utf8()..]);
            } else if c.is_ascii() && end - start == 1 {
                out.push(c);
                continue;
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
    pub fn original(&self, (start, end): (usize, usize)) -> (usize, usize) {
        (self.back(start, false), self.back(end, true))
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
