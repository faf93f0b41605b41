//! A new computer joining the clinic with a one-time enrollment code (`mamori_core::clinic::join`):
//! it reads the membership chain with the code's key and verifies it from the clinic root the
//! code names, accepts its invitation with its own device keys, then — now an enrolled device —
//! fetches the user's vault record and makes its chart store. Every step can be repeated after an
//! interruption: a device the chain already enrolls with its keys skips the acceptance.

use mamori_core::chain::{Link, Membership};
use mamori_core::clinic::{join_acceptance, Clinic, DataDir, JoinCode};
use mamori_core::clock::Clock;
use mamori_core::secret::Password;
use mamori_core::vault::vault_record::{SecretKey, VaultRecord};
use mamori_core::vault::{DeviceKeys, DeviceSecretStore};

use crate::error::{Error, Result};
use crate::http::HttpTransport;
use crate::server_settings::ServerSettings;
use crate::wire::ChainLinks;
use mamori_core::lost_device::Standing;

/// What a joining computer needs besides its code: who logs in first, and their two secrets.
pub struct FirstLogin<'a> {
    pub user: &'a str,
    pub password: &'a Password,
    pub secret_key: &'a SecretKey,
}

/// Joins the clinic on this computer and returns the first user's open session.
pub async fn join_clinic(
    dir: &DataDir,
    secrets: &dyn DeviceSecretStore,
    clock: Box<dyn Clock>,
    code: &JoinCode,
    login: FirstLogin<'_>,
) -> Result<Clinic> {
    let (device_secret, resuming) = match secrets.load(&code.device)? {
        Some(secret) => (secret, true),
        None => (secrets.create(&code.device)?, false),
    };
    let device_keys = DeviceKeys::derive(&device_secret)?;
    let as_code = HttpTransport::new(&code.server, code.certificate, &code.device, code.acceptance_key())?;
    let as_device = HttpTransport::new(&code.server, code.certificate, &code.device, device_keys.signing_key())?;
    // A computer trying again after its acceptance reached the chain speaks as the device (the
    // server no longer takes the code's key for it); one whose acceptance did not, as the code.
    let mut links = match resuming {
        true => match chain_links(&as_device).await {
            Ok(links) => links,
            Err(_) => chain_links(&as_code).await?,
        },
        false => chain_links(&as_code).await?,
    };
    let membership = Membership::verify(&code.clinic, &links).map_err(mamori_core::Error::from)?;
    let enrolled = membership
        .devices()
        .get(&code.device)
        .is_some_and(|d| d.is_active() && d.signing_key == device_keys.signing_public());
    if !enrolled {
        let accept = join_acceptance(code, &membership, &device_keys)?;
        let first = membership.head().0 + 1;
        as_code
            .append_chain(&ChainLinks { first, links: vec![(accept.body.clone(), accept.signature.clone())] })
            .await?;
        links.push(accept);
    }
    let records = as_device.vault_records().await?;
    let record = records
        .records
        .into_iter()
        .filter_map(|(bytes, signature)| VaultRecord::from_parts(bytes, &signature).ok())
        .find(|record| record.user() == login.user)
        .ok_or_else(|| Error::Server("the clinic server holds no vault record for this user".into()))?;
    let clinic = Clinic::join(dir, secrets, clock, code, &links, &record, login.password, login.secret_key)?;
    // What the locked device needs later: where its server is, the root its wipe orders must
    // come from, and its first lease (the server was reached just now).
    ServerSettings { server: code.server.clone(), server_fingerprint: hex::encode(code.certificate) }.remember(dir)?;
    let mut standing = Standing::load(secrets, &code.device)?;
    standing.root = Some(code.clinic);
    standing.policy = membership.devices().lease_policy();
    standing.pin_head(membership.head());
    standing.take_lease(clinic.now().timestamp());
    standing.store(secrets, &code.device)?;
    Ok(clinic)
}

async fn chain_links(transport: &HttpTransport) -> Result<Vec<Link>> {
    let offered = transport.chain_after(0).await?;
    Ok(offered.links.into_iter().map(|(body, signature)| Link::from_parts(body, signature)).collect())
}
