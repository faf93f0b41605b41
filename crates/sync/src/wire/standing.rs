//! What a device and the server say about the device's standing (DESIGN.md, "Lost devices"):
//! the server's offline lease, signed with the key it countersigns audit heads with; the answer
//! to a check-in (the whole membership chain, so the device checks a wipe order from its own root
//! pin, and a lease unless the device is shut out); and a wiped device's acknowledgement, signed
//! with its device key, which the administrator's device checks against the chain.
//!
//! Each signed message starts with a domain of its own, so no signature over one can pass for
//! another.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::codec::{
    finish, open, put_blobs, put_signed, put_triples, read_blobs, read_signed, read_triples, start, Codec,
};
use super::envelope::{Hash32, Reader};
use super::messages::ChainLinks;
use crate::error::{Error, Result};

const LEASE_DOMAIN: &[u8] = b"mamori-lease-v1\0";
const ACK_DOMAIN: &[u8] = b"mamori-wipe-ack-v1\0";
const MAX_DEVICE_NAME: usize = 64;

/// The server's word that `device` reached it when its chain head was `chain_head`. Its age on
/// the device is measured on the device's own clock from when it arrived; `issued_at` (server
/// time, Unix seconds) is only shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub clinic: Hash32,
    pub device: String,
    pub chain_head: u64,
    pub issued_at: i64,
}

/// A wiped device's report: it destroyed its chart on the order in link `wipe_link`, losing
/// `unsent` changes the server never received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WipeAck {
    pub clinic: Hash32,
    pub device: String,
    pub wipe_link: u64,
    pub unsent: u64,
    /// The device's clock when it wiped (Unix seconds).
    pub wiped_at: i64,
    /// Whether the keyring gave up the device secret (the files went either way).
    pub keyring_cleared: bool,
}

/// Exact bytes and the signature over them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub bytes: Vec<u8>,
    pub signature: Vec<u8>,
}

fn put_name(out: &mut Vec<u8>, device: &str) {
    let name = &device.as_bytes()[..device.len().min(MAX_DEVICE_NAME)];
    out.push(u8::try_from(name.len()).unwrap_or(0));
    out.extend_from_slice(name);
}

fn read_name(r: &mut Reader<'_>) -> Result<String> {
    let len = usize::from(r.array::<1>()?[0]);
    if len == 0 || len > MAX_DEVICE_NAME {
        return Err(Error::Malformed("a device name is 1 to 64 bytes"));
    }
    String::from_utf8(r.take(len)?.to_vec()).map_err(|_| Error::Malformed("a device name is not UTF-8"))
}

fn read_domain(r: &mut Reader<'_>, domain: &[u8]) -> Result<()> {
    if r.take(domain.len())? == domain {
        Ok(())
    } else {
        Err(Error::Malformed("not the message it claims to be"))
    }
}

fn sign(bytes: Vec<u8>, key: &SigningKey) -> Signed {
    let signature = key.sign(&bytes).to_bytes().to_vec();
    Signed { bytes, signature }
}

impl Signed {
    /// The bytes, if `key` signed them.
    fn verified(&self, key: &Hash32) -> Result<&[u8]> {
        let key = VerifyingKey::from_bytes(key).map_err(|_| Error::DeviceSignature)?;
        let signature: [u8; 64] =
            self.signature.as_slice().try_into().map_err(|_| Error::Malformed("a signature is 64 bytes"))?;
        key.verify_strict(&self.bytes, &Signature::from_bytes(&signature)).map_err(|_| Error::DeviceSignature)?;
        Ok(&self.bytes)
    }
}

impl Lease {
    pub fn sign(&self, key: &SigningKey) -> Signed {
        let mut out = LEASE_DOMAIN.to_vec();
        out.extend_from_slice(&self.clinic);
        put_name(&mut out, &self.device);
        out.extend_from_slice(&self.chain_head.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        sign(out, key)
    }

    /// The lease, if `server_key` signed it.
    pub fn open(signed: &Signed, server_key: &Hash32) -> Result<Self> {
        let mut r = Reader { rest: signed.verified(server_key)? };
        read_domain(&mut r, LEASE_DOMAIN)?;
        let lease = Lease {
            clinic: r.array()?,
            device: read_name(&mut r)?,
            chain_head: u64::from_be_bytes(r.array()?),
            issued_at: i64::from_be_bytes(r.array()?),
        };
        finish(&r, lease)
    }
}

impl WipeAck {
    pub fn sign(&self, key: &SigningKey) -> Signed {
        let mut out = ACK_DOMAIN.to_vec();
        out.extend_from_slice(&self.clinic);
        put_name(&mut out, &self.device);
        out.extend_from_slice(&self.wipe_link.to_be_bytes());
        out.extend_from_slice(&self.unsent.to_be_bytes());
        out.extend_from_slice(&self.wiped_at.to_be_bytes());
        out.push(u8::from(self.keyring_cleared));
        sign(out, key)
    }

    /// The device named in the acknowledgement, read before its key is looked up.
    pub fn claimed_device(signed: &Signed) -> Result<String> {
        let mut r = Reader { rest: &signed.bytes };
        read_domain(&mut r, ACK_DOMAIN)?;
        let _clinic: Hash32 = r.array()?;
        read_name(&mut r)
    }

    /// The acknowledgement, if `device_key` signed it.
    pub fn open(signed: &Signed, device_key: &Hash32) -> Result<Self> {
        let mut r = Reader { rest: signed.verified(device_key)? };
        read_domain(&mut r, ACK_DOMAIN)?;
        let ack = WipeAck {
            clinic: r.array()?,
            device: read_name(&mut r)?,
            wipe_link: u64::from_be_bytes(r.array()?),
            unsent: u64::from_be_bytes(r.array()?),
            wiped_at: i64::from_be_bytes(r.array()?),
            keyring_cleared: match r.array::<1>()?[0] {
                0 => false,
                1 => true,
                _ => return Err(Error::Malformed("a flag is 0 or 1")),
            },
        };
        finish(&r, ack)
    }
}

/// The server's answer to a check-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckIn {
    /// The whole stored chain, from link 1.
    pub links: ChainLinks,
    /// A lease for an enrolled device; none for one shut out.
    pub lease: Option<Signed>,
    /// The key the server signs leases with.
    pub server_key: Hash32,
}

impl Codec for CheckIn {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        out.extend_from_slice(&self.links.first.to_be_bytes());
        put_signed(&mut out, &self.links.links);
        let lease: Vec<(Vec<u8>, Vec<u8>)> =
            self.lease.iter().map(|l| (l.bytes.clone(), l.signature.clone())).collect();
        put_signed(&mut out, &lease);
        out.extend_from_slice(&self.server_key);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let first = u64::from_be_bytes(r.array()?);
        let links = read_signed(&mut r, "a link without its signature")?;
        let mut leases = read_signed(&mut r, "a lease without its signature")?;
        if leases.len() > 1 {
            return Err(Error::Malformed("more than one lease"));
        }
        let lease = leases.pop().map(|(bytes, signature)| Signed { bytes, signature });
        let server_key = r.array()?;
        finish(&r, CheckIn { links: ChainLinks { first, links }, lease, server_key })
    }
}

/// What a device says of itself when it checks in, for the administrator's device list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckInRequest {
    /// The Mamori version it runs.
    pub app_version: String,
    /// Its own changes the server has not acknowledged yet.
    pub waiting: u64,
}

const MAX_VERSION_LEN: usize = 64;

impl Codec for CheckInRequest {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        let version = &self.app_version.as_bytes()[..self.app_version.len().min(MAX_VERSION_LEN)];
        put_blobs(&mut out, &[version.to_vec()]);
        out.extend_from_slice(&self.waiting.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let mut parts = read_blobs(&mut r)?;
        let version = match (parts.pop(), parts.is_empty()) {
            (Some(version), true) if version.len() <= MAX_VERSION_LEN => version,
            _ => return Err(Error::Malformed("one version of at most 64 bytes")),
        };
        let app_version = String::from_utf8(version).map_err(|_| Error::Malformed("a version is not UTF-8"))?;
        let waiting = u64::from_be_bytes(r.array()?);
        finish(&r, CheckInRequest { app_version, waiting })
    }
}

/// What the server last heard from each device (Unix seconds by the server's clock).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceReport {
    pub device: String,
    pub last_seen: i64,
    pub app_version: String,
    pub waiting: u64,
    /// When it last got a lease (none for a device shut out).
    pub leased_at: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceReports {
    pub reports: Vec<DeviceReport>,
}

impl Codec for DeviceReports {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        let items = self.reports.iter().map(|r| {
            let mut numbers = Vec::with_capacity(25);
            numbers.extend_from_slice(&r.last_seen.to_be_bytes());
            numbers.extend_from_slice(&r.waiting.to_be_bytes());
            numbers.push(u8::from(r.leased_at.is_some()));
            numbers.extend_from_slice(&r.leased_at.unwrap_or(0).to_be_bytes());
            [r.device.as_bytes().to_vec(), r.app_version.as_bytes().to_vec(), numbers]
        });
        put_triples(&mut out, items);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|_| Error::Malformed("not UTF-8"));
        let mut reports = Vec::new();
        for [device, app_version, numbers] in read_triples(&mut r, "a device report without all its parts")? {
            let mut numbers = Reader { rest: &numbers };
            let last_seen = i64::from_be_bytes(numbers.array()?);
            let waiting = u64::from_be_bytes(numbers.array()?);
            let leased = numbers.array::<1>()?[0];
            let leased_at = i64::from_be_bytes(numbers.array()?);
            if !numbers.rest.is_empty() || leased > 1 {
                return Err(Error::Malformed("a device report's numbers"));
            }
            let leased_at = (leased == 1).then_some(leased_at);
            reports.push(DeviceReport {
                device: text(device)?,
                app_version: text(app_version)?,
                last_seen,
                waiting,
                leased_at,
            });
        }
        finish(&r, DeviceReports { reports })
    }
}

/// Wiped devices' acknowledgements, as the server keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WipeAcks {
    pub acks: Vec<Signed>,
}

impl Codec for WipeAcks {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = self.acks.iter().map(|a| (a.bytes.clone(), a.signature.clone())).collect();
        put_signed(&mut out, &pairs);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let acks = read_signed(&mut r, "an acknowledgement without its signature")?
            .into_iter()
            .map(|(bytes, signature)| Signed { bytes, signature })
            .collect();
        finish(&r, WipeAcks { acks })
    }
}

/// One acknowledgement as a request body.
impl Codec for Signed {
    fn encode(&self) -> Vec<u8> {
        let mut out = start();
        put_blobs(&mut out, &[self.bytes.clone(), self.signature.clone()]);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = open(bytes)?;
        let mut parts = read_blobs(&mut r)?;
        if parts.len() != 2 {
            return Err(Error::Malformed("signed bytes and their signature"));
        }
        let signature = parts.pop().unwrap_or_default();
        let bytes = parts.pop().unwrap_or_default();
        finish(&r, Signed { bytes, signature })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack() -> WipeAck {
        WipeAck {
            clinic: [7; 32],
            device: "laptop".into(),
            wipe_link: 12,
            unsent: 3,
            wiped_at: 1_800_000_000,
            keyring_cleared: true,
        }
    }

    #[test]
    fn a_lease_opens_only_with_the_servers_key_and_unaltered() {
        let server = SigningKey::from_bytes(&[1; 32]);
        let lease = Lease { clinic: [7; 32], device: "laptop".into(), chain_head: 9, issued_at: 1_800_000_000 };
        let signed = lease.sign(&server);
        assert_eq!(Lease::open(&signed, &server.verifying_key().to_bytes()).expect("opens"), lease);
        let other = SigningKey::from_bytes(&[2; 32]).verifying_key().to_bytes();
        assert!(Lease::open(&signed, &other).is_err(), "another key's lease");
        for i in 0..signed.bytes.len() {
            let mut bent = signed.clone();
            bent.bytes[i] ^= 1;
            assert!(Lease::open(&bent, &server.verifying_key().to_bytes()).is_err(), "byte {i} flipped");
        }
    }

    #[test]
    fn an_acknowledgement_is_not_a_lease_and_opens_only_with_its_devices_key() {
        let device = SigningKey::from_bytes(&[3; 32]);
        let signed = ack().sign(&device);
        let key = device.verifying_key().to_bytes();
        assert_eq!(WipeAck::open(&signed, &key).expect("opens"), ack());
        assert_eq!(WipeAck::claimed_device(&signed).expect("named"), "laptop");
        assert!(Lease::open(&signed, &key).is_err(), "an acknowledgement taken for a lease");
        assert!(WipeAck::open(&signed, &SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes()).is_err());
    }

    #[test]
    fn check_in_answers_and_acknowledgements_round_trip_and_refuse_junk() {
        let server = SigningKey::from_bytes(&[1; 32]);
        let lease = Lease { clinic: [7; 32], device: "laptop".into(), chain_head: 2, issued_at: 5 }.sign(&server);
        let answer = CheckIn {
            links: ChainLinks { first: 1, links: vec![(b"l1".to_vec(), vec![1; 64]), (b"l2".to_vec(), vec![2; 64])] },
            lease: Some(lease),
            server_key: server.verifying_key().to_bytes(),
        };
        assert_eq!(CheckIn::decode(&answer.encode()).expect("decodes"), answer);
        let shut_out = CheckIn { lease: None, ..answer.clone() };
        assert_eq!(CheckIn::decode(&shut_out.encode()).expect("decodes"), shut_out);
        let bytes = answer.encode();
        for cut in 0..bytes.len() {
            assert!(CheckIn::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let acks = WipeAcks { acks: vec![ack().sign(&SigningKey::from_bytes(&[3; 32]))] };
        assert_eq!(WipeAcks::decode(&acks.encode()).expect("decodes"), acks);
        assert_eq!(Signed::decode(&acks.acks[0].encode()).expect("decodes"), acks.acks[0]);
        let request = CheckInRequest { app_version: "0.1.0".into(), waiting: 3 };
        assert_eq!(CheckInRequest::decode(&request.encode()).expect("decodes"), request);
        let reports = DeviceReports {
            reports: vec![
                DeviceReport {
                    device: "desk".into(),
                    last_seen: 9,
                    app_version: "0.1.0".into(),
                    waiting: 0,
                    leased_at: Some(9),
                },
                DeviceReport {
                    device: "lost".into(),
                    last_seen: 5,
                    app_version: "0.1.0".into(),
                    waiting: 2,
                    leased_at: None,
                },
            ],
        };
        assert_eq!(DeviceReports::decode(&reports.encode()).expect("decodes"), reports);
        for cut in 0..reports.encode().len() {
            assert!(DeviceReports::decode(&reports.encode()[..cut]).is_err(), "cut at {cut}");
        }
    }
}
