//! Keeping the process's memory to itself: while a session is unlocked it holds the database
//! key, users' key-encryption keys and the clinical section keys. A core dump (on a crash, or by
//! `gcore`) would write them to disk in the clear. On Linux both the app and the CLI turn core
//! dumps off (RLIMIT_CORE 0) and mark themselves not dumpable (PR_SET_DUMPABLE 0), which also
//! stops another process of the same OS account from attaching with ptrace or reading
//! /proc/<pid>/mem — the insider on the shared front-desk account. Elsewhere this does nothing;
//! the OS's own protections apply (DESIGN.md: full-disk encryption on every laptop).

/// What the OS refused, if anything (each front end logs it once its log is open; the app runs
/// on regardless).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    CoreDumpLimit,
    NotDumpable,
}

/// Call first in `main`, before any secret exists.
pub fn keep_process_memory_private() -> Vec<Refused> {
    let mut refused = Vec::new();
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{set_dumpable_behavior, setrlimit, DumpableBehavior, Resource, Rlimit};
        if setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) }).is_err() {
            refused.push(Refused::CoreDumpLimit);
        }
        if set_dumpable_behavior(DumpableBehavior::NotDumpable).is_err() {
            refused.push(Refused::NotDumpable);
        }
    }
    refused
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustix::process::{dumpable_behavior, getrlimit, DumpableBehavior, Resource};

    #[test]
    fn core_dumps_are_off_and_the_process_is_not_dumpable() {
        assert_eq!(keep_process_memory_private(), Vec::new());
        let limit = getrlimit(Resource::Core);
        assert_eq!((limit.current, limit.maximum), (Some(0), Some(0)));
        assert_eq!(dumpable_behavior().expect("prctl"), DumpableBehavior::NotDumpable);
    }
}
