//! The `statustrail` command line: parses arguments, sets up logging, loads the configuration and
//! calls into the library.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

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
    /// Rule files: check them and run their examples.
    Patterns {
        #[command(subcommand)]
        command: PatternsCommand,
    },
    /// Offline extraction: read feed documents or plain text (one post per line) and print one
    /// JSON object per statement. No database needed.
    Extract {
        /// Files to read; `-` (the default) reads standard input.
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
enum PatternsCommand {
    /// Load every rule file, report syntax errors with file, line and rule id, run every rule's
    /// examples; exits non-zero on any failure.
    Test {
        /// The rule folder.
        #[arg(default_value = "patterns")]
        dir: PathBuf,
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
        /// Also list every post whose state the rules got wrong.
        #[arg(long)]
        misses: bool,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Create the database if needed and apply pending migrations.
    Migrate,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
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
    Extractor::from_dir_or_bundled(&cfg.patterns_dir)
        .with_context(|| format!("loading rules from {}", cfg.patterns_dir.display()))
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
            let pipeline = Pipeline::new(&cfg, store, Arc::new(load_rules(&cfg)?)).await?;
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
        Command::Patterns {
            command: PatternsCommand::Test { dir },
        } => {
            let report = statustrail::extract::test_patterns(&dir)?;
            print!("{report}");
            if !report.passed() {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Command::Patterns {
            command:
                PatternsCommand::Eval {
                    files,
                    patterns,
                    lang,
                    misses,
                },
        } => {
            use statustrail::extract::eval;
            let extractor = statustrail::extract::Extractor::from_dir(&patterns)?;
            let mut labels = Vec::new();
            for f in &files {
                labels.extend(eval::read_labels(f)?);
            }
            let report = eval::evaluate(&extractor, &labels, lang.as_deref());
            print!("{report}");
            for m in &report.false_resolved {
                println!(
                    "false resolved\t{}\t{}",
                    m.id,
                    m.text.replace(char::is_whitespace, " ")
                );
            }
            if misses {
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
        } => {
            let rules = match patterns {
                Some(dir) => Extractor::from_dir(&dir)?,
                None => Extractor::from_dir_or_bundled(Path::new("patterns"))?,
            };
            let files = if files.is_empty() {
                vec![PathBuf::from("-")]
            } else {
                files
            };
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for f in &files {
                let (name, bytes) = if f == Path::new("-") {
                    let mut buf = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
                    ("-".to_string(), buf)
                } else {
                    let bytes =
                        std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
                    (f.display().to_string(), bytes)
                };
                statustrail::extract::cli::run_extract(
                    &rules,
                    &name,
                    &bytes,
                    lang.as_deref(),
                    timezone,
                    &mut out,
                )?;
            }
            std::io::Write::flush(&mut out)?;
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
