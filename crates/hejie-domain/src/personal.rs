//! Personal data: resident ID numbers (居民身份证号码, GB 11643) and mainland mobile numbers.
//!
//! Plain values exist only between parsing and sealing. Everything the case record keeps is a
//! [`Sealed`] value: ciphertext, a keyed hash for lookups, and the masked form for display.
//! The cryptography itself lives behind [`PiiSealer`], implemented outside this pure crate.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::error::ValidationError;

/// A validated 18-character resident ID number.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

impl IdNumber {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let err = |m: &str| ValidationError::new("id_number", m.to_owned());
        let s = input.trim().to_ascii_uppercase();
        if s.len() != 18 {
            return Err(err("身份证号码应为18位"));
        }
        let bytes = s.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(err("身份证号码前17位应为数字，末位为数字或X"));
        }
        if !crate::division::is_province_prefix(&s[..2]) {
            return Err(err("身份证号码的地址码无效"));
        }
        let year: i32 = s[6..10].parse().map_err(|_| err("出生日期无效"))?;
        let month: u8 = s[10..12].parse().map_err(|_| err("出生日期无效"))?;
        let day: u8 = s[12..14].parse().map_err(|_| err("出生日期无效"))?;
        let month = Month::try_from(month).map_err(|_| err("身份证号码中的出生日期无效"))?;
        if !(1900..=2100).contains(&year) || Date::from_calendar_date(year, month, day).is_err() {
            return Err(err("身份证号码中的出生日期无效"));
        }
        let sum: u32 = bytes[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if CHECK[(sum % 11) as usize] != bytes[17] {
            return Err(err("身份证号码校验位不正确"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `110101********1234`: the region code and the last four characters stay visible.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

/// A validated mainland mobile number, normalised to 11 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let mut digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_owned();
        } else if digits.len() == 13 && digits.starts_with("86") {
            digits = digits[2..].to_owned();
        }
        let b = digits.as_bytes();
        if b.len() != 11
            || !b.iter().all(u8::is_ascii_digit)
            || b[0] != b'1'
            || !(b'3'..=b'9').contains(&b[1])
        {
            return Err(ValidationError::new(
                "phone",
                "手机号码应为11位，以13至19开头".to_owned(),
            ));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// Which kind of personal datum a sealed value holds; also separates their keyed-hash spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    IdNumber,
    Phone,
}

impl PiiKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::IdNumber => "id_number",
            PiiKind::Phone => "phone",
        }
    }
}

/// A personal datum as the record keeps it: never the plain value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub kind: PiiKind,
    /// Authenticated ciphertext in the sealer's own self-describing text format.
    pub ciphertext: String,
    /// Keyed hash (blind index) of the normalised plain value, for "every case of this person".
    pub keyed_hash: String,
    /// What may be shown without the permission to unmask.
    pub masked: String,
}

/// Seals and opens personal data. Implementations hold the key; the domain never does.
pub trait PiiSealer: Send + Sync {
    fn seal(&self, kind: PiiKind, plain: &str, masked: String) -> Sealed;
    /// The keyed hash a plain value would get, to look it up without decrypting anything.
    fn keyed_hash(&self, kind: PiiKind, plain: &str) -> String;
    fn open(&self, sealed: &Sealed) -> Result<String, UnsealError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsealError {
    #[error("密文格式无效")]
    Malformed,
    #[error("密钥不匹配（密钥编号 {0}）")]
    UnknownKey(String),
    #[error("密文已被篡改或密钥错误")]
    Tampered,
}

impl IdNumber {
    pub fn seal(&self, sealer: &dyn PiiSealer) -> Sealed {
        sealer.seal(PiiKind::IdNumber, &self.0, self.masked())
    }
}

impl PhoneNumber {
    pub fn seal(&self, sealer: &dyn PiiSealer) -> Sealed {
        sealer.seal(PiiKind::Phone, &self.0, self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_id(input: &str, expected: Result<&str, &str>) {
        match (IdNumber::parse(input), expected) {
            (Ok(id), Ok(e)) => assert_eq!(id.as_str(), e),
            (Err(err), Err(e)) => assert!(err.message.contains(e), "{input}: {}", err.message),
            (got, e) => panic!("{input}: got {got:?}, expected {e:?}"),
        }
    }

    #[test]
    fn id_numbers_follow_gb11643() {
        check_id("11010519491231002X", Ok("11010519491231002X"));
        check_id("11010519491231002x", Ok("11010519491231002X"));
        check_id("440524188001010014", Err("出生日期"));
        check_id("110105194912310021", Err("校验位"));
        check_id("11010519491331002X", Err("出生日期"));
        check_id("11010519490230002X", Err("出生日期"));
        check_id("1101051949123100", Err("18位"));
        check_id("11010519491231A02X", Err("前17位"));
        check_id("99010519491231002X", Err("地址码"));
    }

    #[test]
    fn id_numbers_are_masked_and_never_debug_printed_in_full() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    fn check_phone(input: &str, expected: Option<&str>) {
        assert_eq!(
            PhoneNumber::parse(input)
                .ok()
                .map(|p| p.as_str().to_owned()),
            expected.map(str::to_owned),
            "{input}"
        );
    }

    #[test]
    fn phone_numbers_are_mainland_mobiles() {
        check_phone("13812345678", Some("13812345678"));
        check_phone("+86 138-1234-5678", Some("13812345678"));
        check_phone("8613812345678", Some("13812345678"));
        check_phone("12812345678", None);
        check_phone("1381234567", None);
        check_phone("0571-88888888", None);
        check_phone("1381234567a", None);
        assert_eq!(
            PhoneNumber::parse("13812345678").unwrap().masked(),
            "138****5678"
        );
    }
}
