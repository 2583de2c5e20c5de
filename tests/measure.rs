//! The measured half beside the provider's words: the demo's French outage, with ten hosted
//! sites whose observations are imported from CSV, checked by hand minute by minute — on SQLite
//! and PostgreSQL. Also: an import run twice stores nothing twice, probes classify failures.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use statustrail::config::Config;
use statustrail::demo::{ReplayFeed, DEMO_FEED};
use statustrail::extract::Extractor;
use statustrail::measure::derive::scorecard;
use statustrail::measure::{import, Origin};
use statustrail::pipeline::Pipeline;
use statustrail::store::{self, Store};

/// 17 Nov 2026 at hh:mm Europe/Paris (UTC+1), in UTC.
fn paris(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 17, h - 1, m, 0).unwrap()
}

/// When each of ten sites came back after the 09:41 failure (Paris time), written by hand.
fn back_at(site: usize) -> DateTime<Utc> {
    match site {
        1..=3 => paris(11, 48),
        4..=6 => paris(12, 15),
        7 | 8 => paris(13, 20),
        9 => paris(14, 5),
        _ => paris(15, 5),
    }
}

/// One observation per site per minute, 16 Nov 22:00 to 17 Nov 17:00 Paris. Besides the
/// outage, sites 4 and 5 blink for ten minutes the night before, and no post mentions it.
fn csv() -> String {
    let mut out = String::from("time,target,ok,latency_ms,status\n");
    let blink = (
        paris(22, 10) - Duration::days(1),
        paris(22, 20) - Duration::days(1),
    );
    let mut t = paris(22, 0) - Duration::days(1);
    while t <= paris(17, 0) {
        for site in 1..=10 {
            let down = (t >= paris(9, 41) && t < back_at(site))
                || ((site == 4 || site == 5) && t >= blink.0 && t < blink.1);
            let (ok, status) = if down { (0, 502) } else { (1, 200) };
            out.push_str(&format!(
                "{},site-{site:02},{ok},120,{status}\n",
                t.to_rfc3339()
            ));
        }
        t += Duration::minutes(1);
    }
    out
}

async fn claims_stand_beside_measurements(db_url: &str) {
    let feed = ReplayFeed::new(DEMO_FEED);
    let addr = feed.serve().await.unwrap();
    let cfg = Config::from_toml(&format!(
        "[[provider]]\nname = \"hebergeur\"\ntimezone = \"Europe/Paris\"\nlang = \"fr\"\n\
         [[provider.source]]\nkind = \"feed\"\nurl = \"http://{addr}/@support/rss\"\n"
    ))
    .unwrap();
    let store: Arc<dyn Store> = Arc::from(store::connect(db_url).await.unwrap());
    let p = Pipeline::new(&cfg, store.clone(), Arc::new(Extractor::bundled().unwrap()))
        .await
        .unwrap();
    feed.show(feed.len());
    p.poll_source(&p.sources[0]).await.unwrap();
    let pid = p.sources[0].provider.row.id;

    let obs = import::read_csv(csv().as_bytes()).unwrap();
    assert_eq!(obs.len(), 10 * (19 * 60 + 1));
    let new = p.record_observations(pid, &obs, Origin::Csv).await.unwrap();
    assert_eq!(new, obs.len());
    let again = p.record_observations(pid, &obs, Origin::Csv).await.unwrap();
    assert_eq!(again, 0, "an import run twice stores nothing twice");

    let rows = store.claims_vs_measured(Some("hebergeur")).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    // The blink the night before: measured, never acknowledged.
    let blink = &rows[0];
    assert_eq!(blink.incident_id, None);
    assert_eq!(
        blink.first_to_recover.as_deref(),
        Some("never_acknowledged")
    );
    assert_eq!(
        blink.measured_start,
        Some(paris(22, 10) - Duration::days(1))
    );
    assert_eq!(blink.measured_end, Some(paris(22, 20) - Duration::days(1)));
    assert_eq!(blink.targets_down, Some(2));
    // The outage: first post 16 min after the sites fell, "identified" 1 h 49 after, and the
    // resolution announced at 14:40 while the last site came back at 15:05.
    let o = &rows[1];
    assert!(o.incident_id.is_some());
    assert_eq!(o.measured_start, Some(paris(9, 41)));
    assert_eq!(o.measured_end, Some(paris(15, 5)));
    assert_eq!(o.first_post_at, Some(paris(9, 57)));
    assert_eq!(o.ack_delay_secs, Some(16 * 60));
    assert_eq!(o.identified_at, Some(paris(11, 30)));
    assert_eq!(o.identified_delay_secs, Some(109 * 60));
    assert_eq!(o.claimed_resolved_at, Some(paris(14, 40)));
    assert_eq!(o.resolution_gap_secs, Some(-25 * 60));
    assert_eq!(o.first_to_recover.as_deref(), Some("claimed_first"));
    assert_eq!(o.targets_down, Some(10));
    assert_eq!(o.min_share_up, Some(0.0));

    // "À 12h30, retour à la normale à 90 %": six sites of ten were up at 12:30.
    let minutes = store
        .provider_minutes(pid, paris(12, 30), paris(12, 30))
        .await
        .unwrap();
    assert_eq!(minutes.len(), 1);
    assert_eq!((minutes[0].targets, minutes[0].up), (10, 6));
    // A worker derives a recent window only; what lies before stays as derived, and each
    // incident is measured again against old and new outages alike. Windows starting before,
    // inside and after the outage all give what the whole history gives.
    let whole = store.claims_vs_measured(Some("hebergeur")).await.unwrap();
    for from in [
        paris(8, 0),
        paris(12, 0),
        paris(16, 0),
        Utc::now() - Duration::days(7),
    ] {
        p.derive_measures_from(pid, Some(from)).await.unwrap();
        assert_eq!(
            store.claims_vs_measured(Some("hebergeur")).await.unwrap(),
            whole,
            "window from {from}"
        );
        let minutes = store
            .provider_minutes(pid, paris(1, 0) - Duration::days(2), paris(23, 0))
            .await
            .unwrap();
        assert_eq!(minutes.len(), 19 * 60 + 1, "window from {from}");
    }
    let derived = p.derive_measures(pid).await.unwrap();
    assert_eq!(derived.restored_claims.len(), 1);
    let claim = &derived.restored_claims[0];
    assert_eq!(claim.at, paris(12, 30));
    assert_eq!(claim.claimed_pct, 90.0);
    assert_eq!(claim.measured_pct, Some(60.0));
    assert_eq!(claim.overstated(), Some(true));

    let card = scorecard(&derived, DateTime::<Utc>::MIN_UTC);
    assert_eq!(card.incidents, 1);
    assert_eq!(card.measured_outages, 2);
    assert_eq!(card.median_ack_delay_secs, Some(960.0));
    assert_eq!(card.worst_ack_delay_secs, Some(960));
    assert_eq!(card.unacknowledged_share, Some(0.5));
    assert_eq!(card.median_resolution_gap_secs, Some(-1500.0));
    assert_eq!(card.overstated_share, Some(1.0));

    // Every view of the measured half answers on this backend.
    for view in [
        "v_observations",
        "v_provider_minutes",
        "v_target_outages",
        "v_claims_vs_measured",
        "v_restored_claims",
        "v_provider_scorecard",
    ] {
        assert!(count_rows(db_url, view).await > 0, "{view} is empty");
    }

    // The export carries the same rows out, in CSV and JSON Lines.
    let out = tempfile::tempdir().unwrap();
    let n = statustrail::export::export(store.as_ref(), Some("hebergeur"), out.path())
        .await
        .unwrap();
    assert_eq!((n.incidents, n.events), (2, 10));
    let jsonl = std::fs::read_to_string(out.path().join("incidents.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows[1]["ack_delay_secs"], 960);
    assert_eq!(rows[1]["first_to_recover"], "claimed_first");
    let csv = std::fs::read_to_string(out.path().join("timeline.csv")).unwrap();
    assert_eq!(csv.lines().count(), 11, "a header and ten events");
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("provider,incident_id,seq,at,"));
}

async fn count_rows(db_url: &str, view: &str) -> i64 {
    use sqlx::Row;
    let sql = format!("SELECT COUNT(*) AS n FROM {view}");
    if db_url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
        sqlx::query(&sql).fetch_one(&pool).await.unwrap().get("n")
    } else {
        let pool = sqlx::PgPool::connect(db_url).await.unwrap();
        sqlx::query(&sql).fetch_one(&pool).await.unwrap().get("n")
    }
}

#[tokio::test]
async fn a_prometheus_range_query_is_imported_once() {
    use axum::routing::get;
    let answer = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":"probe_success","instance":"https://quotidien.example","job":"blackbox"},
         "values":[[1795420800,"1"],[1795420860,"0"],[1795420920,"0"],[1795420980,"1"]]},
        {"metric":{"instance":"https://hebdo.example"},"values":[[1795420800,"1"]]}]}}"#;
    let app = axum::Router::new().route(
        "/api/v1/query_range",
        get(
            move |q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                assert_eq!(
                    q.get("query").map(String::as_str),
                    Some("probe_success{job=\"blackbox\"}")
                );
                assert_eq!(q.get("step").map(String::as_str), Some("60s"));
                answer
            },
        ),
    );
    let addr = common::serve(app).await;
    let q = import::PrometheusQuery {
        base: format!("http://{addr}/").parse().unwrap(),
        query: "probe_success{job=\"blackbox\"}".into(),
        start: Utc.timestamp_opt(1795420800, 0).unwrap(),
        end: Utc.timestamp_opt(1795420980, 0).unwrap(),
        step: std::time::Duration::from_secs(60),
        label: "instance".into(),
    };
    let obs = import::fetch_prometheus(&reqwest::Client::new(), &q)
        .await
        .unwrap();
    assert_eq!(obs.len(), 5);
    assert_eq!(obs.iter().filter(|o| !o.ok).count(), 2);

    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::from_toml("[[provider]]\nname = \"hebergeur\"\n").unwrap();
    let store: Arc<dyn Store> = Arc::from(store::connect(&common::sqlite_url(&dir)).await.unwrap());
    let p = Pipeline::new(&cfg, store.clone(), Arc::new(Extractor::bundled().unwrap()))
        .await
        .unwrap();
    let pid = *p.providers.keys().next().unwrap();
    assert_eq!(
        p.record_observations(pid, &obs, Origin::Prometheus)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        p.record_observations(pid, &obs, Origin::Prometheus)
            .await
            .unwrap(),
        0
    );
    let derived = p.derive_measures(pid).await.unwrap();
    assert_eq!(
        derived.target_outages.len(),
        1,
        "two failed steps open one outage"
    );
    assert_eq!(
        derived.target_outages[0].started_at,
        Utc.timestamp_opt(1795420860, 0).unwrap()
    );
}

#[tokio::test]
async fn sqlite_claims_stand_beside_measurements() {
    let dir = tempfile::tempdir().unwrap();
    claims_stand_beside_measurements(&common::sqlite_url(&dir)).await;
}

#[tokio::test]
async fn postgres_claims_stand_beside_measurements() {
    let Some(db) = common::TestPg::create("measure_claims").await else {
        return;
    };
    claims_stand_beside_measurements(db.url()).await;
}

mod probes {
    use std::time::Duration;

    use axum::routing::get;
    use statustrail::measure::probe::{Prober, TargetConfig};
    use statustrail::measure::FailureClass;

    fn target(name: &str, url: String, body_regex: Option<&str>) -> TargetConfig {
        let mut toml = format!("name = {name:?}\nurl = {url:?}\ntimeout = \"500ms\"\n");
        if let Some(re) = body_regex {
            toml.push_str(&format!("body_regex = {re:?}\n"));
        }
        toml::from_str(&toml).unwrap()
    }

    #[tokio::test]
    async fn a_probe_tells_up_from_each_way_of_being_down() {
        let app = axum::Router::new()
            .route("/ok", get(|| async { "<title>Le Quotidien</title>" }))
            .route(
                "/maintenance",
                get(|| async { "<title>Maintenance en cours</title>" }),
            )
            .route(
                "/502",
                get(|| async { (axum::http::StatusCode::BAD_GATEWAY, "bad gateway") }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            );
        let addr = super::common::serve(app).await;
        // A port nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);

        let prober = Prober::new("statustrail-test").unwrap();
        let up = prober
            .probe(&target(
                "ok",
                format!("http://{addr}/ok"),
                Some("Quotidien"),
            ))
            .await;
        assert!(up.ok && up.failure.is_none() && up.http_status == Some(200));
        assert!(up.latency_ms.unwrap() >= 0.0);

        let cases = [
            (
                "maintenance",
                format!("http://{addr}/maintenance"),
                Some("Quotidien"),
                FailureClass::BodyMismatch,
            ),
            (
                "502",
                format!("http://{addr}/502"),
                None,
                FailureClass::HttpStatus,
            ),
            (
                "slow",
                format!("http://{addr}/slow"),
                None,
                FailureClass::Timeout,
            ),
            (
                "closed",
                format!("http://{closed_addr}/"),
                None,
                FailureClass::Connect,
            ),
        ];
        for (name, url, re, class) in cases {
            let o = prober.probe(&target(name, url, re)).await;
            assert!(!o.ok, "{name}");
            assert_eq!(o.failure, Some(class), "{name}: {o:?}");
        }
    }
}

#[tokio::test]
async fn a_prometheus_error_or_garbage_is_a_clear_error() {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/bad/api/v1/query_range",
            get(|| async {
                (
                    axum::http::StatusCode::BAD_REQUEST,
                    r#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#,
                )
            }),
        )
        .route(
            "/garbage/api/v1/query_range",
            get(|| async { vec![0xffu8, 0xfe, 0x00, 0x12] }),
        );
    let addr = common::serve(app).await;
    for (path, expect) in [
        ("bad", "parse error at char 4"),
        ("garbage", "Prometheus answer"),
    ] {
        let q = import::PrometheusQuery {
            base: format!("http://{addr}/{path}/").parse().unwrap(),
            query: "probe_success".into(),
            start: Utc.timestamp_opt(1795420800, 0).unwrap(),
            end: Utc.timestamp_opt(1795420980, 0).unwrap(),
            step: std::time::Duration::from_secs(60),
            label: "instance".into(),
        };
        let err = import::fetch_prometheus(&reqwest::Client::new(), &q)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{path}: {err}");
    }
}
