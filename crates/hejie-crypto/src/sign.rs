//! Digital signatures for agreements (人民调解协议书): SM2 (GB/T 32918, with the default
//! distinguishing identifier of GM/T 0009) and Ed25519. Keys and signatures travel as lowercase
//! hex: an SM2 public key as its uncompressed SEC1 point, an SM2 signature as r‖s (64 bytes),
//! Ed25519 keys and signatures in their standard 32- and 64-byte forms.
//!
//! What is signed is the caller's choice of bytes; for agreements it is the document's SHA-256
//! written as 64 lowercase hex characters, so a signature names exactly one version.

use ed25519_dalek::{Signer as _, Verifier as _};
use hejie_domain::mediation::SignatureAlgorithm;

/// GM/T 0009's default signer identity, used when none is agreed.
const SM2_DISTID: &str = "1234567812345678";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("公钥格式不正确")]
    BadPublicKey,
    #[error("签名格式不正确")]
    BadSignature,
    #[error("私钥格式不正确")]
    BadSecretKey,
    #[error("签名验证失败：签名与文件或公钥不符")]
    Invalid,
}

/// A signing key of either algorithm. The secret never leaves this type except through
/// [`SigningKey::secret_hex`], for the key store of whoever holds it.
#[derive(Clone)]
pub struct SigningKey {
    algorithm: SignatureAlgorithm,
    secret: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?}, …)", self.algorithm)
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate(algorithm: SignatureAlgorithm) -> Self {
        loop {
            let secret: [u8; 32] = rand::random();
            // Almost every 32 bytes is a valid SM2 scalar; draw again in the rare other case.
            if let Ok(k) = Self::from_secret(algorithm, &secret) {
                return k;
            }
        }
    }

    pub fn from_secret(
        algorithm: SignatureAlgorithm,
        secret: &[u8; 32],
    ) -> Result<Self, SignatureError> {
        if algorithm == SignatureAlgorithm::Sm2 {
            sm2_key(secret)?;
        }
        Ok(Self {
            algorithm,
            secret: *secret,
        })
    }

    pub fn from_secret_hex(
        algorithm: SignatureAlgorithm,
        secret: &str,
    ) -> Result<Self, SignatureError> {
        let bytes: [u8; 32] = hex::decode(secret)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(SignatureError::BadSecretKey)?;
        Self::from_secret(algorithm, &bytes)
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.secret)
    }

    /// The public key, as [`verify`] takes it.
    pub fn public_hex(&self) -> String {
        match self.algorithm {
            SignatureAlgorithm::Ed25519 => hex::encode(
                ed25519_dalek::SigningKey::from_bytes(&self.secret)
                    .verifying_key()
                    .to_bytes(),
            ),
            SignatureAlgorithm::Sm2 => match sm2_key(&self.secret) {
                Ok(k) => hex::encode(k.verifying_key().to_sec1_bytes()),
                // Checked when the key was made.
                Err(_) => String::new(),
            },
        }
    }

    /// Signs `message`; the signature is hex.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        match self.algorithm {
            SignatureAlgorithm::Ed25519 => hex::encode(
                ed25519_dalek::SigningKey::from_bytes(&self.secret)
                    .sign(message)
                    .to_bytes(),
            ),
            SignatureAlgorithm::Sm2 => match sm2_key(&self.secret) {
                Ok(k) => {
                    let s: sm2::dsa::Signature = k.sign(message);
                    hex::encode(s.to_bytes())
                }
                Err(_) => String::new(),
            },
        }
    }
}

fn sm2_key(secret: &[u8; 32]) -> Result<sm2::dsa::SigningKey, SignatureError> {
    let sk = sm2::SecretKey::from_slice(secret).map_err(|_| SignatureError::BadSecretKey)?;
    sm2::dsa::SigningKey::new(SM2_DISTID, &sk).map_err(|_| SignatureError::BadSecretKey)
}

/// Checks that `signature` (hex) is `public_key`'s (hex) signature of `message`.
pub fn verify(
    algorithm: SignatureAlgorithm,
    public_key: &str,
    message: &[u8],
    signature: &str,
) -> Result<(), SignatureError> {
    let key = hex::decode(public_key).map_err(|_| SignatureError::BadPublicKey)?;
    let sig = hex::decode(signature).map_err(|_| SignatureError::BadSignature)?;
    match algorithm {
        SignatureAlgorithm::Ed25519 => {
            let key: [u8; 32] = key.try_into().map_err(|_| SignatureError::BadPublicKey)?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
                .map_err(|_| SignatureError::BadPublicKey)?;
            let sig: [u8; 64] = sig.try_into().map_err(|_| SignatureError::BadSignature)?;
            key.verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
                .map_err(|_| SignatureError::Invalid)
        }
        SignatureAlgorithm::Sm2 => {
            let key = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTID, &key)
                .map_err(|_| SignatureError::BadPublicKey)?;
            let sig =
                sm2::dsa::Signature::from_slice(&sig).map_err(|_| SignatureError::BadSignature)?;
            key.verify(message, &sig)
                .map_err(|_| SignatureError::Invalid)
        }
    }
}
