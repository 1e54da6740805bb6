//! Sending webhooks again: `POST /_sandbox/deliveries/{id}/resend` (one callback) and
//! `POST /_sandbox/deliveries/resend` (every callback matching a filter, at most
//! [`MAX_RESEND`] per call, as Xendit's dashboard allows). Each resend is one more logged
//! attempt of its callback, byte for byte, with no retry. The inspector's resend button calls
//! [`resend_one`] too.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::Json;
use futures::StreamExt;
use paylink_core::timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::delivery::{Deliverer, DeliveryAttempt, ResendError};
use super::error::ErrorAnswer;
use super::SandboxState;

/// The most deliveries one `POST /_sandbox/deliveries/resend` sends again.
pub const MAX_RESEND: usize = 500;

/// How many resends of one call are in flight at once.
const RESEND_CONCURRENCY: usize = 8;

/// Whether a delivery reached its receiver (on any attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryOutcome {
    /// An attempt got a 2xx answer.
    Delivered,
    /// No attempt got a 2xx answer (so far: retries may be pending).
    Failed,
}

impl DeliveryOutcome {
    /// `DELIVERED` or `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "DELIVERED",
            DeliveryOutcome::Failed => "FAILED",
        }
    }
}

/// Body of `POST /_sandbox/deliveries/resend`: every field optional; a delivery must match
/// all that are given. An empty body matches every delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    /// The account whose callbacks to resend (by name); every account's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The invoice the callback is about (its `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<String>,
    /// The delivery's outcome so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeliveryOutcome>,
    /// The callback's `status` (`PAID`, `EXPIRED`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Deliveries whose first attempt was at or after this time.
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<OffsetDateTime>,
    /// Deliveries whose first attempt was at or before this time.
    #[serde(
        default,
        with = "timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub to: Option<OffsetDateTime>,
}

/// Answer of `POST /_sandbox/deliveries/resend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resent {
    /// The deliveries sent again, in id order (each has one more attempt in the log).
    pub resent: Vec<u64>,
    /// How many of those resends got a 2xx answer.
    pub delivered: usize,
    /// How many did not.
    pub failed: usize,
}

/// One callback and its attempts, as the inspector and the resend filter see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delivery {
    /// The delivery id.
    pub id: u64,
    /// The invoice the callback is about.
    pub invoice_id: Option<String>,
    /// The callback's status (`PAID`...).
    pub event: Option<String>,
    /// Its attempts, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

impl Delivery {
    /// Delivered when any attempt got a 2xx answer.
    pub(crate) fn outcome(&self) -> DeliveryOutcome {
        if self.attempts.iter().any(|a| a.delivered) {
            DeliveryOutcome::Delivered
        } else {
            DeliveryOutcome::Failed
        }
    }

    /// When the first attempt was made.
    pub(crate) fn first_time(&self) -> Option<OffsetDateTime> {
        self.attempts.first().map(|a| a.time)
    }
}

/// Every delivery with at least one attempt, by id (oldest first).
pub(crate) fn deliveries(deliverer: &Deliverer) -> Vec<Delivery> {
    let mut by_id: BTreeMap<u64, Delivery> = BTreeMap::new();
    for attempt in deliverer.attempts() {
        let text = |key: &str| match &attempt.body {
            Value::Object(map) => map.get(key).and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        by_id
            .entry(attempt.delivery_id)
            .or_insert_with(|| Delivery {
                id: attempt.delivery_id,
                invoice_id: text("id"),
                event: text("status"),
                attempts: Vec::new(),
            })
            .attempts
            .push(attempt);
    }
    by_id.into_values().collect()
}

/// The ids of the deliveries matching `filter`, in id order.
pub(crate) fn matching(deliverer: &Deliverer, filter: &ResendRequest) -> Vec<u64> {
    deliveries(deliverer)
        .into_iter()
        .filter(|d| {
            filter
                .invoice_id
                .as_ref()
                .is_none_or(|id| d.invoice_id.as_ref() == Some(id))
                && filter
                    .account
                    .as_ref()
                    .is_none_or(|name| d.attempts.first().is_some_and(|a| &a.account == name))
                && filter.status.is_none_or(|s| d.outcome() == s)
                && filter.event.as_ref().is_none_or(|e| {
                    d.event
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(e))
                })
                && filter
                    .from
                    .is_none_or(|from| d.first_time().is_some_and(|t| t >= from))
                && filter
                    .to
                    .is_none_or(|to| d.first_time().is_some_and(|t| t <= to))
        })
        .map(|d| d.id)
        .collect()
}

/// Sends one delivery's callback again: the action behind the JSON route and the inspector's
/// button.
///
/// # Errors
/// 404 `DELIVERY_NOT_FOUND` for an unknown id; 409 `NO_CALLBACK_URL` when webhooks are off.
pub(crate) async fn resend_one(
    deliverer: &Deliverer,
    id: u64,
) -> Result<DeliveryAttempt, ErrorAnswer> {
    deliverer.resend(id).await.map_err(resend_error)
}

/// Sends again every delivery matching `filter` (at most [`MAX_RESEND`]).
///
/// # Errors
/// 400 `API_VALIDATION_ERROR` for `from` after `to`; 400 `TOO_MANY_DELIVERIES` naming the
/// count when more than [`MAX_RESEND`] match; 409 `NO_CALLBACK_URL` when webhooks are off.
pub(crate) async fn resend_matching(
    deliverer: &Deliverer,
    filter: &ResendRequest,
) -> Result<Resent, ErrorAnswer> {
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(ErrorAnswer::invalid_field(
                "from",
                format!(
                    "must not be after `to` ({} is after {})",
                    timestamp::format(from),
                    timestamp::format(to)
                ),
            ));
        }
    }
    let ids = matching(deliverer, filter);
    if ids.len() > MAX_RESEND {
        return Err(ErrorAnswer::new(
            400,
            "TOO_MANY_DELIVERIES",
            format!(
                "{} deliveries match; at most {MAX_RESEND} can be resent in one call: narrow the filter (invoice_id, status, event, from, to)",
                ids.len()
            ),
        ));
    }
    // Refuse before sending anything when a matching delivery's account has no receiver.
    let records = deliverer.deliveries();
    let no_receiver = ids.iter().find(|id| {
        records
            .iter()
            .find(|r| r.id == **id)
            .is_some_and(|r| deliverer.callback_url_of(&r.account).is_none())
    });
    if let Some(&id) = no_receiver {
        return Err(resend_error(ResendError::NoCallbackUrl { id }));
    }
    let results: Vec<Result<DeliveryAttempt, ResendError>> = futures::stream::iter(ids)
        .map(|id| deliverer.resend(id))
        .buffered(RESEND_CONCURRENCY)
        .collect()
        .await;
    let mut resent = Vec::with_capacity(results.len());
    let mut delivered = 0;
    for result in results {
        let attempt = result.map_err(resend_error)?;
        if attempt.delivered {
            delivered += 1;
        }
        resent.push(attempt.delivery_id);
    }
    let failed = resent.len() - delivered;
    Ok(Resent {
        resent,
        delivered,
        failed,
    })
}

fn resend_error(e: ResendError) -> ErrorAnswer {
    let message = e.to_string();
    match e {
        ResendError::UnknownDelivery { .. } => ErrorAnswer::new(404, "DELIVERY_NOT_FOUND", message),
        _ => ErrorAnswer::new(409, "NO_CALLBACK_URL", message),
    }
}

/// A delivery id from the path: anything but a whole number names no delivery.
pub(crate) fn delivery_id(text: &str) -> Result<u64, ErrorAnswer> {
    text.parse::<u64>().map_err(|_| {
        ErrorAnswer::new(
            404,
            "DELIVERY_NOT_FOUND",
            format!("no delivery with id `{text}` (delivery ids are whole numbers)"),
        )
    })
}

/// `POST /_sandbox/deliveries/{id}/resend`: the new attempt.
pub(crate) async fn resend(
    State(state): State<Arc<SandboxState>>,
    Path(id): Path<String>,
) -> Result<Json<DeliveryAttempt>, ErrorAnswer> {
    let id = delivery_id(&id)?;
    resend_one(state.deliverer(), id).await.map(Json)
}

/// `POST /_sandbox/deliveries/resend` with a [`ResendRequest`] body (optional).
pub(crate) async fn resend_filtered(
    State(state): State<Arc<SandboxState>>,
    request: Request,
) -> Result<Json<Resent>, ErrorAnswer> {
    let body = state.read_body(request.into_body()).await?;
    let filter: ResendRequest = super::read_control_body(&body)?.unwrap_or_default();
    resend_matching(state.deliverer(), &filter).await.map(Json)
}
