//! Where the links are kept: `membership_links`, one row per link with its exact signed bytes.
//! Only a store; whatever is read back is verified before it counts.

use rusqlite::{params, Connection};

use super::link::Link;
use crate::{Error, Result};

pub fn load(conn: &Connection) -> Result<Vec<Link>> {
    let mut stmt = conn.prepare_cached("SELECT seq, body, signature, hash FROM membership_links ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
    })?;
    let mut links = Vec::new();
    for row in rows {
        let (seq, body, signature, hash) = row?;
        let hash = hash.try_into().map_err(|_| Error::ChainBroken {
            seq: u64::try_from(seq).unwrap_or(0),
            problem: "a stored hash has the wrong length",
        })?;
        links.push(Link { body, signature, hash });
    }
    Ok(links)
}

/// Stores link `seq`. Call in the transaction of the change it belongs to.
pub fn append(conn: &Connection, seq: u64, link: &Link) -> Result<()> {
    conn.prepare_cached("INSERT INTO membership_links (seq, body, signature, hash) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![i64::try_from(seq).unwrap_or(i64::MAX), link.body, link.signature, link.hash.to_vec()])?;
    Ok(())
}
