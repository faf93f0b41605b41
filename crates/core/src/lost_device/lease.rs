//! How old a device's lease is, and what that means for an unlock: its age is how far the
//! device's clock has risen since the lease arrived (the highest reading kept), so winding the
//! clock back does not help, and server time is never compared with local time.

use super::standing::Standing;
use crate::chain::LeasePolicy;

pub const DAY_SECS: i64 = 24 * 60 * 60;
/// A lease of 0 days ("a fresh lease at every unlock") still covers the minutes between the
/// check-in at the login screen and the login itself.
const ZERO_DAY_GRACE_SECS: i64 = 10 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseVerdict {
    /// The device may unlock; whole days left before it must sync.
    Open { days_left: i64 },
    /// It must reach the server first.
    Expired { days_away: i64, lease_days: u32 },
    /// It stayed away past the clinic's self-wipe limit.
    SelfWipe { days_away: i64 },
}

impl LeaseVerdict {
    /// The verdict for `standing` under `policy`, once the clock read `now`. A device with no
    /// lease yet has none running out (its enrollment or first unlock starts one).
    pub fn of(standing: &Standing, policy: LeasePolicy, now: i64) -> Self {
        let clock = standing.clock_high.max(now);
        let Some(received) = standing.lease_received_at else {
            return LeaseVerdict::Open { days_left: i64::from(policy.lease_days) };
        };
        let away = (clock - received).max(0);
        let days_away = away / DAY_SECS;
        if let Some(limit) = policy.self_wipe_days {
            if away > i64::from(limit) * DAY_SECS {
                return LeaseVerdict::SelfWipe { days_away };
            }
        }
        let allowed = (i64::from(policy.lease_days) * DAY_SECS).max(ZERO_DAY_GRACE_SECS);
        if away > allowed {
            LeaseVerdict::Expired { days_away, lease_days: policy.lease_days }
        } else {
            LeaseVerdict::Open { days_left: (allowed - away) / DAY_SECS }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_800_000_000;

    fn leased_at(at: i64) -> Standing {
        let mut standing = Standing::default();
        standing.take_lease(at);
        standing
    }

    #[test]
    fn a_lease_runs_out_after_the_policys_days_and_not_before() {
        let policy = LeasePolicy::default();
        let standing = leased_at(START);
        assert_eq!(LeaseVerdict::of(&standing, policy, START), LeaseVerdict::Open { days_left: 14 });
        assert_eq!(LeaseVerdict::of(&standing, policy, START + 14 * DAY_SECS), LeaseVerdict::Open { days_left: 0 });
        assert_eq!(
            LeaseVerdict::of(&standing, policy, START + 15 * DAY_SECS),
            LeaseVerdict::Expired { days_away: 15, lease_days: 14 }
        );
    }

    #[test]
    fn a_clock_wound_back_does_not_make_the_lease_younger() {
        let policy = LeasePolicy::default();
        let mut standing = leased_at(START);
        standing.observe_clock(START + 20 * DAY_SECS);
        assert_eq!(
            LeaseVerdict::of(&standing, policy, START + DAY_SECS),
            LeaseVerdict::Expired { days_away: 20, lease_days: 14 },
            "the clock read 20 days on once; reading day 1 now changes nothing"
        );
        // A clock far ahead (a laptop set to 2030) expires its own lease, and a fresh lease
        // taken on that clock counts from the highest reading.
        standing.take_lease(START);
        assert_eq!(standing.lease_received_at, Some(START + 20 * DAY_SECS));
        assert_eq!(LeaseVerdict::of(&standing, policy, START), LeaseVerdict::Open { days_left: 14 });
    }

    #[test]
    fn self_wipe_comes_only_when_the_clinic_turned_it_on_and_only_after_its_days() {
        let standing = leased_at(START);
        let off = LeasePolicy { lease_days: 14, self_wipe_days: None };
        assert!(matches!(LeaseVerdict::of(&standing, off, START + 300 * DAY_SECS), LeaseVerdict::Expired { .. }));
        let on = LeasePolicy { lease_days: 14, self_wipe_days: Some(30) };
        assert!(matches!(LeaseVerdict::of(&standing, on, START + 30 * DAY_SECS), LeaseVerdict::Expired { .. }));
        assert_eq!(LeaseVerdict::of(&standing, on, START + 31 * DAY_SECS), LeaseVerdict::SelfWipe { days_away: 31 });
    }

    #[test]
    fn a_zero_day_lease_needs_a_check_in_just_before_the_unlock() {
        let policy = LeasePolicy { lease_days: 0, self_wipe_days: None };
        let standing = leased_at(START);
        assert!(matches!(LeaseVerdict::of(&standing, policy, START + 60), LeaseVerdict::Open { .. }));
        assert!(matches!(LeaseVerdict::of(&standing, policy, START + 3600), LeaseVerdict::Expired { .. }));
    }

    #[test]
    fn no_lease_yet_runs_nothing_out() {
        let standing = Standing::default();
        assert!(matches!(
            LeaseVerdict::of(&standing, LeasePolicy::default(), START + 400 * DAY_SECS),
            LeaseVerdict::Open { .. }
        ));
    }
}
