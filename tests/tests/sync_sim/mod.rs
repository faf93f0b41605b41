//! A seeded, replayable simulation of a clinic's sync: random writes by several roles on several
//! devices, lost, repeated and late requests, partitions, process restarts, a server restored
//! from an older backup, clocks off by up to an hour and jumping back. Then the network heals,
//! and every replica must hold the same state, every change exactly once, every device's
//! envelopes as an unbroken signed chain, and the server everything.

pub mod world;

pub use crate::sync_chains::chains_verify;

use chrono::{Duration, TimeZone, Utc};
use mamori_core::domain::{Appointment, AppointmentInput, Role};
use mamori_core::replication::{self, Hlc};
use mamori_core::OpenBody;
use mamori_sync::faults::FaultRates;
use mamori_sync::wire::{Frontier, PullRequest};
use mamori_sync::{Engine, Settings, Transport};
use rand::Rng;
use uuid::Uuid;

use world::{user_key, World, USERS};

pub const FAULTS: FaultRates = FaultRates { lose_request: 0.1, lose_answer: 0.1, duplicate: 0.1, replay_old: 0.1 };

/// What a seed did, for the test's summary line.
#[derive(Default, Debug)]
pub struct Summary {
    pub writes: usize,
    pub rounds: usize,
    pub failed_rounds: usize,
    pub restores: usize,
    pub conflicts: u64,
}

/// Small pages, so one round spans several transactions and a fault can strike between them.
fn settings() -> Settings {
    Settings { pull_page: 3, push_page: 3, seal_batch: 2, ..Settings::default() }
}

pub fn run_seed(
    runtime: &tokio::runtime::Runtime,
    seed: u64,
    replicas: usize,
    steps: usize,
) -> Result<Summary, String> {
    let mut world = World::new(seed, replicas, FAULTS);
    let mut summary = Summary::default();
    for _ in 0..steps {
        world.now_ms += world.rng.random_range(0..120_000);
        let r = world.rng.random_range(0..world.replicas.len());
        match world.rng.random_range(0..100) {
            0..40 => {
                for _ in 0..world.rng.random_range(1..=3) {
                    write(&mut world, r);
                    summary.writes += 1;
                }
            }
            40..72 => {
                summary.rounds += 1;
                if round(runtime, &mut world, r).is_err() {
                    summary.failed_rounds += 1;
                }
            }
            72..78 => {
                let cut = world.rng.random_bool(0.5);
                world.replicas[r].link.set_partitioned(cut);
            }
            78..84 => world.replicas[r].restart(),
            84..90 => {
                // Within an hour either way, and as likely back as forward.
                world.replicas[r].skew_ms = world.rng.random_range(-3_600_000..=3_600_000);
            }
            90..95 => world.back_up_server(),
            _ if !world.backups.is_empty() => {
                let which = world.rng.random_range(0..world.backups.len());
                world.restore_server(which);
                summary.restores += 1;
            }
            _ => {}
        }
    }
    heal(runtime, &mut world)?;
    summary.conflicts = check(runtime, &mut world)?;
    Ok(summary)
}

/// One change by a random user whose role may write it.
fn write(world: &mut World, r: usize) {
    let (author, role) = USERS[world.rng.random_range(0..USERS.len())];
    let body = match role {
        Role::Admin => OpenBody::SettingChanged {
            key: ["idle_timeout_minutes", "lease_days"][world.rng.random_range(0..2)].into(),
            value: world.rng.random_range(1..60).to_string(),
        },
        _ => {
            let id = Uuid::from_u128(0xA000 + world.rng.random_range(0..6));
            let at = Utc.timestamp_millis_opt(world.now_ms).single().expect("time")
                + Duration::minutes(world.rng.random_range(0..10_000));
            let purpose = format!("再診 {}", world.rng.random_range(0..1000));
            let input = AppointmentInput { scheduled_at: at, purpose, ..AppointmentInput::default() };
            OpenBody::AppointmentSaved(Appointment::build(id, Uuid::from_u128(0xB000), &input).expect("valid"))
        }
    };
    let now = world.now_ms;
    let replica = &mut world.replicas[r];
    let hlc: Hlc = replica.tick(now);
    let device = replica.identity.device.clone();
    let change = replication::testing::write_open(replica.conn(), author, &user_key(author), &device, hlc, body)
        .expect("a local write");
    world.written.insert(change.id().to_string(), device);
}

fn round(runtime: &tokio::runtime::Runtime, world: &mut World, r: usize) -> mamori_sync::Result<()> {
    let keys = world.keys.clone();
    let replica = &mut world.replicas[r];
    replica.conn();
    let world::Replica { identity, conn, link, .. } = replica;
    let conn = conn.as_mut().expect("opened above");
    let engine = Engine { transport: &*link, me: identity, directory: &keys, settings: settings() };
    runtime.block_on(engine.round(conn, &mut |_, _| {})).map(|_| ())
}

/// Heals the network and syncs every replica until nothing waits anywhere.
fn heal(runtime: &tokio::runtime::Runtime, world: &mut World) -> Result<(), String> {
    for replica in &world.replicas {
        replica.link.set_partitioned(false);
        replica.link.set_rates(FaultRates::NONE);
    }
    for pass in 0..6 {
        for r in 0..world.replicas.len() {
            round(runtime, world, r).map_err(|e| format!("round on device-{} after healing: {e}", r + 1))?;
        }
        if pass >= 1 && converged(runtime, world)? {
            return Ok(());
        }
    }
    Err("the replicas did not converge within six healed passes".into())
}

fn converged(runtime: &tokio::runtime::Runtime, world: &mut World) -> Result<bool, String> {
    let server = runtime.block_on(world.replicas[0].link.inner().state()).map_err(|e| e.to_string())?.frontier;
    for replica in &mut world.replicas {
        let conn = replica.conn();
        if mamori_sync::local::frontier(conn).map_err(|e| e.to_string())? != server
            || mamori_sync::local::waiting(conn).map_err(|e| e.to_string())? != 0
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The promises after healing. Returns how many records are flagged as conflicts.
fn check(runtime: &tokio::runtime::Runtime, world: &mut World) -> Result<u64, String> {
    let written = world.written.len() as u64;
    let keys = world.keys.clone();
    let mut digests = Vec::new();
    let mut conflicts = 0;
    for replica in &mut world.replicas {
        let name = replica.identity.device.clone();
        let conn = replica.conn();
        let held = replication::change_count(conn).map_err(|e| e.to_string())?;
        if held != written {
            return Err(format!("{name} holds {held} changes of the {written} written"));
        }
        let set_aside = mamori_sync::local::set_aside_count(conn).map_err(|e| e.to_string())?;
        if set_aside != 0 {
            return Err(format!("{name} set aside {set_aside} changes by authors the chain confirms"));
        }
        let envelopes: Vec<Vec<u8>> = conn
            .prepare("SELECT bytes FROM sync_envelopes ORDER BY device, seq")
            .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
            .map_err(|e| e.to_string())?;
        if envelopes.len() as u64 != written {
            return Err(format!("{name} holds {} envelopes for {written} changes", envelopes.len()));
        }
        chains_verify(envelopes, &keys)?;
        digests.push(replication::state_digest(conn).map_err(|e| e.to_string())?);
        conflicts = replication::conflict_count(conn).map_err(|e| e.to_string())?;
    }
    if digests.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!("the replicas' states differ: {digests:?}"));
    }
    // The server holds every change, as the same unbroken chains.
    let server = runtime
        .block_on(world.replicas[0].link.inner().pull(PullRequest { have: Frontier::default(), limit: 100_000 }))
        .map_err(|e| e.to_string())?;
    if server.envelopes.len() as u64 != written {
        return Err(format!("the server holds {} envelopes for {written} changes", server.envelopes.len()));
    }
    chains_verify(server.envelopes, &keys)?;
    Ok(conflicts)
}
