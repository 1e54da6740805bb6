//! Creating an invoice without ever creating it twice: the create loop, and the look-up of an
//! invoice an ambiguous attempt may have made (see "The look-up after an ambiguous create" on
//! [`HttpGateway`]).

use paylink_core::{
    ApiError, CreateInvoiceRequest, Currency, GatewayError, Invoice, InvoiceStatus,
    ListInvoicesQuery, Operation, RequestOptions, RetryDecision,
};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Method;
use time::OffsetDateTime;

use crate::gateway::{for_user_header, sleep, HttpGateway, APPLICATION_JSON, LOOKUP_LIMIT};
use crate::trace::Call;

impl HttpGateway {
    pub(crate) async fn create(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
        call: &Call,
    ) -> Result<Invoice, GatewayError> {
        let for_user = for_user_header(options)?;
        let body = serde_json::to_vec(request).map_err(|e| {
            GatewayError::Validation(Box::new(ApiError::new(
                400,
                "API_VALIDATION_ERROR",
                format!("the request could not be written as JSON ({e}); no request was sent"),
            )))
        })?;
        let url = self.create_url();
        let started_at = OffsetDateTime::now_utc();
        let mut attempt = 1;
        loop {
            let rb = self
                .request(Method::POST, &url, for_user.as_ref())
                .header(CONTENT_TYPE, APPLICATION_JSON)
                .body(body.clone());
            let failed = match self.once::<Invoice>(call, rb, None).await {
                Ok(invoice) => {
                    self.inner
                        .clock
                        .observe_stamp(invoice.created, OffsetDateTime::now_utc());
                    return Ok(invoice);
                }
                Err(f) => f,
            };
            if let GatewayError::Decode { status, .. } = &failed.error {
                if (200..300).contains(status) {
                    // Xendit made the invoice but its answer was cut or garbled: read it back
                    // instead, and never create again.
                    return match self
                        .find_created(request, for_user.as_ref(), started_at, call)
                        .await
                    {
                        Ok(Some(invoice)) => Ok(invoice),
                        _ => Err(failed.error),
                    };
                }
            }
            match self.decide(Operation::Create, attempt, &failed, call) {
                RetryDecision::Retry { after } => sleep(after).await,
                RetryDecision::LookUpThenRetry { after } => {
                    sleep(after).await;
                    match self
                        .find_created(request, for_user.as_ref(), started_at, call)
                        .await
                    {
                        Ok(Some(invoice)) => return Ok(invoice),
                        Ok(None) => {}
                        // Without the look-up nobody can tell whether the invoice exists: the
                        // caller gets the ambiguous failure, which says so.
                        Err(_) => return Err(failed.error),
                    }
                }
                RetryDecision::GiveUp => {
                    // The last attempt may have made the invoice: a caller must not be told
                    // the outcome is unknown while it is there to be found.
                    if failed.error.may_have_reached_server() {
                        if let Ok(Some(invoice)) = self
                            .find_created(request, for_user.as_ref(), started_at, call)
                            .await
                        {
                            return Ok(invoice);
                        }
                    }
                    return Err(failed.error);
                }
            }
            attempt += 1;
        }
    }

    /// The earliest creation time a look-up accepts: `started_at` (this machine's clock) moved
    /// by `server_offset` onto the server's clock, minus the margin; the earliest representable
    /// time when that reaches past it.
    fn lookup_window_start(
        &self,
        started_at: OffsetDateTime,
        server_offset: Option<time::Duration>,
    ) -> OffsetDateTime {
        let on_server = server_offset
            .and_then(|offset| started_at.checked_add(offset))
            .unwrap_or(started_at);
        time::Duration::try_from(self.inner.lookup_margin)
            .ok()
            .and_then(|margin| on_server.checked_sub(margin))
            .unwrap_or(time::PrimitiveDateTime::MIN.assume_utc())
    }

    /// Looks for the invoice an ambiguous create that started at `started_at` (this machine's
    /// clock) may have made; see "The look-up after an ambiguous create" on [`HttpGateway`].
    async fn find_created(
        &self,
        request: &CreateInvoiceRequest,
        for_user: Option<&HeaderValue>,
        started_at: OffsetDateTime,
        call: &Call,
    ) -> Result<Option<Invoice>, GatewayError> {
        let query = ListInvoicesQuery {
            external_id: Some(request.external_id().to_owned()),
            statuses: vec![InvoiceStatus::Pending],
            limit: Some(LOOKUP_LIMIT),
            ..ListInvoicesQuery::default()
        };
        let url = self.list_url(&query);
        let mut date_offset = None;
        let page: Vec<Invoice> = self
            .with_retries(Operation::List, call, Some(&mut date_offset), || {
                self.request(Method::GET, &url, for_user)
            })
            .await?;
        let offset = self.inner.clock.stamp_offset().or(date_offset);
        let not_before = self.lookup_window_start(started_at, offset);
        let money = request.money();
        let found = page
            .into_iter()
            .filter(|inv| {
                inv.external_id == request.external_id()
                    && inv.status == InvoiceStatus::Pending
                    && inv.amount == money.amount()
                    && inv.currency.unwrap_or(Currency::Idr) == money.currency()
                    && inv.created >= not_before
            })
            .max_by_key(|inv| inv.created);
        if let Some(invoice) = &found {
            tracing::info!(
                invoice_id = %invoice.id,
                external_id = %invoice.external_id,
                "an ambiguous create had made the invoice; returning it"
            );
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use crate::{HttpGateway, SecretKey};
    use std::time::Duration;
    use time::OffsetDateTime;

    #[test]
    fn a_huge_lookup_margin_or_offset_does_not_overflow() {
        let gw = HttpGateway::builder(SecretKey::new("xnd_development_x"))
            .lookup_margin(Duration::MAX)
            .build()
            .expect("valid");
        let now = OffsetDateTime::now_utc();
        let earliest = time::PrimitiveDateTime::MIN.assume_utc();
        assert_eq!(gw.lookup_window_start(now, None), earliest);
        let gw = HttpGateway::builder(SecretKey::new("xnd_development_x"))
            .lookup_margin(Duration::from_secs(60))
            .build()
            .expect("valid");
        assert_eq!(
            gw.lookup_window_start(now, None),
            now - time::Duration::seconds(60)
        );
        assert_eq!(
            gw.lookup_window_start(now, Some(time::Duration::MAX)),
            now - time::Duration::seconds(60)
        );
    }

    #[test]
    fn the_lookup_window_starts_on_the_servers_clock() {
        let gw = HttpGateway::builder(SecretKey::new("xnd_development_x"))
            .lookup_margin(Duration::from_secs(60))
            .build()
            .expect("valid");
        let now = time::macros::datetime!(2026-11-26 01:00 UTC);
        let two_years_behind = time::Duration::days(-730);
        assert_eq!(
            gw.lookup_window_start(now, Some(two_years_behind)),
            time::macros::datetime!(2024-11-26 00:59 UTC)
        );
    }
}
