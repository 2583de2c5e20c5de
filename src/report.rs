//! Human-readable output of the CLI: the timeline as an aligned table, times in UTC and in the
//! provider's own zone.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};

use crate::store::{EventRow, IncidentRow, Store, StoreError};

/// One incident with its events, ready to print.
pub struct IncidentTimeline {
    pub incident: IncidentRow,
    pub tz: Tz,
    pub events: Vec<EventRow>,
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
    let mut out = Vec::new();
    for incident in incidents {
        let tz = providers
            .iter()
            .find(|p| p.id == incident.provider_id)
            .and_then(|p| p.timezone.parse::<Tz>().ok())
            .unwrap_or(Tz::UTC);
        let events = store.incident_events(incident.id).await?;
        out.push(IncidentTimeline {
            incident,
            tz,
            events,
        });
    }
    Ok(out)
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
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_BORDERS_ONLY)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(200)
            .set_header(vec![
                "time (UTC)",
                "local",
                "phase",
                "restored",
                "affected",
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
                Cell::new(posted),
                Cell::new(ev.rule_id.as_deref().unwrap_or("")),
                Cell::new(shorten(&ev.excerpt, 72)),
            ]);
        }
        let _ = writeln!(out, "{table}\n");
    }
    out
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
