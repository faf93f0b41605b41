//! Where a device's revocation cuts its history off (DESIGN.md, "Lost devices"): the cut-off an
//! earlier revocation named, else the last of its envelopes the server holds now. Used by every
//! front end that revokes or marks a device lost.

use mamori_core::clinic::Clinic;

use crate::error::Result;
use crate::http::HttpTransport;
use crate::Transport;

/// The last of `device`'s envelopes the clinic takes when it is shut out. Refused (before the
/// server is asked) for whom the core refuses the revocation itself.
pub async fn cut_off(clinic: &mut Clinic, transport: &HttpTransport, device: &str) -> Result<u64> {
    clinic.check_shut_out(device)?;
    if let Some(through) = clinic.membership()?.devices().get(device).and_then(|d| d.accepted_through) {
        return Ok(through);
    }
    Ok(transport.state().await?.frontier.seq(device))
}
