//! Dates as status pages write them for humans: a month and a day without a year, a 12- or
//! 24-hour clock, and the page's zone as an abbreviation ("PST", "CET") that may be wrong for the
//! season. Everything here ends in UTC; local zones stay at this edge.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;

/// What a zone abbreviation tells: a fixed offset, or a zone with daylight saving whose offset
/// depends on the date ("PST"/"PDT" both name America/Los_Angeles).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ZoneHint {
    Fixed(FixedOffset),
    Iana(Tz),
}

/// The zone an abbreviation names, for the abbreviations status pages use. Ambiguous ones ("IST",
/// "CST" outside North America) are read in their most common status-page sense.
pub fn zone_hint(abbr: &str) -> Option<ZoneHint> {
    let a = abbr.trim().to_ascii_uppercase();
    let fixed = |secs: i32| FixedOffset::east_opt(secs).map(ZoneHint::Fixed);
    if let Some(off) = parse_numeric_offset(&a) {
        return Some(ZoneHint::Fixed(off));
    }
    let iana = match a.as_str() {
        "UTC" | "GMT" | "Z" | "UT" => return fixed(0),
        "PST" | "PDT" | "PT" => chrono_tz::America::Los_Angeles,
        "MST" | "MDT" | "MT" => chrono_tz::America::Denver,
        "CST" | "CDT" | "CT" => chrono_tz::America::Chicago,
        "EST" | "EDT" | "ET" => chrono_tz::America::New_York,
        "AKST" | "AKDT" => chrono_tz::America::Anchorage,
        "HST" => chrono_tz::Pacific::Honolulu,
        "BST" | "WET" | "WEST" => chrono_tz::Europe::London,
        "CET" | "CEST" | "MEZ" | "MESZ" => chrono_tz::Europe::Paris,
        "EET" | "EEST" => chrono_tz::Europe::Helsinki,
        "MSK" => chrono_tz::Europe::Moscow,
        "IST" => chrono_tz::Asia::Kolkata,
        "SGT" => chrono_tz::Asia::Singapore,
        "JST" => chrono_tz::Asia::Tokyo,
        "KST" => chrono_tz::Asia::Seoul,
        "AEST" | "AEDT" => chrono_tz::Australia::Sydney,
        "NZST" | "NZDT" => chrono_tz::Pacific::Auckland,
        _ => return None,
    };
    Some(ZoneHint::Iana(iana))
}

/// "+01:00", "-0800", "+09".
pub fn parse_numeric_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// A date in RFC 3339 or RFC 2822 keeping its numeric offset (feed-rs only keeps the instant).
pub fn parse_with_offset(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
}

/// Reads a wall-clock time written with a zone abbreviation, trusting a numeric offset over the
/// abbreviation: `reference` is a date of the same document carrying a numeric offset (the feed
/// item's date). When the abbreviation's zone agrees with that offset at the reference instant
/// the zone is used (so an incident crossing a DST change is read right, and "PST" written in
/// August reads as -07:00); when it disagrees, or the abbreviation is unknown, the reference's
/// offset wins; without either, UTC.
pub fn resolve_local(
    local: NaiveDateTime,
    abbr: Option<&str>,
    reference: Option<DateTime<FixedOffset>>,
) -> DateTime<Utc> {
    let hint = abbr.and_then(zone_hint);
    match (hint, reference) {
        (Some(ZoneHint::Fixed(off)), _) => fixed_to_utc(local, off),
        (Some(ZoneHint::Iana(tz)), Some(r)) => {
            let zone_offset_at_ref = tz
                .offset_from_utc_datetime(&r.naive_utc())
                .fix()
                .local_minus_utc();
            if zone_offset_at_ref == r.offset().local_minus_utc() {
                iana_to_utc(local, tz)
            } else {
                fixed_to_utc(local, *r.offset())
            }
        }
        (Some(ZoneHint::Iana(tz)), None) => iana_to_utc(local, tz),
        (None, Some(r)) => fixed_to_utc(local, *r.offset()),
        (None, None) => Utc.from_utc_datetime(&local),
    }
}

fn fixed_to_utc(local: NaiveDateTime, off: FixedOffset) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(local - chrono::Duration::seconds(off.local_minus_utc() as i64)))
}

fn iana_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        // Ambiguous hour at the end of DST: the earlier reading, as pages post in real time.
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        // Skipped hour at the start of DST: read it with the offset just before the gap.
        LocalResult::None => {
            let before = tz
                .offset_from_utc_datetime(&(local - chrono::Duration::hours(3)))
                .fix();
            fixed_to_utc(local, before)
        }
    }
}

/// "Jan", "january", "Sept" → 1..=12, and the French names and abbreviations Statuspage writes
/// on French pages ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "déc.").
pub fn month_number(name: &str) -> Option<u32> {
    let n: String = name
        .trim()
        .trim_end_matches('.')
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'û' | 'ù' => 'u',
            'ô' => 'o',
            other => other,
        })
        .collect();
    // French words whose first three letters say nothing or the wrong thing in English.
    let french = match n.as_str() {
        "juin" => Some(6),
        "juil" | "juillet" => Some(7),
        "mai" => Some(5),
        "fev" | "fevr" | "fevrier" => Some(2),
        "avr" | "avril" => Some(4),
        "aout" | "aou" => Some(8),
        _ => None,
    };
    if french.is_some() {
        return french;
    }
    let n = n.get(..3)?;
    let m = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|m| *m == n)?;
    Some(m as u32 + 1)
}

/// The year of a "Dec 31" written without one, taken from a reference date of the same
/// document: the candidate year (reference year −1, 0, +1) that puts the date closest to the
/// reference, so a "Dec 31" update in an item dated Jan 1 lands in the previous year and a "Jan 2"
/// update in an item dated Dec 30 in the next.
pub fn infer_year(month: u32, day: u32, time: NaiveTime, reference: NaiveDateTime) -> Option<i32> {
    let y = reference.date().year();
    (y - 1..=y + 1)
        .filter_map(|cand| {
            let d = NaiveDate::from_ymd_opt(cand, month, day)?;
            let dt = d.and_time(time);
            Some((cand, (dt - reference).num_seconds().abs()))
        })
        .min_by_key(|(_, dist)| *dist)
        .map(|(cand, _)| cand)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn december_update_in_a_january_item_belongs_to_the_previous_year() {
        let t = NaiveTime::from_hms_opt(23, 50, 0).unwrap();
        assert_eq!(infer_year(12, 31, t, naive("2020-01-01 00:20")), Some(2019));
        assert_eq!(infer_year(1, 2, t, naive("2019-12-30 10:00")), Some(2020));
        assert_eq!(infer_year(6, 3, t, naive("2019-06-01 10:00")), Some(2019));
    }

    #[test]
    fn pacific_abbreviation_follows_the_season_and_numeric_offsets_win() {
        let r = parse_with_offset("Tue, 20 Aug 2013 12:56:55 -0700");
        // Parse wrote "PST" all year: in August that is -07:00.
        let t = resolve_local(naive("2013-08-20 12:56"), Some("PST"), r);
        assert_eq!(t.to_rfc3339(), "2013-08-20T19:56:00+00:00");
        // A page in Arizona-like time writes MST in summer with a -07:00 offset: the offset wins.
        let r = parse_with_offset("2019-07-01T10:00:00-07:00");
        let t = resolve_local(naive("2019-07-01 09:00"), Some("MST"), r);
        assert_eq!(t.to_rfc3339(), "2019-07-01T16:00:00+00:00");
        let t = resolve_local(naive("2021-12-23 10:30"), Some("CET"), None);
        assert_eq!(t.to_rfc3339(), "2021-12-23T09:30:00+00:00");
        let t = resolve_local(naive("2021-12-23 10:30"), Some("XYZ"), None);
        assert_eq!(t.to_rfc3339(), "2021-12-23T10:30:00+00:00");
    }

    #[test]
    fn numeric_offsets_and_month_names() {
        assert_eq!(
            parse_numeric_offset("-0800").unwrap().local_minus_utc(),
            -8 * 3600
        );
        assert_eq!(
            parse_numeric_offset("+05:30").unwrap().local_minus_utc(),
            19800
        );
        assert!(parse_numeric_offset("PST").is_none());
        assert_eq!(month_number("Sept"), Some(9));
        assert_eq!(month_number("Dec"), Some(12));
        assert_eq!(month_number("Xy"), None);
        assert_eq!(month_number("Jun"), Some(6));
        assert_eq!(month_number("Jul"), Some(7));
    }

    #[test]
    fn french_month_names_and_abbreviations() {
        let got: Vec<_> = [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ]
        .iter()
        .map(|m| month_number(m))
        .collect();
        assert_eq!(got, (1..=12).map(Some).collect::<Vec<_>>());
        assert_eq!(month_number("Décembre"), Some(12));
        assert_eq!(month_number("juillet"), Some(7));
        assert_eq!(month_number("février"), Some(2));
    }
}
