//! Fault injection: failures and latency per operation, duplicated, reordered and held
//! callbacks.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use paylink_core::{GatewayError, Operation};

use super::FakeGateway;

/// The faults set on a fake: failures to inject, in order, and latency, per operation.
#[derive(Debug, Default)]
pub(super) struct Faults {
    pub(super) failures: HashMap<Operation, VecDeque<(usize, GatewayError)>>,
    pub(super) latency: HashMap<Operation, Duration>,
}

impl FakeGateway {
    /// Releases each of the next `n` callbacks twice, as Xendit's at-least-once delivery may.
    pub fn duplicate_next_callbacks(&self, n: usize) {
        self.state().outbox.duplicate_next(n);
        self.changed();
    }

    /// Swaps each of the next `pairs` pairs of callbacks: the first of a pair is held until the
    /// second is released, then released after it.
    pub fn reorder_next_callbacks(&self, pairs: usize) {
        self.state().outbox.reorder_next(pairs);
        self.changed();
    }

    /// Releases a callback held for reordering whose partner never came. Returns whether one
    /// was held.
    pub fn release_held_callback(&self) -> bool {
        let released = self.state().outbox.flush_held();
        self.changed();
        released
    }

    // ----- faults -----

    /// Makes the next `n` calls of `operation` fail with `error` (before touching the store).
    /// Queued after any failures already set for it.
    pub fn fail_next(&self, operation: Operation, n: usize, error: GatewayError) {
        if n > 0 {
            self.faults()
                .failures
                .entry(operation)
                .or_default()
                .push_back((n, error));
            self.changed();
        }
    }

    /// Delays every call of `operation` by `latency` (a tokio sleep, so paused tokio time
    /// works). `Duration::ZERO` removes it.
    pub fn set_latency(&self, operation: Operation, latency: Duration) {
        let mut f = self.faults();
        if latency.is_zero() {
            f.latency.remove(&operation);
        } else {
            f.latency.insert(operation, latency);
        }
        drop(f);
        self.changed();
    }

    /// Removes every injected failure, latency and callback fault (a held callback stays
    /// held; see [`FakeGateway::release_held_callback`]).
    pub fn clear_faults(&self) {
        *self.faults() = Faults::default();
        self.state().outbox.clear_faults();
        self.changed();
    }

    pub(super) async fn before(&self, operation: Operation) -> Result<(), GatewayError> {
        let latency = self.faults().latency.get(&operation).copied();
        if let Some(d) = latency {
            tokio::time::sleep(d).await;
        }
        let mut f = self.faults();
        let Some(queue) = f.failures.get_mut(&operation) else {
            return Ok(());
        };
        let Some((left, error)) = queue.front_mut() else {
            return Ok(());
        };
        let error = error.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        drop(f);
        self.changed();
        Err(error)
    }
}
