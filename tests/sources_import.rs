//! `read_import`: CSV and JSON Lines of posts, stable derived ids, bad lines reported by number.

use statustrail::model::Phase;
use statustrail::sources::import::{read_import, BadLine, ImportError, ImportFormat};

#[test]
fn csv_rows_become_items_with_a_stable_derived_id_when_none_is_given() {
    let csv = "provider,time,text,url,id\n\
ovh,2021-03-10T01:00:00+01:00,\"Incendie majeur sur notre site SBG2, « tous » les clients\",https://x.example/1,\n\
ovh,2021-03-10T09:00:00Z,Nous redémarrons SBG1 à 90\u{a0}%,,tweet-2\n";
    let first = read_import(csv.as_bytes(), ImportFormat::Csv).unwrap();
    let again = read_import(csv.as_bytes(), ImportFormat::Csv).unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].line, 2);
    assert_eq!(first[0].provider, "ovh");
    assert!(first[0].item.external_id.starts_with("import:"));
    assert_eq!(
        first[0].item.external_id, again[0].item.external_id,
        "stable"
    );
    assert_eq!(
        first[0].item.published_at.unwrap().to_rfc3339(),
        "2021-03-10T00:00:00+00:00"
    );
    assert_eq!(first[0].item.url.as_deref(), Some("https://x.example/1"));
    assert_eq!(first[1].item.external_id, "tweet-2");
    assert_eq!(first[1].item.url, None);
    assert_eq!(first[1].item.text, "Nous redémarrons SBG1 à 90\u{a0}%");
}

#[test]
fn jsonl_lines_read_with_optional_fields_and_blank_lines_skipped() {
    let jsonl = r#"{"provider":"clevercloud","time":"2026-01-05T10:00:00Z","text":"<p>EDIT 10:00 UTC: the issue is <b>resolved</b></p>","status":"resolved","lang":"en","thread_key":"inc-1"}

{"provider":"clevercloud","time":"Wed Oct 10 20:19:24 +0000 2018","text":"Investigating slow deploys","id":"1050118621198921728"}
"#;
    let recs = read_import(jsonl.as_bytes(), ImportFormat::Jsonl).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].item.text, "EDIT 10:00 UTC: the issue is resolved");
    assert!(recs[0].item.body.contains("<b>"));
    assert_eq!(recs[0].item.status_label, Some(Phase::Resolved));
    assert_eq!(recs[0].item.thread_key.as_deref(), Some("inc-1"));
    assert_eq!(recs[1].line, 3);
    assert_eq!(
        recs[1].item.published_at.unwrap().to_rfc3339(),
        "2018-10-10T20:19:24+00:00"
    );
}

#[test]
fn every_bad_line_is_reported_with_its_number() {
    let jsonl = "{\"provider\":\"ovh\",\"time\":\"2021-03-10T01:00:00Z\",\"text\":\"ok\"}\n\
not json\n\
{\"provider\":\"ovh\",\"time\":\"2021-03-10 01:00\",\"text\":\"no zone\"}\n\
{\"provider\":\"ovh\",\"text\":\"no time\"}\n\
{\"provider\":\"ovh\",\"time\":\"2021-03-10T01:00:00Z\",\"text\":\"x\",\"status\":\"fixed\"}\n";
    let Err(ImportError::BadLines(bad)) = read_import(jsonl.as_bytes(), ImportFormat::Jsonl) else {
        panic!("bad lines must fail the import")
    };
    let lines: Vec<u64> = bad.iter().map(|b: &BadLine| b.line).collect();
    assert_eq!(lines, [2, 3, 4, 5]);
    assert!(bad[1].message.contains("zone"), "{}", bad[1].message);
    assert!(bad[2].message.contains("missing time"));

    let csv = "provider,time,text\novh,2021-03-10T01:00:00Z,ok\novh,yesterday,bad time\novh,2021-03-10T01:00:00Z\n";
    let Err(ImportError::BadLines(bad)) = read_import(csv.as_bytes(), ImportFormat::Csv) else {
        panic!("bad lines must fail the import")
    };
    let lines: Vec<u64> = bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4]);
}

#[test]
fn a_csv_without_a_required_column_is_refused_at_the_header() {
    let err = read_import("provider,text\novh,x\n".as_bytes(), ImportFormat::Csv).unwrap_err();
    assert!(
        matches!(err, ImportError::Header(ref m) if m.contains("time")),
        "{err}"
    );
}
