//! Showing a new second factor once: QR code in the terminal (and optionally as PNG), the
//! otpauth:// URI, and the recovery codes to print.

use std::path::Path;

use anyhow::Context as _;
use mamori_core::auth::Enrollment;

pub fn show(enrollment: &Enrollment, png: Option<&Path>) -> anyhow::Result<()> {
    println!("\nScan this with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password…):\n");
    print!("{}", enrollment.qr_text()?);
    println!("\nOr enter the secret by hand: {}", enrollment.secret_base32);
    println!("otpauth URI: {}", enrollment.otpauth_uri);
    if let Some(path) = png {
        std::fs::write(path, enrollment.qr_png()?).with_context(|| format!("could not write {}", path.display()))?;
        println!("QR code written to {}", path.display());
    }
    println!("\nOne-time recovery codes (print them and keep them locked away; each works once):");
    for code in &enrollment.recovery_codes {
        println!("  {code}");
    }
    Ok(())
}
