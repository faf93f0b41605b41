//! Every request to the server is signed by the device key over its method, path, a counter and
//! the body's hash. The server keeps each device's highest counter in its database and refuses
//! any request whose counter is not above it, so a captured request cannot be replayed, even to a
//! second server instance on the same database.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::envelope::Hash32;
use crate::error::{Error, Result};

pub const DEVICE_HEADER: &str = "mamori-device";
pub const COUNTER_HEADER: &str = "mamori-counter";
pub const SIGNATURE_HEADER: &str = "mamori-signature";
/// A user acting through the device (an administrator's report), and their signature over
/// `USER_REQUEST_DOMAIN` and the same request message.
pub const USER_HEADER: &str = "mamori-user";
pub const USER_SIGNATURE_HEADER: &str = "mamori-user-signature";
const DOMAIN: &[u8] = b"mamori-request-v1\0";

/// What a request signature covers.
pub fn request_message(method: &str, path: &str, device: &str, counter: u64, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(128);
    m.extend_from_slice(DOMAIN);
    for part in [method, path, device] {
        m.extend_from_slice(part.as_bytes());
        m.push(0);
    }
    m.extend_from_slice(&counter.to_be_bytes());
    m.extend_from_slice(&Sha256::digest(body));
    m
}

/// The signature header's value for a request.
pub fn sign_request(key: &SigningKey, method: &str, path: &str, device: &str, counter: u64, body: &[u8]) -> String {
    hex::encode(key.sign(&request_message(method, path, device, counter, body)).to_bytes())
}

/// Checks a request's signature against the device's enrolled key.
pub fn verify_request(
    device_key: &Hash32,
    method: &str,
    path: &str,
    device: &str,
    counter: u64,
    body: &[u8],
    signature_hex: &str,
) -> Result<()> {
    let key = VerifyingKey::from_bytes(device_key).map_err(|_| Error::DeviceSignature)?;
    let bytes: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(Error::Malformed("the request signature is not 64 bytes of hex"))?;
    key.verify_strict(&request_message(method, path, device, counter, body), &Signature::from_bytes(&bytes))
        .map_err(|_| Error::DeviceSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_the_method_path_device_counter_and_body() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let public = key.verifying_key().to_bytes();
        let signature = sign_request(&key, "POST", "/v1/push", "desk-1", 7, b"body");
        assert!(verify_request(&public, "POST", "/v1/push", "desk-1", 7, b"body", &signature).is_ok());
        for (method, path, device, counter, body) in [
            ("GET", "/v1/push", "desk-1", 7, &b"body"[..]),
            ("POST", "/v1/pull", "desk-1", 7, b"body"),
            ("POST", "/v1/push", "desk-2", 7, b"body"),
            ("POST", "/v1/push", "desk-1", 8, b"body"),
            ("POST", "/v1/push", "desk-1", 7, b"bodY"),
        ] {
            assert!(verify_request(&public, method, path, device, counter, body, &signature).is_err());
        }
        assert!(verify_request(&public, "POST", "/v1/push", "desk-1", 7, b"body", "zz").is_err());
    }
}
