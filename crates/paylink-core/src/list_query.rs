//! `ListInvoicesQuery`: the filters and cursor of `GET /v2/invoices`, with its exact wire
//! encoding both ways (what the SDKs send, read leniently; what paylink sends, written one way).

use time::OffsetDateTime;

use crate::codes::{ChannelCode, ClientType, InvoiceStatus};
use crate::invoice::{timestamp, Invoice};

/// Filters and cursor of `GET /v2/invoices` (every parameter of spec section 1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListInvoicesQuery {
    /// Only invoices with this `external_id`.
    pub external_id: Option<String>,
    /// Only these statuses (any of them).
    pub statuses: Vec<InvoiceStatus>,
    /// Page size.
    pub limit: Option<u32>,
    /// Created at or after.
    pub created_after: Option<OffsetDateTime>,
    /// Created at or before.
    pub created_before: Option<OffsetDateTime>,
    /// Paid at or after.
    pub paid_after: Option<OffsetDateTime>,
    /// Paid at or before.
    pub paid_before: Option<OffsetDateTime>,
    /// Expired at or after.
    pub expired_after: Option<OffsetDateTime>,
    /// Expired at or before.
    pub expired_before: Option<OffsetDateTime>,
    /// Cursor: the id of the last invoice of the previous page.
    pub last_invoice: Option<String>,
    /// Only these client types.
    pub client_types: Vec<ClientType>,
    /// Only invoices paid through these channels.
    pub payment_channels: Vec<ChannelCode>,
    /// On-demand link filter.
    pub on_demand_link: Option<String>,
    /// Recurring payment filter.
    pub recurring_payment_id: Option<String>,
}

/// A list query parameter that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter `{name}`: {message}")]
pub struct QueryError {
    /// The parameter.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

impl ListInvoicesQuery {
    /// The query parameters in the order and encoding the official SDKs use: repeated keys for
    /// arrays, timestamps as `2023-01-01T00:00:00.000Z`. Values are not percent-encoded.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.external_id {
            out.push(("external_id", v.clone()));
        }
        for s in &self.statuses {
            out.push(("statuses", s.as_str().to_owned()));
        }
        if let Some(l) = self.limit {
            out.push(("limit", l.to_string()));
        }
        let times = [
            ("created_after", self.created_after),
            ("created_before", self.created_before),
            ("paid_after", self.paid_after),
            ("paid_before", self.paid_before),
            ("expired_after", self.expired_after),
            ("expired_before", self.expired_before),
        ];
        for (name, t) in times {
            if let Some(t) = t {
                out.push((name, timestamp::format(t)));
            }
        }
        if let Some(v) = &self.last_invoice {
            out.push(("last_invoice", v.clone()));
        }
        for c in &self.client_types {
            out.push(("client_types", c.as_str().to_owned()));
        }
        for c in &self.payment_channels {
            out.push(("payment_channels", c.as_str().to_owned()));
        }
        if let Some(v) = &self.on_demand_link {
            out.push(("on_demand_link", v.clone()));
        }
        if let Some(v) = &self.recurring_payment_id {
            out.push(("recurring_payment_id", v.clone()));
        }
        out
    }

    /// Reads decoded query pairs as any official or legacy SDK sends them: repeated keys,
    /// `limit=10` or `limit=10.0`, timestamps with `Z` or an offset, the cursor as
    /// `last_invoice` or `last_invoice_id`, `on_demand_link` or `on_demand`. Unknown
    /// parameters are ignored.
    ///
    /// # Errors
    /// [`QueryError`] naming the parameter that could not be read.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<Self, QueryError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut q = ListInvoicesQuery::default();
        for (name, value) in pairs {
            let err = |message: String| QueryError {
                name: name.to_owned(),
                message,
            };
            let time = || {
                timestamp::parse(value).map(Some).map_err(|e| {
                    err(format!(
                        "expected an RFC 3339 timestamp, got `{value}` ({e})"
                    ))
                })
            };
            match name {
                "external_id" => q.external_id = Some(value.to_owned()),
                "statuses" | "statuses[]" => q
                    .statuses
                    .extend(split_list(value).map(InvoiceStatus::from)),
                "limit" => q.limit = Some(parse_limit(value).map_err(err)?),
                "created_after" => q.created_after = time()?,
                "created_before" => q.created_before = time()?,
                "paid_after" => q.paid_after = time()?,
                "paid_before" => q.paid_before = time()?,
                "expired_after" => q.expired_after = time()?,
                "expired_before" => q.expired_before = time()?,
                "last_invoice" | "last_invoice_id" => q.last_invoice = Some(value.to_owned()),
                "client_types" | "client_types[]" => {
                    q.client_types
                        .extend(split_list(value).map(ClientType::from));
                }
                "payment_channels" | "payment_channels[]" => {
                    q.payment_channels
                        .extend(split_list(value).map(ChannelCode::from));
                }
                "on_demand_link" | "on_demand" => q.on_demand_link = Some(value.to_owned()),
                "recurring_payment_id" => q.recurring_payment_id = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(q)
    }

    /// Whether an invoice passes every filter (not the cursor or the limit).
    pub fn matches(&self, invoice: &Invoice) -> bool {
        fn within(
            t: Option<OffsetDateTime>,
            after: Option<OffsetDateTime>,
            before: Option<OffsetDateTime>,
        ) -> bool {
            if after.is_none() && before.is_none() {
                return true;
            }
            let Some(t) = t else { return false };
            after.is_none_or(|a| t >= a) && before.is_none_or(|b| t <= b)
        }
        let expired_at = (invoice.status == InvoiceStatus::Expired).then_some(invoice.updated);
        self.external_id
            .as_ref()
            .is_none_or(|e| *e == invoice.external_id)
            && (self.statuses.is_empty() || self.statuses.contains(&invoice.status))
            && within(
                Some(invoice.created),
                self.created_after,
                self.created_before,
            )
            && within(invoice.paid_at, self.paid_after, self.paid_before)
            && within(expired_at, self.expired_after, self.expired_before)
            && (self.payment_channels.is_empty()
                || invoice
                    .payment_channel
                    .as_ref()
                    .is_some_and(|c| self.payment_channels.contains(c)))
            && self
                .recurring_payment_id
                .as_ref()
                .is_none_or(|r| invoice.recurring_payment_id.as_deref() == Some(r.as_str()))
    }

    /// The query of the page after `page`, or `None` when `page` was the last one (shorter than
    /// the limit, or empty).
    pub fn next_page(&self, page: &[Invoice]) -> Option<ListInvoicesQuery> {
        let last = page.last()?;
        if let Some(limit) = self.limit {
            if page.len() < limit as usize {
                return None;
            }
        }
        let mut next = self.clone();
        next.last_invoice = Some(last.id.clone());
        Some(next)
    }
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_limit(value: &str) -> Result<u32, String> {
    let n: rust_decimal::Decimal = value
        .parse()
        .map_err(|_| format!("expected a number, got `{value}`"))?;
    if n.fract() != rust_decimal::Decimal::ZERO || n < rust_decimal::Decimal::ONE {
        return Err(format!(
            "expected a whole number of at least 1, got `{value}`"
        ));
    }
    u32::try_from(n).map_err(|_| format!("too large: `{value}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_read_what_the_sdks_send() {
        let q = ListInvoicesQuery::from_pairs([
            ("statuses", "PENDING"),
            ("statuses", "PAID"),
            ("limit", "10.0"),
            ("created_after", "2023-01-01T00:00:00+00:00"),
            ("last_invoice_id", "abc"),
        ]);
        let q = q.expect("valid query");
        assert_eq!(
            q.statuses,
            vec![InvoiceStatus::Pending, InvoiceStatus::Paid]
        );
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.last_invoice.as_deref(), Some("abc"));
        let pairs = q.to_pairs();
        assert!(pairs.contains(&("created_after", "2023-01-01T00:00:00.000Z".to_owned())));
    }

    #[test]
    fn a_fractional_limit_is_refused() {
        assert!(ListInvoicesQuery::from_pairs([("limit", "10.5")]).is_err());
    }
}
