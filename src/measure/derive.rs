//! From raw observations to what an analyst compares with the provider's words: outage windows
//! per target (debounced), the share of a provider's targets up minute by minute, provider-level
//! measured outages, the match between each incident and a measured outage with its delays, and
//! each claimed restored percentage next to the measured share. Pure functions: the store saves
//! what they return, and tests check them by hand.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

use crate::model::Phase;
use crate::store::{EventRow, IncidentRow};

/// One observation reduced to what derivation needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub target_id: i64,
    pub at: DateTime<Utc>,
    pub ok: bool,
}

/// How raw observations are read.
#[derive(Debug, Clone, Copy)]
pub struct DeriveSettings {
    /// Consecutive failed observations before a target counts as down (1 = no debounce).
    pub debounce: usize,
    /// A target's last observation speaks for it this long; after that its state is unknown.
    pub stale_after: Duration,
    /// How far before an incident's start or after its end a measured outage may lie and still
    /// be the incident's.
    pub match_window: Duration,
}

impl Default for DeriveSettings {
    fn default() -> Self {
        DeriveSettings {
            debounce: 2,
            stale_after: Duration::minutes(10),
            match_window: Duration::hours(2),
        }
    }
}

/// A target down: from its first failed observation to the first success after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetOutage {
    pub target_id: i64,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub failed_observations: usize,
}

/// The share of a provider's targets up during one minute (latest observation of each target
/// at or before the minute's end, if not stale).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minute {
    pub minute: DateTime<Utc>,
    pub targets: usize,
    pub up: usize,
}

impl Minute {
    pub fn share_up(&self) -> f64 {
        if self.targets == 0 {
            0.0
        } else {
            self.up as f64 * 100.0 / self.targets as f64
        }
    }
}

/// A measured outage of a provider: the union of overlapping target outages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredOutage {
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub targets_down: usize,
    pub min_share_up: Option<f64>,
}

/// What was claimed against what was measured, for one incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentMeasure {
    pub incident_id: i64,
    /// Index into the provider's measured outages, when one matched.
    pub outage: Option<usize>,
    pub first_post_at: DateTime<Utc>,
    pub identified_at: Option<DateTime<Utc>>,
    pub claimed_resolved_at: Option<DateTime<Utc>>,
    pub measured_start: Option<DateTime<Utc>>,
    pub measured_end: Option<DateTime<Utc>>,
    /// First post minus measured start.
    pub ack_delay_secs: Option<i64>,
    /// Identified minus measured start.
    pub identified_delay_secs: Option<i64>,
    /// Claimed resolution minus measured full recovery: negative when the provider called it
    /// resolved before the last target came back.
    pub resolution_gap_secs: Option<i64>,
}

/// A claimed restored percentage next to the measured share up at that minute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestoredClaim {
    pub event_id: i64,
    pub incident_id: i64,
    pub at: DateTime<Utc>,
    pub claimed_pct: f64,
    pub measured_pct: Option<f64>,
}

impl RestoredClaim {
    /// The claim said more was back than the probes saw.
    pub fn overstated(&self) -> Option<bool> {
        self.measured_pct.map(|m| self.claimed_pct > m + 0.5)
    }
}

/// Everything derived for one provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Derived {
    pub target_outages: Vec<TargetOutage>,
    pub minutes: Vec<Minute>,
    pub outages: Vec<MeasuredOutage>,
    pub incidents: Vec<IncidentMeasure>,
    pub restored_claims: Vec<RestoredClaim>,
    /// Start of the recomputed window (`None`: the whole history). Target outages, minutes and
    /// measured outages before it are already stored and stay as they are.
    pub from: Option<DateTime<Utc>>,
    /// Ids of the stored outages that open `outages` (they are not stored again).
    pub stored_outages: Vec<i64>,
}

/// Outage windows of one target; `samples` in time order, all of that target.
pub fn target_outages(samples: &[Sample], debounce: usize) -> Vec<TargetOutage> {
    let debounce = debounce.max(1);
    let mut out = Vec::new();
    let mut run: Option<(DateTime<Utc>, usize)> = None;
    for s in samples {
        if s.ok {
            if let Some((start, n)) = run.take() {
                if n >= debounce {
                    out.push(TargetOutage {
                        target_id: s.target_id,
                        started_at: start,
                        ended_at: Some(s.at),
                        failed_observations: n,
                    });
                }
            }
        } else {
            run = Some(match run {
                Some((start, n)) => (start, n + 1),
                None => (s.at, 1),
            });
        }
    }
    if let (Some((start, n)), Some(last)) = (run, samples.last()) {
        if n >= debounce {
            out.push(TargetOutage {
                target_id: last.target_id,
                started_at: start,
                ended_at: None,
                failed_observations: n,
            });
        }
    }
    out
}

/// Minute by minute share of targets up, over the span the samples cover.
pub fn minutes(samples: &[Sample], stale_after: Duration) -> Vec<Minute> {
    let mut by_target: BTreeMap<i64, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_target.entry(s.target_id).or_default().push(s);
    }
    for v in by_target.values_mut() {
        v.sort_by_key(|s| s.at);
    }
    let (Some(first), Some(last)) = (
        samples.iter().map(|s| s.at).min(),
        samples.iter().map(|s| s.at).max(),
    ) else {
        return Vec::new();
    };
    let mut minute = first.duration_trunc(Duration::minutes(1)).unwrap_or(first);
    let mut cursors: BTreeMap<i64, usize> = BTreeMap::new();
    let mut out = Vec::new();
    while minute <= last {
        let end = minute + Duration::minutes(1);
        let (mut targets, mut up) = (0, 0);
        for (t, v) in &by_target {
            let c = cursors.entry(*t).or_insert(0);
            while *c < v.len() && v[*c].at < end {
                *c += 1;
            }
            if *c == 0 {
                continue;
            }
            let latest = v[*c - 1];
            if end - latest.at > stale_after + Duration::minutes(1) {
                continue;
            }
            targets += 1;
            if latest.ok {
                up += 1;
            }
        }
        if targets > 0 {
            out.push(Minute {
                minute,
                targets,
                up,
            });
        }
        minute = end;
    }
    out
}

/// Merges target outages that overlap into provider outages.
pub fn measured_outages(
    target_outages: &[TargetOutage],
    minutes: &[Minute],
) -> Vec<MeasuredOutage> {
    let mut ws: Vec<&TargetOutage> = target_outages.iter().collect();
    ws.sort_by_key(|w| w.started_at);
    let mut out: Vec<(MeasuredOutage, HashSet<i64>)> = Vec::new();
    for w in ws {
        if let Some((cur, ids)) = out.last_mut() {
            let overlaps = match cur.ended_at {
                None => true,
                Some(end) => w.started_at <= end,
            };
            if overlaps {
                cur.ended_at = match (cur.ended_at, w.ended_at) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                ids.insert(w.target_id);
                cur.targets_down = ids.len();
                continue;
            }
        }
        out.push((
            MeasuredOutage {
                started_at: w.started_at,
                ended_at: w.ended_at,
                targets_down: 1,
                min_share_up: None,
            },
            HashSet::from([w.target_id]),
        ));
    }
    out.into_iter()
        .map(|(mut o, _)| {
            o.min_share_up = minutes
                .iter()
                .filter(|m| {
                    m.minute + Duration::minutes(1) > o.started_at
                        && o.ended_at.is_none_or(|e| m.minute < e)
                })
                .map(Minute::share_up)
                .min_by(|a, b| a.total_cmp(b));
            o
        })
        .collect()
}

fn secs(d: Duration) -> i64 {
    d.num_seconds()
}

/// Pairs each incident with the measured outage it speaks of (overlapping the incident's span
/// widened by the match window; the earliest unclaimed one) and measures the delays.
pub fn match_incidents(
    incidents: &[(IncidentRow, Vec<EventRow>)],
    outages: &[MeasuredOutage],
    match_window: Duration,
    now: DateTime<Utc>,
) -> Vec<IncidentMeasure> {
    let mut taken = vec![false; outages.len()];
    let mut order: Vec<usize> = (0..incidents.len()).collect();
    order.sort_by_key(|&i| incidents[i].0.started_at);
    let mut out = Vec::new();
    for i in order {
        let (inc, events) = &incidents[i];
        let first_post_at = events
            .iter()
            .map(|e| e.event.posted_at)
            .min()
            .unwrap_or(inc.started_at);
        let phase_at = |p: Phase| {
            events
                .iter()
                .filter(|e| e.event.phase == Some(p))
                .map(|e| e.event.at)
                .min()
        };
        let identified_at = phase_at(Phase::Identified);
        let claimed_resolved_at = phase_at(Phase::Resolved);
        let span_start = inc.started_at.min(first_post_at) - match_window;
        let span_end = inc.ended_at.or(claimed_resolved_at).unwrap_or(now) + match_window;
        let outage = (0..outages.len()).find(|&k| {
            let o = &outages[k];
            !taken[k] && o.started_at <= span_end && o.ended_at.is_none_or(|e| e >= span_start)
        });
        if let Some(k) = outage {
            taken[k] = true;
        }
        let o = outage.map(|k| &outages[k]);
        let measured_start = o.map(|o| o.started_at);
        let measured_end = o.and_then(|o| o.ended_at);
        out.push(IncidentMeasure {
            incident_id: inc.id,
            outage,
            first_post_at,
            identified_at,
            claimed_resolved_at,
            measured_start,
            measured_end,
            ack_delay_secs: measured_start.map(|s| secs(first_post_at - s)),
            identified_delay_secs: measured_start.zip(identified_at).map(|(s, i)| secs(i - s)),
            resolution_gap_secs: measured_end
                .zip(claimed_resolved_at)
                .map(|(e, c)| secs(c - e)),
        });
    }
    out.sort_by_key(|m| m.incident_id);
    out
}

/// Every claimed restored percentage with the measured share up at its minute.
pub fn restored_claims(
    incidents: &[(IncidentRow, Vec<EventRow>)],
    minutes: &[Minute],
) -> Vec<RestoredClaim> {
    let mut out = Vec::new();
    for (inc, events) in incidents {
        for e in events {
            let Some(pct) = e.event.restored_pct else {
                continue;
            };
            let minute = e
                .event
                .at
                .duration_trunc(Duration::minutes(1))
                .unwrap_or(e.event.at);
            let measured_pct = minutes
                .binary_search_by_key(&minute, |m| m.minute)
                .ok()
                .map(|i| minutes[i].share_up());
            out.push(RestoredClaim {
                event_id: e.id,
                incident_id: inc.id,
                at: e.event.at,
                claimed_pct: pct,
                measured_pct,
            });
        }
    }
    out
}

/// Derives everything for one provider from its samples (any order) and incidents.
pub fn derive(
    samples: &[Sample],
    incidents: &[(IncidentRow, Vec<EventRow>)],
    settings: &DeriveSettings,
    now: DateTime<Utc>,
) -> Derived {
    derive_window(
        samples,
        None,
        Vec::new(),
        Vec::new(),
        incidents,
        settings,
        now,
    )
}

/// What is already stored before a window, for [`derive_window`].
pub type StoredOutage = (i64, MeasuredOutage);

/// Derives a provider's measures over the window from `from` on, so that a worker running for
/// months does not re-read its whole history: `samples` start a little before `from` (so that
/// the first minutes know each target's state), `stored` are the measured outages that started
/// before `from` (none may still be running at `from`: the caller moves `from` back until none
/// is), and `old_minutes` the stored minutes at which older incidents claimed a restored share.
/// Every incident is measured again, against old and new outages alike.
pub fn derive_window(
    samples: &[Sample],
    from: Option<DateTime<Utc>>,
    stored: Vec<StoredOutage>,
    old_minutes: Vec<Minute>,
    incidents: &[(IncidentRow, Vec<EventRow>)],
    settings: &DeriveSettings,
    now: DateTime<Utc>,
) -> Derived {
    let mut sorted = samples.to_vec();
    sorted.sort_by_key(|s| (s.target_id, s.at));
    let mut target_windows = Vec::new();
    for chunk in sorted.chunk_by(|a, b| a.target_id == b.target_id) {
        target_windows.extend(target_outages(chunk, settings.debounce));
    }
    let mut minutes = minutes(&sorted, settings.stale_after);
    if let Some(from) = from {
        target_windows.retain(|w| w.started_at >= from);
        minutes.retain(|m| m.minute >= from);
    }
    let stored_outages: Vec<i64> = stored.iter().map(|(id, _)| *id).collect();
    let mut outages: Vec<MeasuredOutage> = stored.into_iter().map(|(_, o)| o).collect();
    outages.extend(measured_outages(&target_windows, &minutes));
    let incident_measures = match_incidents(incidents, &outages, settings.match_window, now);
    let mut claim_minutes = old_minutes;
    claim_minutes.extend(minutes.iter().cloned());
    claim_minutes.sort_by_key(|m| m.minute);
    claim_minutes.dedup_by_key(|m| m.minute);
    let claims = restored_claims(incidents, &claim_minutes);
    Derived {
        target_outages: target_windows,
        minutes,
        outages,
        incidents: incident_measures,
        restored_claims: claims,
        from,
        stored_outages,
    }
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// A provider's record over a window of time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub incidents: usize,
    pub measured_outages: usize,
    pub median_ack_delay_secs: Option<f64>,
    pub worst_ack_delay_secs: Option<i64>,
    /// Share (0..=1) of measured outages no incident speaks of.
    pub unacknowledged_share: Option<f64>,
    pub median_resolution_gap_secs: Option<f64>,
    /// Share (0..=1) of restored claims (with a measurement) above the measured share.
    pub overstated_share: Option<f64>,
}

/// The scorecard of what `derived` holds since `since`.
pub fn scorecard(derived: &Derived, since: DateTime<Utc>) -> Scorecard {
    let incidents: Vec<&IncidentMeasure> = derived
        .incidents
        .iter()
        .filter(|m| m.first_post_at >= since)
        .collect();
    let outages: Vec<usize> = (0..derived.outages.len())
        .filter(|&k| derived.outages[k].started_at >= since)
        .collect();
    let acked: HashSet<usize> = derived.incidents.iter().filter_map(|m| m.outage).collect();
    let acks: Vec<i64> = incidents.iter().filter_map(|m| m.ack_delay_secs).collect();
    let claims: Vec<bool> = derived
        .restored_claims
        .iter()
        .filter(|c| c.at >= since)
        .filter_map(RestoredClaim::overstated)
        .collect();
    Scorecard {
        incidents: incidents.len(),
        measured_outages: outages.len(),
        median_ack_delay_secs: median(acks.clone()),
        worst_ack_delay_secs: acks.iter().copied().max(),
        unacknowledged_share: (!outages.is_empty()).then(|| {
            outages.iter().filter(|k| !acked.contains(k)).count() as f64 / outages.len() as f64
        }),
        median_resolution_gap_secs: median(
            incidents
                .iter()
                .filter_map(|m| m.resolution_gap_secs)
                .collect(),
        ),
        overstated_share: (!claims.is_empty())
            .then(|| claims.iter().filter(|&&o| o).count() as f64 / claims.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 17, 9, 0, 0).unwrap() + Duration::minutes(m)
    }

    fn samples(target_id: i64, oks: &[bool]) -> Vec<Sample> {
        oks.iter()
            .enumerate()
            .map(|(i, &ok)| Sample {
                target_id,
                at: t(i as i64),
                ok,
            })
            .collect()
    }

    #[test]
    fn one_lost_probe_is_no_outage_but_two_are() {
        let s = samples(1, &[true, false, true, false, false, true]);
        let w = target_outages(&s, 2);
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].started_at, w[0].ended_at), (t(3), Some(t(5))));
        assert_eq!(target_outages(&s, 1).len(), 2);
    }

    #[test]
    fn a_target_still_down_has_an_open_outage() {
        let w = target_outages(&samples(1, &[true, false, false, false]), 2);
        assert_eq!(w[0].ended_at, None);
        let merged = measured_outages(&w, &[]);
        assert_eq!(merged[0].ended_at, None);
    }

    #[test]
    fn overlapping_target_outages_make_one_provider_outage() {
        let mut s = samples(1, &[true, false, false, false, true, true]);
        s.extend(samples(2, &[true, true, false, false, false, true]));
        let d = derive(&s, &[], &DeriveSettings::default(), t(10));
        assert_eq!(d.outages.len(), 1);
        assert_eq!(
            (d.outages[0].started_at, d.outages[0].ended_at),
            (t(1), Some(t(5)))
        );
        assert_eq!(d.outages[0].targets_down, 2);
        assert_eq!(d.outages[0].min_share_up, Some(0.0));
        // Minute 3: both down; minute 4: one back.
        let at = |m| {
            d.minutes
                .iter()
                .find(|x| x.minute == t(m))
                .unwrap()
                .share_up()
        };
        assert_eq!((at(0), at(3), at(4), at(5)), (100.0, 0.0, 50.0, 100.0));
    }

    #[test]
    fn a_stale_target_is_not_counted() {
        let mut s = samples(1, &[true; 30]);
        s.push(Sample {
            target_id: 2,
            at: t(0),
            ok: false,
        });
        let m = minutes(&s, Duration::minutes(10));
        assert_eq!(m[0].targets, 2);
        assert_eq!(m[20].targets, 1, "target 2 said nothing for 20 minutes");
    }

    #[test]
    fn an_incident_far_from_any_outage_stays_unmatched_and_the_outage_unacknowledged() {
        let inc = IncidentRow {
            id: 7,
            provider_id: 1,
            provider: "p".into(),
            key: "k".into(),
            title: None,
            started_at: t(600),
            ended_at: Some(t(660)),
            last_phase: Some(Phase::Resolved),
        };
        let outages = vec![MeasuredOutage {
            started_at: t(0),
            ended_at: Some(t(30)),
            targets_down: 1,
            min_share_up: Some(50.0),
        }];
        let m = match_incidents(&[(inc, Vec::new())], &outages, Duration::hours(2), t(700));
        assert_eq!(m[0].outage, None);
        assert_eq!(m[0].ack_delay_secs, None);
        let d = Derived {
            outages,
            incidents: m,
            ..Derived::default()
        };
        assert_eq!(scorecard(&d, t(-10)).unacknowledged_share, Some(1.0));
    }
}
