//! The checks of a link's life: create then get, pay, list with its filters and pages, expire.

use rust_decimal::Decimal;
use time::Duration;

use super::{
    create, fail, ids, is_not_found, is_xendit_id, list, show, unique, CheckResult, Payer,
    CREATE_THEN_GET, EXPIRE, LIST, PAY,
};
use crate::{Currency, Gateway, InvoiceStatus, ListInvoicesQuery, RequestOptions};

/// Create answers a PENDING link echoing the request, and get by id answers the same link.
///
/// # Errors
/// A [`Failure`](super::Failure) saying what differed.
pub async fn create_then_get_returns_the_same_link<G: Gateway + ?Sized>(
    gateway: &G,
) -> CheckResult {
    const C: &str = CREATE_THEN_GET;
    let external_id = unique("conf-get");
    let opts = RequestOptions::default();
    let created = create(C, gateway, &external_id, &opts).await?;
    ensure!(
        C,
        is_xendit_id(&created.id),
        "id `{}` is not 24 lowercase hex digits",
        created.id
    );
    ensure!(
        C,
        created.status == InvoiceStatus::Pending,
        "status is {}, expected PENDING",
        created.status
    );
    ensure!(
        C,
        created.external_id == external_id,
        "external_id `{}` is not the one sent",
        created.external_id
    );
    ensure!(
        C,
        created.amount == Decimal::from(150_000),
        "amount {} is not 150000",
        created.amount
    );
    ensure!(
        C,
        created.currency == Some(Currency::Idr),
        "currency {:?} is not IDR",
        created.currency
    );
    ensure!(
        C,
        created.payer_email.as_deref() == Some("buyer@example.com"),
        "payer_email not echoed"
    );
    ensure!(
        C,
        created.items.len() == 1 && created.items[0].name == "Widget",
        "items not echoed: {:?}",
        created.items
    );
    ensure!(
        C,
        created.expiry_date == created.created + Duration::seconds(3_600),
        "expiry_date {} is not created {} + invoice_duration 3600 s",
        created.expiry_date,
        created.created
    );
    ensure!(
        C,
        created.invoice_url.ends_with(&created.id),
        "invoice_url `{}` does not end with the id",
        created.invoice_url
    );
    ensure!(
        C,
        created.paid_at.is_none() && created.paid_amount.is_none(),
        "a new link has paid fields"
    );
    let got = gateway
        .get_invoice(&created.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get `{}` failed: {e}", created.id)))?;
    ensure!(
        C,
        got == created,
        "get answered a different link:\ncreated: {created:?}\ngot: {got:?}"
    );
    Ok(())
}

/// After a payment the link reads back PAID with `paid_at`, the full `paid_amount`, and the
/// method and channel it was paid with.
///
/// # Errors
/// A [`Failure`](super::Failure) saying what differed.
pub async fn a_paid_link_reads_back_paid<G: Gateway + ?Sized>(
    gateway: &G,
    payer: &dyn Payer,
) -> CheckResult {
    const C: &str = PAY;
    let opts = RequestOptions::default();
    let created = create(C, gateway, &unique("conf-pay"), &opts).await?;
    payer
        .pay(&created, &opts)
        .await
        .map_err(|e| fail(C, format!("paying `{}` failed: {e}", created.id)))?;
    let got = gateway
        .get_invoice(&created.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get after payment failed: {e}")))?;
    ensure!(
        C,
        got.status == InvoiceStatus::Paid,
        "status after payment is {}, expected PAID",
        got.status
    );
    ensure!(
        C,
        got.paid_amount == Some(created.amount),
        "paid_amount {:?} is not the amount {}",
        got.paid_amount,
        created.amount
    );
    ensure!(
        C,
        got.paid_at.is_some_and(|t| t >= created.created),
        "paid_at {:?} is missing or before created",
        got.paid_at
    );
    ensure!(
        C,
        got.payment_method.is_some() && got.payment_channel.is_some(),
        "payment_method or payment_channel missing"
    );
    ensure!(C, got.updated >= created.updated, "updated went backwards");
    ensure!(
        C,
        got.created == created.created && got.expiry_date == created.expiry_date,
        "created or expiry_date changed on payment"
    );
    Ok(())
}

/// List filters by `external_id`, `statuses`, `paid_*` and `created_*` windows, answers newest
/// first, honours `limit`, and pages with `last_invoice`.
///
/// # Errors
/// A [`Failure`](super::Failure) saying what differed.
pub async fn list_filters_and_pages_newest_first<G: Gateway + ?Sized>(
    gateway: &G,
    payer: &dyn Payer,
) -> CheckResult {
    const C: &str = LIST;
    let opts = RequestOptions::default();
    let external_id = unique("conf-list");
    let a = create(C, gateway, &external_id, &opts).await?;
    let b = create(C, gateway, &external_id, &opts).await?;
    let c = create(C, gateway, &external_id, &opts).await?;
    let base = ListInvoicesQuery {
        external_id: Some(external_id.clone()),
        ..ListInvoicesQuery::default()
    };

    let first = ListInvoicesQuery {
        limit: Some(2),
        ..base.clone()
    };
    let page1 = list(gateway, &opts, first.clone()).await?;
    ensure!(
        C,
        ids(&page1) == [c.id.as_str(), b.id.as_str()],
        "first page of 2 is {:?}, expected newest first [{}, {}]",
        ids(&page1),
        c.id,
        b.id
    );
    let Some(second) = first.next_page(&page1) else {
        return Err(fail(C, "a full first page must have a next page".into()));
    };
    ensure!(
        C,
        second.last_invoice.as_deref() == Some(b.id.as_str()),
        "cursor is not the last id of the page"
    );
    let page2 = list(gateway, &opts, second.clone()).await?;
    ensure!(
        C,
        ids(&page2) == [a.id.as_str()],
        "second page is {:?}, expected [{}]",
        ids(&page2),
        a.id
    );
    ensure!(
        C,
        second.next_page(&page2).is_none(),
        "a short page must be the last one"
    );

    payer
        .pay(&b, &opts)
        .await
        .map_err(|e| fail(C, format!("paying `{}` failed: {e}", b.id)))?;
    let paid = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            statuses: vec![InvoiceStatus::Paid],
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        ids(&paid) == [b.id.as_str()],
        "statuses=PAID gave {:?}, expected [{}]",
        ids(&paid),
        b.id
    );
    let pending = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            statuses: vec![InvoiceStatus::Pending],
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        ids(&pending) == [c.id.as_str(), a.id.as_str()],
        "statuses=PENDING gave {:?}",
        ids(&pending)
    );
    let both = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            statuses: vec![InvoiceStatus::Pending, InvoiceStatus::Paid],
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        both.len() == 3,
        "statuses=PENDING,PAID gave {} invoices, expected 3",
        both.len()
    );

    let Some(paid_at) = paid.first().and_then(|p| p.paid_at) else {
        return Err(fail(C, "the paid invoice has no paid_at".into()));
    };
    let after = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            paid_after: Some(paid_at),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        ids(&after) == [b.id.as_str()],
        "paid_after=paid_at gave {:?}, expected the paid one",
        ids(&after)
    );
    let before = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            paid_before: Some(paid_at - Duration::days(1)),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        before.is_empty(),
        "paid_before a day earlier gave {:?}",
        ids(&before)
    );
    let later = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            created_after: Some(c.created + Duration::days(1)),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        later.is_empty(),
        "created_after a day after the newest gave {:?}",
        ids(&later)
    );
    let window = list(
        gateway,
        &opts,
        ListInvoicesQuery {
            created_after: Some(a.created),
            created_before: Some(c.created),
            ..base.clone()
        },
    )
    .await?;
    ensure!(
        C,
        window.len() == 3,
        "the created window [a, c] gave {} invoices, expected 3",
        window.len()
    );
    Ok(())
}

/// Expire moves a PENDING link to EXPIRED; expiring it again, or expiring a PAID link, is
/// `NotFound` with `INVOICE_NOT_FOUND_ERROR`.
///
/// # Errors
/// A [`Failure`](super::Failure) saying what differed.
pub async fn expire_moves_only_pending_links<G: Gateway + ?Sized>(
    gateway: &G,
    payer: &dyn Payer,
) -> CheckResult {
    const C: &str = EXPIRE;
    let opts = RequestOptions::default();
    let link = create(C, gateway, &unique("conf-expire"), &opts).await?;
    let expired = gateway
        .expire_invoice(&link.id, &opts)
        .await
        .map_err(|e| fail(C, format!("expire of a PENDING link failed: {e}")))?;
    ensure!(
        C,
        expired.status == InvoiceStatus::Expired,
        "expire answered {}, expected EXPIRED",
        expired.status
    );
    ensure!(C, expired.id == link.id, "expire answered another invoice");
    let got = gateway
        .get_invoice(&link.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get after expire failed: {e}")))?;
    ensure!(
        C,
        got.status == InvoiceStatus::Expired,
        "get after expire says {}",
        got.status
    );
    let again = gateway.expire_invoice(&link.id, &opts).await;
    ensure!(
        C,
        is_not_found(&again),
        "expiring an EXPIRED link gave {}, expected NotFound INVOICE_NOT_FOUND_ERROR",
        show(&again)
    );
    ensure!(
        C,
        payer.pay(&got, &opts).await.is_err(),
        "an EXPIRED link was paid"
    );

    let paid = create(C, gateway, &unique("conf-expire-paid"), &opts).await?;
    payer
        .pay(&paid, &opts)
        .await
        .map_err(|e| fail(C, format!("paying `{}` failed: {e}", paid.id)))?;
    let refused = gateway.expire_invoice(&paid.id, &opts).await;
    ensure!(
        C,
        is_not_found(&refused),
        "expiring a PAID link gave {}, expected NotFound",
        show(&refused)
    );
    let still = gateway
        .get_invoice(&paid.id, &opts)
        .await
        .map_err(|e| fail(C, format!("get failed: {e}")))?;
    ensure!(
        C,
        still.status == InvoiceStatus::Paid,
        "a refused expire changed the link to {}",
        still.status
    );
    Ok(())
}
