//! Human-readable output of the CLI: the timeline as an aligned table, times in UTC and in the
//! provider's own zone.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};

use crate::measure::derive::{Minute, Scorecard};
use crate::store::{ClaimsRow, EventRow, IncidentRow, Store, StoreError};

/// One incident with its events, ready to print.
pub struct IncidentTimeline {
    pub incident: IncidentRow,
    pub tz: Tz,
    pub events: Vec<EventRow>,
    /// Share of the provider's targets up, minute by minute, over the incident's events.
    pub minutes: Vec<Minute>,
    /// Claimed against measured, when anything was measured.
    pub measure: Option<ClaimsRow>,
}

/// Loads the incidents to show: one by id, or all of a provider (or of every provider), oldest
/// first.
pub async fn load(
    store: &dyn Store,
    provider: Option<&str>,
    incident: Option<i64>,
) -> Result<Vec<IncidentTimeline>, StoreError> {
    let providers = store.providers().await?;
    let mut incidents = match incident {
        Some(id) => store.incident(id).await?.into_iter().collect(),
        None => store.incidents(provider).await?,
    };
    incidents.sort_by_key(|i| (i.started_at, i.id));
    // Claimed against measured, read once for every incident shown.
    let claims = store.claims_vs_measured(provider).await?;
    let mut out = Vec::new();
    for incident in incidents {
        let tz = providers
            .iter()
            .find(|p| p.id == incident.provider_id)
            .and_then(|p| p.timezone.parse::<Tz>().ok())
            .unwrap_or(Tz::UTC);
        let events = store.incident_events(incident.id).await?;
        let (from, to) = (
            events.iter().map(|e| e.event.at).min(),
            events.iter().map(|e| e.event.at).max(),
        );
        let minutes = match (from, to) {
            (Some(f), Some(t)) => {
                store
                    .provider_minutes(incident.provider_id, f - chrono::Duration::minutes(1), t)
                    .await?
            }
            _ => Vec::new(),
        };
        let measure = claims
            .iter()
            .find(|r| r.incident_id == Some(incident.id) && r.measured_start.is_some())
            .cloned();
        out.push(IncidentTimeline {
            incident,
            tz,
            events,
            minutes,
            measure,
        });
    }
    Ok(out)
}

/// "1 h 49 min", "-25 min", "40 s".
pub fn fmt_secs(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    match (s / 3600, (s % 3600) / 60) {
        (0, 0) => format!("{sign}{s} s"),
        (0, m) => format!("{sign}{m} min"),
        (h, 0) => format!("{sign}{h} h"),
        (h, m) => format!("{sign}{h} h {m:02} min"),
    }
}

fn share_at(minutes: &[Minute], at: DateTime<Utc>) -> Option<f64> {
    use chrono::DurationRound;
    let m = at.duration_trunc(chrono::Duration::minutes(1)).ok()?;
    minutes
        .binary_search_by_key(&m, |x| x.minute)
        .ok()
        .map(|i| minutes[i].share_up())
}

/// A borderless table that wraps its cells to the terminal (200 columns at most).
fn new_table(header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(200)
        .set_header(header);
    table
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn fmt_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn fmt_local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M %Z").to_string()
}

/// Renders timelines as aligned tables, one per incident.
pub fn render(timelines: &[IncidentTimeline]) -> String {
    let mut out = String::new();
    if timelines.is_empty() {
        out.push_str("No incidents yet.\n");
        return out;
    }
    for tl in timelines {
        let i = &tl.incident;
        let _ = writeln!(
            out,
            "Incident #{} — {} — {}",
            i.id,
            i.provider,
            i.title.as_deref().unwrap_or("(untitled)")
        );
        let _ = writeln!(
            out,
            "  started {} UTC ({}), {}, last phase: {}",
            fmt_utc(i.started_at),
            fmt_local(i.started_at, tl.tz),
            match i.ended_at {
                Some(e) => format!("ended {} UTC ({})", fmt_utc(e), fmt_local(e, tl.tz)),
                None => "still open".to_string(),
            },
            i.last_phase.map_or("-", |p| p.as_str())
        );
        if let Some(m) = &tl.measure {
            let _ = writeln!(out, "  {}", measured_line(m, tl.tz));
        }
        let mut table = new_table(vec![
            "time (UTC)",
            "local",
            "phase",
            "restored",
            "affected",
            "measured up",
            "posted (UTC)",
            "rule",
            "what was said",
        ]);
        for e in &tl.events {
            let ev = &e.event;
            let posted = if ev.mentioned_at.is_some() {
                fmt_utc(ev.posted_at)
            } else {
                String::new()
            };
            let pct = |p: Option<f64>| p.map(|v| format!("{v} %")).unwrap_or_default();
            table.add_row(vec![
                Cell::new(fmt_utc(ev.at)),
                Cell::new(fmt_local(ev.at, tl.tz)),
                Cell::new(ev.phase.map_or("", |p| p.as_str())),
                Cell::new(pct(ev.restored_pct)).set_alignment(CellAlignment::Right),
                Cell::new(pct(ev.affected_pct)).set_alignment(CellAlignment::Right),
                Cell::new(
                    share_at(&tl.minutes, ev.at)
                        .map(|v| format!("{v:.0} %"))
                        .unwrap_or_default(),
                )
                .set_alignment(CellAlignment::Right),
                Cell::new(posted),
                Cell::new(ev.rule_id.as_deref().unwrap_or("")),
                Cell::new(shorten(&ev.excerpt, 72)),
            ]);
        }
        let _ = writeln!(out, "{table}\n");
    }
    out
}

/// "measured: sites down 09:41–15:05 CET; first post after 16 min; identified after 1 h 49 min;
/// resolution claimed 25 min before the last target came back".
fn measured_line(m: &ClaimsRow, tz: Tz) -> String {
    let mut parts = Vec::new();
    if let Some(s) = m.measured_start {
        parts.push(format!(
            "measured: {} target(s) down {} – {}",
            m.targets_down.unwrap_or(0),
            fmt_local(s, tz),
            m.measured_end
                .map_or_else(|| "still down".to_string(), |e| fmt_local(e, tz))
        ));
    }
    if let Some(d) = m.ack_delay_secs {
        parts.push(format!("first post after {}", fmt_secs(d)));
    }
    if let Some(d) = m.identified_delay_secs {
        parts.push(format!("identified after {}", fmt_secs(d)));
    }
    if let Some(g) = m.resolution_gap_secs {
        parts.push(if g < 0 {
            format!(
                "resolution claimed {} before the last target came back",
                fmt_secs(-g)
            )
        } else if g > 0 {
            format!(
                "resolution claimed {} after the last target came back",
                fmt_secs(g)
            )
        } else {
            "resolution claimed as the last target came back".to_string()
        });
    }
    parts.join("; ")
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(fmt_utc).unwrap_or_default()
}

/// `statustrail incidents`: every incident with its measured metrics, and every measured
/// outage no incident speaks of.
pub fn render_incidents(rows: &[ClaimsRow]) -> String {
    if rows.is_empty() {
        return "No incidents or measured outages yet.\n".into();
    }
    let mut table = new_table(vec![
        "provider",
        "incident",
        "measured down (UTC)",
        "measured up (UTC)",
        "first post (UTC)",
        "ack delay",
        "to identified",
        "claimed resolved (UTC)",
        "claim vs measure",
        "title",
    ]);
    let d = |x: Option<i64>| x.map(fmt_secs).unwrap_or_default();
    for r in rows {
        let order = match (r.first_to_recover.as_deref(), r.resolution_gap_secs) {
            (Some("never_acknowledged"), _) => "never acknowledged".to_string(),
            (_, Some(g)) if g < 0 => format!("claimed {} early", fmt_secs(-g)),
            (_, Some(g)) if g > 0 => format!("claimed {} late", fmt_secs(g)),
            (_, Some(_)) => "same time".into(),
            _ if r.measured_start.is_none() => "nothing measured".into(),
            _ => String::new(),
        };
        table.add_row(vec![
            Cell::new(&r.provider),
            Cell::new(r.incident_id.map(|i| format!("#{i}")).unwrap_or_default()),
            Cell::new(opt_time(r.measured_start)),
            Cell::new(opt_time(r.measured_end)),
            Cell::new(opt_time(r.first_post_at)),
            Cell::new(d(r.ack_delay_secs)).set_alignment(CellAlignment::Right),
            Cell::new(d(r.identified_delay_secs)).set_alignment(CellAlignment::Right),
            Cell::new(opt_time(r.claimed_resolved_at)),
            Cell::new(order),
            Cell::new(shorten(r.incident_title.as_deref().unwrap_or(""), 40)),
        ]);
    }
    format!("{table}\n")
}

/// `statustrail providers`: one scorecard per provider.
pub fn render_scorecards(cards: &[(String, Scorecard)], window_days: i64) -> String {
    let mut table = new_table(vec![
        "provider",
        "incidents",
        "measured outages",
        "median ack delay",
        "worst ack delay",
        "never acknowledged",
        "median claim − recovery",
        "restored % overstated",
    ]);
    let share = |x: Option<f64>| x.map(|v| format!("{:.0} %", v * 100.0)).unwrap_or_default();
    let secs = |x: Option<f64>| x.map(|v| fmt_secs(v.round() as i64)).unwrap_or_default();
    for (name, c) in cards {
        table.add_row(vec![
            Cell::new(name),
            Cell::new(c.incidents).set_alignment(CellAlignment::Right),
            Cell::new(c.measured_outages).set_alignment(CellAlignment::Right),
            Cell::new(secs(c.median_ack_delay_secs)).set_alignment(CellAlignment::Right),
            Cell::new(secs(c.worst_ack_delay_secs.map(|v| v as f64)))
                .set_alignment(CellAlignment::Right),
            Cell::new(share(c.unacknowledged_share)).set_alignment(CellAlignment::Right),
            Cell::new(secs(c.median_resolution_gap_secs)).set_alignment(CellAlignment::Right),
            Cell::new(share(c.overstated_share)).set_alignment(CellAlignment::Right),
        ]);
    }
    format!("Provider scorecards over the last {window_days} days\n{table}\n")
}

/// The sources table as the operator wants to see it: what each poll saw, and when the next is.
pub fn render_sources(
    providers: &[crate::store::ProviderRow],
    sources: &[crate::store::SourceRow],
) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(160)
        .set_header(vec![
            "id",
            "provider",
            "kind",
            "url",
            "last poll (UTC)",
            "outcome",
            "failures",
            "next poll (UTC)",
            "last error",
        ]);
    for s in sources {
        let provider = providers
            .iter()
            .find(|p| p.id == s.provider_id)
            .map_or("?", |p| p.name.as_str());
        table.add_row(vec![
            s.id.to_string(),
            provider.to_string(),
            s.kind.clone(),
            s.url.clone(),
            s.last_polled_at.map(fmt_utc).unwrap_or_default(),
            s.last_outcome.clone().unwrap_or_default(),
            s.consecutive_failures.to_string(),
            s.next_poll_at.map(fmt_utc).unwrap_or_default(),
            s.last_error.clone().unwrap_or_default(),
        ]);
    }
    format!("{table}\n")
}
