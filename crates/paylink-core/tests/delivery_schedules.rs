//! The delivery-schedule strategy produces what Xendit's delivery can do, and only that: every
//! callback received at least once, a lost attempt always resent later, delays within a day.

use paylink_core::strategies::arb_delivery_schedule;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

proptest! {
    #[test]
    fn every_callback_is_received_and_every_lost_attempt_is_resent(
        schedule in (0_usize..6).prop_flat_map(arb_delivery_schedule),
    ) {
        let count = schedule.iter().map(|s| s.event + 1).max().unwrap_or(0);
        for event in 0..count {
            let steps: Vec<_> = schedule.iter().filter(|s| s.event == event).collect();
            prop_assert!(!steps.is_empty());
            prop_assert!(steps.iter().any(|s| !s.dropped), "event {} is received", event);
            let last = steps.last().map(|s| s.dropped);
            prop_assert_eq!(last, Some(false), "the last attempt of event {} arrives", event);
            prop_assert!(steps.len() <= 4);
        }
        for step in &schedule {
            prop_assert!(step.delay <= std::time::Duration::from_secs(86_400));
        }
    }

    #[test]
    fn a_schedule_covers_exactly_the_events_asked_for(events in 1_usize..6) {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let schedule = arb_delivery_schedule(events)
            .new_tree(&mut runner)
            .expect("a schedule")
            .current();
        let mut covered: Vec<usize> = schedule.iter().map(|s| s.event).collect();
        covered.sort_unstable();
        covered.dedup();
        prop_assert_eq!(covered, (0..events).collect::<Vec<_>>());
    }
}

#[test]
fn schedules_reorder_duplicate_and_drop() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut reordered, mut duplicated, mut dropped) = (false, false, false);
    for _ in 0..200 {
        let schedule = arb_delivery_schedule(3)
            .new_tree(&mut runner)
            .expect("a schedule")
            .current();
        let firsts: Vec<usize> = schedule
            .iter()
            .map(|s| s.event)
            .fold(Vec::new(), |mut v, e| {
                if !v.contains(&e) {
                    v.push(e);
                }
                v
            });
        reordered |= firsts != [0, 1, 2];
        duplicated |= schedule.iter().filter(|s| !s.dropped).count() > 3;
        dropped |= schedule.iter().any(|s| s.dropped);
    }
    assert!(
        reordered && duplicated && dropped,
        "{reordered} {duplicated} {dropped}"
    );
}
