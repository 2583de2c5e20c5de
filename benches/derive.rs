//! Derivation cost over a long history: ten targets probed every minute for 90 days
//! (1.3 million observations), with a few outages. Run: `cargo bench --bench derive`.
//! Figures are recorded in docs/perf.md.

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use statustrail::measure::derive::{derive, DeriveSettings, Sample};

fn history(days: i64, targets: i64) -> Vec<Sample> {
    let start = Utc.with_ymd_and_hms(2026, 8, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    for t in 0..targets {
        for m in 0..days * 1440 {
            // An hour-long outage every ten days, one target later than the next.
            let in_outage = (m % 14400) >= 600 + t * 3 && (m % 14400) < 660 + t * 3;
            out.push(Sample {
                target_id: t,
                at: start + Duration::minutes(m),
                ok: !in_outage,
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let samples = history(90, 10);
    let settings = DeriveSettings::default();
    let now = Utc::now();
    let mut g = c.benchmark_group("derive");
    g.sample_size(10);
    g.throughput(Throughput::Elements(samples.len() as u64));
    g.bench_function("90_days_10_targets_every_minute", |b| {
        b.iter(|| derive(&samples, &[], &settings, now).minutes.len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
