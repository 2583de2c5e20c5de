//! Turning what sources deliver (HTML fragments, entity-laden text) into the plain text the rules
//! read: markup removed, entities decoded, whitespace normalised, paragraphs kept as lines.

/// Whether a body looks like HTML rather than plain text.
pub fn looks_like_html(s: &str) -> bool {
    let t = s.trim_start();
    (t.starts_with('<') && t.contains('>'))
        || [
            "<p", "<br", "<div", "<a ", "<strong", "<small", "<li", "<span", "&lt;", "&amp;",
            "&nbsp;", "&#",
        ]
        .iter()
        .any(|m| s.contains(m))
}

/// HTML (or plain text) to normalised plain text.
pub fn to_plain_text(s: &str) -> String {
    if !looks_like_html(s) {
        return normalize_whitespace(s);
    }
    let rendered = html2text::config::plain_no_decorate()
        .link_footnotes(false)
        .allow_width_overflow()
        .string_from_read(s.as_bytes(), 100_000)
        .unwrap_or_else(|_| s.to_string());
    normalize_whitespace(&rendered)
}

/// Collapses runs of blanks inside lines (keeping non-breaking spaces, which the French
/// typography puts before `%` and which rules read), trims lines and drops empty ones.
pub fn normalize_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let mut last_blank = true;
        let start = out.len();
        for c in line.chars() {
            if c == '\u{0}' || (c.is_control() && c != '\t') {
                continue;
            }
            if c == ' ' || c == '\t' {
                if !last_blank {
                    out.push(' ');
                }
                last_blank = true;
            } else {
                out.push(c);
                last_blank = false;
            }
        }
        while out.ends_with(' ') {
            out.pop();
        }
        if out.len() > start {
            out.push('\n');
        }
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_lines_with_entities_decoded() {
        let html = "<p><strong>Identified</strong> - Le probl&egrave;me est identifi&eacute;.</p><p>Retour &agrave; la normale &agrave; 90&nbsp;%</p>";
        let t = to_plain_text(html);
        assert!(t.contains("Identified - Le problème est identifié."), "{t}");
        assert!(t.contains("Retour à la normale à 90"), "{t}");
        assert!(!t.contains('<'));
    }

    #[test]
    fn plain_text_is_only_normalised() {
        assert_eq!(
            to_plain_text("  Service  dégradé \r\n\r\n\t à 90\u{a0}%  "),
            "Service dégradé\nà 90\u{a0}%"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(normalize_whitespace("a\u{0}b\u{7}c"), "abc");
    }
}
