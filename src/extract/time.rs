//! Resolving a time a post mentions ("vers 11h30", "11:30 UTC", "Nov 24, 11:30 UTC", "since 09:45
//! CET") to UTC: in the zone the text names, else in the provider's zone, on the post's date (or
//! the date the text names), never more than an hour after the post itself.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use regex::Captures;

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

/// Resolves the captures of a time rule (`h`, optional `m`, `ampm`, `tz`, `mon`, `day`).
pub fn resolve(caps: &Captures<'_>, tz: Tz, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
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
    let slack = Duration::hours(1);
    match explicit_date {
        Some((mo, d)) => {
            // The year of the post, or the one before when that would put the time in the
            // future (a "Dec 31" mention in a January post).
            let at = resolve_on(NaiveDate::from_ymd_opt(ref_local.year(), mo, d)?)?;
            if at > reference + slack {
                resolve_on(NaiveDate::from_ymd_opt(ref_local.year() - 1, mo, d)?)
            } else {
                Some(at)
            }
        }
        None => {
            let at = resolve_on(ref_local)?;
            if at > reference + slack {
                resolve_on(ref_local.pred_opt()?)
            } else {
                Some(at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps_resolve(re: &str, text: &str, tz: Tz, reference: &str) -> Option<String> {
        let re = regex::Regex::new(re).unwrap();
        let caps = re.captures(text).unwrap();
        let reference = DateTime::parse_from_rfc3339(reference)
            .unwrap()
            .with_timezone(&Utc);
        resolve(&caps, tz, reference).map(|t| t.to_rfc3339())
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
    fn a_month_and_day_across_new_year() {
        let re = r"(?P<mon>[A-Za-z]{3}) (?P<day>\d{1,2}), (?P<h>\d{2}):(?P<m>\d{2}) (?P<tz>UTC)";
        let got = caps_resolve(re, "Dec 31, 23:10 UTC", Tz::UTC, "2027-01-01T00:30:00Z");
        assert_eq!(got.as_deref(), Some("2026-12-31T23:10:00+00:00"));
    }
}
