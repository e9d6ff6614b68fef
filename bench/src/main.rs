//! `podium-load`: a load generator for Podium.
//!
//! - `marks`: many judges posting marks as fast as the server acknowledges them (the durable
//!   write path: one SQLite/PostgreSQL transaction per batch of requests), optionally while
//!   websocket viewers watch the skills being marked (the live fan-out each mark triggers).
//! - `live`: websocket fan-out, Podium's live endpoint or the reference Node `ws` peer, with the
//!   same viewer counts and payload, to be compared side by side.
//!
//! Every run is bounded: it stops by itself after its duration (or its updates) plus a timeout.
//! Traffic goes to loopback addresses only.
mod api;
mod crowd;
mod live;
mod marks;
mod package;
mod proc;
mod stamp;
mod stats;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// The error type of the whole tool: a message is all a command-line user needs.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

#[derive(Parser)]
#[command(name = "podium-load", version, about = "Load generator for Podium (marks and live fan-out)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judges posting marks in a closed loop: acknowledged marks/s and request latency.
    Marks(MarksArgs),
    /// Websocket fan-out to many viewers: delivery latency, throughput, server CPU and RSS.
    Live(LiveArgs),
    /// Writes a generated competition package (JSON) to stdout, for `podium import`.
    Package(PackageArgs),
}

#[derive(clap::Args, Clone, Debug)]
pub struct PackageArgs {
    /// A WorldSkills-sized competition: 60 skills, 70 delegations, 1,500 entries and as many
    /// judges, 90,000 marks (about 7 MB). Without it: the `marks` benchmark's competition.
    #[arg(long)]
    pub worldskills: bool,
    /// The competition's code.
    #[arg(long, default_value = "WS2026")]
    pub code: String,
    /// Skills, entries per skill, measurement aspects and judges (without `--worldskills`).
    #[arg(long, default_value_t = 16)]
    pub skills: u32,
    #[arg(long, default_value_t = 30)]
    pub entries: u32,
    #[arg(long, default_value_t = 20)]
    pub aspects: u32,
    #[arg(long, default_value_t = 32)]
    pub judges: u32,
}

/// Writes the package to stdout.
fn write_package(args: &PackageArgs) -> Result<()> {
    use std::io::Write;
    let package = if args.worldskills {
        package::worldskills::package(&args.code)
    } else {
        package::marks_package(&args.code, args.skills, args.entries, args.aspects, args.judges)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &package)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

#[derive(clap::Args, Clone, Debug)]
pub struct MarksArgs {
    /// Base URL of the Podium server (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Password of the `admin` account.
    #[arg(long, env = "PODIUM_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Concurrent judges, each one request in flight at a time.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=999))]
    pub clients: u32,
    /// Marks per request.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub batch: u32,
    /// Seconds of load.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub duration: u64,
    /// Skills in the generated competition.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=999))]
    pub skills: u32,
    /// Entries per skill.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=999))]
    pub entries: u32,
    /// Measurement aspects per skill (max 10.00 each), split over criteria A and B.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub aspects: u32,
    /// Websocket viewers watching the skills being marked (round-robin, one skill each),
    /// connected before the load starts and reading every frame throughout.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub viewers: u32,
    /// Viewer connections opened per second before the load starts.
    #[arg(long, default_value_t = 2000.0)]
    pub connect_rate: f64,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Podium's live endpoint, triggered by marks.
    Podium,
    /// The reference broadcast peer (`bash run-peer.sh 8090`), triggered by a sender socket.
    Peer,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Podium => "podium",
            Target::Peer => "peer",
        }
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct LiveArgs {
    /// What to measure.
    #[arg(long, value_enum)]
    pub target: Target,
    /// Podium: http://127.0.0.1:8080 (the default); peer: ws://127.0.0.1:8090.
    #[arg(long)]
    pub url: Option<String>,
    /// Viewer connections.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub viewers: u32,
    /// Updates to send.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub updates: u32,
    /// Updates per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
    /// Connections opened per second while ramping up.
    #[arg(long, default_value_t = 2000.0)]
    pub connect_rate: f64,
    /// The server's process id: its CPU time and RSS are read from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Password of the `admin` account (podium).
    #[arg(long, env = "PODIUM_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Bytes of each update message (peer only; Podium's frames are what the server sends).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub payload: u32,
    /// Seconds to wait for deliveries after the last update was sent.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Package(args) = &cli.command {
        return match write_package(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("podium-load: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("podium-load: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Marks(args) => marks::run(args).await,
            Command::Live(args) => live::run(args).await,
            Command::Package(_) => Ok(()),
        }
    });
    // Do not wait for stray tasks (e.g. sockets still closing): the report is out.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("podium-load: {error}");
            ExitCode::FAILURE
        }
    }
}
