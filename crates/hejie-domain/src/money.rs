//! Money in yuan, held exactly as a count of fen (分).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A non-negative amount of money in fen. Parsed from yuan text such as `12000` or `3500.50`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Money(i64);

/// One hundred billion yuan: far above any dispute, low enough to never overflow sums.
const MAX_FEN: i64 = 10_000_000_000_000;

impl Money {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = || {
            ValidationError::new(
                "amount",
                format!("金额“{}”格式不正确，应为不超过两位小数的元数", input.trim()),
            )
        };
        let s = input.trim().trim_end_matches('元').replace([',', '，'], "");
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s.as_str(), ""),
        };
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || whole.len() > 12
        {
            return Err(err());
        }
        let yuan: i64 = whole.parse().map_err(|_| err())?;
        let mut fen: i64 = 0;
        if !frac.is_empty() {
            let padded = format!("{frac:0<2}");
            fen = padded.parse().map_err(|_| err())?;
        }
        Self::from_fen(yuan * 100 + fen)
    }

    pub fn from_fen(fen: i64) -> Result<Self, ValidationError> {
        if !(0..=MAX_FEN).contains(&fen) {
            return Err(ValidationError::new("amount", "金额超出范围".to_owned()));
        }
        Ok(Self(fen))
    }

    pub fn fen(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Money {
    type Error = ValidationError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::from_fen(v)
    }
}

impl From<Money> for i64 {
    fn from(m: Money) -> i64 {
        m.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, c) = (self.0 / 100, self.0 % 100);
        if c == 0 {
            write!(f, "{y}元")
        } else {
            write!(f, "{y}.{c:02}元")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<i64>) {
        assert_eq!(
            Money::parse(input).ok().map(Money::fen),
            expected,
            "{input}"
        );
    }

    #[test]
    fn parses_yuan_exactly() {
        check("12000", Some(1_200_000));
        check("3500.5", Some(350_050));
        check("3500.50元", Some(350_050));
        check("1,234.05", Some(123_405));
        check("0", Some(0));
        check("-5", None);
        check("1.234", None);
        check("abc", None);
        check("", None);
        check(".5", None);
        check("9999999999999", None);
        assert_eq!(Money::parse("3500.5").unwrap().to_string(), "3500.50元");
        assert_eq!(Money::parse("20").unwrap().to_string(), "20元");
    }
}
