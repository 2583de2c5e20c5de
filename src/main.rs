//! The `statustrail` command line: parses arguments, sets up logging, loads the configuration and
//! calls into the library.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use rayon::prelude::*;
use statustrail::config::Config;
use statustrail::extract::Extractor;
use statustrail::pipeline::Pipeline;
use statustrail::{demo, report, store, worker};

#[derive(Parser)]
#[command(
    name = "statustrail",
    version,
    about = "Provider status posts turned into incident timelines, beside measured data"
)]
struct Cli {
    /// Configuration file (TOML). `DATABASE_URL` overrides its database.
    #[arg(
        long,
        global = true,
        default_value = "statustrail.toml",
        env = "STATUSTRAIL_CONFIG"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay a bundled French outage end to end on loopback and print its timeline.
    Demo {
        /// Keep the demo database at this path instead of a temporary directory.
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Poll every configured source.
    Poll {
        /// Poll each source once and exit (the `run` command polls forever).
        #[arg(long)]
        once: bool,
    },
    /// Run the background worker: poll every source when due, forever.
    Run,
    /// Print the provider-reported timeline of incidents.
    Timeline {
        /// Only this provider (its configured name).
        #[arg(long)]
        provider: Option<String>,
        /// Only this incident (its id).
        #[arg(long)]
        incident: Option<i64>,
    },
    /// Import historical posts (JSON Lines or CSV: provider, time, text, url, optional id),
    /// idempotently: importing the same file twice stores nothing twice.
    Import {
        /// The file to import (`.jsonl`, `.ndjson` or `.csv`).
        file: PathBuf,
        /// Its format when the file name does not tell.
        #[arg(long, value_parser = ["csv", "jsonl"])]
        format: Option<String>,
    },
    /// List incidents beside what was measured (delays, claimed against measured recovery),
    /// and measured outages no incident speaks of.
    Incidents {
        /// Only this provider (its configured name).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Provider scorecards: acknowledgement delays, unacknowledged outages, claimed resolution
    /// against measured recovery, overstated restored percentages.
    Providers {
        /// Rolling window ("90d", "4w", "36h"); defaults to the configured one (90 days).
        #[arg(long, value_parser = humantime::parse_duration)]
        window: Option<std::time::Duration>,
    },
    /// Write incidents and timelines as CSV and JSON Lines (see docs/schema.md, "Exports").
    Export {
        /// Output folder (created when missing).
        #[arg(long, default_value = "export")]
        out: PathBuf,
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
    },
    /// Measured data: probe the configured targets, import other tools' data.
    Measure {
        #[command(subcommand)]
        command: MeasureCommand,
    },
    /// Rule files: check them and run their examples.
    Patterns {
        #[command(subcommand)]
        command: PatternsCommand,
    },
    /// Offline extraction: read feed documents, files of posts or plain text (one post per
    /// line) and print one JSON object per statement. No database needed.
    Extract {
        /// Files to read, or folders (every file below them, hidden ones left out); `-` (the
        /// default) reads standard input. A file is a feed or status document (each item read
        /// in the language it declares, if any), a file of posts in the formats `import` reads
        /// (JSON Lines or CSV with a `text` field; each post's `time` dates the times it
        /// mentions, its `lang` chooses its rules), or plain text, one post per line. Plain text
        /// that is not UTF-8 is read in the encoding it guesses, binary data is skipped; an
        /// input that cannot be read is reported, the rest read, and the exit status is then 1.
        files: Vec<PathBuf>,
        /// Read every post in this language instead of detecting it ("fr", "en").
        #[arg(long)]
        lang: Option<String>,
        /// Zone for times written without one.
        #[arg(long, default_value = "UTC")]
        timezone: chrono_tz::Tz,
        /// Rule folder (default: `patterns/` when present, else the bundled rules).
        #[arg(long)]
        patterns: Option<PathBuf>,
        /// The rules alone, without the learnt fallback.
        #[arg(long)]
        no_learnt: bool,
    },
    /// List the configured sources with what their last poll saw.
    Sources,
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
}

#[derive(Subcommand)]
enum MeasureCommand {
    /// Probe every configured target once and print what each answered.
    Probe,
    /// Derive outages, minutes and claim-versus-measure figures again over the whole history
    /// (the worker derives a recent window; run this after an upgrade or a manual change).
    Derive,
    /// Import observations from CSV (`time,target,ok[,latency_ms,status]`), idempotently.
    Import {
        file: PathBuf,
        /// The provider whose targets these are.
        #[arg(long)]
        provider: String,
    },
    /// Import a Prometheus range query (blackbox_exporter's `probe_success`), idempotently.
    Prometheus {
        /// The provider whose targets these are.
        #[arg(long)]
        provider: String,
        /// Prometheus base URL.
        #[arg(long)]
        url: url::Url,
        #[arg(long, default_value = "probe_success")]
        query: String,
        /// Resolution of the range query.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        step: std::time::Duration,
        /// How far back to read.
        #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
        since: std::time::Duration,
        /// The series label that names a target.
        #[arg(long, default_value = "instance")]
        label: String,
    },
}

#[derive(Subcommand)]
enum PatternsCommand {
    /// Load every rule file, report syntax errors with file, line and rule id, run every rule's
    /// examples; exits non-zero on any failure.
    Test {
        /// The rule folder.
        #[arg(default_value = "patterns")]
        dir: PathBuf,
        /// List each phase example that the whole extractor (every rule of its language, the
        /// learnt model behind them) reads otherwise than its rule, not only their count.
        #[arg(long)]
        read_otherwise: bool,
    },
    /// Measure the rules against labelled posts (JSON Lines with `text` and `phases` or
    /// `status`, optionally `restored`/`affected`): per-phase precision and recall, state
    /// accuracy, resolved recall and false "resolved" rate, percentages.
    Eval {
        /// Label files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The rule folder.
        #[arg(long, default_value = "patterns")]
        patterns: PathBuf,
        /// Language of every post (detected per post otherwise).
        #[arg(long)]
        lang: Option<String>,
        /// Also list every post whose state the rules got wrong, every false "resolved", and every
        /// post whose restored or affected percentage was missed or wrong
        /// (leave it off on a held-out set: it prints the texts).
        #[arg(long)]
        misses: bool,
        /// The rules alone, without the learnt fallback.
        #[arg(long)]
        no_learnt: bool,
    },
    /// Cross-validate each language's learnt fallback on its own labelled posts: the model
    /// alone, and behind the rules at each margin for "resolved"; with `--blind`, how far to let
    /// it overrule the rules.
    Learnt {
        /// The rule folder.
        #[arg(default_value = "patterns")]
        dir: PathBuf,
        /// Number of folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// `LANG:FILE`, labelled posts that neither the rules nor the model were written on,
        /// read in that language: the model behind the rules at each `override_gap` (repeat
        /// for several files).
        #[arg(long, value_name = "LANG:FILE")]
        blind: Vec<String>,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Create the database if needed and apply pending migrations.
    Migrate,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `statustrail extract … | head` ends quietly, as a Unix filter should, instead of panicking
    // on the closed pipe.
    sigpipe::reset();
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Demo { .. } => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The config file when it exists; the defaults when the default path is absent.
fn load_config(path: &Path) -> anyhow::Result<Config> {
    if path.exists() {
        Ok(Config::load(path)?)
    } else if path == Path::new("statustrail.toml") {
        tracing::debug!("no statustrail.toml here: using defaults");
        Ok(Config::empty())
    } else {
        bail!("config file {} does not exist", path.display())
    }
}

fn load_rules(cfg: &Config) -> anyhow::Result<Extractor> {
    let rules = Extractor::from_dir_or_bundled(&cfg.patterns_dir)
        .with_context(|| format!("loading rules from {}", cfg.patterns_dir.display()))?;
    Ok(if cfg.learnt_fallback {
        rules
    } else {
        rules.without_learnt()
    })
}

async fn open_store(cfg: &Config) -> anyhow::Result<Arc<dyn store::Store>> {
    let store = store::connect(cfg.database.url.expose())
        .await
        .with_context(|| format!("opening database {}", cfg.database.url))?;
    Ok(Arc::from(store))
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Demo { db } => {
            let cfg = Config::empty();
            let rules = Arc::new(load_rules(&cfg)?);
            let mut stdout = std::io::stdout();
            demo::run(db.as_deref(), rules, &mut stdout).await?;
        }
        Command::Poll { once } => {
            if !once {
                bail!("`poll` polls once and needs --once; use `statustrail run` for the worker");
            }
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let pipeline = Pipeline::new(&cfg, store, Arc::new(load_rules(&cfg)?)).await?;
            if pipeline.sources.is_empty() {
                bail!("no sources configured in {}", cli.config.display());
            }
            let mut failed = 0;
            for (src, s) in pipeline.poll_all_once().await? {
                if s.error.is_some() {
                    failed += 1;
                }
                println!(
                    "{:<14} {:<60} {:<12} seen {:>3}  new {:>3}  changed {:>3}{}",
                    src.provider.row.name,
                    src.config.url.as_str(),
                    s.outcome,
                    s.items_seen,
                    s.items_new,
                    s.items_changed,
                    s.error.map(|e| format!("  {e}")).unwrap_or_default()
                );
            }
            if failed > 0 {
                eprintln!("{failed} source(s) failed; see the sources table for details");
            }
        }
        Command::Run => {
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let rules = load_rules(&cfg)?;
            // A worker trains its learnt fallbacks now rather than on the first post that
            // needs one, which would hold a runtime thread for about a second.
            let rules = tokio::task::spawn_blocking(move || {
                rules.train_learnt();
                rules
            })
            .await?;
            let pipeline = Pipeline::new(&cfg, store, Arc::new(rules)).await?;
            if pipeline.sources.is_empty() {
                bail!("no sources configured in {}", cli.config.display());
            }
            worker::run(Arc::new(pipeline), shutdown_signal()).await?;
        }
        Command::Timeline { provider, incident } => {
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let timelines = report::load(store.as_ref(), provider.as_deref(), incident).await?;
            print!("{}", report::render(&timelines));
        }
        Command::Import { file, format } => {
            use statustrail::sources::import::{read_import, ImportFormat};
            let format = match format.as_deref() {
                Some("csv") => ImportFormat::Csv,
                Some(_) => ImportFormat::Jsonl,
                None => ImportFormat::from_path(&file).with_context(|| {
                    format!(
                        "cannot tell the format of {}: use --format csv|jsonl",
                        file.display()
                    )
                })?,
            };
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let records = read_import(std::io::BufReader::new(reader), format)
                .with_context(|| format!("reading {}", file.display()))?;
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let pipeline = Pipeline::new(&cfg, store, Arc::new(load_rules(&cfg)?)).await?;
            for (provider, new, changed) in pipeline.import(&records).await? {
                println!("{provider:<14} {new:>5} new  {changed:>5} changed");
            }
            println!("{} record(s) read from {}", records.len(), file.display());
        }
        Command::Incidents { provider } => {
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let rows = store.claims_vs_measured(provider.as_deref()).await?;
            print!("{}", report::render_incidents(&rows));
        }
        Command::Providers { window } => {
            let cfg = load_config(&cli.config)?;
            let window = window.unwrap_or(cfg.measure.scorecard_window);
            let store = open_store(&cfg).await?;
            let pipeline = Pipeline::new(&cfg, store.clone(), Arc::new(load_rules(&cfg)?)).await?;
            let since = chrono::Utc::now() - chrono::Duration::from_std(window)?;
            let mut cards = Vec::new();
            for p in store.providers().await? {
                let d = pipeline.compute_measures(p.id).await?;
                cards.push((p.name, statustrail::measure::derive::scorecard(&d, since)));
            }
            let days = (window.as_secs() / 86400) as i64;
            print!("{}", report::render_scorecards(&cards, days));
        }
        Command::Export { out, provider } => {
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let n = statustrail::export::export(store.as_ref(), provider.as_deref(), &out).await?;
            println!(
                "{} incident row(s) and {} timeline event(s) written to {} (CSV and JSON Lines)",
                n.incidents,
                n.events,
                out.display()
            );
        }
        Command::Measure { command } => {
            use statustrail::measure::{import, Origin};
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            let pipeline = Pipeline::new(&cfg, store.clone(), Arc::new(load_rules(&cfg)?)).await?;
            let provider_id = |name: &str| {
                pipeline
                    .providers
                    .values()
                    .find(|p| p.row.name == name)
                    .map(|p| p.row.id)
                    .with_context(|| {
                        format!("provider {name:?} is not in {}", cli.config.display())
                    })
            };
            match command {
                MeasureCommand::Probe => {
                    if pipeline.targets.is_empty() {
                        bail!(
                            "no [[provider.target]] configured in {}",
                            cli.config.display()
                        );
                    }
                    for o in pipeline.probe_all_once().await? {
                        println!(
                            "{:<30} {:<4} {:>4} {:>8} {}",
                            o.target,
                            if o.ok { "up" } else { "DOWN" },
                            o.http_status.map(|s| s.to_string()).unwrap_or_default(),
                            o.latency_ms
                                .map(|l| format!("{l:.0} ms"))
                                .unwrap_or_default(),
                            o.failure.map(|f| f.as_str()).unwrap_or("")
                        );
                    }
                }
                MeasureCommand::Derive => {
                    for p in pipeline.providers.values() {
                        let d = pipeline.derive_measures_from(p.row.id, None).await?;
                        println!(
                            "{:<14} {} target outage(s), {} measured outage(s), {} incident(s), {} minute(s)",
                            p.row.name,
                            d.target_outages.len(),
                            d.outages.len(),
                            d.incidents.len(),
                            d.minutes.len()
                        );
                    }
                }
                MeasureCommand::Import { file, provider } => {
                    let pid = provider_id(&provider)?;
                    let bytes = std::fs::read(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let obs = import::read_csv(&bytes)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let new = pipeline.record_observations(pid, &obs, Origin::Csv).await?;
                    println!("{} observation(s) read, {new} new", obs.len());
                }
                MeasureCommand::Prometheus {
                    provider,
                    url,
                    query,
                    step,
                    since,
                    label,
                } => {
                    let pid = provider_id(&provider)?;
                    let end = chrono::Utc::now();
                    let q = import::PrometheusQuery {
                        base: url,
                        query,
                        start: end - chrono::Duration::from_std(since)?,
                        end,
                        step,
                        label,
                    };
                    let client = reqwest::Client::builder()
                        .user_agent(cfg.http.user_agent.clone())
                        .timeout(cfg.http.timeout)
                        .build()?;
                    let obs = import::fetch_prometheus(&client, &q).await?;
                    let new = pipeline
                        .record_observations(pid, &obs, Origin::Prometheus)
                        .await?;
                    println!("{} observation(s) read, {new} new", obs.len());
                }
            }
        }
        Command::Patterns {
            command:
                PatternsCommand::Test {
                    dir,
                    read_otherwise,
                },
        } => {
            let mut report = statustrail::extract::test_patterns(&dir)?;
            report.list_read_otherwise = read_otherwise;
            print!("{report}");
            if !report.passed() {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Command::Patterns {
            command: PatternsCommand::Learnt { dir, folds, blind },
        } => {
            use statustrail::extract::{eval, learnt::BlindPost, ExtractContext, Extractor};
            let extractor = Extractor::from_dir(&dir)?;
            let rules = extractor.clone().without_learnt();
            let ctx = |lang: &str| ExtractContext {
                lang: Some(lang.to_string()),
                tz: chrono_tz::UTC,
                reference: chrono::Utc::now(),
            };
            // What the rules read: their state, and the share of the post their phase
            // matches cover.
            let read = |text: &str, lang: &str| {
                let statements = rules.extract(text, &ctx(lang));
                let phases: Vec<_> = statements.iter().filter_map(|s| s.phase()).collect();
                let covered = statustrail::extract::rules_read(text, &statements);
                (eval::state_of(&phases), covered)
            };
            let state = |text: &str, lang: &str| read(text, lang).0;
            let mut blind_sets = Vec::new();
            for b in &blind {
                let Some((lang, file)) = b.split_once(':') else {
                    anyhow::bail!("--blind {b:?}: expected LANG:FILE, e.g. en:posts.jsonl");
                };
                blind_sets.push((lang, file, eval::read_labels(std::path::Path::new(file))?));
            }
            for (lang, learnt) in extractor.learnt() {
                let states: Vec<_> = learnt.texts().map(|t| state(t, lang)).collect();
                println!("== {lang}: {}", learnt.path.display());
                print!("{}", learnt.cross_validate(folds, &states));
                if let Some(cv) = extractor.share_cross_validation(lang, folds) {
                    print!("{cv}");
                }
                let posts: Vec<BlindPost<'_>> = blind_sets
                    .iter()
                    .filter(|(l, _, _)| *l == lang)
                    .flat_map(|(_, _, labels)| labels)
                    .map(|l| {
                        let text = eval::strip_status_word(&l.text);
                        let (rules, covered) = read(text, lang);
                        BlindPost {
                            text,
                            state: l.state(),
                            rules,
                            covered,
                            status_word: l.phases.is_none(),
                        }
                    })
                    .collect();
                if !posts.is_empty() {
                    let files: Vec<_> = blind_sets
                        .iter()
                        .filter(|(l, _, _)| *l == lang)
                        .map(|(_, f, _)| *f)
                        .collect();
                    println!("-- blind: {}", files.join(", "));
                    print!("{}", learnt.overrules(&posts));
                }
            }
        }
        Command::Patterns {
            command:
                PatternsCommand::Eval {
                    files,
                    patterns,
                    lang,
                    misses,
                    no_learnt,
                },
        } => {
            use statustrail::extract::eval;
            let mut extractor = statustrail::extract::Extractor::from_dir(&patterns)?;
            if no_learnt {
                extractor = extractor.without_learnt();
            }
            let mut labels = Vec::new();
            for f in &files {
                labels.extend(eval::read_labels(f)?);
            }
            let report = eval::evaluate(&extractor, &labels, lang.as_deref());
            print!("{report}");
            for health in extractor.prefilter_health() {
                println!("{health}");
            }
            if misses {
                // Where to look when a change of the rules costs time (docs/perf.md).
                for health in extractor.prefilter_health() {
                    let mut ids: Vec<(String, usize)> = Vec::new();
                    for id in health.read_whole {
                        match ids.last_mut() {
                            Some((last, n)) if *last == id => *n += 1,
                            _ => ids.push((id, 1)),
                        }
                    }
                    let ids: Vec<String> = ids
                        .into_iter()
                        .map(|(id, n)| if n > 1 { format!("{id} ×{n}") } else { id })
                        .collect();
                    println!(
                        "prefilter {}: regexes read from the start of the post: {}",
                        health.lang,
                        ids.join(", ")
                    );
                }
                for m in &report.false_resolved {
                    println!(
                        "false resolved\t{}\t{}",
                        m.id,
                        m.text.replace(char::is_whitespace, " ")
                    );
                }
                for m in &report.pct_misses {
                    let show = |e: Option<f64>, g: &[f64]| {
                        let g: Vec<String> = g.iter().map(|v| v.to_string()).collect();
                        format!(
                            "{} got [{}]",
                            e.map_or("none".into(), |v| v.to_string()),
                            g.join(", ")
                        )
                    };
                    println!(
                        "pct miss\t{}\trestored {}\taffected {}\t{}",
                        m.id,
                        show(m.expected_restored, &m.got_restored),
                        show(m.expected_affected, &m.got_affected),
                        m.text.replace(char::is_whitespace, " ")
                    );
                }
                for m in &report.misses {
                    let name =
                        |p: Option<statustrail::model::Phase>| p.map_or("none", |p| p.as_str());
                    println!(
                        "miss\t{}\texpected {}\tgot {}\t{}",
                        m.id,
                        name(m.expected),
                        name(m.got),
                        m.text.replace(char::is_whitespace, " ")
                    );
                }
            }
        }
        Command::Extract {
            files,
            lang,
            timezone,
            patterns,
            no_learnt,
        } => {
            // A language given for every post (`fr-FR` is French): only its rules are compiled.
            let lang = lang.map(|l| statustrail::sources::feed::primary_lang(&l));
            let mut rules = match patterns {
                Some(dir) => Extractor::from_dir_for(&dir, lang.as_deref())?,
                None => Extractor::from_dir_or_bundled_for(Path::new("patterns"), lang.as_deref())?,
            };
            if no_learnt {
                rules = rules.without_learnt();
            }
            let files = if files.is_empty() {
                vec![PathBuf::from("-")]
            } else {
                files
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            // As `cat` and `grep` do: an input that cannot be read is reported, the others
            // are read, and the exit status says that one failed.
            let mut failed = false;
            // Inputs are read side by side, a few at a time (their posts too, in
            // `run_extract`), each into its own buffer; the buffers are written in order.
            const INPUTS_AT_ONCE: usize = 16;
            let mut inputs = statustrail::extract::cli::inputs(&files).into_iter();
            loop {
                let chunk: Vec<_> = inputs.by_ref().take(INPUTS_AT_ONCE).collect();
                if chunk.is_empty() {
                    break;
                }
                let done: Vec<Result<Vec<u8>, (PathBuf, std::io::Error)>> = chunk
                    .into_par_iter()
                    .map(|input| {
                        let f = input?;
                        let read = if f == Path::new("-") {
                            let mut buf = Vec::new();
                            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                                .map(|_| ("-".to_string(), buf))
                        } else {
                            std::fs::read(&f).map(|bytes| (f.display().to_string(), bytes))
                        };
                        let (name, bytes) = read.map_err(|e| (f.clone(), e))?;
                        let mut buf = Vec::new();
                        statustrail::extract::cli::run_extract(
                            &rules,
                            &name,
                            &bytes,
                            lang.as_deref(),
                            timezone,
                            &mut buf,
                        )
                        .map_err(|e| (f, e))?;
                        Ok(buf)
                    })
                    .collect();
                for input in done {
                    match input {
                        Ok(buf) => std::io::Write::write_all(&mut out, &buf)?,
                        Err((f, e)) => {
                            eprintln!("error: reading {}: {e}", f.display());
                            failed = true;
                        }
                    }
                }
            }
            std::io::Write::flush(&mut out)?;
            if failed {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Command::Sources => {
            let cfg = load_config(&cli.config)?;
            let store = open_store(&cfg).await?;
            // Register configured sources so new ones show before their first poll.
            Pipeline::new(&cfg, store.clone(), Arc::new(load_rules(&cfg)?)).await?;
            let providers = store.providers().await?;
            let sources = store.sources().await?;
            print!("{}", report::render_sources(&providers, &sources));
        }
        Command::Db {
            command: DbCommand::Migrate,
        } => {
            let cfg = load_config(&cli.config)?;
            open_store(&cfg).await?;
            println!("database {} is up to date", cfg.database.url);
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
