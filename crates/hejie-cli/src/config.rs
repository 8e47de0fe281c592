//! Where the database is and where the personal-data key comes from.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use hejie_crypto::{KeyedSealer, MasterKey};

/// The path of a SQLite URL (`sqlite:file.db`, `sqlite://file.db` or a bare path), or `None` for
/// PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    Some(PathBuf::from(path))
}

/// Loads the master key for personal data, in this order: `HEJIE_PII_KEY` (64 hex digits), the
/// file given by `--pii-key-file`, or — for a SQLite database only — `<database>.pii-key` next to
/// the database file, created with a fresh random key on first use. The key never enters the
/// database.
pub fn sealer(url: &str, key_file: Option<&PathBuf>) -> Result<KeyedSealer> {
    if let Ok(hex) = std::env::var("HEJIE_PII_KEY") {
        let key = MasterKey::from_hex(&hex).context("HEJIE_PII_KEY")?;
        return Ok(KeyedSealer::new(&key));
    }
    let path = match (key_file, sqlite_path(url)) {
        (Some(p), _) => p.clone(),
        (None, Some(db)) => PathBuf::from(format!("{}.pii-key", db.display())),
        (None, None) => bail!(
            "no key for personal data: set HEJIE_PII_KEY (64 hex digits) or pass --pii-key-file"
        ),
    };
    if !path.exists() {
        if key_file.is_some() {
            bail!("key file {} does not exist", path.display());
        }
        write_new_key(&path)?;
        tracing::warn!(path = %path.display(), "created a new personal-data key; back it up with the database");
    }
    let hex =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let key = MasterKey::from_hex(&hex).with_context(|| format!("key in {}", path.display()))?;
    Ok(KeyedSealer::new(&key))
}

fn write_new_key(path: &PathBuf) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(f, "{}", MasterKey::generate().to_hex())?;
    Ok(())
}

/// Where evidence files are kept: `--files-dir`, else beside a SQLite database
/// (`<db>.files`), else `./hejie-files`.
pub fn files_dir(url: &str, given: Option<&PathBuf>) -> PathBuf {
    match (given, sqlite_path(url)) {
        (Some(d), _) => d.clone(),
        (None, Some(db)) => PathBuf::from(format!("{}.files", db.display())),
        (None, None) => PathBuf::from("hejie-files"),
    }
}
