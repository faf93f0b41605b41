//! The clinic data key (CDK): every change is sealed under it before it leaves a device, so the
//! server stores only ciphertext. One key per epoch; each epoch's commitment is in an
//! administrator's link (`Statement::DataKeyEpoch`). A device receives the key wrapped (HPKE) to
//! its own X25519 key and accepts a wrap only if it opens to the committed key — so a server that
//! hands out a key of its own is found out. The device's keys derive from its device secret, so a
//! locked device can still authenticate to the server before anyone logs in.

use hkdf::Hkdf;
use sha2::Sha256;

use super::section_key::{open_from, seal_to, UserKeyPair};
use crate::crypto::Sealed;
use crate::secret::Key32;
use crate::{Error, Result};

const WRAP_INFO: &[u8] = b"mamori cdk wrap v1";
const DEVICE_IDENTITY_INFO: &[u8] = b"mamori device identity v1";

/// A clinic data key sealed to one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedDataKey {
    pub epoch: u32,
    pub device: String,
    pub encapsulated: [u8; 32],
    pub sealed: Sealed,
}

impl WrappedDataKey {
    /// `[epoch u32 BE][device: u8 length + UTF-8][encapsulated key 32][ciphertext]`: what travels
    /// through the server (which cannot open it).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.epoch.to_be_bytes().to_vec();
        out.push(u8::try_from(self.device.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.device.as_bytes()[..self.device.len().min(255)]);
        out.extend_from_slice(&self.encapsulated);
        out.extend_from_slice(&self.sealed.ciphertext);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = || Error::InvalidState("a clinic data key wrap is not readable");
        let epoch = u32::from_be_bytes(bytes.get(..4).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
        let len = usize::from(*bytes.get(4).ok_or_else(bad)?);
        let device = std::str::from_utf8(bytes.get(5..5 + len).ok_or_else(bad)?).map_err(|_| bad())?.to_owned();
        let rest = bytes.get(5 + len..).ok_or_else(bad)?;
        let encapsulated: [u8; 32] = rest.get(..32).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
        let ciphertext = rest.get(32..).filter(|c| c.len() == 48).ok_or_else(bad)?.to_vec();
        Ok(Self { epoch, device, encapsulated, sealed: Sealed { nonce: [0; crate::crypto::NONCE_LEN], ciphertext } })
    }
}

fn associated_data(device: &str, epoch: u32) -> Vec<u8> {
    let mut ad = b"mamori cdk wrap\0".to_vec();
    ad.extend_from_slice(device.as_bytes());
    ad.push(0);
    ad.extend_from_slice(&epoch.to_be_bytes());
    ad
}

/// Seals epoch `epoch`'s key to `device`'s X25519 key from the verified chain.
pub fn wrap(key: &Key32, epoch: u32, device: &str, device_x25519: &[u8; 32]) -> Result<WrappedDataKey> {
    let (encapsulated, sealed) = seal_to(WRAP_INFO, key, &associated_data(device, epoch), device_x25519)?;
    Ok(WrappedDataKey { epoch, device: device.to_owned(), encapsulated, sealed })
}

/// Opens a wrap made for this device, and accepts it only if it is the key `commitment` (from
/// the chain) commits to.
pub fn unwrap(wrapped: &WrappedDataKey, device: &DeviceKeys, commitment: &[u8; 32]) -> Result<Key32> {
    let ad = associated_data(&wrapped.device, wrapped.epoch);
    let key = open_from(WRAP_INFO, &wrapped.encapsulated, &wrapped.sealed, &ad, &device.pair)
        .ok_or(Error::InvalidState("a clinic data key wrap does not open with this device's key"))?;
    if crate::chain::data_key_commitment(wrapped.epoch, &key) != *commitment {
        return Err(Error::InvalidState("a clinic data key wrap holds another key than the chain commits to"));
    }
    Ok(key)
}

/// The device's own key pairs (Ed25519 signs its envelopes and requests, X25519 receives the
/// clinic data key), derived from its device secret.
pub struct DeviceKeys {
    pair: UserKeyPair,
}

impl DeviceKeys {
    pub fn derive(device_secret: &Key32) -> Result<Self> {
        let mut seed = [0u8; 32];
        Hkdf::<Sha256>::new(None, device_secret.expose())
            .expand(DEVICE_IDENTITY_INFO, &mut seed)
            .map_err(|e| Error::Kdf(e.to_string()))?;
        Ok(Self { pair: UserKeyPair::from_key(&Key32::from_bytes(seed)) })
    }

    pub fn signing_key(&self) -> ed25519_dalek::SigningKey {
        self.pair.signing_key()
    }

    pub fn signing_public(&self) -> [u8; 32] {
        self.pair.signing_public()
    }

    pub fn x25519_public(&self) -> [u8; 32] {
        self.pair.public()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrap_opens_only_for_its_device_and_only_to_the_committed_key() {
        let desk = DeviceKeys::derive(&Key32::from_bytes([1; 32])).expect("keys");
        let laptop = DeviceKeys::derive(&Key32::from_bytes([2; 32])).expect("keys");
        let key = Key32::from_bytes([9; 32]);
        let commitment = crate::chain::data_key_commitment(3, &key);
        let wrapped = wrap(&key, 3, "desk", &desk.x25519_public()).expect("wrap");
        let wrapped = WrappedDataKey::from_bytes(&wrapped.to_bytes()).expect("travels as bytes");
        assert!(WrappedDataKey::from_bytes(&wrapped.to_bytes()[..60]).is_err(), "cut short");
        assert_eq!(unwrap(&wrapped, &desk, &commitment).expect("opens").expose(), key.expose());
        assert!(unwrap(&wrapped, &laptop, &commitment).is_err(), "another device's key");
        let relabelled = WrappedDataKey { device: "laptop".into(), ..wrapped.clone() };
        assert!(unwrap(&relabelled, &desk, &commitment).is_err(), "the device name is bound");
        // A server's own key, correctly wrapped to the desk, is not the committed one.
        let planted = wrap(&Key32::from_bytes([7; 32]), 3, "desk", &desk.x25519_public()).expect("wrap");
        assert!(unwrap(&planted, &desk, &commitment).is_err(), "not the committed key");
        assert_eq!(
            DeviceKeys::derive(&Key32::from_bytes([1; 32])).expect("keys").signing_public(),
            desk.signing_public(),
            "the same device secret gives the same identity"
        );
    }
}
