//! QR codes of an enrollment's otpauth:// URI: as PNG for a screen or a printout, and as text
//! for a terminal.

use qrcodegen::{QrCode, QrCodeEcc};
use totp_rs::Totp;

use super::Enrollment;
use crate::{Error, Result};

impl Enrollment {
    fn qr_code(&self) -> Result<QrCode> {
        QrCode::encode_text(&self.otpauth_uri, QrCodeEcc::Medium)
            .map_err(|_| Error::InvalidState("the otpauth URI is too long for a QR code"))
    }

    /// A PNG of the QR code that any authenticator app scans.
    pub fn qr_png(&self) -> Result<Vec<u8>> {
        let totp =
            Totp::from_url(&self.otpauth_uri).map_err(|_| Error::InvalidState("the otpauth URI is not valid"))?;
        totp.to_qr_png().map_err(|_| Error::InvalidState("the QR code could not be drawn"))
    }

    /// The QR code as a standalone SVG document (for a window: no PNG encoder, no script).
    pub fn qr_svg(&self) -> Result<String> {
        Ok(svg(&self.qr_code()?))
    }

    /// The QR code drawn with block characters, two modules per character row.
    pub fn qr_text(&self) -> Result<String> {
        Ok(terminal_text(&self.qr_code()?))
    }
}

/// A QR code of `text` as a standalone SVG document.
pub fn qr_svg_of(text: &str) -> Result<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| Error::InvalidState("the text is too long for a QR code"))?;
    Ok(svg(&qr))
}

fn svg(qr: &QrCode) -> String {
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

/// A QR code of `text` drawn with block characters, for a terminal.
pub fn qr_text_of(text: &str) -> Result<String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|_| Error::InvalidState("the text is too long for a QR code"))?;
    Ok(terminal_text(&qr))
}

fn terminal_text(qr: &QrCode) -> String {
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
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_draws_every_dark_module_inside_a_quiet_zone() {
        let enrollment = Enrollment {
            user: "doctor".into(),
            secret_base32: String::new(),
            otpauth_uri: "otpauth://totp/Mamori:doctor?secret=JBSWY3DPEHPK3PXP&issuer=Mamori".into(),
            recovery_codes: Vec::new(),
        };
        let qr = QrCode::encode_text(&enrollment.otpauth_uri, QrCodeEcc::Medium).expect("qr");
        let svg = enrollment.qr_svg().expect("svg");
        let side = qr.size() + 8;
        assert!(svg.starts_with("<svg") && svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")), "{svg}");
        let dark =
            (0..qr.size()).flat_map(|y| (0..qr.size()).map(move |x| (x, y))).filter(|(x, y)| qr.get_module(*x, *y));
        assert_eq!(svg.matches("h1v1h-1z").count(), dark.count());
        assert!(svg.contains("M4,4h1v1h-1z"), "the finder pattern's corner, offset by the quiet zone");
    }
}
