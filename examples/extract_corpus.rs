//! Runs the bundled rules over the benchmark corpus (every post of
//! `tests/fixtures/sources/*.{atom,rss}`) a fixed number of times and prints the throughput.
//! Unlike the criterion benchmark it does a known amount of work, so that an instruction count
//! is comparable from run to run whatever else the machine is doing:
//!
//! ```sh
//! cargo build --release --example extract_corpus
//! valgrind --tool=callgrind --toggle-collect='statustrail::extract::Extractor::extract' \
//!     target/release/examples/extract_corpus 20
//! ```
//!
//! (the total divided by 20 × the post count printed is the instructions per post).
//!
//! `STATUSTRAIL_CORPUS=a.jsonl:b.jsonl` reads the posts of labelled files instead (their `text`),
//! e.g. the French sets for the French pack:
//! `STATUSTRAIL_CORPUS=tests/fixtures/extraction/fr_posts.jsonl extract_corpus 20 fr`.
//! `STATUSTRAIL_WARMUP=c.jsonl:d.jsonl` reads other posts once first, so that the first pass
//! measures new text as a worker that has been running meets it (docs/perf.md, Session 15).

use std::path::Path;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use statustrail::extract::{ExtractContext, Extractor};

fn main() {
    let passes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let lang = std::env::args().nth(2);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sources");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "atom" || x == "rss"))
        .collect();
    paths.sort();
    let now = Utc::now();
    let mut posts: Vec<String> = paths
        .iter()
        .flat_map(|p| {
            statustrail::sources::parse_document(&std::fs::read(p).unwrap(), now)
                .unwrap_or_default()
        })
        .map(|i| i.text)
        .collect();
    posts.extend(
        statustrail::sources::parse_document(statustrail::demo::DEMO_FEED.as_bytes(), now)
            .unwrap()
            .into_iter()
            .map(|i| i.text),
    );
    if let Some(files) = std::env::var_os("STATUSTRAIL_CORPUS") {
        posts = std::env::split_paths(&files)
            .flat_map(|f| statustrail::extract::eval::read_labels(&f).expect("label file"))
            .map(|l| l.text)
            .collect();
    }
    let bytes: usize = posts.iter().map(String::len).sum();
    // STATUSTRAIL_PATTERNS=dir reads the rules from a folder instead of the bundled ones, to
    // compare two versions of the rules with one binary.
    let extractor = match std::env::var_os("STATUSTRAIL_PATTERNS") {
        Some(dir) => Extractor::from_dir(Path::new(&dir)).unwrap(),
        None => Extractor::bundled().unwrap(),
    };
    let ctx = ExtractContext {
        lang: Some(lang.unwrap_or_else(|| "en".into())).filter(|l| l != "detect"),
        tz: chrono_tz::Europe::Paris,
        reference: Utc.with_ymd_and_hms(2026, 11, 17, 12, 0, 0).unwrap(),
    };
    // Compiled up front: the passes below measure reading, not compiling.
    extractor.compile_all();
    // STATUSTRAIL_WARMUP=a.jsonl:b.jsonl: other posts read once before the first pass, as a worker
    // that has been running a while has read others; the first pass then measures new text only,
    // not the automata caches each thread creates when a regex is first a candidate.
    if let Some(files) = std::env::var_os("STATUSTRAIL_WARMUP") {
        let warm: Vec<String> = std::env::split_paths(&files)
            .flat_map(|f| statustrail::extract::eval::read_labels(&f).expect("label file"))
            .map(|l| l.text)
            .collect();
        let t = Instant::now();
        for p in &warm {
            std::hint::black_box(extractor.extract(p, &ctx));
        }
        println!(
            "warm-up: {} other posts, {} bytes, {:.3} s",
            warm.len(),
            warm.iter().map(String::len).sum::<usize>(),
            t.elapsed().as_secs_f64()
        );
    }
    // The first pass reads text the lazy automata have never seen: its second half is the
    // rate at which a worker reads new posts once it has read some.
    let cold = Instant::now();
    let half = posts.len() / 2;
    let mut found: usize = posts[..half]
        .iter()
        .map(|p| extractor.extract(p, &ctx).len())
        .sum();
    let first_half = cold.elapsed().as_secs_f64();
    let t = Instant::now();
    found += posts[half..]
        .iter()
        .map(|p| extractor.extract(p, &ctx).len())
        .sum::<usize>();
    let second_half = t.elapsed().as_secs_f64();
    let cold = cold.elapsed().as_secs_f64();
    let second_bytes: usize = posts[half..].iter().map(String::len).sum();
    println!(
        "first pass: first half {:.3} s, second half (new posts after {} others) {:.3} s: {:.2} MB/s",
        first_half,
        half,
        second_half,
        second_bytes as f64 / second_half / 1e6
    );
    let t = Instant::now();
    for _ in 0..passes {
        for p in &posts {
            std::hint::black_box(extractor.extract(p, &ctx));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} posts, {} bytes, {} statements; first pass (text never seen) {:.3} s: {:.1} MB/s; \
         then {} passes in {:.3} s: {:.1} MB/s, {:.0} posts/s",
        posts.len(),
        bytes,
        found,
        cold,
        bytes as f64 / cold / 1e6,
        passes,
        secs,
        (bytes * passes) as f64 / secs / 1e6,
        (posts.len() * passes) as f64 / secs
    );
    for h in extractor.prefilter_health() {
        println!("{h}");
    }
}
