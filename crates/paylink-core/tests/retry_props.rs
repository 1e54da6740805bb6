//! Property tests of the pure retry decision: bounded attempts, bounded delays, the time budget,
//! and no blind re-send of a create that may have happened.

use std::time::Duration;

use paylink_core::{ApiError, FailedAttempt, GatewayError, Operation, RetryDecision, RetryPolicy};
use proptest::prelude::*;

fn arb_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0_u64..120_000).prop_map(Duration::from_millis),
        any::<u64>().prop_map(Duration::from_nanos),
        (any::<u64>(), 0_u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

fn arb_policy() -> impl Strategy<Value = RetryPolicy> {
    (0_u32..10, arb_duration(), arb_duration(), arb_duration()).prop_map(
        |(max_attempts, base_delay, max_delay, max_elapsed)| RetryPolicy {
            max_attempts,
            base_delay,
            max_delay,
            max_elapsed,
        },
    )
}

fn arb_operation() -> impl Strategy<Value = Operation> {
    proptest::sample::select(vec![
        Operation::Create,
        Operation::Get,
        Operation::List,
        Operation::Expire,
    ])
}

fn arb_error() -> impl Strategy<Value = GatewayError> {
    let api = |status: u16| ApiError::new(status, "CODE", "message");
    prop_oneof![
        (400_u16..600).prop_map(move |s| GatewayError::from_api(api(s), None)),
        proptest::option::of(arb_duration())
            .prop_map(move |retry_after| { GatewayError::from_api(api(429), retry_after) }),
        any::<bool>().prop_map(|request_sent| GatewayError::Timeout { request_sent }),
        any::<bool>().prop_map(|request_sent| GatewayError::Transport {
            message: "connection reset".into(),
            request_sent,
            source: None,
        }),
        (100_u16..600).prop_map(|status| GatewayError::Decode {
            status,
            message: "not JSON".into(),
            body: "<html>".into(),
        }),
    ]
}

/// An independent model of the rules: whether the server may have acted on the request.
fn may_have_happened(e: &GatewayError) -> bool {
    let acted =
        |s: u16| (200..300).contains(&s) || ((500..600).contains(&s) && s != 501 && s != 505);
    match e {
        GatewayError::Timeout { request_sent } => *request_sent,
        GatewayError::Transport { request_sent, .. } => *request_sent,
        GatewayError::Server(api) => acted(api.status),
        GatewayError::Decode { status, .. } => acted(*status),
        _ => false,
    }
}

/// The model of what is retried at all.
fn retryable(e: &GatewayError) -> bool {
    match e {
        GatewayError::Timeout { .. } | GatewayError::Transport { .. } => true,
        other => match other.status() {
            Some(429) => true,
            Some(s @ 500..=599) => s != 501 && s != 505,
            _ => false,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn every_decision_respects_the_attempts_the_budget_and_the_cap(
        policy in arb_policy(),
        operation in arb_operation(),
        attempt in 0_u32..12,
        error in arb_error(),
        elapsed in arb_duration(),
        server_wait in proptest::option::of(arb_duration()),
        random in any::<u64>(),
    ) {
        let failed = FailedAttempt { operation, attempt, error: &error, server_wait, elapsed };
        let decision = policy.decide(&failed, random);
        let after = match decision {
            RetryDecision::GiveUp => return Ok(()),
            RetryDecision::Retry { after } => {
                prop_assert!(
                    !(operation == Operation::Create && may_have_happened(&error)),
                    "a create that may have happened is never re-sent blindly: {:?}", error
                );
                after
            }
            RetryDecision::LookUpThenRetry { after } => {
                prop_assert_eq!(operation, Operation::Create, "only a create needs a look-up");
                prop_assert!(may_have_happened(&error), "{:?}", error);
                after
            }
        };
        prop_assert!(attempt < policy.max_attempts, "attempt {} of {}", attempt, policy.max_attempts);
        prop_assert!(
            elapsed.saturating_add(after) <= policy.max_elapsed,
            "waiting {:?} after {:?} passes the budget {:?}", after, elapsed, policy.max_elapsed
        );
        let asked = server_wait.or(match &error {
            GatewayError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        });
        match asked {
            Some(wait) if error.status() == Some(429) => prop_assert_eq!(after, wait),
            Some(wait) => prop_assert!(after >= wait && after <= wait.max(policy.max_delay)),
            None => prop_assert!(after <= policy.max_delay, "{:?} > cap {:?}", after, policy.max_delay),
        }
        prop_assert!(retryable(&error), "{:?} is not retried", error);
    }

    #[test]
    fn backoff_is_within_half_and_all_of_the_capped_exponential_delay(
        policy in arb_policy(),
        attempt in 1_u32..64,
        random in any::<u64>(),
    ) {
        let delay = policy.backoff(attempt, random);
        let exp = policy
            .base_delay
            .checked_mul(1_u32 << (attempt - 1).min(30))
            .unwrap_or(policy.max_delay)
            .min(policy.max_delay);
        prop_assert!(delay <= exp, "{:?} > {:?}", delay, exp);
        prop_assert!(delay.saturating_mul(2) >= exp, "{:?} < half of {:?}", delay, exp);
        prop_assert!(policy.backoff(attempt, 0) <= policy.backoff(attempt + 1, 0));
    }
}
