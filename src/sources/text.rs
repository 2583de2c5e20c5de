//! Turning what sources deliver (HTML fragments, entity-laden text) into the plain text the rules
//! read: markup removed, entities decoded, whitespace normalised, paragraphs kept as lines.

/// Reads a JSON document in any encoding a server may use (UTF-8/16 with or without BOM), for
/// the JSON source kinds; `format` names the kind in the error.
pub fn parse_json(
    bytes: &[u8],
    format: &'static str,
) -> Result<serde_json::Value, super::ParseError> {
    let text = decode_document(bytes);
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| super::ParseError::new(format, e.to_string()))
}

/// Decodes a document's bytes to text: a byte-order mark (UTF-8, UTF-16LE/BE) wins, then the
/// encoding named in an XML prolog (`<?xml … encoding="ISO-8859-1"?>`), then UTF-8 (invalid
/// sequences replaced). Legacy single-byte names go through `encoding_rs` (ISO-8859-1 is read as
/// windows-1252, as browsers do).
pub fn decode_document(bytes: &[u8]) -> String {
    declared(bytes).unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Plain text as a user hands it over (a file of posts, standard input), decoded: `encoding` is
/// `None` when the bytes are UTF-8, or said their encoding themselves (a byte-order mark,
/// UTF-16); otherwise the text is decoded in the legacy encoding `chardetng` (Firefox's
/// detector) guesses, which it names (a French file saved as windows-1252 reads « rétabli »,
/// not « r\u{fffd}tabli »).
pub fn decode_plain_text(bytes: &[u8]) -> (String, Option<&'static encoding_rs::Encoding>) {
    if let Some(text) = declared_by_bytes(bytes) {
        return (text, None);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), None);
    }
    // UTF-8 with a flaw (a file cut inside a character, a stray byte) stays UTF-8: its valid
    // multi-byte characters outnumber its invalid sequences, which a legacy encoding's accented
    // letters never do (« é » in windows-1252 is one byte, which cannot start a UTF-8
    // character).
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    if valid >= invalid {
        return (String::from_utf8_lossy(bytes).into_owned(), None);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Deny);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), Some(encoding))
}

/// Whether decoded text is binary data rather than writing: a NUL, or more than one character in
/// twenty a control character other than a tab, a line break, a form feed or the escape that
/// starts a terminal colour (git, too, calls text with a NUL binary).
pub fn looks_binary(text: &str) -> bool {
    let mut chars = 0usize;
    let mut control = 0usize;
    for c in text.chars() {
        chars += 1;
        if c == '\0' {
            return true;
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b') {
            control += 1;
        }
    }
    control * 20 > chars
}

/// The text of bytes that say their encoding: a byte-order mark, UTF-16 without one, or an XML
/// prolog naming a legacy encoding.
fn declared(bytes: &[u8]) -> Option<String> {
    if let Some(text) = declared_by_bytes(bytes) {
        return Some(text);
    }
    let label = xml_prolog_encoding(bytes)?;
    let enc = encoding_rs::Encoding::for_label(label.as_bytes())?;
    (enc != encoding_rs::UTF_8).then(|| enc.decode_without_bom_handling(bytes).0.into_owned())
}

/// The text of bytes whose first bytes give their encoding: a byte-order mark (UTF-8,
/// UTF-16LE/BE), or UTF-16 without one (every other byte of ASCII text is zero).
fn declared_by_bytes(bytes: &[u8]) -> Option<String> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Some(text.into_owned());
    }
    if bytes.len() >= 4 && bytes[0] == 0 && bytes[1] != 0 && bytes[2] == 0 {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return Some(text.into_owned());
    }
    if bytes.len() >= 4 && bytes[0] != 0 && bytes[1] == 0 && bytes[3] == 0 {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return Some(text.into_owned());
    }
    None
}

/// The `encoding` pseudo-attribute of an XML prolog, if any.
pub fn xml_prolog_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(200)];
    let head = std::str::from_utf8(head)
        .ok()
        .map(str::to_string)
        .unwrap_or_else(|| head.iter().map(|&b| b as char).collect());
    let head = head.trim_start();
    if !head.starts_with("<?xml") {
        return None;
    }
    let prolog = &head[..head.find("?>")?];
    let at = prolog.find("encoding")?;
    let rest = prolog[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].trim().to_string())
}

/// Whether a body looks like HTML rather than plain text: a tag (`<b>`, `</p>`, `<br/>`) or an
/// entity.
pub fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    let has_tag = b.windows(2).enumerate().any(|(i, w)| {
        w[0] == b'<'
            && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!')
            && s[i..].find('>').is_some_and(|end| end < 2000)
    });
    has_tag
        || ["&lt;", "&amp;", "&nbsp;", "&#", "&quot;", "&gt;"]
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
            // A non-breaking space only matters between words ("90\u{a0}%").
            if c == '\u{a0}' && out.len() == start {
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
        while out.len() > start && (out.ends_with(' ') || out.ends_with('\u{a0}')) {
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
    fn plain_text_in_a_legacy_encoding_is_decoded_in_the_one_guessed() {
        let latin1 = b"Le service est r\xe9tabli \xe0 90 %. L'incident est clos depuis 12h30, \
            merci de votre patience et toutes nos excuses pour la g\xeane occasionn\xe9e.";
        let (text, encoding) = decode_plain_text(latin1);
        assert_eq!(encoding, Some(encoding_rs::WINDOWS_1252));
        assert!(text.starts_with("Le service est rétabli à 90 %."), "{text}");
        assert!(text.contains("gêne occasionnée"), "{text}");
    }

    #[test]
    fn utf8_with_a_flaw_stays_utf8() {
        // Cut inside its last character, or with one stray byte: the rest still reads.
        let cut = "Le service est rétabli à 90 %, désolé".as_bytes();
        let (text, encoding) = decode_plain_text(&cut[..cut.len() - 1]);
        assert_eq!(encoding, None);
        assert!(
            text.starts_with("Le service est rétabli à 90 %, désol"),
            "{text}"
        );
        let (text, encoding) = decode_plain_text(b"R\xc3\xa9tabli \xff pour tous.");
        assert_eq!(
            (text.as_str(), encoding),
            ("Rétabli \u{fffd} pour tous.", None)
        );
    }

    #[test]
    fn plain_text_in_utf8_or_with_a_byte_order_mark_names_no_guess() {
        assert_eq!(
            decode_plain_text("Service rétabli.".as_bytes()),
            ("Service rétabli.".to_string(), None)
        );
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend("Service rétabli.".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            decode_plain_text(&utf16),
            ("Service rétabli.".to_string(), None)
        );
    }

    #[test]
    fn binary_data_is_told_from_text() {
        assert!(looks_binary("PK\u{3}\u{4}\u{14}\0\u{8}"));
        assert!(looks_binary(&"\u{1}\u{2}ab".repeat(10)));
        assert!(!looks_binary("Service rétabli.\r\n\tMerci.\u{c}\n"));
        assert!(!looks_binary("\u{1b}[33mWARN\u{1b}[0m resolved\n"));
        assert!(!looks_binary(""));
    }

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
    fn documents_are_decoded_from_bom_or_xml_prolog() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        assert_eq!(
            decode_document(latin1),
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>"
        );
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("{\"a\":\"é\"}".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        assert_eq!(decode_document(&utf16be), "{\"a\":\"é\"}");
        assert_eq!(decode_document("déjà".as_bytes()), "déjà");
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(normalize_whitespace("a\u{0}b\u{7}c"), "abc");
    }
}
