//! The seed training set, written for this project and compiled into the binary.

use hejie_domain::case::DisputeType;

use crate::error::IntakeError;

/// The seed training set: one example per line, `type code TAB text`; `#` starts a comment.
pub const SEED_TSV: &str = include_str!("../data/seed.tsv");

/// Parses a training file in the format of [`SEED_TSV`]. Blank lines and lines starting with `#`
/// are skipped; the type may be given by its code or its Chinese label.
pub fn parse_tsv(tsv: &str) -> Result<Vec<(String, DisputeType)>, IntakeError> {
    let mut out = Vec::new();
    for (i, raw) in tsv.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason: String| IntakeError::Tsv {
            line: i + 1,
            reason,
        };
        let (code, text) = line
            .split_once('\t')
            .ok_or_else(|| err("缺少制表符".to_owned()))?;
        let kind = DisputeType::parse(code).map_err(|e| err(e.message))?;
        let text = text.trim();
        if text.is_empty() {
            return Err(err("文本为空".to_owned()));
        }
        out.push((text.to_owned(), kind));
    }
    Ok(out)
}

/// The seed training set, parsed.
pub fn seed_examples() -> Vec<(String, DisputeType)> {
    // The seed file is checked by a unit test, so a malformed line cannot ship.
    parse_tsv(SEED_TSV).unwrap_or_default()
}

/// The held-out evaluation set, written apart from the seed set and never used for training,
/// in the same format as [`SEED_TSV`].
pub const HELDOUT_TSV: &str = include_str!("../data/heldout.tsv");

/// The held-out evaluation set, parsed.
pub fn heldout_examples() -> Vec<(String, DisputeType)> {
    // Checked by a unit test, like the seed set.
    parse_tsv(HELDOUT_TSV).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_parses_and_covers_every_type_with_forty_examples() {
        let examples = parse_tsv(SEED_TSV).unwrap();
        for &t in DisputeType::ALL {
            let n = examples.iter().filter(|(_, k)| *k == t).count();
            assert!(n >= 40, "{} has only {n} seed examples", t.code());
        }
    }

    #[test]
    fn heldout_parses_and_covers_every_type() {
        let examples = parse_tsv(HELDOUT_TSV).unwrap();
        for &t in DisputeType::ALL {
            assert!(examples.iter().any(|(_, k)| *k == t), "{}", t.code());
        }
        assert_eq!(heldout_examples().len(), examples.len());
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let err = parse_tsv("labour\t欠薪\n# comment\nnonsense\n").unwrap_err();
        assert!(matches!(err, IntakeError::Tsv { line: 3, .. }), "{err}");
        let err = parse_tsv("吵架\t邻居吵架").unwrap_err();
        assert!(matches!(err, IntakeError::Tsv { line: 1, .. }), "{err}");
    }
}
