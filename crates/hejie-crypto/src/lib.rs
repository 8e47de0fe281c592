//! Cryptography for hejie, behind small interfaces so a certified module can replace it.
//!
//! - [`sm3_hex`]: SM3 (GB/T 32905) digests for the event hash chain.
//! - [`KeyedSealer`]: seals personal data with AES-256-GCM and indexes it with HMAC-SM3, both keys
//!   derived by HKDF-SM3 from one 32-byte master key that lives outside the database.
//! - [`sign`]: SM2 and Ed25519 signatures, for signing mediation agreements.

pub mod sign;

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use hejie_domain::personal::{PiiKind, PiiSealer, Sealed, UnsealError};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::{Digest, Sm3};

/// SM3 digest of `bytes` as 64 lowercase hex characters.
pub fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(Sm3::digest(bytes))
}

/// SHA-256 digest of `bytes` as 64 lowercase hex characters: the hash agreements are signed
/// over and evidence files and dossiers are listed by, because courts' and third parties' tools
/// check SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("PII key must be 64 hexadecimal characters (32 bytes)")]
    BadFormat,
}

/// The master key for personal data. Never printed, never stored in the database.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(s.trim()).map_err(|_| KeyError::BadFormat)?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadFormat)?;
        Ok(Self(arr))
    }

    /// A fresh random key, e.g. for a new demo database.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// [`PiiSealer`] over AES-256-GCM with an HMAC-SM3 blind index.
///
/// Ciphertext format: `v1:<key id>:<base64(nonce || ciphertext || tag)>`. The key id (the first
/// eight hex digits of the SM3 of the index key) lets a later key rotation tell keys apart.
pub struct KeyedSealer {
    cipher: Aes256Gcm,
    index_key: [u8; 32],
    sign_key: [u8; 32],
    key_id: String,
}

impl fmt::Debug for KeyedSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyedSealer(key id {})", self.key_id)
    }
}

impl KeyedSealer {
    pub fn new(master: &MasterKey) -> Self {
        let hk = hkdf::Hkdf::<Sm3>::new(Some(b"hejie-pii-v1"), &master.0);
        let mut enc = [0u8; 32];
        let mut idx = [0u8; 32];
        // Expanding 32 bytes from a 32-byte-output hash cannot fail (the limit is 255 blocks).
        let _ = hk.expand(b"encryption", &mut enc);
        let _ = hk.expand(b"blind-index", &mut idx);
        let mut sign = [0u8; 32];
        let _ = hk.expand(b"signing-keys", &mut sign);
        let cipher = Aes256Gcm::new(&enc.into());
        let key_id = sm3_hex(&idx)[..8].to_owned();
        Self {
            cipher,
            index_key: idx,
            sign_key: sign,
            key_id,
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The signing key the platform holds for `holder` (e.g. `user:<id>`, or `party:<keyed hash
    /// of the phone>`), derived from the master key so it is never stored: the same holder
    /// always gets the same key, and nobody without the master key can produce it (ADR 0012).
    pub fn signing_key(
        &self,
        holder: &str,
        algorithm: hejie_domain::mediation::SignatureAlgorithm,
    ) -> sign::SigningKey {
        let hk = hkdf::Hkdf::<Sm3>::new(Some(b"hejie-sign-v1"), &self.sign_key);
        // An SM2 secret must be a scalar below the curve order; the odd 32 bytes that are not
        // (about one in four billion) move on to the next counter.
        for counter in 0u32.. {
            let mut secret = [0u8; 32];
            let info = format!("{algorithm:?}:{holder}:{counter}");
            let _ = hk.expand(info.as_bytes(), &mut secret);
            if let Ok(k) = sign::SigningKey::from_secret(algorithm, &secret) {
                return k;
            }
        }
        unreachable!("a valid key is found within a few counters")
    }
}

impl PiiSealer for KeyedSealer {
    fn seal(&self, kind: PiiKind, plain: &str, masked: String) -> Sealed {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aad = kind.as_str().as_bytes();
        let ct = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                aes_gcm::aead::Payload {
                    msg: plain.as_bytes(),
                    aad,
                },
            )
            // AES-GCM encryption only fails for inputs beyond 64 GiB.
            .unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Sealed {
            kind,
            ciphertext: format!("v1:{}:{}", self.key_id, B64.encode(blob)),
            keyed_hash: self.keyed_hash(kind, plain),
            masked,
        }
    }

    fn keyed_hash(&self, kind: PiiKind, plain: &str) -> String {
        let mut mac = <Hmac<Sm3> as KeyInit>::new_from_slice(&self.index_key)
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(kind.as_str().as_bytes());
        mac.update(b":");
        mac.update(plain.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn open(&self, sealed: &Sealed) -> Result<String, UnsealError> {
        let mut parts = sealed.ciphertext.splitn(3, ':');
        let (Some("v1"), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(UnsealError::Malformed);
        };
        if kid != self.key_id {
            return Err(UnsealError::UnknownKey(kid.to_owned()));
        }
        let blob = B64.decode(body).map_err(|_| UnsealError::Malformed)?;
        if blob.len() < 12 + 16 {
            return Err(UnsealError::Malformed);
        }
        let (nonce, ct) = blob.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| UnsealError::Malformed)?;
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                aes_gcm::aead::Payload {
                    msg: ct,
                    aad: sealed.kind.as_str().as_bytes(),
                },
            )
            .map_err(|_| UnsealError::Tampered)?;
        String::from_utf8(plain).map_err(|_| UnsealError::Tampered)
    }
}

/// HMAC accepts keys of any length, so construction never fails.
fn unreachable_hmac() -> Hmac<Sm3> {
    panic!("HMAC-SM3 rejected a 32-byte key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hejie_domain::personal::{IdNumber, PhoneNumber};

    #[test]
    fn sm3_matches_the_standard_test_vector() {
        // GB/T 32905-2016 Appendix A, example 1.
        assert_eq!(
            sm3_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn seals_and_opens_without_leaking_plaintext() {
        let s = KeyedSealer::new(&MasterKey::generate());
        let id = IdNumber::parse("11010519491231002X").unwrap();
        let sealed = id.seal(&s);
        assert!(!sealed.ciphertext.contains("19491231"));
        assert_eq!(sealed.masked, "110105********002X");
        assert_eq!(s.open(&sealed).unwrap(), "11010519491231002X");
        // The same value sealed twice gets different ciphertext but the same keyed hash.
        let again = id.seal(&s);
        assert_ne!(again.ciphertext, sealed.ciphertext);
        assert_eq!(again.keyed_hash, sealed.keyed_hash);
        let phone = PhoneNumber::parse("13812345678").unwrap().seal(&s);
        assert_eq!(s.open(&phone).unwrap(), "13812345678");
    }

    #[test]
    fn rejects_tampering_and_foreign_keys() {
        let s = KeyedSealer::new(&MasterKey::generate());
        let mut sealed = PhoneNumber::parse("13812345678").unwrap().seal(&s);
        let other = KeyedSealer::new(&MasterKey::generate());
        assert!(matches!(
            other.open(&sealed),
            Err(UnsealError::UnknownKey(_))
        ));
        // Swapping the kind changes the authenticated data, so decryption must fail.
        sealed.kind = PiiKind::IdNumber;
        assert_eq!(s.open(&sealed), Err(UnsealError::Tampered));
        sealed.kind = PiiKind::Phone;
        // Flip one bit of the ciphertext body: authentication must catch it.
        let (head, body) = sealed.ciphertext.rsplit_once(':').unwrap();
        let mut blob = B64.decode(body).unwrap();
        blob[14] ^= 0x01;
        sealed.ciphertext = format!("{head}:{}", B64.encode(blob));
        assert_eq!(s.open(&sealed), Err(UnsealError::Tampered));
    }

    #[test]
    fn master_keys_parse_from_hex_only() {
        let k = MasterKey::generate();
        assert_eq!(MasterKey::from_hex(&k.to_hex()).unwrap().0, k.0);
        assert!(MasterKey::from_hex("abcd").is_err());
        assert!(format!("{k:?}").contains("redacted"));
    }
}
