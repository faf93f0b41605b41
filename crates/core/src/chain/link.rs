//! One link of the membership chain, as stored and as signed. The signature covers the exact
//! bytes of the link's body (JSON: format, clinic root, sequence, previous hash, statement,
//! signer); the link's hash covers the body and the signature, and the next link names it.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::statement::{Hex32, Statement};
use super::ChainError;

const FORMAT: &str = "mamori-link v1";
const SIGNING_DOMAIN: &[u8] = b"mamori-chain-v1/sign\0";
const HASH_DOMAIN: &[u8] = b"mamori-chain-v1/hash\0";

/// The signed part of a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub format: String,
    #[serde(with = "hex::serde")]
    pub root: Hex32,
    pub seq: u64,
    #[serde(with = "hex::serde")]
    pub prev: Hex32,
    pub statement: Statement,
    #[serde(with = "hex::serde")]
    pub signer: Hex32,
}

/// A link as stored: the exact signed bytes, the signature and the hash the next link names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub body: Vec<u8>,
    pub signature: Vec<u8>,
    pub hash: Hex32,
}

/// What the link before the first one is called.
pub fn genesis_prev(root: &Hex32) -> Hex32 {
    Sha256::new().chain_update(HASH_DOMAIN).chain_update(b"genesis\0").chain_update(root).finalize().into()
}

fn link_hash(body: &[u8], signature: &[u8]) -> Hex32 {
    let mut hasher = Sha256::new();
    hasher.update(HASH_DOMAIN);
    hasher.update((body.len() as u64).to_le_bytes());
    hasher.update(body);
    hasher.update(signature);
    hasher.finalize().into()
}

impl Link {
    /// Signs `statement` as link `seq` after `prev`.
    pub fn sign(
        root: &Hex32,
        seq: u64,
        prev: &Hex32,
        statement: Statement,
        key: &SigningKey,
    ) -> Result<Link, ChainError> {
        let body = Body {
            format: FORMAT.into(),
            root: *root,
            seq,
            prev: *prev,
            statement,
            signer: key.verifying_key().to_bytes(),
        };
        let body = serde_json::to_vec(&body).map_err(|_| ChainError::new(seq, "the link could not be encoded"))?;
        let mut message = SIGNING_DOMAIN.to_vec();
        message.extend_from_slice(&body);
        let signature = key.sign(&message).to_bytes().to_vec();
        let hash = link_hash(&body, &signature);
        Ok(Link { body, signature, hash })
    }

    /// A link as received from elsewhere (the server): its hash is computed here, and nothing is
    /// verified until it is applied to a verified chain.
    pub fn from_parts(body: Vec<u8>, signature: Vec<u8>) -> Link {
        let hash = link_hash(&body, &signature);
        Link { body, signature, hash }
    }

    /// The body, if the signature over its exact bytes is its signer's and the stored hash is
    /// right. Says nothing yet about whether the signer had the power (see `membership`).
    pub fn open(&self, expected_seq: u64) -> Result<Body, ChainError> {
        let broken = |problem: &'static str| ChainError::new(expected_seq, problem);
        let body: Body = serde_json::from_slice(&self.body).map_err(|_| broken("the link is not readable"))?;
        if body.format != FORMAT {
            return Err(broken("the link has an unknown format"));
        }
        if body.seq != expected_seq {
            return Err(broken("the link is out of sequence"));
        }
        let signer = VerifyingKey::from_bytes(&body.signer).map_err(|_| broken("the signer's key is not valid"))?;
        let signature = Signature::from_slice(&self.signature).map_err(|_| broken("the signature is not readable"))?;
        let mut message = SIGNING_DOMAIN.to_vec();
        message.extend_from_slice(&self.body);
        signer.verify_strict(&message, &signature).map_err(|_| broken("the signature does not match the link"))?;
        if link_hash(&self.body, &self.signature) != self.hash {
            return Err(broken("the stored hash does not match the link"));
        }
        Ok(body)
    }
}
