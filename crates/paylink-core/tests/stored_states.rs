//! The strings an application stores for a link's state and expiry cause: stable, the same
//! through `Display`, `FromStr` and serde, and read back exactly.

use paylink_core::{ExpiryCause, LinkState};

#[test]
fn the_stored_strings_of_link_states_and_expiry_causes_are_stable() {
    let mut lines = Vec::new();
    for state in LinkState::ALL {
        let json = serde_json::to_string(&state).expect("serializes");
        lines.push(format!("{state:?}: display {state}, json {json}"));
        assert_eq!(state.to_string().parse::<LinkState>(), Ok(state));
        assert_eq!(serde_json::from_str::<LinkState>(&json).ok(), Some(state));
    }
    for cause in [ExpiryCause::Duration, ExpiryCause::Manual] {
        let json = serde_json::to_string(&cause).expect("serializes");
        lines.push(format!("{cause:?}: display {cause}, json {json}"));
        assert_eq!(cause.to_string().parse::<ExpiryCause>(), Ok(cause));
        assert_eq!(serde_json::from_str::<ExpiryCause>(&json).ok(), Some(cause));
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn a_stored_string_that_is_not_a_state_is_refused_with_what_was_expected() {
    for bad in ["paid", "Paid", " PAID", "REFUNDED", ""] {
        let err = bad.parse::<LinkState>().expect_err("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "`{bad}` is not a link state (expected one of PENDING, PAID, SETTLED, EXPIRED)"
            )
        );
        assert!(serde_json::from_str::<LinkState>(&format!("\"{bad}\"")).is_err());
    }
    let err = "manual".parse::<ExpiryCause>().expect_err("refused");
    assert_eq!(
        err.to_string(),
        "`manual` is not an expiry cause (expected one of DURATION, MANUAL)"
    );
}
