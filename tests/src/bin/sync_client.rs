//! Helper for the SIGKILL story: a device that writes changes and syncs with the clinic server
//! over HTTPS, round after round, until it is killed. Prints `wrote <change id>` after each
//! write commits and `round <held> <pushed>` after each round.
//!
//! Usage: sync-client DB DEVICE URL PIN_HEX WRITES PAGE

use anyhow::Context;
use mamori_core::replication::{self, Hlc};
use mamori_core::OpenBody;
use mamori_story_tests::sync_fixture::{data_key, device_key, user_key, Keys};
use mamori_sync::http::HttpTransport;
use mamori_sync::{DeviceIdentity, Engine, Settings};
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let db = args.next().context("DB missing")?;
    let device = args.next().context("DEVICE missing")?;
    let url = args.next().context("URL missing")?;
    let pin: [u8; 32] = hex::decode(args.next().context("PIN missing")?)?.try_into().ok().context("PIN is 32 bytes")?;
    let writes: u32 = args.next().context("WRITES missing")?.parse()?;
    let page: u32 = args.next().context("PAGE missing")?.parse()?;

    let mut conn = rusqlite::Connection::open(&db)?;
    replication::testing::migrate(&mut conn)?;
    let me = DeviceIdentity {
        clinic: mamori_story_tests::sync_fixture::CLINIC,
        device: device.clone(),
        signing_key: device_key(&device),
        data_keys: vec![data_key(1)],
    };
    let keys = Keys { devices: vec!["desk".into(), "laptop".into()] };
    let transport = HttpTransport::new(&url, pin, &device, device_key(&device))?;
    let settings = Settings { pull_page: page, push_page: page as usize, seal_batch: 3, ..Settings::default() };
    let engine = Engine { transport, me: &me, directory: &keys, settings };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut out = std::io::stdout().lock();
    let mut last = replication::last_stamp(&conn, &device)?;
    let mut written = 0;
    loop {
        if written < writes {
            let now = chrono::Utc::now().timestamp_millis();
            last = if now > last.wall_ms {
                Hlc { wall_ms: now, counter: 0 }
            } else {
                Hlc { counter: last.counter + 1, ..last }
            };
            let key = format!("setting_{}", written % 7);
            let body = OpenBody::SettingChanged { key, value: format!("{device}-{now}") };
            let change = replication::testing::write_open(&mut conn, "admin", &user_key("admin"), &device, last, body)?;
            writeln!(out, "wrote {}", change.id())?;
            written += 1;
        }
        match runtime.block_on(engine.round(&mut conn, &mut |_, _| {})) {
            Ok(report) => writeln!(out, "round {} {}", report.pulled.held, report.pushed)?,
            Err(error) => writeln!(out, "failed {error}")?,
        }
        out.flush()?;
    }
}
