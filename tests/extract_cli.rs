//! `statustrail extract` run as a user runs it: a process of its own, the bundled rules, and the
//! cache of trained models it shares with the processes after it (src/extract/cache.rs).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const POSTS: &str = "We are investigating elevated error rates on the API.\n\
Nous constatons un incident sur l'hébergement mutualisé depuis 11h30.\n\
Retour à la normale à 90 % vers 12h30.\n\
A fix has been implemented and we are monitoring the results.\n\
We have restored 80% of the affected servers.\n\
Lunch menu posted.\n";

/// `statustrail extract -` over `POSTS` with the models kept in `cache`: its output, and its
/// debug log.
fn extract(cache: &Path) -> (String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_statustrail"));
    command.env("STATUSTRAIL_CACHE_DIR", cache);
    run(command)
}

fn run(mut command: Command) -> (String, String) {
    let mut child = command
        .args(["extract", "-"])
        .env("RUST_LOG", "statustrail=debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the statustrail binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(POSTS.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn kept(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache.join("learnt"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_second_run_reads_the_models_the_first_trained_and_prints_the_same() {
    let cache = tempfile::tempdir().unwrap();
    let (first, log) = extract(cache.path());
    assert!(log.contains("learnt fallback trained"), "{log}");
    assert!(!log.contains("read from the cache"), "{log}");
    let files = kept(cache.path());
    // A phase model and a share reader for each of English and French.
    assert_eq!(
        files.iter().filter(|f| f.starts_with("phase-")).count(),
        2,
        "{files:?}"
    );
    assert_eq!(
        files.iter().filter(|f| f.starts_with("share-")).count(),
        2,
        "{files:?}"
    );
    assert!(first.contains(r#""restored":80.0"#), "{first}");

    let (second, log) = extract(cache.path());
    assert!(log.contains("learnt fallback read from the cache"), "{log}");
    assert!(
        log.contains("learnt share reader read from the cache"),
        "{log}"
    );
    assert!(!log.contains(" trained "), "{log}");
    assert_eq!(second, first);
    assert_eq!(kept(cache.path()), files);
}

#[test]
fn a_damaged_kept_model_is_trained_again_and_the_output_is_unchanged() {
    let cache = tempfile::tempdir().unwrap();
    let (first, _) = extract(cache.path());
    for f in kept(cache.path()) {
        let path = cache.path().join("learnt").join(f);
        let mut bytes = std::fs::read(&path).unwrap();
        let half = bytes.len() / 2;
        bytes.truncate(half);
        std::fs::write(&path, bytes).unwrap();
    }
    let (second, log) = extract(cache.path());
    assert!(log.contains("a kept model could not be read"), "{log}");
    assert!(log.contains("learnt fallback trained"), "{log}");
    assert_eq!(second, first);
    let (third, log) = extract(cache.path());
    assert!(log.contains("learnt fallback read from the cache"), "{log}");
    assert_eq!(third, first);
}

#[test]
fn an_empty_cache_folder_setting_keeps_nothing() {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_statustrail"));
    command
        .env("STATUSTRAIL_CACHE_DIR", "")
        .env("HOME", home.path())
        .env_remove("XDG_CACHE_HOME");
    let (out, log) = run(command);
    assert!(out.contains(r#""restored":90.0"#), "{out}");
    assert!(log.contains("learnt fallback trained"), "{log}");
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}
