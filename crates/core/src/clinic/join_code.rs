//! The one-time code an administrator hands over to enroll a new device (DESIGN.md, "The wire",
//! enrollment): it carries the clinic server's address and certificate fingerprint, the clinic
//! root fingerprint and the device's name, and a 128-bit secret from which the key that accepts
//! the enrollment derives (only its public half is in the chain). Shown as text (`MJ1-…`) and as a
//! QR code of the same text.

use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::chain::Hex32;
use crate::secret::fill_random;
use crate::{Error, Result};

const PREFIX: &str = "MJ1";
const FORMAT: u8 = 1;

/// A device enrollment code.
pub struct JoinCode {
    /// `https://host:port` of the clinic server.
    pub server: String,
    /// SHA-256 of the server's certificate, pinned from the first request.
    pub certificate: Hex32,
    /// The clinic root key: the membership chain must start from it.
    pub clinic: Hex32,
    /// The device's name in the clinic (its invitation link names it).
    pub device: String,
    secret: Zeroizing<[u8; 16]>,
}

impl JoinCode {
    pub(crate) fn generate(server: &str, certificate: Hex32, clinic: Hex32, device: &str) -> Result<Self> {
        let mut secret = Zeroizing::new([0u8; 16]);
        fill_random(secret.as_mut())?;
        let code = Self { server: server.to_owned(), certificate, clinic, device: device.to_owned(), secret };
        code.check()?;
        Ok(code)
    }

    fn check(&self) -> Result<()> {
        let bad = |problem| Err(Error::JoinCodeInvalid(problem));
        if !self.server.starts_with("https://") || self.server.len() > 200 {
            return bad("the server is an https:// address");
        }
        if self.device.is_empty() || self.device.len() > 64 {
            return bad("the device name is 1 to 64 bytes");
        }
        Ok(())
    }

    /// The key that signs the device's acceptance: only the code's holder has it.
    pub fn acceptance_key(&self) -> SigningKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(b"mamori device enrollment v1"), self.secret.as_ref())
            .expand(self.device.as_bytes(), seed.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        SigningKey::from_bytes(&seed)
    }

    /// The code as text, to show, copy or put in a QR code.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(vec![FORMAT]);
        bytes.extend_from_slice(self.secret.as_ref());
        bytes.extend_from_slice(&self.clinic);
        bytes.extend_from_slice(&self.certificate);
        for part in [&self.device, &self.server] {
            bytes.push(u8::try_from(part.len()).unwrap_or(u8::MAX));
            bytes.extend_from_slice(part.as_bytes());
        }
        let body = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&bytes));
        let groups: Vec<&str> = body.as_bytes().chunks(8).filter_map(|c| std::str::from_utf8(c).ok()).collect();
        Zeroizing::new(format!("{PREFIX}-{}", groups.join("-")))
    }

    /// The code as a QR code for a terminal (the new device's camera, or a phone, reads it).
    pub fn qr_text(&self) -> Result<String> {
        crate::auth::qr_text_of(&self.to_text())
    }

    /// The QR code as an SVG document, for a window.
    pub fn qr_svg(&self) -> Result<String> {
        crate::auth::qr_svg_of(&self.to_text())
    }

    /// Reads a code as shown (case, spaces, dashes and line breaks do not matter).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |problem| Error::JoinCodeInvalid(problem);
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !matches!(c, '-' | ' ' | '\n' | '\r' | '\t'))
                .collect::<String>()
                .to_ascii_uppercase(),
        );
        let body = cleaned.strip_prefix(PREFIX).ok_or(bad("it does not start with MJ1-"))?;
        let bytes = Zeroizing::new(
            data_encoding::BASE32_NOPAD.decode(body.as_bytes()).map_err(|_| bad("it holds characters it cannot"))?,
        );
        let mut at = 0;
        let mut take = |n: usize| -> Result<Vec<u8>> {
            let part = bytes.get(at..at + n).ok_or(bad("it is cut short"))?.to_vec();
            at += n;
            Ok(part)
        };
        if take(1)? != [FORMAT] {
            return Err(bad("it is of a format this Mamori does not know"));
        }
        let secret: [u8; 16] = take(16)?.try_into().map_err(|_| bad("it is cut short"))?;
        let clinic: Hex32 = take(32)?.try_into().map_err(|_| bad("it is cut short"))?;
        let certificate: Hex32 = take(32)?.try_into().map_err(|_| bad("it is cut short"))?;
        let mut text_part = || -> Result<String> {
            let len = usize::from(take(1)?[0]);
            String::from_utf8(take(len)?).map_err(|_| bad("it is not readable"))
        };
        let device = text_part()?;
        let server = text_part()?.to_ascii_lowercase();
        if at != bytes.len() {
            return Err(bad("it has bytes after its end"));
        }
        let code = Self { server, certificate, clinic, device, secret: Zeroizing::new(secret) };
        code.check()?;
        Ok(code)
    }
}

impl std::fmt::Debug for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinCode").field("server", &self.server).field("device", &self.device).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_as_shown_and_its_key_is_the_same() {
        let code =
            JoinCode::generate("https://192.168.1.10:8443", [1; 32], [2; 32], "home-visit-laptop").expect("code");
        let text = code.to_text();
        let typed = text.to_lowercase().replace('-', " ");
        let again = JoinCode::parse(&typed).expect("parses");
        assert_eq!((again.server.as_str(), again.device.as_str()), ("https://192.168.1.10:8443", "home-visit-laptop"));
        assert_eq!((again.certificate, again.clinic), ([1; 32], [2; 32]));
        assert_eq!(again.acceptance_key().verifying_key(), code.acceptance_key().verifying_key());
        let other =
            JoinCode::generate("https://192.168.1.10:8443", [1; 32], [2; 32], "home-visit-laptop").expect("code");
        assert_ne!(other.acceptance_key().verifying_key(), code.acceptance_key().verifying_key(), "a fresh secret");
        assert!(!format!("{code:?}").contains(&text[4..20]), "Debug shows the secret");
    }

    #[test]
    fn a_mistyped_or_cut_code_is_a_clear_error() {
        let text = JoinCode::generate("https://clinic:8443", [1; 32], [2; 32], "desk-2").expect("code").to_text();
        for bad in ["", "MJ1-", "XX1-ABCDEFGH", &text[..text.len() - 9], &format!("{}AAAAAAAA", &*text), "MJ1-!!!!"] {
            assert!(matches!(JoinCode::parse(bad), Err(Error::JoinCodeInvalid(_))), "{bad:?}");
        }
        assert!(JoinCode::generate("http://clinic", [1; 32], [2; 32], "d").is_err(), "plain http");
    }
}
