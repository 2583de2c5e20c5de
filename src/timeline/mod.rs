//! Timeline: groups a provider's posts into incidents and turns every statement into an event of
//! the normalized provider-reported timeline.
//!
//! Pure functions over stored posts: the same posts always give the same incidents with the same
//! keys, so the timeline can be rebuilt after every poll while incident ids (and the notifications
//! tied to them) stay stable.
//!
//! Grouping, in order:
//!
//! 1. Posts that carry the provider's own incident id — a `thread_key` from a source kind whose
//!    keys name incidents ([`SourceKind::keys_name_incidents`]: Statuspage feed and API, status.io,
//!    …) — belong to that incident, whichever of the provider's sources they come from: a
//!    Statuspage history feed and the same page's API both key an update by the incident code, so
//!    an update seen by both is one incident (with events from both posts, each pointing to its
//!    own post). Its key is `incident:<id>`.
//! 2. Other posts (social accounts, plain feeds, imports) join the keyed incident they fall in or
//!    near in time: from `keyed_margin` before its first post to its resolution (a later
//!    "resolved" or postmortem up to `keyed_margin` after it), or, while it is open, up to the
//!    quiet gap after its last post. When several fit, the one sharing the most words with the
//!    post (component and product names) wins, then the nearest in time. A reply thread follows
//!    its root.
//! 3. Otherwise, posts naming a reply thread (`thread_key` of a social source) group by thread
//!    within their source; the root of a thread, which carries no key of its own, joins the
//!    thread its replies open, under the key its own incident had before they came.
//! 4. The rest join the provider's open incident unless it was closed by a resolved marker (a
//!    later postmortem or repeated "resolved" still joins it) or the quiet gap since its last post
//!    has passed. A post with no statement never opens an incident.
//!
//! [`SourceKind::keys_name_incidents`]: crate::sources::SourceKind::keys_name_incidents

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{Phase, Yield};
use crate::sources::SourceKind;
use crate::store::{EventDraft, IncidentDraft, PostRow, PostWithStatements};

/// How posts are grouped.
#[derive(Debug, Clone, Copy)]
pub struct GroupingSettings {
    /// A post after this much silence starts a new incident.
    pub quiet_gap: Duration,
    /// How long before a keyed incident's first post, or after its resolution, a post without an
    /// incident id still joins it.
    pub keyed_margin: Duration,
}

impl Default for GroupingSettings {
    fn default() -> Self {
        GroupingSettings {
            quiet_gap: Duration::from_secs(6 * 3600),
            keyed_margin: Duration::from_secs(3600),
        }
    }
}

struct Group {
    key: String,
    title: Option<String>,
    first_rank: usize,
    first_post_at: DateTime<Utc>,
    last_post_at: DateTime<Utc>,
    closed: bool,
    /// When the post that closed it was published (while `closed`).
    closed_at: Option<DateTime<Utc>>,
    /// When the post that last set `closed` was published.
    state_at: Option<DateTime<Utc>>,
    /// Words of its keyed posts' titles and texts, to match posts without an incident id.
    words: HashSet<String>,
    events: Vec<(usize, EventDraft)>,
}

/// The provider-wide incident id a post carries, if its source kind's keys name incidents.
fn incident_key(post: &PostRow) -> Option<String> {
    let key = post.thread_key.as_deref()?;
    SourceKind::from_name(&post.source_kind)
        .filter(|k| k.keys_name_incidents())
        .map(|_| format!("incident:{key}"))
}

/// Builds the incidents of one provider from its posts (any order).
pub fn build(posts: &[PostWithStatements], settings: GroupingSettings) -> Vec<IncidentDraft> {
    let mut order: Vec<&PostWithStatements> = posts.iter().collect();
    order.sort_by_key(|p| (p.post.published_at, p.post.id));

    let to_chrono = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let gap = to_chrono(settings.quiet_gap);
    let margin = to_chrono(settings.keyed_margin);
    let mut groups: Vec<Group> = Vec::new();
    let mut by_thread: HashMap<String, usize> = HashMap::new();
    let mut open_free: Option<usize> = None;
    let incident_keys: Vec<Option<String>> = order.iter().map(|p| incident_key(&p.post)).collect();

    // 1. Keyed posts, all sources of the provider together.
    for (rank, pws) in order.iter().enumerate() {
        let Some(key) = &incident_keys[rank] else {
            continue;
        };
        let i = match by_thread.get(key) {
            Some(&i) => i,
            None => {
                groups.push(new_group(key.clone(), rank, pws));
                by_thread.insert(key.clone(), groups.len() - 1);
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.words
            .extend(words(pws.post.title.as_deref().unwrap_or("")));
        g.words.extend(words(&pws.post.text));
        add_post(g, rank, pws);
    }
    let keyed = groups.len();

    // Thread keys per post, per source, for posts whose keys are reply threads. A post whose own
    // id is a key is that thread's root; a key naming a post that has a key of its own (a reply
    // to a reply, read in another poll than its root) leads up to that post's thread.
    let free: Vec<&PostRow> = order
        .iter()
        .zip(&incident_keys)
        .filter(|(_, k)| k.is_none())
        .map(|(p, _)| &p.post)
        .collect();
    let keys: HashMap<(i64, &str), &str> = free
        .iter()
        .filter_map(|p| {
            let key = p.thread_key.as_deref()?;
            Some(((p.source_id, p.external_id.as_str()), key))
        })
        .collect();
    let ids: HashSet<(i64, &str)> = free
        .iter()
        .map(|p| (p.source_id, p.external_id.as_str()))
        .collect();
    let named: HashSet<(i64, &str)> = keys
        .iter()
        .map(|(&(source, _), &key)| (source, key))
        .collect();
    let thread_of = |post: &PostRow| -> Option<String> {
        let source = post.source_id;
        let mut key = match post.thread_key.as_deref() {
            Some(k) => k,
            None if named.contains(&(source, post.external_id.as_str())) => {
                post.external_id.as_str()
            }
            None => return None,
        };
        // Up the chain, bounded (a cycle ends somewhere, the same place every time).
        for _ in 0..64 {
            match keys.get(&(source, key)) {
                Some(&up) if up != key => key = up,
                _ => break,
            }
        }
        // A thread rooted in a stored post keeps the key that post's incident had before any
        // reply arrived, so the incident (and its id) survives its first reply.
        Some(if ids.contains(&(source, key)) {
            format!("post:{source}:{key}")
        } else {
            format!("thread:{source}:{key}")
        })
    };

    // 2–4. Posts without an incident id, in time order.
    for (rank, pws) in order.iter().enumerate() {
        if incident_keys[rank].is_some() {
            continue;
        }
        let post = &pws.post;
        let events = post_events(pws);
        let phases: Vec<Phase> = events.iter().filter_map(|e| e.phase).collect();
        let aftermath_only = !phases.is_empty()
            && phases
                .iter()
                .all(|p| matches!(p, Phase::Postmortem | Phase::Resolved));
        let thread = thread_of(post);

        let idx = match thread.as_ref().and_then(|t| by_thread.get(t)) {
            Some(&i) => Some(i),
            None => match nearby_keyed(&groups[..keyed], post, aftermath_only, margin, gap) {
                Some(i) => {
                    if let Some(t) = thread {
                        by_thread.insert(t, i);
                    }
                    Some(i)
                }
                None => match thread {
                    Some(t) => {
                        groups.push(new_group(t.clone(), rank, pws));
                        by_thread.insert(t, groups.len() - 1);
                        Some(groups.len() - 1)
                    }
                    None => {
                        let joins_open = open_free.filter(|&i| {
                            let g = &groups[i];
                            let within_gap = post.published_at - g.last_post_at <= gap;
                            within_gap && (!g.closed || aftermath_only)
                        });
                        match joins_open {
                            Some(i) => Some(i),
                            None if events.is_empty() => None,
                            None => {
                                let key = format!("post:{}:{}", post.source_id, post.external_id);
                                groups.push(new_group(key, rank, pws));
                                open_free = Some(groups.len() - 1);
                                open_free
                            }
                        }
                    }
                },
            },
        };
        let Some(i) = idx else { continue };
        add_post(&mut groups[i], rank, pws);
    }

    groups.sort_by_key(|g| g.first_rank);
    groups
        .into_iter()
        .filter(|g| !g.events.is_empty())
        .map(finish)
        .collect()
}

/// Adds a post's events to its incident and follows the phase it leaves the incident in.
fn add_post(g: &mut Group, rank: usize, pws: &PostWithStatements) {
    let post = &pws.post;
    let events = post_events(pws);
    g.first_post_at = g.first_post_at.min(post.published_at);
    g.last_post_at = g.last_post_at.max(post.published_at);
    let last = events.iter().filter_map(|e| e.phase).next_back();
    // Keyed incidents take the posts without an id after their own: a post earlier than the
    // one that last set the state does not change it.
    let latest = g.state_at.is_none_or(|at| post.published_at >= at);
    if let Some(last) = last.filter(|_| latest) {
        g.state_at = Some(post.published_at);
        // A closing marker closes; any other phase (re)opens, except a postmortem after
        // resolution which leaves the incident closed.
        if last.closes_incident() {
            g.closed = true;
            g.closed_at = Some(post.published_at);
        } else if last != Phase::Postmortem {
            g.closed = false;
            g.closed_at = None;
        }
    }
    g.events.extend(events.into_iter().map(|e| (rank, e)));
}

/// The keyed incident a post without an incident id belongs to by time (and, among several, by
/// shared words, then by distance in time).
fn nearby_keyed(
    keyed: &[Group],
    post: &PostRow,
    aftermath_only: bool,
    margin: chrono::Duration,
    gap: chrono::Duration,
) -> Option<usize> {
    let t = post.published_at;
    let post_words = words(&format!(
        "{} {}",
        post.title.as_deref().unwrap_or(""),
        post.text
    ));
    keyed
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            let from = g.first_post_at - margin;
            let until = match g.closed_at.filter(|_| g.closed) {
                Some(closed) if aftermath_only => closed + margin,
                Some(closed) => closed,
                None => g.last_post_at + gap,
            };
            from <= t && t <= until
        })
        .max_by_key(|(i, g)| {
            let shared = post_words.intersection(&g.words).count();
            let distance = if t < g.first_post_at {
                g.first_post_at - t
            } else if t > g.last_post_at {
                t - g.last_post_at
            } else {
                chrono::Duration::zero()
            };
            (shared, std::cmp::Reverse(distance), std::cmp::Reverse(*i))
        })
        .map(|(i, _)| i)
}

/// Words that can tell incidents apart: four letters or more, lowercased, not the vocabulary
/// every status update uses.
fn words(text: &str) -> HashSet<String> {
    const COMMON: &[&str] = &[
        "about",
        "affected",
        "affecting",
        "also",
        "been",
        "being",
        "continue",
        "continuing",
        "currently",
        "elevated",
        "error",
        "errors",
        "from",
        "have",
        "identified",
        "impact",
        "incident",
        "investigating",
        "issue",
        "issues",
        "look",
        "looking",
        "monitor",
        "monitoring",
        "more",
        "other",
        "resolved",
        "some",
        "that",
        "their",
        "them",
        "they",
        "this",
        "update",
        "updates",
        "users",
        "were",
        "will",
        "with",
        "working",
        "avec",
        "cours",
        "dans",
        "nous",
        "pour",
        "problème",
        "résolu",
        "sont",
        "suivi",
        "vous",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .filter(|w| !COMMON.contains(&w.as_str()))
        .collect()
}

fn new_group(key: String, rank: usize, pws: &PostWithStatements) -> Group {
    let title = pws
        .post
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| pws.post.text.lines().next().map(|l| truncate(l, 120)));
    Group {
        key,
        title,
        first_rank: rank,
        first_post_at: pws.post.published_at,
        last_post_at: pws.post.published_at,
        closed: false,
        closed_at: None,
        state_at: None,
        words: HashSet::new(),
        events: Vec::new(),
    }
}

fn finish(g: Group) -> IncidentDraft {
    let mut events = g.events;
    // Timeline order: when it happened per the provider, then posting order, then text order.
    events.sort_by_key(|(rank, e)| (e.at, *rank, e.posted_at));
    let events: Vec<EventDraft> = events.into_iter().map(|(_, e)| e).collect();
    // The last word is the most advanced phase of the latest post that stated one: a post that
    // says "resolved; our investigation of the cause continues" is a resolution.
    let latest_post = events
        .iter()
        .filter(|e| e.phase.is_some())
        .max_by_key(|e| (e.posted_at, e.post_id))
        .map(|e| e.post_id);
    let last_phase = events
        .iter()
        .filter(|e| Some(e.post_id) == latest_post)
        .filter_map(|e| e.phase)
        .max();
    let started_at = events.iter().map(|e| e.at).min().expect("non-empty");
    let ended_at = match last_phase {
        Some(p) if p.closes_incident() || p == Phase::Postmortem => events
            .iter()
            .filter(|e| e.phase.is_some_and(Phase::closes_incident))
            .map(|e| e.at)
            .max(),
        _ => None,
    };
    IncidentDraft {
        key: g.key,
        title: g.title,
        started_at,
        ended_at,
        last_phase,
        events,
    }
}

/// One event per distinct statement of a post (a phase or percentage stated twice in one post,
/// say by the source's own label and by a rule, is one event; the source label wins).
fn post_events(pws: &PostWithStatements) -> Vec<EventDraft> {
    let post = &pws.post;
    let mut seen: Vec<Yield> = Vec::new();
    let mut stmts: Vec<_> = pws.statements.iter().collect();
    // Source labels first so they win deduplication; then text order.
    stmts.sort_by_key(|s| {
        (
            !s.statement.rule_id.starts_with("source:"),
            s.statement.span.0,
        )
    });
    let mut events = Vec::new();
    for s in stmts {
        let st = &s.statement;
        if seen.contains(&st.yields) {
            continue;
        }
        seen.push(st.yields);
        let excerpt = excerpt(&post.text, st.span, &st.matched);
        events.push((
            st.span.0,
            EventDraft {
                post_id: post.id,
                statement_id: Some(s.id),
                // A time ahead of the post (the window a maintenance notice announces) is when
                // something will happen, not when it did: the event stays at the post.
                at: st
                    .mentioned_at
                    .filter(|m| *m <= post.published_at + crate::extract::AHEAD_SLACK)
                    .unwrap_or(post.published_at),
                posted_at: post.published_at,
                mentioned_at: st.mentioned_at,
                phase: st.phase(),
                restored_pct: st.restored().map(|p| p.value()),
                affected_pct: st.affected().map(|p| p.value()),
                rule_id: Some(st.rule_id.clone()),
                excerpt,
            },
        ));
    }
    events.sort_by_key(|(pos, _)| *pos);
    events.into_iter().map(|(_, e)| e).collect()
}

/// The line of the post around a match, shortened for display.
fn excerpt(text: &str, span: (usize, usize), matched: &str) -> String {
    let (start, end) = span;
    if start <= end
        && end <= text.len()
        && text.is_char_boundary(start)
        && text.is_char_boundary(end)
    {
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        truncate(&text[line_start..line_end], 200)
    } else {
        truncate(matched, 200)
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max_chars - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Percent, Statement};
    use crate::store::StoredStatement;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0).unwrap()
    }

    fn post(id: i64, time: DateTime<Utc>, text: &str, yields: &[Yield]) -> PostWithStatements {
        PostWithStatements {
            post: PostRow {
                id,
                source_id: 1,
                source_kind: "feed".into(),
                provider_id: 1,
                external_id: format!("e{id}"),
                url: None,
                published_at: time,
                fetched_at: time,
                title: None,
                text: text.to_string(),
                lang: Some("fr".into()),
                thread_key: None,
                status_label: None,
                backfilled: false,
                version: 1,
            },
            statements: yields
                .iter()
                .enumerate()
                .map(|(i, y)| StoredStatement {
                    id: id * 10 + i as i64,
                    post_id: id,
                    statement: Statement {
                        yields: *y,
                        mentioned_at: None,
                        rule_id: "test".into(),
                        span: (0, text.len()),
                        matched: text.to_string(),
                    },
                })
                .collect(),
        }
    }

    #[test]
    fn resolved_closes_and_postmortem_joins_the_closed_incident() {
        let posts = vec![
            post(
                1,
                at(10, 0),
                "incident",
                &[Yield::Phase(Phase::Investigating)],
            ),
            post(2, at(11, 0), "résolu", &[Yield::Phase(Phase::Resolved)]),
            post(3, at(12, 0), "rapport", &[Yield::Phase(Phase::Postmortem)]),
            post(
                4,
                at(13, 0),
                "nouvel incident",
                &[Yield::Phase(Phase::Investigating)],
            ),
        ];
        let incidents = build(&posts, GroupingSettings::default());
        assert_eq!(incidents.len(), 2);
        assert_eq!(incidents[0].events.len(), 3);
        assert_eq!(incidents[0].ended_at, Some(at(11, 0)));
        assert_eq!(incidents[0].last_phase, Some(Phase::Postmortem));
        assert_eq!(incidents[1].started_at, at(13, 0));
        assert_eq!(incidents[1].ended_at, None);
    }

    #[test]
    fn quiet_gap_starts_a_new_incident_and_chatter_opens_none() {
        let posts = vec![
            post(1, at(1, 0), "promo -15 %", &[]),
            post(
                2,
                at(2, 0),
                "incident",
                &[Yield::Phase(Phase::Investigating)],
            ),
            post(3, at(3, 0), "pas un DDoS", &[]),
            post(
                4,
                at(12, 0),
                "incident",
                &[Yield::Phase(Phase::Investigating)],
            ),
        ];
        let incidents = build(
            &posts,
            GroupingSettings {
                quiet_gap: Duration::from_secs(3 * 3600),
                ..GroupingSettings::default()
            },
        );
        assert_eq!(incidents.len(), 2);
        assert_eq!(incidents[0].key, "post:1:e2");
        assert_eq!(incidents[1].key, "post:1:e4");
    }

    #[test]
    fn mentioned_time_places_the_event_and_both_times_are_kept() {
        let mut p = post(
            1,
            at(11, 50),
            "identifié vers 11h30",
            &[
                Yield::Phase(Phase::Identified),
                Yield::Restored(Percent::new(90.0).unwrap()),
            ],
        );
        p.statements[0].statement.mentioned_at = Some(at(10, 30));
        let incidents = build(&[p], GroupingSettings::default());
        let ev = &incidents[0].events;
        assert_eq!(ev[0].at, at(10, 30));
        assert_eq!(ev[0].posted_at, at(11, 50));
        assert_eq!(ev[0].mentioned_at, Some(at(10, 30)));
        assert_eq!(ev[1].restored_pct, Some(90.0));
        assert_eq!(ev[1].at, at(11, 50));
    }

    #[test]
    fn a_window_announced_ahead_is_kept_as_mentioned_and_the_event_stays_at_the_post() {
        let mut p = post(
            1,
            at(9, 0),
            "Maintenance programmée le 30 novembre de 2h à 4h",
            &[Yield::Phase(Phase::MaintenanceScheduled)],
        );
        let window = at(9, 0) + chrono::Duration::days(2);
        p.statements[0].statement.mentioned_at = Some(window);
        let incidents = build(&[p], GroupingSettings::default());
        let ev = &incidents[0].events;
        assert_eq!(ev[0].at, at(9, 0));
        assert_eq!(ev[0].mentioned_at, Some(window));
    }

    #[test]
    fn thread_keys_group_regardless_of_gaps_and_keys_are_stable() {
        let mut a = post(1, at(1, 0), "x", &[Yield::Phase(Phase::Investigating)]);
        let mut b = post(2, at(20, 0), "y", &[Yield::Phase(Phase::Resolved)]);
        a.post.thread_key = Some("inc-9".into());
        b.post.thread_key = Some("inc-9".into());
        let once = build(&[a.clone(), b.clone()], GroupingSettings::default());
        let again = build(&[b, a], GroupingSettings::default());
        assert_eq!(once.len(), 1);
        assert_eq!(once, again);
        assert_eq!(once[0].key, "thread:1:inc-9");
    }

    #[test]
    fn a_reply_threads_root_joins_the_thread_its_replies_name() {
        let root = post(1, at(9, 0), "x", &[Yield::Phase(Phase::Investigating)]);
        let mut reply = post(2, at(9, 30), "y", &[Yield::Phase(Phase::Resolved)]);
        reply.post.thread_key = Some(root.post.external_id.clone());
        let later = post(3, at(10, 0), "z", &[Yield::Phase(Phase::Investigating)]);
        let incidents = build(&[root, reply, later], GroupingSettings::default());
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        assert_eq!(incidents[0].events.len(), 2);
        assert_eq!(incidents[0].last_phase, Some(Phase::Resolved));
        // The root's own open incident did not swallow the unrelated later post.
        assert_eq!(incidents[1].events.len(), 1);
    }

    #[test]
    fn a_root_keeps_its_incident_key_when_its_first_reply_arrives() {
        let root = post(1, at(9, 0), "x", &[Yield::Phase(Phase::Investigating)]);
        let before = build(std::slice::from_ref(&root), GroupingSettings::default());
        let mut reply = post(2, at(9, 30), "y", &[Yield::Phase(Phase::Resolved)]);
        reply.post.thread_key = Some("e1".into());
        let after = build(&[root, reply], GroupingSettings::default());
        assert_eq!(before.len(), 1);
        assert_eq!(after.len(), 1);
        assert_eq!(before[0].key, after[0].key);
        assert_eq!(after[0].events.len(), 2);
    }

    #[test]
    fn a_reply_to_a_reply_read_later_joins_the_roots_thread() {
        let a = post(1, at(9, 0), "x", &[Yield::Phase(Phase::Investigating)]);
        let mut b = post(2, at(9, 30), "y", &[Yield::Phase(Phase::Identified)]);
        b.post.thread_key = Some("e1".into());
        // Read in a later poll than its parent: it names its parent, not the root.
        let mut c = post(3, at(10, 0), "z", &[Yield::Phase(Phase::Resolved)]);
        c.post.thread_key = Some("e2".into());
        // The same ids on another source are another thread.
        let mut other = post(4, at(10, 5), "w", &[Yield::Phase(Phase::Investigating)]);
        other.post.source_id = 2;
        other.post.thread_key = Some("e2".into());
        let incidents = build(&[c, other, a, b], GroupingSettings::default());
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        assert_eq!(incidents[0].key, "post:1:e1");
        assert_eq!(incidents[0].events.len(), 3);
        assert_eq!(incidents[0].last_phase, Some(Phase::Resolved));
        assert_eq!(incidents[1].key, "thread:2:e2");
    }

    #[test]
    fn the_most_advanced_phase_of_the_latest_post_is_the_last_word() {
        let p = post(
            1,
            at(9, 0),
            "resolved; investigation continues",
            &[
                Yield::Phase(Phase::Resolved),
                Yield::Phase(Phase::Investigating),
            ],
        );
        let incidents = build(&[p], GroupingSettings::default());
        assert_eq!(incidents[0].last_phase, Some(Phase::Resolved));
        assert_eq!(incidents[0].ended_at, Some(at(9, 0)));
    }

    #[test]
    fn same_yield_twice_in_one_post_is_one_event() {
        let p = post(
            1,
            at(9, 0),
            "resolved",
            &[Yield::Phase(Phase::Resolved), Yield::Phase(Phase::Resolved)],
        );
        assert_eq!(build(&[p], GroupingSettings::default())[0].events.len(), 1);
    }

    fn keyed(
        id: i64,
        source: i64,
        kind: &str,
        key: &str,
        time: DateTime<Utc>,
        title: &str,
        yields: &[Yield],
    ) -> PostWithStatements {
        let mut p = post(id, time, "update", yields);
        p.post.source_id = source;
        p.post.source_kind = kind.into();
        p.post.thread_key = Some(key.into());
        p.post.title = Some(title.into());
        p
    }

    #[test]
    fn a_statuspage_feed_and_api_update_of_one_incident_is_one_incident() {
        let inv = [Yield::Phase(Phase::Investigating)];
        let res = [Yield::Phase(Phase::Resolved)];
        let posts = vec![
            keyed(1, 1, "statuspage_feed", "abc", at(9, 0), "API down", &inv),
            keyed(2, 2, "statuspage_api", "abc", at(9, 0), "API down", &inv),
            keyed(3, 2, "statuspage_api", "abc", at(10, 0), "API down", &res),
            // Another kind of source whose keys are reply threads: not the incident.
            keyed(4, 3, "mastodon_api", "abc", at(13, 0), "x", &inv),
        ];
        let incidents = build(&posts, GroupingSettings::default());
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        assert_eq!(incidents[0].key, "incident:abc");
        let post_ids: Vec<i64> = incidents[0].events.iter().map(|e| e.post_id).collect();
        assert_eq!(post_ids, [1, 2, 3]);
        assert_eq!(incidents[0].ended_at, Some(at(10, 0)));
        assert_eq!(incidents[1].key, "thread:3:abc");
    }

    #[test]
    fn social_posts_join_the_keyed_incident_they_fall_in_or_near() {
        let inv = [Yield::Phase(Phase::Investigating)];
        let res = [Yield::Phase(Phase::Resolved)];
        let posts = vec![
            keyed(1, 1, "statuspage_api", "abc", at(9, 0), "API down", &inv),
            keyed(2, 1, "statuspage_api", "abc", at(10, 0), "API down", &res),
            // Shortly before the page spoke, during, and a late "resolved" after.
            post(3, at(8, 40), "we see errors", &inv),
            post(
                4,
                at(9, 30),
                "still on it",
                &[Yield::Phase(Phase::Identified)],
            ),
            post(5, at(10, 20), "all good", &res),
            // After the resolution, a new problem: its own incident (the earlier social posts
            // did not reopen the keyed one).
            post(6, at(10, 30), "new problem", &inv),
        ];
        let incidents = build(&posts, GroupingSettings::default());
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        let mut ids: Vec<i64> = incidents[0].events.iter().map(|e| e.post_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        assert_eq!(incidents[1].key, "post:1:e6");
    }

    #[test]
    fn among_overlapping_keyed_incidents_shared_words_decide() {
        let inv = [Yield::Phase(Phase::Investigating)];
        let posts = vec![
            keyed(
                1,
                1,
                "statuspage_api",
                "a",
                at(9, 0),
                "Webhooks delayed",
                &inv,
            ),
            keyed(
                2,
                1,
                "statuspage_api",
                "b",
                at(9, 10),
                "Packages unavailable",
                &inv,
            ),
            post(3, at(9, 20), "Webhooks deliveries are slow", &inv),
            post(4, at(9, 25), "Installing packages fails", &inv),
        ];
        let incidents = build(&posts, GroupingSettings::default());
        assert_eq!(incidents.len(), 2);
        let ids =
            |n: usize| -> Vec<i64> { incidents[n].events.iter().map(|e| e.post_id).collect() };
        assert_eq!(ids(0), [1, 3]);
        assert_eq!(ids(1), [2, 4]);
    }

    #[test]
    fn a_reply_thread_follows_its_root_into_a_keyed_incident() {
        let inv = [Yield::Phase(Phase::Investigating)];
        let posts = vec![
            keyed(1, 1, "statuspage_api", "abc", at(9, 0), "API down", &inv),
            post(2, at(9, 5), "root", &inv),
            {
                // Long after, but in the thread the root opened.
                let mut reply = post(3, at(20, 0), "fixed", &[Yield::Phase(Phase::Resolved)]);
                reply.post.thread_key = Some("e2".into());
                reply
            },
        ];
        let incidents = build(&posts, GroupingSettings::default());
        assert_eq!(incidents.len(), 1, "{incidents:#?}");
        assert_eq!(incidents[0].events.len(), 3);
    }

    #[test]
    fn a_social_post_inside_a_resolved_keyed_incident_does_not_reopen_it() {
        let posts = vec![
            keyed(
                1,
                1,
                "statuspage_feed",
                "abc",
                at(9, 0),
                "API down",
                &[Yield::Phase(Phase::Investigating)],
            ),
            keyed(
                2,
                1,
                "statuspage_feed",
                "abc",
                at(10, 0),
                "API down",
                &[Yield::Phase(Phase::Resolved)],
            ),
            post(
                3,
                at(9, 30),
                "still looking",
                &[Yield::Phase(Phase::Investigating)],
            ),
            post(
                4,
                at(10, 30),
                "another problem",
                &[Yield::Phase(Phase::Investigating)],
            ),
        ];
        let incidents = build(&posts, GroupingSettings::default());
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        assert_eq!(incidents[0].last_phase, Some(Phase::Resolved));
        assert_eq!(incidents[1].key, "post:1:e4");
    }
}
