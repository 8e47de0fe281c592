//! Agreement signatures: each algorithm signs and verifies, and any change to the document's
//! hash, the signature or the key makes verification fail.

use hejie_crypto::sign::{SignatureError, SigningKey, verify};
use hejie_crypto::{KeyedSealer, MasterKey, sha256_hex};
use hejie_domain::mediation::SignatureAlgorithm;

const DOC: &[u8] = b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// Flips one bit of the byte at `at` of a hex string's bytes, keeping it hex.
fn tamper_hex(s: &str, at: usize) -> String {
    let mut b = hex::decode(s).expect("hex");
    b[at] ^= 0x01;
    hex::encode(b)
}

#[test]
fn both_algorithms_sign_and_verify_and_reject_any_one_byte_change() {
    for algorithm in [SignatureAlgorithm::Sm2, SignatureAlgorithm::Ed25519] {
        let key = SigningKey::generate(algorithm);
        let public = key.public_hex();
        let sig = key.sign_hex(DOC);
        assert_eq!(
            verify(algorithm, &public, DOC, &sig),
            Ok(()),
            "{algorithm:?}"
        );

        let mut doc = DOC.to_vec();
        doc[10] = if doc[10] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            verify(algorithm, &public, &doc, &sig),
            Err(SignatureError::Invalid),
            "{algorithm:?}: a one-byte change of the document hash"
        );
        let bad = tamper_hex(&sig, 5);
        assert!(
            verify(algorithm, &public, DOC, &bad).is_err(),
            "{algorithm:?}: a changed signature"
        );
        let other = SigningKey::generate(algorithm).public_hex();
        assert_eq!(
            verify(algorithm, &other, DOC, &sig),
            Err(SignatureError::Invalid),
            "{algorithm:?}: another signer's key"
        );
    }
}

#[test]
fn a_key_round_trips_through_its_secret() {
    for algorithm in [SignatureAlgorithm::Sm2, SignatureAlgorithm::Ed25519] {
        let key = SigningKey::generate(algorithm);
        let again = SigningKey::from_secret_hex(algorithm, &key.secret_hex()).expect("reads");
        assert_eq!(again.public_hex(), key.public_hex());
        assert_eq!(
            verify(algorithm, &key.public_hex(), DOC, &again.sign_hex(DOC)),
            Ok(())
        );
    }
    assert_eq!(
        SigningKey::from_secret_hex(SignatureAlgorithm::Sm2, "00ff").map(|k| k.public_hex()),
        Err(SignatureError::BadSecretKey)
    );
}

#[test]
fn malformed_keys_and_signatures_are_refused_not_accepted() {
    let key = SigningKey::generate(SignatureAlgorithm::Ed25519);
    let sig = key.sign_hex(DOC);
    assert_eq!(
        verify(SignatureAlgorithm::Ed25519, "zz", DOC, &sig),
        Err(SignatureError::BadPublicKey)
    );
    assert_eq!(
        verify(SignatureAlgorithm::Ed25519, &key.public_hex(), DOC, "abcd"),
        Err(SignatureError::BadSignature)
    );
    // An Ed25519 signature offered as SM2 is not an SM2 signature by that key.
    assert!(verify(SignatureAlgorithm::Sm2, &key.public_hex(), DOC, &sig).is_err());
}

#[test]
fn derived_signing_keys_are_stable_per_holder_and_differ_across_holders_and_masters() {
    let master = MasterKey::generate();
    let sealer = KeyedSealer::new(&master);
    for algorithm in [SignatureAlgorithm::Sm2, SignatureAlgorithm::Ed25519] {
        let a = sealer.signing_key("party:abc", algorithm);
        let again = KeyedSealer::new(&MasterKey::from_hex(&master.to_hex()).expect("hex"))
            .signing_key("party:abc", algorithm);
        assert_eq!(a.public_hex(), again.public_hex(), "{algorithm:?}");
        let other_holder = sealer.signing_key("party:abd", algorithm);
        assert_ne!(a.public_hex(), other_holder.public_hex(), "{algorithm:?}");
        let other_master =
            KeyedSealer::new(&MasterKey::generate()).signing_key("party:abc", algorithm);
        assert_ne!(a.public_hex(), other_master.public_hex(), "{algorithm:?}");
        let hash = sha256_hex(b"agreement");
        let sig = a.sign_hex(hash.as_bytes());
        verify(algorithm, &a.public_hex(), hash.as_bytes(), &sig).expect("verifies");
        assert!(verify(algorithm, &other_holder.public_hex(), hash.as_bytes(), &sig).is_err());
    }
}

#[test]
fn sha256_matches_the_standard_test_vector() {
    // FIPS 180-2, Appendix B.1.
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
