//! The retry decision as a pure function: from the operation, the attempt number, the failure
//! and injected randomness, decide to retry after a delay or to give up. The loop that sleeps
//! and re-sends lives in the HTTP adapter.

use std::time::Duration;

use crate::gateway::GatewayError;

/// The gateway operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /v2/invoices`: not idempotent at Xendit.
    Create,
    /// `GET /v2/invoices/{id}`.
    Get,
    /// `GET /v2/invoices`.
    List,
    /// `POST /invoices/{id}/expire!`.
    Expire,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Send the request again after this delay.
    Retry {
        /// How long to wait first.
        after: Duration,
    },
    /// A create failed in a way that may have created the invoice: after this delay, look for
    /// an invoice with the same `external_id` created by this attempt, return it if found, and
    /// only otherwise create again.
    LookUpThenRetry {
        /// How long to wait first.
        after: Duration,
    },
    /// Return the error.
    GiveUp,
}

/// Bounded exponential backoff with jitter.
///
/// The delay before retry `n` (1-based) is `base_delay * 2^(n-1)`, capped at `max_delay`, of
/// which the upper half is jittered ("equal jitter"). A server-sent wait (`Retry-After`) is
/// used as is. No retry happens once `max_attempts` attempts were made or when waiting would
/// pass `max_elapsed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. 1 means no retry.
    pub max_attempts: u32,
    /// Delay before the first retry, before jitter.
    pub base_delay: Duration,
    /// Largest computed delay.
    pub max_delay: Duration,
    /// Total time budget, from the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Decides after attempt number `attempt` (1-based) failed with `error`, `elapsed` after
    /// the first attempt began. `random` is any uniformly drawn `u64`; it only spreads the
    /// delay.
    pub fn decide(
        &self,
        operation: Operation,
        attempt: u32,
        error: &GatewayError,
        elapsed: Duration,
        random: u64,
    ) -> RetryDecision {
        if attempt >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let ambiguous = match error {
            GatewayError::RateLimited { .. } => false,
            GatewayError::Timeout { request_sent } => *request_sent,
            GatewayError::Transport { request_sent, .. } => *request_sent,
            // 501 and 505 say the server cannot handle the request at all: a retry won't help.
            GatewayError::Server(e) if matches!(e.status, 501 | 505) => {
                return RetryDecision::GiveUp
            }
            // Other 5xx may come after the server acted on the request.
            GatewayError::Server(_) => true,
            _ => return RetryDecision::GiveUp,
        };
        let after = match error {
            GatewayError::RateLimited {
                retry_after: Some(wait),
                ..
            } => *wait,
            _ => self.backoff(attempt, random),
        };
        if elapsed.saturating_add(after) > self.max_elapsed {
            return RetryDecision::GiveUp;
        }
        if operation == Operation::Create && ambiguous {
            RetryDecision::LookUpThenRetry { after }
        } else {
            RetryDecision::Retry { after }
        }
    }

    /// The jittered delay before retry number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32, random: u64) -> Duration {
        let shift = attempt.saturating_sub(1).min(30);
        let exp = self
            .base_delay
            .checked_mul(1u32 << shift)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        // In u128 nanoseconds: a delay past u64 nanoseconds (584 years) must not be clamped.
        let nanos = exp.as_nanos();
        let half = nanos / 2;
        let jitter = if half == 0 {
            0
        } else {
            u128::from(random) % (half + 1)
        };
        let total = nanos - half + jitter;
        let secs = u64::try_from(total / 1_000_000_000).unwrap_or(u64::MAX);
        let subsec = u32::try_from(total % 1_000_000_000).unwrap_or(0);
        Duration::new(secs, subsec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::ApiError;

    fn server() -> GatewayError {
        GatewayError::Server(ApiError::new(500, "SERVER_ERROR", "boom"))
    }

    #[test]
    fn a_get_is_retried_on_5xx_until_attempts_run_out() {
        let p = RetryPolicy::default();
        for attempt in 1..p.max_attempts {
            assert!(matches!(
                p.decide(Operation::Get, attempt, &server(), Duration::ZERO, 7),
                RetryDecision::Retry { .. }
            ));
        }
        assert_eq!(
            p.decide(Operation::Get, p.max_attempts, &server(), Duration::ZERO, 7),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn a_create_is_never_blindly_retried_after_an_ambiguous_failure() {
        let p = RetryPolicy::default();
        for e in [
            server(),
            GatewayError::Timeout { request_sent: true },
            GatewayError::Transport {
                message: "reset".into(),
                request_sent: true,
                source: None,
            },
        ] {
            assert!(matches!(
                p.decide(Operation::Create, 1, &e, Duration::ZERO, 0),
                RetryDecision::LookUpThenRetry { .. }
            ));
        }
        assert!(matches!(
            p.decide(
                Operation::Create,
                1,
                &GatewayError::Timeout {
                    request_sent: false
                },
                Duration::ZERO,
                0
            ),
            RetryDecision::Retry { .. }
        ));
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = RetryPolicy::default();
        let e = GatewayError::RateLimited {
            error: ApiError::new(429, "RATE_LIMIT_EXCEEDED", "slow down"),
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(
            p.decide(Operation::Create, 1, &e, Duration::ZERO, 99),
            RetryDecision::Retry {
                after: Duration::from_secs(3)
            }
        );
    }

    #[test]
    fn client_errors_are_not_retried() {
        let p = RetryPolicy::default();
        let e = GatewayError::NotFound(ApiError::new(404, "INVOICE_NOT_FOUND_ERROR", "x"));
        assert_eq!(
            p.decide(Operation::Get, 1, &e, Duration::ZERO, 0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn the_time_budget_stops_retries() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(Operation::Get, 1, &server(), p.max_elapsed, 0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, 0), Duration::from_millis(100));
        assert_eq!(
            p.backoff(1, u64::MAX),
            Duration::from_millis(200).min(p.backoff(1, u64::MAX))
        );
        assert!(p.backoff(2, 0) >= Duration::from_millis(200));
        assert!(p.backoff(40, u64::MAX) <= p.max_delay);
    }
}
