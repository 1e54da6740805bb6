//! The checks of refusals and scope: errors map to the same variants on every backend, and
//! `for-user-id` scopes what a call sees.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use rust_decimal::Decimal;

use super::{
    create, fail, ids, is_not_found, is_validation, show, unique, CheckResult, ERRORS, SCOPE,
};
use crate::{
    AmountLimits, CreateInvoiceRequest, Currency, Gateway, ListInvoicesQuery, RequestOptions,
};

/// An unknown id is `NotFound` (`INVOICE_NOT_FOUND_ERROR`) on get and expire; an amount under
/// the minimum, over the maximum and an unknown payment method are `Validation` with Xendit's
/// codes; a refused create stores nothing.
///
/// # Errors
/// A [`Failure`](super::Failure) saying what differed.
pub async fn errors_map_to_the_same_variants<G: Gateway + ?Sized>(gateway: &G) -> CheckResult {
    const C: &str = ERRORS;
    let opts = RequestOptions::default();
    let unknown = format!("{:024x}", RandomState::new().build_hasher().finish());
    let got = gateway.get_invoice(&unknown, &opts).await;
    ensure!(
        C,
        is_not_found(&got),
        "get of an unknown id gave {}, expected NotFound INVOICE_NOT_FOUND_ERROR",
        show(&got)
    );
    let exp = gateway.expire_invoice(&unknown, &opts).await;
    ensure!(
        C,
        is_not_found(&exp),
        "expire of an unknown id gave {}, expected NotFound",
        show(&exp)
    );

    let external_id = unique("conf-errors");
    let build = |amount: i64, methods: Option<&[&str]>| {
        let mut b =
            CreateInvoiceRequest::builder(&external_id, Decimal::from(amount), Currency::Idr)
                .limits(AmountLimits::unbounded());
        if let Some(m) = methods {
            b = b.payment_methods(m.iter().copied());
        }
        b.build()
            .map_err(|e| fail(C, format!("building the request: {e}")))
    };
    let cases = [
        (build(5_000, None)?, "MINIMAL_TRANSFER_AMOUNT_ERROR"),
        (build(2_000_000_000, None)?, "MAXIMUM_TRANSFER_AMOUNT_ERROR"),
        (
            build(50_000, Some(&["NOT_A_CHANNEL"]))?,
            "UNAVAILABLE_PAYMENT_METHOD_ERROR",
        ),
    ];
    for (req, code) in cases {
        let r = gateway.create_invoice(&req, &opts).await;
        ensure!(
            C,
            is_validation(&r, code),
            "create with amount {} and methods {:?} gave {}, expected Validation {code}",
            req.fields().amount,
            req.fields().payment_methods,
            show(&r)
        );
    }
    let q = ListInvoicesQuery {
        external_id: Some(external_id.clone()),
        ..ListInvoicesQuery::default()
    };
    let stored = gateway
        .list_invoices(&q, &opts)
        .await
        .map_err(|e| fail(C, format!("list failed: {e}")))?;
    ensure!(
        C,
        stored.is_empty(),
        "refused creates stored {} invoice(s)",
        stored.len()
    );
    Ok(())
}

/// An invoice created with `for-user-id` is visible only with the same `for-user-id`: get,
/// list and expire without it do not see it.
///
/// # Errors
/// A [`Failure`](super::Failure) saying what differed.
pub async fn for_user_id_scopes_visibility<G: Gateway + ?Sized>(gateway: &G) -> CheckResult {
    const C: &str = SCOPE;
    let sub = RequestOptions::for_user(format!(
        "{:024x}",
        RandomState::new().build_hasher().finish()
    ));
    let none = RequestOptions::default();
    let external_id = unique("conf-scope");
    let link = create(C, gateway, &external_id, &sub).await?;
    let unscoped = gateway.get_invoice(&link.id, &none).await;
    ensure!(
        C,
        is_not_found(&unscoped),
        "get without for-user-id gave {}, expected NotFound",
        show(&unscoped)
    );
    let scoped = gateway
        .get_invoice(&link.id, &sub)
        .await
        .map_err(|e| fail(C, format!("get with the same for-user-id failed: {e}")))?;
    ensure!(
        C,
        scoped == link,
        "get with for-user-id answered a different link"
    );
    let q = ListInvoicesQuery {
        external_id: Some(external_id),
        ..ListInvoicesQuery::default()
    };
    let seen = gateway
        .list_invoices(&q, &none)
        .await
        .map_err(|e| fail(C, format!("list failed: {e}")))?;
    ensure!(
        C,
        seen.is_empty(),
        "list without for-user-id shows {:?}",
        ids(&seen)
    );
    let seen = gateway
        .list_invoices(&q, &sub)
        .await
        .map_err(|e| fail(C, format!("list failed: {e}")))?;
    ensure!(
        C,
        ids(&seen) == [link.id.as_str()],
        "list with for-user-id shows {:?}",
        ids(&seen)
    );
    let exp = gateway.expire_invoice(&link.id, &none).await;
    ensure!(
        C,
        is_not_found(&exp),
        "expire without for-user-id gave {}, expected NotFound",
        show(&exp)
    );
    Ok(())
}
