//! What the gateway knows of Xendit's clock, so the look-up after an ambiguous create compares
//! creation times on Xendit's clock rather than on this machine's.

use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// Marks an offset not observed yet.
const UNKNOWN: i64 = i64::MIN;

/// The latest observed offset of the server's invoice clock from this machine's clock
/// (server minus local, in milliseconds), from the `created` stamp of an invoice a create has
/// just returned.
///
/// Such an observation is a lower bound of the true offset (the stamp was taken before the
/// answer arrived), so a window computed from it only ever starts earlier than it should.
#[derive(Debug)]
pub(crate) struct ServerClock {
    stamp_offset_ms: AtomicI64,
}

impl ServerClock {
    pub(crate) fn new() -> Self {
        ServerClock {
            stamp_offset_ms: AtomicI64::new(UNKNOWN),
        }
    }

    /// Records that the server stamped `created` on an invoice whose answer arrived at `local`.
    pub(crate) fn observe_stamp(&self, created: OffsetDateTime, local: OffsetDateTime) {
        if let Some(ms) = offset_ms(created, local) {
            self.stamp_offset_ms.store(ms, Ordering::Relaxed);
        }
    }

    /// The offset seen on the last create's answer, if any.
    pub(crate) fn stamp_offset(&self) -> Option<time::Duration> {
        match self.stamp_offset_ms.load(Ordering::Relaxed) {
            UNKNOWN => None,
            ms => Some(time::Duration::milliseconds(ms)),
        }
    }
}

/// `server - local` in whole milliseconds, rounded down; `None` past the range of an `i64`.
pub(crate) fn offset_ms(server: OffsetDateTime, local: OffsetDateTime) -> Option<i64> {
    let nanos = (server - local).whole_nanoseconds();
    i64::try_from(nanos.div_euclid(1_000_000))
        .ok()
        .filter(|ms| *ms != UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn an_offset_is_unknown_until_observed_and_then_the_latest_one() {
        let clock = ServerClock::new();
        assert_eq!(clock.stamp_offset(), None);
        let local = datetime!(2026-11-26 01:00 UTC);
        clock.observe_stamp(datetime!(2024-11-26 01:00 UTC), local);
        assert_eq!(clock.stamp_offset(), Some(time::Duration::days(-730)));
        clock.observe_stamp(local + time::Duration::milliseconds(1500), local);
        assert_eq!(
            clock.stamp_offset(),
            Some(time::Duration::milliseconds(1500))
        );
    }

    #[test]
    fn offsets_round_down_to_the_millisecond() {
        let local = datetime!(2026-01-01 00:00 UTC);
        assert_eq!(
            offset_ms(local - time::Duration::microseconds(1), local),
            Some(-1)
        );
        assert_eq!(
            offset_ms(local + time::Duration::microseconds(999), local),
            Some(0)
        );
    }
}
