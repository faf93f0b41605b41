use super::*;

fn secrets(seed: u8) -> VaultSecrets {
    let mut clinical_keys = SectionKeys::default();
    clinical_keys.insert(2, Key32::from_bytes([seed ^ 0x55; 32]));
    VaultSecrets { user_key: UserKeyPair::from_key(&Key32::from_bytes([seed; 32])), second_factor: None, clinical_keys }
}

fn sealed() -> (VaultRecord, SecretKey, [u8; 32]) {
    let secret_key = SecretKey::from_bytes([7; 16]);
    let mine = secrets(1);
    let record =
        VaultRecord::seal("doctor", 3, &mine, &Password::new("correct horse battery"), &secret_key).expect("sealed");
    (record, secret_key, mine.user_key.signing_public())
}

#[test]
fn opens_only_with_the_password_and_the_secret_key_together() {
    let (record, secret_key, key) = sealed();
    let opened = record.open(&Password::new("correct horse battery"), &secret_key, &key).expect("opens");
    assert_eq!(opened.user_key.signing_public(), key);
    assert_eq!(opened.clinical_keys.get(2).map(|k| *k.expose()), Some([1 ^ 0x55; 32]), "the clinical keys travel");
    assert_eq!((record.user(), record.version()), ("doctor", 3));
    let wrong_password = record.open(&Password::new("correct horse batterY"), &secret_key, &key);
    assert!(matches!(wrong_password, Err(Error::WrongPassword)));
    let wrong_secret_key = record.open(&Password::new("correct horse battery"), &SecretKey::from_bytes([8; 16]), &key);
    assert!(matches!(wrong_secret_key, Err(Error::WrongPassword)));
}

#[test]
fn a_record_not_signed_by_the_users_key_in_the_chain_is_refused() {
    let (record, secret_key, _) = sealed();
    let other = secrets(2).user_key.signing_public();
    let opened = record.open(&Password::new("correct horse battery"), &secret_key, &other);
    assert!(matches!(opened, Err(Error::VaultRecordInvalid)));
    assert!(!record.signed_by(&other));
}

#[test]
fn every_flipped_byte_is_refused() {
    let (record, secret_key, key) = sealed();
    // The KDF runs only for flips that pass the signature; check a spread of positions quickly.
    for at in 0..record.bytes().len() {
        let mut bytes = record.bytes().to_vec();
        bytes[at] ^= 0x01;
        let Ok(flipped) = VaultRecord::from_parts(bytes, record.signature()) else { continue };
        assert!(!flipped.signed_by(&key), "byte {at} flipped still verifies");
        assert!(flipped.open(&Password::new("correct horse battery"), &secret_key, &key).is_err());
    }
    let mut signature = *record.signature();
    signature[5] ^= 0x80;
    let resigned = VaultRecord::from_parts(record.bytes().to_vec(), &signature).expect("form");
    assert!(!resigned.signed_by(&key));
}

#[test]
fn malformed_records_and_secret_keys_are_clear_errors() {
    let (record, _, _) = sealed();
    for cut in [0, 1, 10, record.bytes().len() - 1] {
        let short = VaultRecord::from_parts(record.bytes()[..cut].to_vec(), record.signature());
        assert!(matches!(short, Err(Error::VaultRecordInvalid)), "cut at {cut}");
    }
    assert!(matches!(VaultRecord::from_parts(vec![0; MAX_RECORD_BYTES + 1], &[0; 64]), Err(Error::VaultRecordInvalid)));
    for text in ["", "MSK1-", "ABCD-EFGH", "MSK1-AAAA", "MSK1-!!!!!!-AAAAAA-AAAAAA-AAAAAA-AA"] {
        assert!(matches!(SecretKey::parse(text), Err(Error::SecretKeyInvalid)), "{text:?}");
    }
}

#[test]
fn a_secret_key_reads_back_as_printed_whatever_the_case_or_spacing() {
    let key = SecretKey::generate().expect("random");
    let text = key.to_text();
    assert!(text.starts_with("MSK1-"), "{}", *text);
    let again = SecretKey::parse(&text.to_lowercase().replace('-', " ")).expect("parses");
    assert_eq!(again.expose(), key.expose());
    assert!(!format!("{key:?}").contains(&text[5..11]), "Debug shows the key");
}
