//! Extraction throughput: the full rule packs over real status-update text (rules alone), the
//! French pack over the labelled French posts, and feed parsing plus rules over real feed
//! documents (what `statustrail extract` does); and posts the rules have never read
//! (`rules_on_new_posts`), which is what a worker reads.
//! Run: `cargo bench --bench extract`. Figures are recorded in docs/perf.md.

use std::path::Path;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use statustrail::extract::{ExtractContext, Extractor};

fn feed_files() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sources");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "atom" || x == "rss"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn posts() -> Vec<String> {
    let now = Utc::now();
    let mut posts: Vec<String> = feed_files()
        .iter()
        .flat_map(|(_, bytes)| statustrail::sources::parse_document(bytes, now).unwrap_or_default())
        .map(|i| i.text)
        .collect();
    let demo =
        statustrail::sources::parse_document(statustrail::demo::DEMO_FEED.as_bytes(), now).unwrap();
    posts.extend(demo.into_iter().map(|i| i.text));
    posts
}

fn bench(c: &mut Criterion) {
    let extractor = Extractor::bundled().unwrap();
    let ctx = ExtractContext {
        lang: None,
        tz: chrono_tz::Europe::Paris,
        reference: Utc.with_ymd_and_hms(2026, 11, 17, 12, 0, 0).unwrap(),
    };
    let posts = posts();
    let bytes: usize = posts.iter().map(String::len).sum();
    eprintln!("corpus: {} posts, {} bytes", posts.len(), bytes);

    let mut g = c.benchmark_group("rules_only");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("full_packs_detected_language", |b| {
        b.iter(|| {
            posts
                .iter()
                .map(|p| extractor.extract(p, &ctx).len())
                .sum::<usize>()
        })
    });
    let en = ExtractContext {
        lang: Some("en".into()),
        ..ctx.clone()
    };
    g.bench_function("full_packs_language_given", |b| {
        b.iter(|| {
            posts
                .iter()
                .map(|p| extractor.extract(p, &en).len())
                .sum::<usize>()
        })
    });
    g.finish();

    // French posts read by the French pack: the labelled French sets (written and real posts).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extraction");
    let french: Vec<String> = [
        "fr_posts.jsonl",
        "fr_real.jsonl",
        "fr_dev.jsonl",
        "fr_dev2.jsonl",
    ]
    .iter()
    .flat_map(|f| statustrail::extract::eval::read_labels(&dir.join(f)).expect("label file"))
    .map(|l| l.text)
    .collect();
    let fr = ExtractContext {
        lang: Some("fr".into()),
        ..ctx.clone()
    };
    let fr_bytes: usize = french.iter().map(String::len).sum();
    eprintln!("French corpus: {} posts, {} bytes", french.len(), fr_bytes);
    let mut g = c.benchmark_group("rules_only_french");
    g.throughput(Throughput::Bytes(fr_bytes as u64));
    g.bench_function("french_pack_language_given", |b| {
        b.iter(|| {
            french
                .iter()
                .map(|p| extractor.extract(p, &fr).len())
                .sum::<usize>()
        })
    });
    g.finish();

    let files = feed_files();
    let file_bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut g = c.benchmark_group("extract_command");
    g.throughput(Throughput::Bytes(file_bytes as u64));
    // `run_extract` reads an input's posts on rayon's threads: one thread for one core's
    // figure (the target is per core), every core for what the command does. The
    // one thread is this one, which the benchmarks above ran on (the regexes' caches favour the
    // thread that first used them).
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build()
        .expect("a one-thread pool");
    let every_core = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("a thread pool");
    let run = |pool: &rayon::ThreadPool| {
        pool.install(|| {
            let mut sink = std::io::sink();
            for (name, bytes) in &files {
                statustrail::extract::cli::run_extract(
                    &extractor,
                    name,
                    bytes,
                    None,
                    chrono_tz::Tz::UTC,
                    &mut sink,
                )
                .unwrap();
            }
        })
    };
    g.bench_function("parse_feeds_then_rules", |b| b.iter(|| run(&one_core)));
    g.bench_function("parse_feeds_then_rules_every_core", |b| {
        b.iter(|| run(&every_core))
    });
    g.bench_function("parse_feeds_only", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|(_, bytes)| {
                    statustrail::sources::parse_document(bytes, Utc::now())
                        .map(|v| v.len())
                        .unwrap_or(0)
                })
                .sum::<usize>()
        })
    });
    g.finish();

    // Posts the rules have never read: what a worker meets. A fresh extractor reads the first
    // half of a labelled corpus (not timed), then the second half is timed. The benchmarks above
    // read the same posts again and again, which lazy automata remember.
    let new_posts = |files: &[&str]| -> (Vec<String>, Vec<String>) {
        let mut all: Vec<String> = files
            .iter()
            .flat_map(|f| statustrail::extract::eval::read_labels(&dir.join(f)).expect("labels"))
            .map(|l| l.text)
            .collect();
        let second = all.split_off(all.len() / 2);
        (all, second)
    };
    let mut g = c.benchmark_group("rules_on_new_posts");
    g.sample_size(10);
    for (name, files, ctx) in [
        (
            "statuspage_updates_english",
            &["statuspage_labels.jsonl"][..],
            &en,
        ),
        (
            "french_posts",
            &[
                "fr_dev2.jsonl",
                "fr_dev5.jsonl",
                "fr_dev6.jsonl",
                "fr_dev7.jsonl",
                "fr_dev8.jsonl",
            ][..],
            &fr,
        ),
    ] {
        let (first, second) = new_posts(files);
        let second_bytes: usize = second.iter().map(String::len).sum();
        eprintln!("{name}: {} posts, {second_bytes} bytes timed", second.len());
        g.throughput(Throughput::Bytes(second_bytes as u64));
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let fresh = Extractor::bundled().unwrap();
                    fresh.compile_all();
                    for p in &first {
                        fresh.extract(p, ctx);
                    }
                    fresh
                },
                |fresh| {
                    second
                        .iter()
                        .map(|p| fresh.extract(p, ctx).len())
                        .sum::<usize>()
                },
                criterion::BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
