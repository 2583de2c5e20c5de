//! Resolving a time a post mentions ("vers 11h30", "11:30 UTC", "Nov 24, 11:30 UTC", "since 09:45
//! CET") to UTC: in the zone the text names, else in the provider's zone. A bare time is on the
//! post's date, never more than an hour after the post itself — except where it tells when
//! planned work will happen ([`When::Ahead`]): then it is the next such time, never more than an
//! hour before the post ("tonight from 23:00", "from 02:00 to 04:00" in a notice of the evening
//! before). A date the text names ("Nov 30", « le 30 novembre ») is the one nearest the post.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Captures;

/// How far after its post a bare time may still be read on the post's day (clocks and
/// publication lag): later, it is the day before. The timeline places an event at a mentioned
/// time no later than this after its post.
pub const AHEAD_SLACK: Duration = Duration::hours(1);

/// Offset of the zone abbreviations providers write. Numeric offsets are read as such.
fn named_offset(tz: &str) -> Option<i32> {
    let h = match tz.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" | "UT" => 0,
        "CET" | "BST" | "WAT" => 1,
        "CEST" | "EET" | "SAST" => 2,
        "EEST" | "MSK" => 3,
        "IST" => return Some(5 * 3600 + 1800),
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        "EST" | "CDT" => -5,
        "EDT" => -4,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => return None,
    };
    Some(h * 3600)
}

fn numeric_offset(tz: &str) -> Option<i32> {
    let t = tz.trim();
    let t = t
        .strip_prefix("UTC")
        .or_else(|| t.strip_prefix("GMT"))
        .unwrap_or(t);
    let (sign, rest) = match t.chars().next()? {
        '+' => (1, &t[1..]),
        '-' | '−' => (-1, &t[t.char_indices().nth(1)?.0..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 | 4 => (
            digits[..digits.len() - 2].parse::<i32>().ok()?,
            digits[digits.len() - 2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn month(s: &str) -> Option<u32> {
    let s = s.to_lowercase();
    let names = [
        ["jan", "janv"],
        ["feb", "févr"],
        ["mar", "mars"],
        ["apr", "avr"],
        ["may", "mai"],
        ["jun", "juin"],
        ["jul", "juil"],
        ["aug", "août"],
        ["sep", "sept"],
        ["oct", "oct"],
        ["nov", "nov"],
        ["dec", "déc"],
    ];
    names
        .iter()
        .position(|n| s.starts_with(n[0]) || s.starts_with(n[1]))
        .map(|i| i as u32 + 1)
        .or_else(|| {
            if s.starts_with("fev") {
                Some(2)
            } else if s.starts_with("aou") {
                Some(8)
            } else if s.starts_with("dec") {
                Some(12)
            } else {
                None
            }
        })
}

/// Which way from its post a bare time (one without a date) is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// What happened: on the post's date, or the day before when that would put it more than
    /// [`AHEAD_SLACK`] after the post ("depuis 23h50" posted at 01:00).
    Past,
    /// What is planned (a scheduled maintenance): on the post's date, or the day after when that
    /// would put it more than [`AHEAD_SLACK`] before the post ("from 02:00 to 04:00 UTC" posted
    /// at 20:00).
    Ahead,
}

/// Resolves the captures of a time rule (`h`, optional `m`, `ampm`, `tz`, `mon`, `day`).
pub fn resolve(
    caps: &Captures<'_>,
    tz: Tz,
    reference: DateTime<Utc>,
    when: When,
) -> Option<DateTime<Utc>> {
    let mut h: u32 = caps.name("h")?.as_str().parse().ok()?;
    let m: u32 = caps
        .name("m")
        .map_or(Some(0), |m| m.as_str().parse().ok())?;
    if let Some(ampm) = caps.name("ampm") {
        let pm = ampm.as_str().to_ascii_lowercase().starts_with('p');
        if h > 12 {
            return None;
        }
        h = match (h, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let time = NaiveTime::from_hms_opt(h, m, 0)?;
    let offset = caps
        .name("tz")
        .map(|z| z.as_str())
        .and_then(|z| numeric_offset(z).or_else(|| named_offset(z)));
    // A zone named by its city (« heure de Paris ») or by its IANA name ("US/Pacific", as Google
    // Cloud writes it): that zone, summer time included, whatever the provider's.
    let tz = match caps.name("tz").map(|z| z.as_str()) {
        Some(z) if z.to_lowercase().ends_with("paris") => chrono_tz::Europe::Paris,
        Some(z) if z.contains('/') => z.parse().unwrap_or(tz),
        _ => tz,
    };
    let explicit_date = match (caps.name("mon"), caps.name("day")) {
        (Some(mo), Some(d)) => Some((month(mo.as_str())?, d.as_str().parse::<u32>().ok()?)),
        _ => None,
    };
    let resolve_on = |date: NaiveDate| -> Option<DateTime<Utc>> {
        let local = date.and_time(time);
        match offset {
            Some(secs) => FixedOffset::east_opt(secs)?
                .from_local_datetime(&local)
                .single()
                .map(|t| t.with_timezone(&Utc)),
            None => tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    };
    let ref_local = match offset {
        Some(secs) => reference
            .with_timezone(&FixedOffset::east_opt(secs)?)
            .date_naive(),
        None => reference.with_timezone(&tz).date_naive(),
    };
    let year = caps
        .name("year")
        .and_then(|y| y.as_str().parse::<i32>().ok());
    match (explicit_date, year) {
        (Some((mo, d)), Some(y)) => resolve_on(NaiveDate::from_ymd_opt(y, mo, d)?),
        // A day without a year is the one nearest the post: "Dec 31" read on New Year's Day is
        // the day before, "Nov 30" in a maintenance notice of Nov 28 two days ahead.
        (Some((mo, d)), None) => (ref_local.year() - 1..=ref_local.year() + 1)
            .filter_map(|y| resolve_on(NaiveDate::from_ymd_opt(y, mo, d)?))
            .min_by_key(|at| (*at - reference).abs()),
        (None, _) => {
            let at = resolve_on(ref_local)?;
            match when {
                When::Past if at > reference + AHEAD_SLACK => resolve_on(ref_local.pred_opt()?),
                When::Ahead if at + AHEAD_SLACK < reference => resolve_on(ref_local.succ_opt()?),
                _ => Some(at),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `re`'s captures in `text` resolve to, read `when` from a post of `reference`.
    fn caps_resolve_when(
        re: &str,
        text: &str,
        tz: Tz,
        reference: &str,
        when: When,
    ) -> Option<String> {
        let re = regex::Regex::new(re).unwrap();
        let caps = re.captures(text).unwrap();
        let reference = DateTime::parse_from_rfc3339(reference)
            .unwrap()
            .with_timezone(&Utc);
        resolve(&caps, tz, reference, when).map(|t| t.to_rfc3339())
    }

    fn caps_resolve(re: &str, text: &str, tz: Tz, reference: &str) -> Option<String> {
        caps_resolve_when(re, text, tz, reference, When::Past)
    }

    const HM: &str = r"(?P<h>\d{1,2})[h:](?P<m>\d{2})?(?:\s*(?P<tz>UTC|CET|PDT|[+-]\d{2}:?\d{2}))?";

    #[test]
    fn a_bare_time_is_read_in_the_provider_zone_on_the_post_date() {
        let got = caps_resolve(
            HM,
            "vers 11h30",
            chrono_tz::Europe::Paris,
            "2026-11-17T10:52:00Z",
        );
        assert_eq!(got.as_deref(), Some("2026-11-17T10:30:00+00:00"));
    }

    #[test]
    fn a_named_zone_wins_over_the_provider_zone() {
        let got = caps_resolve(
            HM,
            "11:30 UTC",
            chrono_tz::Europe::Paris,
            "2026-11-17T12:00:00Z",
        );
        assert_eq!(got.as_deref(), Some("2026-11-17T11:30:00+00:00"));
        let got = caps_resolve(HM, "09:45 +01:00", Tz::UTC, "2026-11-17T12:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-11-17T08:45:00+00:00"));
    }

    #[test]
    fn paris_time_named_in_the_text_wins_over_the_provider_zone_in_summer_and_winter() {
        let re = r"(?P<h>\d{1,2})h(?P<m>\d{2})? \((?P<tz>heure de Paris)\)";
        let got = caps_resolve(re, "9h30 (heure de Paris)", Tz::UTC, "2026-11-17T12:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-11-17T08:30:00+00:00"));
        let got = caps_resolve(re, "9h30 (heure de Paris)", Tz::UTC, "2026-07-17T12:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-07-17T07:30:00+00:00"));
    }

    #[test]
    fn a_zone_named_by_its_iana_name_is_read_with_its_summer_time() {
        let re = r"(?P<h>\d{2}):(?P<m>\d{2}) (?P<tz>US/Pacific|Mars/Olympus)";
        let got = caps_resolve(re, "04:54 US/Pacific", Tz::UTC, "2026-02-27T20:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-02-27T12:54:00+00:00"));
        let got = caps_resolve(re, "04:54 US/Pacific", Tz::UTC, "2026-07-15T20:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-07-15T11:54:00+00:00"));
        // A name no zone has: the provider's zone.
        let got = caps_resolve(re, "04:54 Mars/Olympus", Tz::UTC, "2026-07-15T20:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-07-15T04:54:00+00:00"));
    }

    #[test]
    fn a_time_later_than_the_post_is_yesterday() {
        let got = caps_resolve(
            HM,
            "depuis 23h50",
            chrono_tz::Europe::Paris,
            "2026-11-17T01:00:00Z",
        );
        assert_eq!(got.as_deref(), Some("2026-11-16T22:50:00+00:00"));
    }

    #[test]
    fn a_planned_time_earlier_in_the_day_than_the_post_is_tomorrow() {
        let ahead = |text: &str, reference: &str| {
            caps_resolve_when(HM, text, Tz::UTC, reference, When::Ahead)
        };
        // A notice of the evening for the night: the next day.
        let got = ahead("02:00 UTC", "2026-11-28T20:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-11-29T02:00:00+00:00"));
        // "Tonight at 23:00", posted in the morning: the same day (read as past, the day before).
        let got = ahead("23:00 UTC", "2026-11-28T06:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-11-28T23:00:00+00:00"));
        let past = caps_resolve(HM, "23:00 UTC", Tz::UTC, "2026-11-28T06:00:00Z");
        assert_eq!(past.as_deref(), Some("2026-11-27T23:00:00+00:00"));
        // A window that began within the hour is today's.
        let got = ahead("01:00 UTC", "2026-11-28T01:30:00Z");
        assert_eq!(got.as_deref(), Some("2026-11-28T01:00:00+00:00"));
    }

    #[test]
    fn a_named_day_ahead_of_the_post_is_this_year_and_a_written_year_is_kept() {
        let re = r"(?P<mon>[A-Za-z]{3}) (?P<day>\d{1,2}),?(?: (?P<year>\d{4}))? (?P<h>\d{2}):(?P<m>\d{2}) (?P<tz>UTC)";
        let got = caps_resolve(re, "Nov 30 02:00 UTC", Tz::UTC, "2026-11-28T06:00:00Z");
        assert_eq!(got.as_deref(), Some("2026-11-30T02:00:00+00:00"));
        let got = caps_resolve(re, "Jan 5 02:00 UTC", Tz::UTC, "2026-12-28T06:00:00Z");
        assert_eq!(got.as_deref(), Some("2027-01-05T02:00:00+00:00"));
        let got = caps_resolve(re, "Mar 3, 2024 02:00 UTC", Tz::UTC, "2026-12-28T06:00:00Z");
        assert_eq!(got.as_deref(), Some("2024-03-03T02:00:00+00:00"));
    }

    #[test]
    fn a_month_and_day_across_new_year() {
        let re = r"(?P<mon>[A-Za-z]{3}) (?P<day>\d{1,2}), (?P<h>\d{2}):(?P<m>\d{2}) (?P<tz>UTC)";
        let got = caps_resolve(re, "Dec 31, 23:10 UTC", Tz::UTC, "2027-01-01T00:30:00Z");
        assert_eq!(got.as_deref(), Some("2026-12-31T23:10:00+00:00"));
    }
}
