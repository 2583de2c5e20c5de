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

/// `statustrail extract` with `options` then `files`, rules alone (no model to train), no
/// cache: its exit status, output and log.
fn extract_with(options: &[&str], files: &[&Path]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_statustrail"))
        .arg("extract")
        .args(options)
        .arg("--no-learnt")
        .args(files)
        .env("STATUSTRAIL_CACHE_DIR", "")
        .output()
        .expect("the statustrail binary runs");
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// [`extract_with`] the French rules.
fn extract_files(files: &[&Path]) -> (bool, String, String) {
    extract_with(&["--lang", "fr"], files)
}

/// The `input` of each output line, in order, once each.
fn inputs_read(out: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["input"].as_str().unwrap().to_string();
        if names.last() != Some(&name) {
            names.push(name);
        }
    }
    names
}

#[test]
fn a_folder_is_read_file_by_file_in_path_order_hidden_files_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("b/c")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let post = "L'incident est clos.\n";
    for f in ["z.txt", "b/c/y.txt", "b/a.txt", ".hidden.txt", ".git/HEAD"] {
        std::fs::write(root.join(f), post).unwrap();
    }
    let (ok, out, log) = extract_files(&[root]);
    assert!(ok, "{log}");
    let name = |f: &str| root.join(f).display().to_string();
    assert_eq!(
        inputs_read(&out),
        [name("b/a.txt"), name("b/c/y.txt"), name("z.txt")]
    );
}

#[test]
fn text_in_a_legacy_encoding_or_utf16_is_read_and_binary_data_skipped() {
    let dir = tempfile::tempdir().unwrap();
    // A French post saved as windows-1252, as older editors and spreadsheets on Windows do.
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(
        &latin1,
        b"Le service est r\xe9tabli pour l'ensemble des clients, l'incident est clos.\n",
    )
    .unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(
        "Incident clos : retour à la normale.\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let utf16_path = dir.path().join("utf16.txt");
    std::fs::write(&utf16_path, utf16).unwrap();
    // A gzip member: binary data, whatever the bytes happen to spell.
    let binary = dir.path().join("posts.txt.gz");
    let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00];
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(&binary, bytes).unwrap();

    let (ok, out, log) = extract_files(&[&latin1, &binary, &utf16_path]);
    assert!(ok, "{log}");
    assert_eq!(
        inputs_read(&out),
        [
            latin1.display().to_string(),
            utf16_path.display().to_string()
        ]
    );
    assert!(out.contains("rétabli pour l'ensemble"), "{out}");
    assert!(!out.contains('\u{fffd}'), "{out}");
    assert_eq!(out.matches(r#""phase":"resolved""#).count(), 2, "{out}");
    assert!(
        log.contains("not UTF-8") && log.contains("windows-1252"),
        "{log}"
    );
    assert!(log.contains("binary data, not text: skipped"), "{log}");
}

#[test]
fn an_input_that_cannot_be_read_is_reported_the_rest_read_and_the_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let present = dir.path().join("present.txt");
    std::fs::write(&present, "L'incident est clos.\n").unwrap();
    let (ok, out, log) = extract_files(&[&missing, &present]);
    assert!(!ok, "a missing input fails the run");
    assert_eq!(inputs_read(&out), [present.display().to_string()]);
    assert!(
        log.contains(&format!("error: reading {}", missing.display())),
        "{log}"
    );
}

#[test]
fn a_file_of_posts_in_the_import_format_is_read_post_by_post_with_each_time_and_language() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("ovh.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"provider": "ovh", "id": "p1", "lang": "fr-FR", "time": "2026-11-24T11:40:00+01:00", "text": "Le problème est identifié vers 11h30."}"#,
            "\n",
            r#"{"provider": "ovh", "time": "when it suits us", "text": "Incident clos."}"#,
            "\n",
            r#"{"provider": "ovh", "time": "2026-11-24T13:05:00+01:00", "text": "Retour à la normale à 90 % à 12h30."}"#,
            "\n",
        ),
    )
    .unwrap();
    let csv = dir.path().join("posts.csv");
    std::fs::write(
        &csv,
        "id,text\nc1,\"Incident clos, merci de votre patience.\"\n",
    )
    .unwrap();
    let (ok, stdout, log) = extract_with(&["--timezone", "Europe/Paris"], &[&jsonl, &csv]);
    assert!(ok, "{log}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let at = |phase: &str| {
        lines
            .iter()
            .find(|l| l["phase"] == phase || l["restored"].as_f64().is_some() && phase == "90")
            .unwrap_or_else(|| panic!("no {phase} in {stdout}"))
    };
    // Each post's own time dates what it mentions: 11h30 and 12h30, Paris time, on 24 November.
    let identified = at("identified");
    assert_eq!(identified["item"], "p1");
    assert_eq!(identified["line"], 1);
    assert_eq!(identified["lang"], "fr");
    assert_eq!(identified["mentioned_at"], "2026-11-24T10:30:00Z");
    assert_eq!(at("90")["mentioned_at"], "2026-11-24T11:30:00Z");
    assert_eq!(at("90")["line"], 3);
    // The CSV post is read as its text, not as its header or its id.
    let resolved: Vec<_> = lines.iter().filter(|l| l["phase"] == "resolved").collect();
    assert_eq!(resolved.len(), 1, "{stdout}");
    assert_eq!(resolved[0]["item"], "c1");
    assert_eq!(resolved[0]["line"], 2);
    // The line whose time is no time is named and skipped, not guessed.
    assert!(
        log.contains("a line of posts that cannot be read") && log.contains("when it suits us"),
        "{log}"
    );
}

#[test]
fn a_language_given_with_its_region_compiles_and_reads_that_language_s_rules() {
    let dir = tempfile::tempdir().unwrap();
    let posts = dir.path().join("posts.txt");
    std::fs::write(
        &posts,
        "Le service est rétabli pour l'ensemble des clients.\n",
    )
    .unwrap();
    let (ok, stdout, log) = extract_with(&["--lang", "fr-FR"], &[&posts]);
    assert!(ok, "{log}");
    assert!(stdout.contains(r#""lang":"fr""#), "{stdout}");
    assert!(stdout.contains(r#""rule_id":"fr.resolved"#), "{stdout}");
}
