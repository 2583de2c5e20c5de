//! Cloud providers' own status formats, parsed from real captures
//! (`tests/fixtures/sources/PROVENANCE.md`): Google Cloud, AWS, Azure, status.io.

mod common;

use chrono::Utc;
use common::{first_last, fixture, label_counts, utc};
use statustrail::model::Phase;
use statustrail::sources::{parse_document, sniff, SourceKind};

fn parse_as(kind: SourceKind, name: &str) -> Vec<statustrail::model::FetchedItem> {
    let bytes = fixture(name);
    assert_eq!(sniff(&bytes), Some(kind), "{name} is recognised");
    parse_document(&bytes, Utc::now()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn google_cloud_updates_are_unlabelled_except_the_final_return_to_available() {
    let items = parse_as(SourceKind::GcpIncidents, "gcp-status-incidents-2026.json");
    assert_eq!(label_counts(&items), "none=31 resolved=4");
    assert_eq!(
        first_last(&items),
        (
            "2026-02-27T16:12:30+00:00".to_string(),
            "2026-07-25T13:16:55+00:00".to_string()
        )
    );
    let report = items
        .iter()
        .find(|i| i.external_id == "3BvH3LVGcupoYqV6F4Nw#2026-07-25T13:16:55+00:00")
        .unwrap();
    assert_eq!(report.thread_key.as_deref(), Some("3BvH3LVGcupoYqV6F4Nw"));
    assert_eq!(
        report.status_label, None,
        "an incident report after the end"
    );
    assert!(report
        .text
        .starts_with("Incident Report\nSummary\nOn Wednesday, 15 July 2026"));
    assert!(report.body.contains("\"severity\":\"medium\""));
    // Every resolved label sits on an update whose status is AVAILABLE.
    for r in items
        .iter()
        .filter(|i| i.status_label == Some(Phase::Resolved))
    {
        assert!(
            r.body.contains("\"status\":\"AVAILABLE\""),
            "{}",
            r.external_id
        );
    }
}

#[test]
fn aws_currentevents_in_utf16_become_one_item_per_log_entry() {
    let items = parse_as(
        SourceKind::AwsHealth,
        "aws-health-currentevents-2026-03-me-central-1.utf16be.json",
    );
    assert_eq!(items.len(), 36);
    assert_eq!(label_counts(&items), "none=36");
    assert_eq!(items[0].published_at, Some(utc("2026-03-01T12:51:25Z")));
    assert_eq!(
        items[0].text,
        "We are investigating issues with AWS services in the ME-CENTRAL-1 Region."
    );
    assert!(items[0]
        .thread_key
        .as_deref()
        .unwrap()
        .starts_with("arn:aws:health:me-central-1::event/"));
}

#[test]
fn aws_legacy_descriptions_split_into_dated_updates() {
    let items = parse_as(SourceKind::AwsHealth, "aws-status-data-2021-07.json");
    // 86 events, 352 updates; each "[RESOLVED]" event's last update is labelled.
    assert_eq!(items.len(), 352);
    assert_eq!(label_counts(&items), "none=266 resolved=86");
    let first = &items[0];
    assert_eq!(
        first.published_at,
        Some(utc("2021-06-24T19:53:00Z")),
        "12:53 PM PDT"
    );
    assert_eq!(
        first.status_label,
        Some(Phase::Resolved),
        "a one-update event"
    );
    assert!(first.text.starts_with("Between 12:15 PM and 12:21 PM PDT"));
    // An event crossing midnight, with "Aug 7, " written once the day changed.
    let night: Vec<_> = items
        .iter()
        .filter(|i| {
            i.thread_key
                .as_deref()
                .is_some_and(|k| k.ends_with("#1628298493"))
        })
        .map(|i| i.published_at.unwrap().to_rfc3339())
        .collect();
    if !night.is_empty() {
        assert!(night.windows(2).all(|w| w[0] <= w[1]), "{night:?}");
    }
    // Per-event times never go backwards.
    let mut by_event: std::collections::BTreeMap<&str, Vec<_>> = Default::default();
    for i in &items {
        by_event
            .entry(i.thread_key.as_deref().unwrap())
            .or_default()
            .push(i.published_at.unwrap());
    }
    for (k, times) in by_event {
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{k}");
    }
}

#[test]
fn azure_ids_join_the_reused_guid_with_the_date_and_bodies_lose_their_entities() {
    let items = parse_as(
        SourceKind::AzureFeed,
        "azure-status-feed-2024-07-21-crowdstrike.rss",
    );
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].external_id,
        "crowdstrike-falcon-agent-guidance#2024-07-20T12:59:45Z"
    );
    assert_eq!(items[0].published_at, Some(utc("2024-07-20T12:59:45Z")));
    let items = parse_as(
        SourceKind::AzureFeed,
        "azure-status-feed-2022-09-07-front-door.rss",
    );
    assert!(items[0]
        .text
        .starts_with("Impact statement: Starting at 16:10 UTC"));
    assert!(!items[0].text.contains("&nbsp;") && !items[0].text.contains('\r'));
}

#[test]
fn statusio_numeric_states_become_phases() {
    let items = parse_as(SourceKind::Statusio, "statusio-docker-partial.json");
    assert_eq!(label_counts(&items), "investigating=1");
    let items = parse_as(SourceKind::Statusio, "statusio-gitlab-maintenance.json");
    assert_eq!(
        label_counts(&items),
        "identified=2 maintenance_scheduled=1 maintenance_started=1"
    );
    let items = parse_as(SourceKind::Statusio, "statusio-gitlab-2026.json");
    assert!(items.is_empty(), "all operational: nothing to say");
}

#[test]
fn aws_per_service_rss_is_a_plain_feed() {
    let items = parse_as(
        SourceKind::Feed,
        "aws-status-rss-ec2-ap-northeast-1-2019-08-bilingual.rss",
    );
    assert_eq!(items.len(), 15);
    assert_eq!(items[0].published_at, Some(utc("2019-08-23T11:18:35Z")));
}
