//! The context export for anyone to rerun the detector (`mamori alerts context-export`): every
//! word the rules only compare — surnames, readings, towns, blocks — becomes a keyed token
//! (HMAC-SHA-256 under a key made for this export and then forgotten), so equal words stay equal
//! within the file and no patient's or staff member's name or address leaves the encrypted store.

use hkdf::Hkdf;
use mamori_detect::Context;
use sha2::Sha256;

use crate::secret::Key32;
use crate::Result;

/// `context` with every compared word replaced by its token.
pub(crate) fn pseudonymize(mut context: Context) -> Result<Context> {
    let key = Key32::random()?;
    let token = |word: &str| -> String {
        if word.is_empty() {
            return String::new();
        }
        // HKDF-Extract is HMAC(salt = key, word).
        let (mac, _) = Hkdf::<Sha256>::extract(Some(key.expose()), word.as_bytes());
        format!("t{}", hex::encode(&mac[..8]))
    };
    let optional = |word: &mut Option<String>| {
        if let Some(w) = word.as_mut() {
            *w = token(w);
        }
    };
    for patient in &mut context.patients {
        patient.surname = token(&patient.surname);
        patient.surname_kana = token(&patient.surname_kana);
        patient.town = token(&patient.town);
        patient.block = token(&patient.block);
    }
    for member in &mut context.staff {
        optional(&mut member.surname);
        optional(&mut member.surname_kana);
        optional(&mut member.home_town);
        optional(&mut member.home_block);
    }
    Ok(context)
}
