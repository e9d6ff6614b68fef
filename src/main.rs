//! The `podium` command: wires telemetry, settings and the application.
use clap::Parser;
use podium::config::{AdminCommand, Cli, Command, Settings, SimulateArgs};
use podium::domain::input::Package;
use podium::error::{ApiError, Rejection};
use podium::service::setup;
use podium::startup::Application;
use podium::store::{self, Db};
use podium::{auth, model, service};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    podium::telemetry::init_logging();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("podium: {message}");
            ExitCode::FAILURE
        }
    }
}

fn describe(error: ApiError) -> String {
    match error {
        ApiError::Rejected(Rejection::Invalid { detail, errors }) => {
            let mut text = detail;
            for e in errors {
                text.push_str(&format!("\n  {} [{}] {}", e.pointer, e.code, e.detail));
            }
            text
        }
        other => other.to_string(),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    // The simulator speaks HTTP only: it must not open (or create) a database here.
    if let Some(Command::Simulate(args)) = cli.command {
        return simulate(args).await;
    }
    let db = Db::connect(&cli.db.url).await.map_err(|e| format!("cannot open the database {}: {e}", cli.db.url))?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let settings = Settings::new(&cli.db, &cli.serve);
            if let Some(password) =
                setup::ensure_admin(&db, settings.admin_password.as_deref()).await.map_err(describe)?
            {
                println!("Created the organizer account 'admin' with password: {password}");
                println!("(shown once; change it with `podium admin password admin`)");
            }
            if settings.demo && store::competition::find_all(&db).await.map_err(|e| e.to_string())?.is_empty() {
                setup::load_demo(&db).await.map_err(describe)?;
                tracing::info!("loaded the demo competition DEMO");
            }
            let app = Application::build(&settings, db)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
            match app.tls() {
                None => tracing::info!(port = app.port(), "Podium serves http://{}", settings.bind),
                Some(tls) => {
                    tracing::info!(
                        port = app.port(),
                        "Podium serves https://{} (plain http there redirects)",
                        settings.bind
                    );
                    if tls.serves_ca {
                        println!("HTTPS certificate for: {}", tls.names.join(", "));
                        println!("Venue CA SHA-256 fingerprint: {}", tls.fingerprint);
                        println!(
                            "Tablets install the CA from http://<this machine>:{}/ca (check the fingerprint)",
                            app.port()
                        );
                    } else {
                        println!("HTTPS certificate SHA-256 fingerprint: {}", tls.fingerprint);
                    }
                }
            }
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Import { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let package: Package = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a competition package: {e}", file.display()))?;
            service::package::store(&db, &package, "cli").await.map_err(describe)?;
            println!("imported {} ({} marks)", package.competition.code, package.marks.len());
            Ok(())
        }
        Command::Export { code, output } => {
            let id = store::competition::find_id(&db, &code)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no competition '{code}'"))?;
            let records = store::competition::load(&db, id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no competition '{code}'"))?;
            let model = model::Competition::build(records);
            let text = serde_json::to_string_pretty(&model::package::export(&model)).map_err(|e| e.to_string())?;
            match output {
                Some(path) => std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display())),
                None => {
                    println!("{text}");
                    Ok(())
                }
            }
        }
        Command::Demo => setup::load_demo(&db).await.map_err(describe),
        Command::Backup { file } => {
            let started = std::time::Instant::now();
            let summary = service::backup::write_file(&db, &file)
                .await
                .map_err(|e| format!("backup to {} failed: {e}", file.display()))?;
            println!(
                "backed up {} rows ({} marks) to {} ({} bytes, {} ms)",
                summary.rows(),
                summary.tables.get("mark").copied().unwrap_or(0),
                file.display(),
                summary.bytes,
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let summary = service::backup::restore_file(&db, &file)
                .await
                .map_err(|e| format!("cannot restore {}: {e}; nothing was stored", file.display()))?;
            println!(
                "restored {} rows ({} marks) from {}",
                summary.rows(),
                summary.tables.get("mark").copied().unwrap_or(0),
                file.display()
            );
            Ok(())
        }
        Command::Admin { command } => admin(&db, command).await,
        Command::Simulate(_) => unreachable!("handled before the database is opened"),
    }
}

async fn simulate(args: SimulateArgs) -> Result<(), String> {
    let fraction = |name: &str, v: f64| {
        if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("--{name} is a share between 0 and 1")) }
    };
    let rehearsal = podium::sim::Rehearsal {
        server: args.server,
        username: args.username,
        password: args.password,
        copy: args.copy.unwrap_or_else(|| format!("{}-SIM", args.code)),
        code: args.code,
        replace: args.replace,
        speed: args.speed,
        shape: podium::sim::plan::Shape {
            duration: args.duration,
            seed: args.seed,
            corrections: fraction("corrections", args.corrections)?,
            discrepancies: fraction("discrepancies", args.discrepancies)?,
            bursts: fraction("bursts", args.bursts)?,
            duplicates: fraction("duplicates", args.duplicates)?,
        },
    };
    println!("rehearsing {} as {} on {}", rehearsal.code, rehearsal.copy, rehearsal.server);
    let report = podium::sim::run(&rehearsal).await?;
    println!("{report}");
    if report.mismatches > 0 {
        return Err(format!("{} mismatches between the marks sent and the marks stored", report.mismatches));
    }
    Ok(())
}

async fn admin(db: &Db, command: AdminCommand) -> Result<(), String> {
    let hash = |p: &str| auth::secret::hash_password(p);
    match command {
        AdminCommand::Add { username, password } => {
            let generated = password.is_none();
            let password = password.unwrap_or_else(auth::secret::new_password);
            store::account::insert(db, &username, hash(&password)?).await.map_err(|e| e.to_string())?;
            if generated {
                println!("{username}: {password}");
            }
            Ok(())
        }
        AdminCommand::Password { username, password } => {
            let account = store::account::find_by_username(db, &username)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no account '{username}'"))?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(auth::secret::new_password);
            store::account::update_password(db, account.id, hash(&password)?).await.map_err(|e| e.to_string())?;
            if generated {
                println!("{username}: {password}");
            }
            Ok(())
        }
        AdminCommand::List => {
            for a in store::account::all(db).await.map_err(|e| e.to_string())? {
                println!("{}\t{}\t{}", a.username, a.role, a.created_at);
            }
            Ok(())
        }
    }
}
