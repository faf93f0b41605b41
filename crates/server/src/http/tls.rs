//! The server's own certificate: made once at `mamori server init` (rcgen, self-signed), kept
//! beside its database, and pinned by every device at enrollment by its SHA-256 fingerprint.

use std::path::Path;

use mamori_sync::http::pin::fingerprint;
use mamori_sync::wire::Hash32;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Error, Result};

/// The TLS server configuration type (rustls), for callers that do not depend on rustls.
pub use rustls::ServerConfig;

pub const CERTIFICATE_FILE: &str = "server-certificate.pem";
pub const KEY_FILE: &str = "server-key.pem";

/// Makes a certificate and key for `names` (host names or IP addresses the devices will use) in
/// `dir`, refusing to overwrite one already there. Returns its fingerprint.
pub fn create(dir: &Path, names: &[String]) -> Result<Hash32> {
    let (cert_path, key_path) = (dir.join(CERTIFICATE_FILE), dir.join(KEY_FILE));
    if cert_path.exists() || key_path.exists() {
        return Err(Error::Setup("this folder already has a server certificate; devices have pinned it".into()));
    }
    let certified = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| Error::Setup(format!("the certificate could not be made: {e}")))?;
    std::fs::create_dir_all(dir).map_err(|e| Error::Setup(format!("{}: {e}", dir.display())))?;
    write_private(&key_path, certified.signing_key.serialize_pem().as_bytes())?;
    create_countersign_key(dir)?;
    std::fs::write(&cert_path, certified.cert.pem())
        .map_err(|e| Error::Setup(format!("{}: {e}", cert_path.display())))?;
    Ok(fingerprint(certified.cert.der()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| Error::Setup(format!("{}: {e}", path.display())))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| Error::Setup(format!("{}: {e}", path.display())))
}

/// The certificate and key in `dir`, and the certificate's fingerprint.
pub fn load(dir: &Path) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, Hash32)> {
    let cert_path = dir.join(CERTIFICATE_FILE);
    let missing = |what: &Path| Error::Setup(format!("{} is missing; run `mamori server init` first", what.display()));
    let cert = CertificateDer::from_pem_file(&cert_path).map_err(|_| missing(&cert_path))?;
    let key_path = dir.join(KEY_FILE);
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|_| missing(&key_path))?;
    let pin = fingerprint(cert.as_ref());
    Ok((vec![cert], key, pin))
}

/// A rustls server configuration for the certificate in `dir`.
pub fn server_config(dir: &Path) -> Result<(rustls::ServerConfig, Hash32)> {
    let (chain, key, pin) = load(dir)?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| Error::Setup(format!("the certificate could not be used: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((config, pin))
}

pub const COUNTERSIGN_KEY_FILE: &str = "audit-countersign.key";

/// Makes the key the server countersigns devices' audit heads with (in `dir`, readable by the
/// server's account only). It signs nothing else: no change, link or device.
pub fn create_countersign_key(dir: &Path) -> Result<()> {
    let mut seed = [0u8; 32];
    mamori_core::secret::fill_random(&mut seed)
        .map_err(|_| Error::Setup("the system random source is unavailable".into()))?;
    let text = seed.iter().map(|b| format!("{b:02x}")).collect::<String>();
    write_private(&dir.join(COUNTERSIGN_KEY_FILE), text.as_bytes())
}

/// The countersigning key in `dir`.
pub fn load_countersign_key(dir: &Path) -> Result<ed25519_dalek::SigningKey> {
    let path = dir.join(COUNTERSIGN_KEY_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| Error::Setup(format!("{} is missing; run `mamori server init` first", path.display())))?;
    let text = text.trim();
    let mut seed = [0u8; 32];
    if text.len() != 64 {
        return Err(Error::Setup(format!("{} is not a key", path.display())));
    }
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| Error::Setup(format!("{} is not a key", path.display())))?;
    }
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}
