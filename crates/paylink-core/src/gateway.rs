//! The port: the `Gateway` trait every backend implements, and the options of one call.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::GatewayError;
use crate::invoice::Invoice;
use crate::list_query::ListInvoicesQuery;
use crate::request::CreateInvoiceRequest;

/// Options of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOptions {
    /// `for-user-id`: act for a xenPlatform sub-account. Invoices created with it are visible
    /// only with the same value.
    pub for_user_id: Option<String>,
}

impl RequestOptions {
    /// Options acting for a sub-account.
    pub fn for_user(id: impl Into<String>) -> Self {
        RequestOptions {
            for_user_id: Some(id.into()),
        }
    }
}

/// The port: a Xendit payment-link backend.
///
/// Every implementation MUST map failures to [`GatewayError`] this way:
/// - unknown id, an id not visible with these [`RequestOptions`], or expire of an invoice that
///   is not PENDING: [`GatewayError::NotFound`] (`INVOICE_NOT_FOUND_ERROR`);
/// - a request the server refuses as invalid: [`GatewayError::Validation`] with Xendit's
///   `error_code` (`API_VALIDATION_ERROR`, `MINIMAL_TRANSFER_AMOUNT_ERROR`,
///   `MAXIMUM_TRANSFER_AMOUNT_ERROR`, `UNAVAILABLE_PAYMENT_METHOD_ERROR`,
///   `UNSUPPORTED_CURRENCY`...);
/// - a bad key: [`GatewayError::Unauthorized`]; a key without permission:
///   [`GatewayError::Forbidden`];
/// - HTTP 429: [`GatewayError::RateLimited`] with the server's wait; HTTP 5xx:
///   [`GatewayError::Server`];
/// - no answer in time: [`GatewayError::Timeout`]; a failed connection:
///   [`GatewayError::Transport`]; an answer that is not the expected JSON:
///   [`GatewayError::Decode`].
///
/// A failed call changes nothing (but see `create_invoice` on ambiguous failures).
#[async_trait]
pub trait Gateway: Send + Sync {
    /// `POST /v2/invoices`: creates a PENDING payment link.
    ///
    /// # Errors
    /// As the trait docs say. After a [`GatewayError::Timeout`] or
    /// [`GatewayError::Transport`] with `request_sent: true` the invoice may exist.
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError>;

    /// `GET /v2/invoices/{id}`.
    ///
    /// # Errors
    /// [`GatewayError::NotFound`] for an unknown or invisible id; others as the trait says.
    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError>;

    /// `GET /v2/invoices`: one page, newest first.
    ///
    /// # Errors
    /// As the trait docs say.
    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError>;

    /// `POST /invoices/{id}/expire!`: expires a PENDING link now.
    ///
    /// # Errors
    /// [`GatewayError::NotFound`] when the invoice is unknown or not PENDING.
    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError>;
}

#[async_trait]
impl<G: Gateway + ?Sized> Gateway for Arc<G> {
    async fn create_invoice(
        &self,
        request: &CreateInvoiceRequest,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        (**self).create_invoice(request, options).await
    }

    async fn get_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        (**self).get_invoice(id, options).await
    }

    async fn list_invoices(
        &self,
        query: &ListInvoicesQuery,
        options: &RequestOptions,
    ) -> Result<Vec<Invoice>, GatewayError> {
        (**self).list_invoices(query, options).await
    }

    async fn expire_invoice(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Invoice, GatewayError> {
        (**self).expire_invoice(id, options).await
    }
}
