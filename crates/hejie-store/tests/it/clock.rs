//! The store and the pure crates never read the wall clock: every time they record or reason
//! about is handed to them by the application, whose one clock tests can fix (ADR 0014).

use std::path::{Path, PathBuf};

/// Ways Rust code reads the wall clock (the monotonic `Instant` measures durations and is fine).
const WALL_CLOCK_READS: &[&str] = &[
    "now_utc(",
    "now_local(",
    "SystemTime::now(",
    "Utc::now(",
    "Local::now(",
];

/// The crates below the application: they get the time from their caller.
const CLOCKLESS: &[&str] = &[
    "hejie-store",
    "hejie-domain",
    "hejie-insight",
    "hejie-intake",
    "hejie-crypto",
    "hejie-pdf",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Lines of `text` that read the wall clock, leaving comments aside.
fn reads(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
        .filter(|l| WALL_CLOCK_READS.iter().any(|r| l.contains(r)))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_check_finds_a_wall_clock_read() {
    assert_eq!(
        reads("let t = time::OffsetDateTime::now_utc();\n// now_utc() in a comment"),
        vec!["let t = time::OffsetDateTime::now_utc();"]
    );
    assert!(reads("let t = std::time::Instant::now();").is_empty());
}

#[test]
fn the_store_and_the_pure_crates_read_no_wall_clock() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crates folder");
    let mut found = Vec::new();
    for name in CLOCKLESS {
        let mut files = Vec::new();
        rust_files(&crates.join(name).join("src"), &mut files);
        assert!(!files.is_empty(), "{name} has sources");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for line in reads(&text) {
                found.push(format!("{}: {line}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "wall clock read below the application:\n{}",
        found.join("\n")
    );
}
