//! Settings from command-line flags and `PODIUM_*` environment variables.
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "podium", version, about = "Skills competition management and live scoring")]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    /// `serve`'s flags, accepted before or after the (optional) `serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` or `postgres://USER@HOST/DB`.
    #[arg(long = "db", env = "PODIUM_DB", global = true, default_value = "sqlite://podium.db?mode=rwc")]
    pub url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, the live websocket and the pages (the default).
    Serve,
    /// Load a competition package (`podium.competition/1` JSON).
    Import {
        /// The package file.
        file: PathBuf,
    },
    /// Write a competition package to standard output (or `--output FILE`).
    Export {
        /// The competition code.
        code: String,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Load the demo competition (code `DEMO`).
    Demo,
    /// Write a consistent copy of the whole database (sessions excepted) to FILE, while the
    /// server runs.
    Backup {
        /// The backup file to write (replaced whole, never half-written).
        file: PathBuf,
    },
    /// Rehearse a competition on a running server, over HTTP as the judges' tablets would:
    /// a copy (CODE-SIM) is marked at a realistic pace with corrections, discrepancies,
    /// offline bursts and resent duplicates, then the stored marks are checked against what
    /// was sent. Exits non-zero on any mismatch.
    Simulate(SimulateArgs),
    /// Load a backup into an empty database (SQLite or PostgreSQL, whichever `--db` names).
    Restore {
        /// A file written by `podium backup` or `serve --backup-dir`.
        file: PathBuf,
    },
    /// Manage organizer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The competition to rehearse (it is copied, never changed).
    pub code: String,
    /// The server to drive.
    #[arg(long, env = "PODIUM_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// An organizer account there.
    #[arg(long, default_value = "admin")]
    pub username: String,
    #[arg(long, env = "PODIUM_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// The rehearsal copy's code (default `CODE-SIM`).
    #[arg(long = "as")]
    pub copy: Option<String>,
    /// Delete an existing rehearsal copy first.
    #[arg(long)]
    pub replace: bool,
    /// Competition time the marking takes, e.g. `5m`, `2h`.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub duration: std::time::Duration,
    /// How much faster than real time: `60` plays `--duration 5m` in 5 seconds.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Seed of the script (the same seed plays the same rehearsal).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Share of marks corrected later, with a reason.
    #[arg(long, default_value_t = 0.08)]
    pub corrections: f64,
    /// Share of judgement scores far from the others' (discrepancies).
    #[arg(long, default_value_t = 0.05)]
    pub discrepancies: f64,
    /// Share of sends queued offline and sent later as one batch.
    #[arg(long, default_value_t = 0.05)]
    pub bursts: f64,
    /// Share of sends resent after their acknowledgement.
    #[arg(long, default_value_t = 0.05)]
    pub duplicates: f64,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add an organizer account; prints a generated password unless `--password` is given.
    Add {
        username: String,
        #[arg(long, env = "PODIUM_NEW_PASSWORD")]
        password: Option<String>,
    },
    /// Set a new password (generated and printed unless `--password` is given).
    Password {
        username: String,
        #[arg(long, env = "PODIUM_NEW_PASSWORD")]
        password: Option<String>,
    },
    /// List organizer accounts.
    List,
}

#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PODIUM_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: String,
    /// Do not load the demo competition into an empty database.
    #[arg(long, env = "PODIUM_NO_DEMO", global = true)]
    pub no_demo: bool,
    /// Password of the `admin` account created on first start (else generated and printed).
    #[arg(long, env = "PODIUM_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    pub admin_password: Option<String>,
    /// Frames a live channel sends per second at most; faster changes are merged.
    #[arg(long, env = "PODIUM_LIVE_RATE", default_value_t = 10.0, global = true)]
    pub live_rate: f64,
    /// Live websocket connections in all.
    #[arg(long, env = "PODIUM_MAX_SOCKETS", default_value_t = 50_000, global = true)]
    pub max_sockets: usize,
    /// Live websocket connections from one address (a venue's NAT counts as one).
    #[arg(long, env = "PODIUM_MAX_SOCKETS_PER_ADDRESS", default_value_t = 5_000, global = true)]
    pub max_sockets_per_address: usize,
    /// Serve HTTPS with this certificate chain (PEM); needs `--tls-key`.
    #[arg(long, env = "PODIUM_TLS_CERT", requires = "tls_key", conflicts_with = "tls_self_signed", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "PODIUM_TLS_KEY", requires = "tls_cert", global = true)]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for this machine's addresses, signed by a venue CA kept
    /// in `--tls-dir`; tablets install the CA from `/ca.pem` (or `/ca.crt`).
    #[arg(long, env = "PODIUM_TLS_SELF_SIGNED", global = true)]
    pub tls_self_signed: bool,
    /// Where `--tls-self-signed` keeps its venue CA.
    #[arg(long, env = "PODIUM_TLS_DIR", default_value = "podium-tls", global = true)]
    pub tls_dir: PathBuf,
    /// More host names or addresses for the self-signed certificate (repeatable).
    #[arg(long = "tls-name", env = "PODIUM_TLS_NAMES", value_delimiter = ',', global = true)]
    pub tls_names: Vec<String>,
    /// With HTTPS: also listen here for plain HTTP that redirects to it (e.g. `0.0.0.0:80`).
    #[arg(long, env = "PODIUM_REDIRECT_BIND", global = true)]
    pub redirect_bind: Option<String>,
    /// Write automatic backups into this folder (see `--backup-every`, `--backup-keep`).
    #[arg(long, env = "PODIUM_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,
    /// How often to write an automatic backup, e.g. `10m`, `1h 30m`, `45s`.
    #[arg(long, env = "PODIUM_BACKUP_EVERY", default_value = "10m", value_parser = humantime::parse_duration, global = true)]
    pub backup_every: std::time::Duration,
    /// How many automatic backups to keep (the newest).
    #[arg(long, env = "PODIUM_BACKUP_KEEP", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub backup_keep: u32,
    /// Also serve `/metrics` here, without a token (e.g. `127.0.0.1:9100`, or an address of
    /// the monitoring network only).
    #[arg(long, env = "PODIUM_METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,
}

/// Where the HTTPS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned { dir: PathBuf, names: Vec<String> },
}

/// The automatic backups `serve` keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: std::time::Duration,
    /// How many of the newest backups stay; older ones are removed.
    pub keep: usize,
}

/// Everything `serve` needs, independent of how it was given.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub demo: bool,
    pub admin_password: Option<String>,
    pub live_rate: f64,
    pub max_sockets: usize,
    pub max_sockets_per_address: usize,
    /// HTTPS, or plain HTTP when `None`.
    pub tls: Option<TlsSource>,
    pub redirect_bind: Option<String>,
    /// Automatic backups, when `--backup-dir` is given.
    pub backup: Option<BackupSchedule>,
    /// Where `/metrics` is served without a token.
    pub metrics_bind: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://podium.db?mode=rwc".into(),
            bind: "127.0.0.1:8080".into(),
            demo: true,
            admin_password: None,
            live_rate: 10.0,
            max_sockets: 50_000,
            max_sockets_per_address: 5_000,
            tls: None,
            redirect_bind: None,
            backup: None,
            metrics_bind: None,
        }
    }
}

impl Settings {
    pub fn new(db: &DbArgs, serve: &ServeArgs) -> Settings {
        Settings {
            database_url: db.url.clone(),
            bind: serve.bind.clone(),
            demo: !serve.no_demo,
            admin_password: serve.admin_password.clone(),
            live_rate: serve.live_rate,
            max_sockets: serve.max_sockets,
            max_sockets_per_address: serve.max_sockets_per_address,
            tls: match (&serve.tls_cert, &serve.tls_key) {
                (Some(cert), Some(key)) => Some(TlsSource::Files { cert: cert.clone(), key: key.clone() }),
                _ if serve.tls_self_signed => {
                    Some(TlsSource::SelfSigned { dir: serve.tls_dir.clone(), names: serve.tls_names.clone() })
                }
                _ => None,
            },
            redirect_bind: serve.redirect_bind.clone(),
            backup: serve.backup_dir.as_ref().map(|dir| BackupSchedule {
                dir: dir.clone(),
                every: serve.backup_every,
                keep: serve.backup_keep as usize,
            }),
            metrics_bind: serve.metrics_bind.clone(),
        }
    }
}
