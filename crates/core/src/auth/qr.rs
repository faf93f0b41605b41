//! QR codes of an enrollment's otpauth:// URI: as PNG for a screen or a printout, and as text
//! for a terminal.

use qrcodegen::{QrCode, QrCodeEcc};
use totp_rs::Totp;

use super::Enrollment;
use crate::{Error, Result};

impl Enrollment {
    /// A PNG of the QR code that any authenticator app scans.
    pub fn qr_png(&self) -> Result<Vec<u8>> {
        let totp =
            Totp::from_url(&self.otpauth_uri).map_err(|_| Error::InvalidState("the otpauth URI is not valid"))?;
        totp.to_qr_png().map_err(|_| Error::InvalidState("the QR code could not be drawn"))
    }

    /// The QR code drawn with block characters, two modules per character row.
    pub fn qr_text(&self) -> Result<String> {
        let qr = QrCode::encode_text(&self.otpauth_uri, QrCodeEcc::Medium)
            .map_err(|_| Error::InvalidState("the otpauth URI is too long for a QR code"))?;
        let border = 2;
        let size = qr.size();
        let dark = |x: i32, y: i32| qr.get_module(x, y);
        let mut out = String::new();
        let mut y = -border;
        while y < size + border {
            for x in -border..size + border {
                out.push(match (dark(x, y), dark(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
            y += 2;
        }
        Ok(out)
    }
}
