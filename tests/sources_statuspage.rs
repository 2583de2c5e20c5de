//! Statuspage history feeds and JSON API documents, parsed from real captures
//! (`tests/fixtures/sources/PROVENANCE.md`): counts per label, first and last update times in
//! UTC, ids, thread keys and the text the rules read.

mod common;

use chrono::{DateTime, Timelike, Utc};
use common::{first_last, fixture, label_counts, utc};
use statustrail::model::Phase;
use statustrail::sources::{parse_document, sniff, SourceKind};

fn feed(name: &str) -> Vec<statustrail::model::FetchedItem> {
    let bytes = fixture(name);
    assert_eq!(sniff(&bytes), Some(SourceKind::StatuspageFeed), "{name}");
    SourceKind::StatuspageFeed
        .parse(&bytes, Utc::now())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (file, label counts, first update, last update), all in UTC.
const GOLDEN: &[(&str, &str, &str, &str)] = &[
    (
        "githubstatus-history-2019-11-22.atom",
        "identified=1 investigating=23 monitoring=1 none=50 resolved=25",
        "2019-03-05T15:49:00+00:00",
        "2019-11-20T03:25:00+00:00",
    ),
    (
        "githubstatus-history-2022-06-11.atom",
        "investigating=20 maintenance_completed=5 maintenance_scheduled=5 maintenance_started=5 none=38 resolved=20",
        "2022-03-24T19:11:00+00:00",
        "2022-06-08T19:13:00+00:00",
    ),
    (
        "githubstatus-history-2024-06-06-three-open.atom",
        "investigating=27 none=97 resolved=24",
        "2024-04-09T18:36:00+00:00",
        "2024-06-06T04:21:00+00:00",
    ),
    (
        "githubstatus-history-2026-08-22.atom",
        "investigating=25 monitoring=16 none=112 resolved=25",
        "2026-07-25T08:59:00+00:00",
        "2026-08-21T00:37:00+00:00",
    ),
    (
        "digitalocean-history-2020-01-05.rss",
        "identified=10 investigating=16 maintenance_completed=2 maintenance_scheduled=2 maintenance_started=2 monitoring=20 none=10 resolved=23",
        "2019-11-14T18:03:00+00:00",
        "2020-01-05T03:38:00+00:00",
    ),
    // Pacific time: "PDT" in August (-07:00), "PST" in November (-08:00); Verifying → monitoring.
    (
        "atlassian-statuspage-history-2019-12-15-pacific.atom",
        "identified=6 investigating=7 maintenance_completed=3 maintenance_scheduled=3 maintenance_started=2 monitoring=12 none=2 resolved=22",
        "2019-08-05T20:29:00+00:00",
        "2019-11-29T10:31:00+00:00",
    ),
    // 2014 markup: no <var> tags, "Jan  1, 09:09 PST", "PST" written all summer, a Postmortem.
    (
        "parse-status-history-2014-01.rss",
        "identified=9 investigating=9 none=2 postmortem=1 resolved=17",
        "2013-07-22T21:54:00+00:00",
        "2014-01-01T17:09:00+00:00",
    ),
    (
        "staffbase-history-2021-12-cet.rss",
        "investigating=2 monitoring=2 none=2 resolved=2",
        "2021-12-17T12:38:00+00:00",
        "2021-12-23T09:30:00+00:00",
    ),
    (
        "symantec-wss-history-2020-01-02.atom",
        "identified=3 investigating=4 maintenance_completed=8 maintenance_scheduled=12 maintenance_started=8 monitoring=4 none=6 resolved=13",
        "2019-10-14T15:40:00+00:00",
        "2020-01-02T15:41:00+00:00",
    ),
];

#[test]
fn history_feeds_split_into_one_item_per_update_with_its_label_and_time() {
    for (name, labels, first, last) in GOLDEN {
        let items = feed(name);
        assert_eq!(label_counts(&items), *labels, "{name}");
        assert_eq!(
            first_last(&items),
            (first.to_string(), last.to_string()),
            "{name}"
        );
        let mut ids: Vec<_> = items.iter().map(|i| &i.external_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), items.len(), "{name}: ids are unique");
    }
}

#[test]
fn every_incident_starts_at_its_item_date_whatever_the_zone_and_year() {
    // The item's own date carries a numeric offset; its first update is written with the page's
    // abbreviation and no year. Both must name the same minute.
    for name in [
        "atlassian-statuspage-history-2019-12-15-pacific.atom",
        "parse-status-history-2014-01.rss",
        "staffbase-history-2021-12-cet.rss",
        "githubstatus-history-2019-11-22.atom",
    ] {
        let bytes = fixture(name);
        let parsed = feed_rs::parser::parse(&bytes[..]).unwrap();
        let items = feed(name);
        for e in parsed.entries {
            let link = &e.links[0].href;
            let code = link.rsplit('/').next().unwrap();
            let published: DateTime<Utc> = e.published.or(e.updated).unwrap();
            let minute = published
                .with_second(0)
                .unwrap()
                .with_nanosecond(0)
                .unwrap();
            let times: Vec<_> = items
                .iter()
                .filter(|i| i.thread_key.as_deref() == Some(code))
                .filter_map(|i| i.published_at)
                .collect();
            assert!(
                times.contains(&minute),
                "{name} {code}: item dated {published}, updates at {times:?}"
            );
        }
    }
}

#[test]
fn an_update_carries_the_incident_code_a_stable_id_and_prose_without_its_label() {
    let items = feed("githubstatus-history-2019-11-22.atom");
    let incident: Vec<_> = items
        .iter()
        .filter(|i| i.thread_key.as_deref() == Some("w7wlzstc8wss"))
        .collect();
    let summary: Vec<_> = incident
        .iter()
        .map(|i| {
            (
                i.published_at.unwrap().format("%H:%M").to_string(),
                i.status_label,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("01:19".to_string(), Some(Phase::Investigating)),
            ("01:52".to_string(), None),
            ("02:20".to_string(), None),
            ("02:50".to_string(), None),
            ("03:25".to_string(), Some(Phase::Resolved)),
        ]
    );
    let first = incident[0];
    assert_eq!(
        first.external_id,
        "w7wlzstc8wss#2019-11-20T01:19Z#investigating"
    );
    assert_eq!(
        first.text,
        "We are investigating problems starting runs for Actions workflows."
    );
    assert!(first.body.contains("<strong>Investigating</strong>"));
    assert_eq!(
        first.url.as_deref(),
        Some("https://www.githubstatus.com/incidents/w7wlzstc8wss")
    );
    assert_eq!(
        first.title.as_deref(),
        Some("Incident on 2019-11-20 01:19 UTC")
    );
    assert_eq!(first.lang.as_deref(), Some("en"));
}

#[test]
fn rss_and_atom_of_the_same_moment_give_the_same_items() {
    let a = feed("digitalocean-history-2020-01-21-maintenance-in-progress.atom");
    let r = feed("digitalocean-history-2020-01-21-maintenance-in-progress.rss");
    let key = |items: &[statustrail::model::FetchedItem]| {
        items
            .iter()
            .map(|i| (i.external_id.clone(), i.status_label, i.text.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&r));
}

#[test]
fn maintenance_updates_use_the_maintenance_phases() {
    let items = feed("githubstatus-history-2025-05-30-maintenance-in-progress.atom");
    let started: Vec<_> = items
        .iter()
        .filter(|i| i.status_label == Some(Phase::MaintenanceStarted))
        .collect();
    assert_eq!(started.len(), 4);
    // The "THIS IS A SCHEDULED EVENT …" header is not an update of its own.
    assert!(items
        .iter()
        .all(|i| !i.text.starts_with("THIS IS A SCHEDULED EVENT")));
}

/// A history.rss in the 2014 markup whose item, dated Jan 1, holds updates from Dec 31 (built for
/// this test from the Parse fixture's markup; no captured feed crosses New Year).
#[test]
fn a_december_update_in_a_january_item_belongs_to_the_previous_year() {
    let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example Status - Incident History</title><link>https://status.example.com</link>
<item><title>API errors</title><description>
&lt;p&gt;&lt;small&gt;Jan  1, 00:40 PST&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - Fixed.&lt;/p&gt;&lt;p&gt;&lt;small&gt;Dec 31, 23:55 PST&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Errors on the API.&lt;/p&gt;</description>
<pubDate>Wed, 01 Jan 2014 00:40:00 -0800</pubDate><link>https://status.example.com/incidents/ny2014</link><guid>https://status.example.com/incidents/ny2014</guid></item>
</channel></rss>"#;
    let items = parse_document(rss.as_bytes(), Utc::now()).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].published_at,
        Some(utc("2014-01-01T07:55:00Z")),
        "Dec 31 23:55 PST is 2013-12-31, 07:55 UTC on Jan 1"
    );
    assert_eq!(items[0].status_label, Some(Phase::Investigating));
    assert_eq!(items[1].published_at, Some(utc("2014-01-01T08:40:00Z")));
    assert_eq!(
        items[0].external_id,
        "ny2014#2014-01-01T07:55Z#investigating"
    );
}

#[test]
fn api_documents_give_one_item_per_update_keyed_by_incident() {
    let bytes = fixture("digitalocean-summary-2021-10-01-three-open.json");
    assert_eq!(sniff(&bytes), Some(SourceKind::StatuspageApi));
    let items = parse_document(&bytes, Utc::now()).unwrap();
    assert_eq!(label_counts(&items), "identified=3 monitoring=2");
    let it = items
        .iter()
        .find(|i| i.external_id == "w4dw1h1cxlxq")
        .unwrap();
    assert_eq!(it.thread_key.as_deref(), Some("szf0zjxvsjbd"));
    assert_eq!(it.status_label, Some(Phase::Monitoring));
    assert_eq!(it.published_at, Some(utc("2021-10-01T03:24:46.283Z")));
    assert!(it
        .text
        .starts_with("Our engineering team has identified an issue"));
    assert!(it.body.contains("Cloud Control Panel"), "components kept");
    assert!(it.body.contains("\"impact\":\"minor\""), "impact kept");

    // Twilio writes -07:00 offsets: stored in UTC.
    let items = parse_document(
        &fixture("statuspage-summary-twilio-incident.json"),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        label_counts(&items),
        "investigating=6 maintenance_scheduled=9 monitoring=1"
    );
    assert!(items.iter().all(|i| i.published_at.is_some()));

    let items = parse_document(
        &fixture("statuspage-summary-cloudamqp-maintenance.json"),
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        label_counts(&items),
        "maintenance_scheduled=1 maintenance_started=1"
    );
}

#[test]
fn french_pages_give_their_status_words_and_dates_in_french() {
    let items = feed("statuspage-history-fr-2026-12-02.atom");
    let got: Vec<(String, Option<Phase>, &str)> = items
        .iter()
        .map(|i| {
            (
                i.published_at.unwrap().to_rfc3339(),
                i.status_label,
                i.thread_key.as_deref().unwrap(),
            )
        })
        .collect();
    let row = |t: &str, p: Option<Phase>, k: &'static str| (t.to_string(), p, k);
    assert_eq!(
        got,
        [
            row(
                "2026-11-14T17:00:00+00:00",
                Some(Phase::MaintenanceScheduled),
                "m7xq2c5tb8nf"
            ),
            row(
                "2026-11-16T21:00:00+00:00",
                Some(Phase::MaintenanceStarted),
                "m7xq2c5tb8nf"
            ),
            row(
                "2026-11-16T22:30:00+00:00",
                Some(Phase::MaintenanceCompleted),
                "m7xq2c5tb8nf"
            ),
            // "17 nov., 09:40 CET", then "nov 17, 10:05 CET": both orders read.
            row(
                "2026-11-17T08:40:00+00:00",
                Some(Phase::Investigating),
                "k2v9qz7wm4rd"
            ),
            row(
                "2026-11-17T09:05:00+00:00",
                Some(Phase::Identified),
                "k2v9qz7wm4rd"
            ),
            // "Mise à jour" is an update: new text, no phase of its own.
            row("2026-11-17T09:20:00+00:00", None, "k2v9qz7wm4rd"),
            row(
                "2026-11-17T09:45:00+00:00",
                Some(Phase::Monitoring),
                "k2v9qz7wm4rd"
            ),
            row(
                "2026-11-17T10:30:00+00:00",
                Some(Phase::Resolved),
                "k2v9qz7wm4rd"
            ),
            row(
                "2026-12-02T07:15:00+00:00",
                Some(Phase::Investigating),
                "frinc01"
            ),
            row(
                "2026-12-02T08:10:00+00:00",
                Some(Phase::Resolved),
                "frinc01"
            ),
        ]
    );
    let identified = &items[4];
    assert_eq!(
        identified.text,
        "La cause est identifiée : une baie de stockage défaillante."
    );
    assert_eq!(identified.lang.as_deref(), Some("fr"));
    assert_eq!(
        identified.external_id,
        "k2v9qz7wm4rd#2026-11-17T09:05Z#identifié"
    );
}
