//! The retry decision as a pure function: from what an adapter observed of a failed attempt
//! (operation, attempt number, the error and its HTTP status, the wait the server asked for, the
//! time spent) and injected randomness, decide to retry after a delay, to look up a create that
//! may have happened, or to give up. The adapter only sleeps and sends.

use std::time::Duration;

use crate::error::GatewayError;

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

/// What an adapter observed of one failed attempt: everything the retry decision reads.
#[derive(Debug, Clone, Copy)]
pub struct FailedAttempt<'a> {
    /// The operation.
    pub operation: Operation,
    /// Which attempt failed (1-based).
    pub attempt: u32,
    /// How it failed; its HTTP status, when an answer came, is part of it
    /// ([`GatewayError::status`]), also for an answer whose body could not be read.
    pub error: &'a GatewayError,
    /// The wait the server asked for (`Retry-After` or `Rate-Limit-Reset`), on any status.
    pub server_wait: Option<Duration>,
    /// Time since the first attempt began.
    pub elapsed: Duration,
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

    /// Decides what follows a failed attempt. `random` is any uniformly drawn `u64`; it only
    /// spreads the delay.
    ///
    /// - Retried: a 429, a 5xx other than 501 and 505 (whether or not its body could be read),
    ///   and a timeout or broken connection. Anything else is returned as it is.
    /// - The wait: the server's wait (`Retry-After`, `Rate-Limit-Reset`) as asked on a 429;
    ///   otherwise the backoff, or the server's wait when that is longer.
    /// - No retry once `max_attempts` attempts were made or when the wait would pass
    ///   `max_elapsed`.
    /// - A create that [may have reached the server](GatewayError::may_have_reached_server) is
    ///   never sent again blindly: [`RetryDecision::LookUpThenRetry`].
    pub fn decide(&self, failed: &FailedAttempt<'_>, random: u64) -> RetryDecision {
        if failed.attempt >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let status = failed.error.status();
        let retryable = match (failed.error, status) {
            (GatewayError::Timeout { .. } | GatewayError::Transport { .. }, _) => true,
            (_, Some(429)) => true,
            (_, Some(501 | 505)) => false,
            (GatewayError::Server(_) | GatewayError::Decode { .. }, Some(500..=599)) => true,
            _ => false,
        };
        if !retryable {
            return RetryDecision::GiveUp;
        }
        let server_wait = failed.server_wait.or(match failed.error {
            GatewayError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        });
        let backoff = self.backoff(failed.attempt, random);
        let after = match server_wait {
            Some(wait) if status == Some(429) => wait,
            Some(wait) => wait.max(backoff),
            None => backoff,
        };
        if failed.elapsed.saturating_add(after) > self.max_elapsed {
            return RetryDecision::GiveUp;
        }
        if failed.operation == Operation::Create && failed.error.may_have_reached_server() {
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
    use crate::error::ApiError;

    fn server() -> GatewayError {
        GatewayError::from_api(ApiError::new(500, "SERVER_ERROR", "boom"), None)
    }

    fn decide(
        p: &RetryPolicy,
        operation: Operation,
        attempt: u32,
        error: &GatewayError,
    ) -> RetryDecision {
        p.decide(
            &FailedAttempt {
                operation,
                attempt,
                error,
                server_wait: None,
                elapsed: Duration::ZERO,
            },
            7,
        )
    }

    #[test]
    fn a_get_is_retried_on_5xx_until_attempts_run_out() {
        let p = RetryPolicy::default();
        for attempt in 1..p.max_attempts {
            assert!(matches!(
                decide(&p, Operation::Get, attempt, &server()),
                RetryDecision::Retry { .. }
            ));
        }
        assert_eq!(
            decide(&p, Operation::Get, p.max_attempts, &server()),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn a_create_is_never_blindly_retried_after_an_ambiguous_failure() {
        let p = RetryPolicy::default();
        let proxy_page = GatewayError::Decode {
            status: 502,
            message: "not JSON".into(),
            body: "<html>".into(),
        };
        for e in [
            server(),
            proxy_page,
            GatewayError::Timeout { request_sent: true },
            GatewayError::Transport {
                message: "reset".into(),
                request_sent: true,
                source: None,
            },
        ] {
            assert!(
                matches!(
                    decide(&p, Operation::Create, 1, &e),
                    RetryDecision::LookUpThenRetry { .. }
                ),
                "{e:?}"
            );
        }
        assert!(matches!(
            decide(
                &p,
                Operation::Create,
                1,
                &GatewayError::Timeout {
                    request_sent: false
                }
            ),
            RetryDecision::Retry { .. }
        ));
    }

    #[test]
    fn retry_after_is_honoured_as_asked_on_a_429_and_as_a_floor_on_a_5xx() {
        let p = RetryPolicy::default();
        let limited =
            GatewayError::from_api(ApiError::new(429, "RATE_LIMIT_EXCEEDED", "slow down"), None);
        let failed = |error, wait| FailedAttempt {
            operation: Operation::Create,
            attempt: 1,
            error,
            server_wait: Some(wait),
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            p.decide(&failed(&limited, Duration::from_millis(3)), 99),
            RetryDecision::Retry {
                after: Duration::from_millis(3)
            }
        );
        let unavailable = GatewayError::Decode {
            status: 503,
            message: "not JSON".into(),
            body: String::new(),
        };
        assert_eq!(
            p.decide(&failed(&unavailable, Duration::from_secs(2)), 99),
            RetryDecision::LookUpThenRetry {
                after: Duration::from_secs(2)
            }
        );
        let short = p.decide(&failed(&unavailable, Duration::from_millis(1)), 99);
        assert_eq!(
            short,
            RetryDecision::LookUpThenRetry {
                after: p.backoff(1, 99)
            }
        );
    }

    #[test]
    fn a_rate_limit_error_carries_its_own_wait_when_none_is_observed() {
        let p = RetryPolicy::default();
        let e = GatewayError::from_api(
            ApiError::new(429, "RATE_LIMIT_EXCEEDED", "slow down"),
            Some(Duration::from_secs(3)),
        );
        assert_eq!(
            decide(&p, Operation::Get, 1, &e),
            RetryDecision::Retry {
                after: Duration::from_secs(3)
            }
        );
    }

    #[test]
    fn client_errors_and_unsupported_server_features_are_not_retried() {
        let p = RetryPolicy::default();
        for status in [400, 401, 403, 404, 409, 501, 505] {
            let e = GatewayError::from_api(ApiError::new(status, "X", "x"), None);
            assert_eq!(
                decide(&p, Operation::Get, 1, &e),
                RetryDecision::GiveUp,
                "{status}"
            );
        }
        let garbled_success = GatewayError::Decode {
            status: 200,
            message: "cut".into(),
            body: String::new(),
        };
        assert_eq!(
            decide(&p, Operation::Create, 1, &garbled_success),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn the_time_budget_stops_retries_including_a_servers_long_wait() {
        let p = RetryPolicy::default();
        let error = server();
        let failed = |elapsed, server_wait| FailedAttempt {
            operation: Operation::Get,
            attempt: 1,
            error: &error,
            server_wait,
            elapsed,
        };
        assert_eq!(
            p.decide(&failed(p.max_elapsed, None), 0),
            RetryDecision::GiveUp
        );
        assert_eq!(
            p.decide(&failed(Duration::ZERO, Some(p.max_elapsed * 2)), 0),
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
