//! A French outage told in posts, from the bundled demo feed, read by the real poller and the
//! bundled rules into a timeline asserted event by event — on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use statustrail::config::Config;
use statustrail::demo::{ReplayFeed, DEMO_FEED};
use statustrail::extract::Extractor;
use statustrail::model::Phase;
use statustrail::pipeline::Pipeline;
use statustrail::store::{self, Store};

/// (when, phase, restored %, mentioned time) of one timeline event.
type Event = (
    DateTime<Utc>,
    Option<Phase>,
    Option<f64>,
    Option<DateTime<Utc>>,
);

/// 17 Nov 2026 at hh:mm Europe/Paris (UTC+1), in UTC.
fn paris(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 17, h - 1, m, 0).unwrap()
}

async fn french_outage_becomes_one_incident_event_by_event(db_url: &str) {
    let feed = ReplayFeed::new(DEMO_FEED);
    let addr = feed.serve().await.unwrap();
    let cfg = Config::from_toml(&format!(
        "[[provider]]\nname = \"hebergeur\"\ntimezone = \"Europe/Paris\"\nlang = \"fr\"\n\
         [[provider.source]]\nkind = \"feed\"\nurl = \"http://{addr}/@support/rss\"\n"
    ))
    .unwrap();
    let store: Arc<dyn Store> = Arc::from(store::connect(db_url).await.unwrap());
    let rules = Arc::new(Extractor::bundled().unwrap());
    let p = Pipeline::new(&cfg, store.clone(), rules).await.unwrap();
    // Replay the story post by post, as a worker polling the account would see it.
    for step in 1..=feed.len() {
        feed.show(step);
        p.poll_source(&p.sources[0]).await.unwrap();
    }

    let incidents = store.incidents(Some("hebergeur")).await.unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "the promotion the day before opens no incident"
    );
    let incident = &incidents[0];
    let events = store.incident_events(incident.id).await.unwrap();
    let got: Vec<Event> = events
        .iter()
        .map(|e| {
            (
                e.event.at,
                e.event.phase,
                e.event.restored_pct,
                e.event.mentioned_at,
            )
        })
        .collect();
    use Phase::*;
    let expected = vec![
        (paris(9, 57), Some(Investigating), None, None),
        (paris(10, 34), Some(Investigating), None, None),
        // "identifié vers 11h30" is placed at 11:30 Paris, not at the 11:52 post.
        (paris(11, 30), Some(Identified), None, Some(paris(11, 30))),
        (paris(11, 52), Some(Recovering), None, None),
        // "À 12h30, retour à la normale à 90 %": a restored share at the time it names…
        (paris(12, 30), None, Some(90.0), Some(paris(12, 30))),
        // … and a partial return to normal is recovery under way, not the end.
        (paris(12, 30), Some(Recovering), None, Some(paris(12, 30))),
        // 13:10 "pas une attaque DDoS… pas encore rétabli" states nothing.
        (paris(13, 48), Some(Recovering), None, None),
        (paris(13, 48), Some(Monitoring), None, None),
        (paris(14, 40), Some(Resolved), None, Some(paris(14, 40))),
        (paris(16, 2), Some(Postmortem), None, None),
    ];
    assert_eq!(got, expected, "events: {events:#?}");
    assert_eq!(incident.started_at, paris(9, 57));
    assert_eq!(incident.ended_at, Some(paris(14, 40)));
    assert_eq!(incident.last_phase, Some(Postmortem));
}

#[tokio::test]
async fn sqlite_french_outage_becomes_one_incident_event_by_event() {
    let dir = tempfile::tempdir().unwrap();
    french_outage_becomes_one_incident_event_by_event(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_french_outage_becomes_one_incident_event_by_event() {
    let Some(db) = common::TestPg::create("timeline_fr").await else {
        return;
    };
    french_outage_becomes_one_incident_event_by_event(db.url()).await;
}
