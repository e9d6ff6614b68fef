//! Backup files: one written on demand (`podium backup FILE`), restored (`podium restore
//! FILE`), and the rotating automatic backups of `serve --backup-dir`.
use crate::config::BackupSchedule as Schedule;
use crate::store::Db;
use crate::store::backup::{self, BackupError, Summary};
use std::path::{Path, PathBuf};

const PREFIX: &str = "podium-";
const SUFFIX: &str = ".podium-backup";

/// Writes a backup to `path`: first to a temporary name beside it, then renamed, so `path`
/// is either the previous file or a whole new backup, never half of one.
pub async fn write_file(db: &Db, path: &Path) -> Result<Summary, BackupError> {
    let mut bytes = Vec::new();
    let summary = backup::write(db, &mut bytes).await?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let (from, to) = (temp.clone(), path.to_owned());
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // It holds password hashes: readable by its owner only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&from)?;
        file.write_all(&bytes)?;
        // The rename must not reach the disk before the bytes do.
        file.sync_all()?;
        std::fs::rename(&from, &to)
    })
    .await
    .map_err(std::io::Error::other)
    .and_then(|r| r);
    if written.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    written?;
    Ok(summary)
}

/// Reads, checks and restores a backup file into an empty database.
pub async fn restore_file(db: &Db, path: &Path) -> Result<Summary, BackupError> {
    let bytes = tokio::fs::read(path).await?;
    let verified = backup::verify(&bytes)?;
    let mut summary = backup::restore(db, verified).await?;
    summary.bytes = bytes.len();
    Ok(summary)
}

/// Starts the automatic backups: one every `every` (the first after one interval), named
/// by their UTC time so that names sort as times do, the newest `keep` kept.
pub fn spawn_schedule(db: Db, schedule: Schedule) {
    tokio::spawn(async move {
        // A zero period would make tokio's interval panic, and sub-second backups help no one.
        let every = schedule.every.max(std::time::Duration::from_millis(100));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match run_once(&db, &schedule).await {
                Ok((path, summary)) => {
                    tracing::info!(file = %path.display(), rows = summary.rows(), bytes = summary.bytes, "backup written")
                }
                Err(error) => tracing::error!(dir = %schedule.dir.display(), %error, "automatic backup failed"),
            }
        }
    });
}

async fn run_once(db: &Db, schedule: &Schedule) -> Result<(PathBuf, Summary), BackupError> {
    tokio::fs::create_dir_all(&schedule.dir).await?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let path = schedule.dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let summary = write_file(db, &path).await?;
    rotate(&schedule.dir, schedule.keep.max(1)).await?;
    Ok((path, summary))
}

/// Removes all but the newest `keep` automatic backups in `dir` (other files are left alone).
async fn rotate(dir: &Path, keep: usize) -> std::io::Result<()> {
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(SUFFIX) {
            names.push(name);
        }
    }
    names.sort();
    let old = names.len().saturating_sub(keep);
    for name in &names[..old] {
        tokio::fs::remove_file(dir.join(name)).await?;
    }
    Ok(())
}
