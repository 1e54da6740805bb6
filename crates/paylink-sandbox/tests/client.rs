//! `SandboxClient` against a running sandbox: every control call, typed in and out, and each
//! refusal as a `ControlError` naming Xendit's code.

mod support;

use std::time::Duration;

use paylink_core::conformance;
use paylink_core::InvoiceStatus;
use paylink_sandbox::{ControlError, FaultsRequest, PayRequest, SandboxClient, SandboxConfig};
use serde_json::json;
use support::{id_of, start, start_default};
use time::macros::datetime;

#[tokio::test]
async fn pay_settle_and_fail_answer_typed_invoices() {
    let (sandbox, api) = start_default().await;
    let control = sandbox.client().expect("a control client");
    let first = id_of(&api.invoice("client-pay").await);
    let paid = control
        .pay(&first, &PayRequest::channel("BNI"))
        .await
        .expect("paid");
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert_eq!(
        paid.payment_channel.as_ref().map(|c| c.as_str()),
        Some("BNI")
    );
    let settled = control.settle(&first).await.expect("settled");
    assert_eq!(settled.status, InvoiceStatus::Settled);

    let second = id_of(&api.invoice("client-fail").await);
    let failed = control
        .fail(&second, &PayRequest::method("EWALLET"))
        .await
        .expect("a failed attempt");
    assert_eq!(failed.failed_attempts, 1);
    assert_eq!(failed.invoice.status, InvoiceStatus::Pending);
}

#[tokio::test]
async fn refusals_carry_the_status_and_xendits_code() {
    let (sandbox, api) = start_default().await;
    let control = sandbox.client().expect("a control client");
    let id = id_of(&api.invoice("client-twice").await);
    control
        .pay(&id, &PayRequest::default())
        .await
        .expect("paid");
    match control.pay(&id, &PayRequest::default()).await {
        Err(ControlError::Refused {
            status, error_code, ..
        }) => {
            assert_eq!((status, error_code.as_str()), (409, "INVOICE_ALREADY_PAID"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    match control.settle("no-such-invoice").await {
        Err(ControlError::Refused {
            status, error_code, ..
        }) => assert_eq!(
            (status, error_code.as_str()),
            (404, "INVOICE_NOT_FOUND_ERROR")
        ),
        other => panic!("expected not found, got {other:?}"),
    }
    let bad = control
        .faults(&FaultsRequest {
            fail_next: Some(1),
            ..FaultsRequest::default()
        })
        .await;
    assert!(
        matches!(&bad, Err(ControlError::Refused { status: 400, message, .. }) if message.contains("operation")),
        "{bad:?}"
    );
}

#[tokio::test]
async fn an_id_with_slashes_and_spaces_stays_one_path_segment() {
    let (sandbox, _api) = start_default().await;
    let control = sandbox.client().expect("a control client");
    let answer = control.settle("a/b c?d").await;
    assert!(
        matches!(&answer, Err(ControlError::Refused { status: 404, .. })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn the_clock_moves_expires_links_and_reset_forgets_everything() {
    let (sandbox, api) = start_default().await;
    let control = sandbox.client().expect("a control client");
    assert_eq!(
        control.clock().await.expect("the clock"),
        datetime!(2025-01-02 03:04:05 UTC)
    );
    let id = id_of(
        &api.create_ok(
            json!({"external_id": "client-expire", "amount": 50000, "invoice_duration": 60}),
        )
        .await,
    );
    let advanced = control
        .advance(Duration::from_secs(120))
        .await
        .expect("advanced");
    assert_eq!(advanced.now, datetime!(2025-01-02 03:06:05 UTC));
    assert_eq!(advanced.expired, vec![id]);

    let now = control.reset().await.expect("reset");
    assert_eq!(
        now,
        datetime!(2025-01-02 03:04:05 UTC),
        "a reset starts the engine over, clock included"
    );
    assert!(control.deliveries().await.expect("deliveries").is_empty());
}

#[tokio::test]
async fn faults_and_deliveries_are_typed() {
    let (sandbox, api) = start(SandboxConfig {
        callback_url: Some("http://127.0.0.1:9/unreachable".into()),
        retry_time_scale: 0.0001,
        ..SandboxConfig::default()
    })
    .await;
    let control = sandbox.client().expect("a control client");
    let applied = control
        .faults(&FaultsRequest::fail_next("create", 1, 503))
        .await
        .expect("faults set");
    assert!(applied.ok);
    assert!(!applied.released_held_callback);
    let refused = api
        .create(json!({"external_id": "client-fault", "amount": 50000}))
        .await;
    assert_eq!(refused.status.as_u16(), 503);

    let id = id_of(&api.invoice("client-deliver").await);
    control
        .pay(&id, &PayRequest::default())
        .await
        .expect("paid");
    let mut attempts = Vec::new();
    for _ in 0..200 {
        attempts = control.deliveries().await.expect("deliveries");
        if !attempts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let first = attempts.first().expect("an attempt was made");
    assert_eq!(first.attempt, 1);
    assert!(!first.delivered);
    assert_eq!(first.body["id"], json!(id));
}

#[tokio::test]
async fn a_bad_url_or_no_sandbox_is_its_own_error() {
    assert!(matches!(
        SandboxClient::new("localhost:4010"),
        Err(ControlError::BadUrl(_))
    ));
    let nobody = SandboxClient::new("http://127.0.0.1:9").expect("a valid URL");
    assert!(matches!(
        nobody.clock().await,
        Err(ControlError::Transport(_))
    ));
}

#[tokio::test]
async fn the_client_pays_for_the_conformance_suite() {
    let (sandbox, _api) = start_default().await;
    let control = sandbox.client().expect("a control client");
    let gateway = sandbox.engine();
    if let Err(failures) = conformance::run_all(&gateway, &control).await {
        panic!("{failures}");
    }
}

#[tokio::test]
async fn a_payment_after_expiry_is_refused_on_a_pending_link_and_sends_paid_on_an_expired_one() {
    let (sandbox, api) = start_default().await;
    let control = sandbox.client().expect("a control client");
    let id = id_of(
        &api.create_ok(
            json!({"external_id": "client-late", "amount": 50000, "invoice_duration": 60}),
        )
        .await,
    );
    match control.pay_after_expiry(&id, &PayRequest::default()).await {
        Err(ControlError::Refused {
            status, error_code, ..
        }) => assert_eq!((status, error_code.as_str()), (409, "INVOICE_NOT_EXPIRED")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    control
        .advance(Duration::from_secs(120))
        .await
        .expect("advanced");
    let late = control
        .pay_after_expiry(&id, &PayRequest::channel("BNI"))
        .await
        .expect("paid late");
    assert_eq!(late.status, InvoiceStatus::Paid);
    assert_eq!(
        sandbox.engine().invoice(&id).map(|i| i.status),
        Some(InvoiceStatus::Expired)
    );
}
