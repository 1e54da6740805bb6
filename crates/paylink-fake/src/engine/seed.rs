//! Seeding: adding invoices that have already lived part of their life (paid, settled, expired)
//! without replaying the calls that got them there, for a sandbox started with seed data.
//!
//! Each invoice is checked as create checks it (the request's shape, then the channels and
//! amount limits of this engine) and its history is replayed through the state machine, so a
//! seed cannot hold what the engine could not have reached. No callbacks are released for
//! seeded history. The id comes from the engine's own sequence, so it never clashes.

use paylink_core::{timestamp, Violation, DEFAULT_INVOICE_DURATION};

use super::*;

/// One invoice to seed: a create request and the state it is to be in.
///
/// Only `request` is required; [`SeedInvoice::new`] leaves the rest at its default (a PENDING
/// link created now):
///
/// ```
/// use paylink_core::{CreateInvoiceFields, LinkState};
/// use paylink_fake::{FakeGateway, SeedInvoice};
/// use rust_decimal::Decimal;
///
/// let fake = FakeGateway::builder().seed(1).build();
/// let request = CreateInvoiceFields::new("order-1", Decimal::from(50_000));
/// let paid = fake.seed_invoice(SeedInvoice {
///     status: LinkState::Paid,
///     ..SeedInvoice::new(request)
/// })?;
/// assert_eq!(paid.paid_at, Some(fake.now()));
/// assert!(fake.callbacks().is_empty());
/// # Ok::<(), paylink_fake::SeedError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SeedInvoice {
    /// The create request, as `POST /v2/invoices` takes it (checked as create checks it; IDR
    /// decimals are truncated as create truncates them).
    pub request: CreateInvoiceFields,
    /// The `for-user-id` it is created with.
    pub for_user_id: Option<String>,
    /// The state to reach: PENDING (the default), PAID, SETTLED or EXPIRED.
    pub status: LinkState,
    /// When it was created; the clock when `None`. Not after the clock.
    pub created: Option<OffsetDateTime>,
    /// When it was paid (PAID and SETTLED only); when `None`, a minute after `created`, or
    /// halfway to the expiry date for a shorter link, and never after the clock.
    pub paid_at: Option<OffsetDateTime>,
    /// When it was settled (SETTLED only); when `None`, an hour after `paid_at`, and never
    /// after the clock.
    pub settled_at: Option<OffsetDateTime>,
    /// When it expired (EXPIRED only): before the expiry date is a manual expire, at it an
    /// expiry by duration. When `None`: at the expiry date if the clock has reached it, else
    /// now, as a manual expire.
    pub expired_at: Option<OffsetDateTime>,
    /// The channel it was paid through (PAID and SETTLED only); when `None`, the first channel
    /// the invoice offers. The paid fields of its family are generated as
    /// [`FakeGateway::pay`] generates them.
    pub payment_channel: Option<ChannelCode>,
}

impl SeedInvoice {
    /// A PENDING invoice created now from `request`.
    pub fn new(request: CreateInvoiceFields) -> Self {
        SeedInvoice {
            request,
            for_user_id: None,
            status: LinkState::Pending,
            created: None,
            paid_at: None,
            settled_at: None,
            expired_at: None,
            payment_channel: None,
        }
    }
}

/// Why an invoice could not be seeded: the field at fault (a request field's path such as
/// `items[0].quantity`, or `status`, `created`, `paid_at`, `settled_at`, `expired_at`,
/// `payment_channel`, `for_user_id`) and the rule it breaks. The engine is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SeedError {
    /// The field at fault.
    pub field: String,
    /// The rule it breaks.
    pub message: String,
}

/// Why a batch of invoices could not be seeded: the first entry at fault. Nothing was seeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {position}: {error}")]
pub struct SeedBatchError {
    /// The entry's position in the batch (from 0).
    pub position: usize,
    /// What is wrong with it.
    pub error: SeedError,
}

/// Why a create request is refused before it is stored.
pub(super) enum Refusal {
    /// A rule of the request's shape (the first broken one), with its field path.
    Shape(Violation),
    /// One of Xendit's server-side checks (amount limits, channels).
    Server(ApiError),
}

/// Xendit truncates the decimals of an IDR amount before anything else.
pub(super) fn truncate_idr(fields: &mut CreateInvoiceFields) {
    if fields.effective_currency() == Currency::Idr {
        fields.amount = fields.amount.trunc();
    }
}

impl FakeGateway {
    /// The checks a create request passes before it is stored, whatever stores it (seeding,
    /// restoring a snapshot): its shape, then Xendit's server-side checks against this engine's
    /// channels and limits. Returns the validated request and the channels it offers.
    pub(super) fn accept_request(
        &self,
        fields: CreateInvoiceFields,
    ) -> Result<(CreateInvoiceFields, Vec<ChannelCode>), Refusal> {
        let request = fields
            .validate(&AmountLimits::unbounded())
            .map_err(|e| {
                Refusal::Shape(e.violations().first().cloned().unwrap_or(Violation {
                    path: String::new(),
                    message: "is invalid".into(),
                }))
            })?
            .into_fields();
        let config = self.config();
        let offered = channels::check_and_offer(&request, &config.channels, &config.limits)
            .map_err(Refusal::Server)?;
        Ok((request, offered))
    }

    /// Adds one invoice in the state `entry` describes, as if it had been created and then
    /// paid, settled or expired at the times given (see [`SeedInvoice`] for the defaults). The
    /// id comes from the engine's id sequence; no callback is released; change tracking sees
    /// the new invoice.
    ///
    /// # Errors
    /// [`SeedError`] naming the field at fault: the request's own rules and the server-side
    /// checks of create; a time after the clock; a time before the one it follows; a payment
    /// at or after the expiry date; a field that does not go with the status; a channel the
    /// invoice does not offer. The engine is unchanged.
    pub fn seed_invoice(&self, entry: SeedInvoice) -> Result<Invoice, SeedError> {
        self.seed_invoices([entry])
            .map(|mut seeded| seeded.remove(0))
            .map_err(|e| e.error)
    }

    /// Adds several invoices as [`FakeGateway::seed_invoice`] does, all or nothing: every
    /// entry is checked before any is stored. They are stored after the invoices already there,
    /// in the order of their `created` (entries created at the same instant in the order
    /// given), and returned in the order given.
    ///
    /// # Errors
    /// [`SeedBatchError`] naming the first entry at fault; the engine is unchanged.
    pub fn seed_invoices(
        &self,
        entries: impl IntoIterator<Item = SeedInvoice>,
    ) -> Result<Vec<Invoice>, SeedBatchError> {
        let mut state = self.state();
        let (rng, counter) = (state.rng.clone(), state.counter);
        let mut records = Vec::new();
        for (position, entry) in entries.into_iter().enumerate() {
            match self.seed_record(&mut state, entry) {
                Ok(record) => records.push((position, record)),
                Err(error) => {
                    state.rng = rng;
                    state.counter = counter;
                    return Err(SeedBatchError { position, error });
                }
            }
        }
        records.sort_by_key(|(_, record)| record.created);
        let mut seeded: Vec<Option<Invoice>> = vec![None; records.len()];
        for (position, record) in records {
            let pending = record.lifecycle.state() == LinkState::Pending;
            let expiry = record.lifecycle.expiry_date();
            let seq = state.insert(record);
            if !pending {
                state.expiry.remove(&(expiry, seq));
            }
            seeded[position] = Some(self.build(&state.records[seq as usize]));
        }
        if !seeded.is_empty() {
            self.changed();
        }
        Ok(seeded.into_iter().flatten().collect())
    }

    fn seed_record(&self, state: &mut State, entry: SeedInvoice) -> Result<Record, SeedError> {
        let fail = |field: &str, message: String| SeedError {
            field: field.to_owned(),
            message,
        };
        let now = stamp(state.now);
        let status = entry.status;
        let mut fields = entry.request;
        truncate_idr(&mut fields);
        let (request, offered) = self
            .accept_request(fields)
            .map_err(|refusal| match refusal {
                Refusal::Shape(v) => fail(&v.path, v.message),
                Refusal::Server(e) => {
                    let field = if e.error_code.contains("AMOUNT") {
                        "amount"
                    } else {
                        "payment_methods"
                    };
                    fail(field, format!("{} ({})", e.message, e.error_code))
                }
            })?;
        if entry
            .for_user_id
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(fail("for_user_id", "must not be blank".into()));
        }
        let only_for = |field: &str, given: bool, allowed: bool, which: &str| {
            if given && !allowed {
                Err(fail(
                    field,
                    format!("is only for {which} invoice, and status is {status}"),
                ))
            } else {
                Ok(())
            }
        };
        only_for(
            "paid_at",
            entry.paid_at.is_some(),
            status.is_paid(),
            "a PAID or SETTLED",
        )?;
        only_for(
            "payment_channel",
            entry.payment_channel.is_some(),
            status.is_paid(),
            "a PAID or SETTLED",
        )?;
        only_for(
            "settled_at",
            entry.settled_at.is_some(),
            status == LinkState::Settled,
            "a SETTLED",
        )?;
        only_for(
            "expired_at",
            entry.expired_at.is_some(),
            status == LinkState::Expired,
            "an EXPIRED",
        )?;
        let given = [
            ("created", entry.created),
            ("paid_at", entry.paid_at),
            ("settled_at", entry.settled_at),
            ("expired_at", entry.expired_at),
        ];
        for (field, at) in given {
            if let Some(at) = at.map(stamp).filter(|&at| at > now) {
                return Err(fail(
                    field,
                    format!(
                        "{} is after the clock {}",
                        timestamp::format(at),
                        timestamp::format(now)
                    ),
                ));
            }
        }

        let created = entry.created.map(stamp).unwrap_or(now);
        let duration = i64::from(request.invoice_duration.unwrap_or(DEFAULT_INVOICE_DURATION));
        let expiry = created
            .checked_add(time::Duration::seconds(duration))
            .unwrap_or(created);
        let mut lifecycle = Lifecycle::new(created, expiry);
        let replay = |lifecycle: &mut Lifecycle, field: &str, after: &str, event: LinkEvent| {
            lifecycle
                .apply(event)
                .map(|_| ())
                .map_err(|e| fail(field, transition_message(e, after, expiry)))
        };
        let mut paid_at = None;
        if status.is_paid() {
            let default = created
                .saturating_add(time::Duration::minutes(1))
                .min(created + (expiry - created) / 2)
                .min(now);
            let at = entry.paid_at.map(stamp).unwrap_or(stamp(default));
            replay(&mut lifecycle, "paid_at", "created", LinkEvent::Pay { at })?;
            paid_at = Some(at);
        }
        if let (LinkState::Settled, Some(paid_at)) = (status, paid_at) {
            let default = paid_at.saturating_add(time::Duration::hours(1)).min(now);
            let at = entry.settled_at.map(stamp).unwrap_or(default);
            replay(
                &mut lifecycle,
                "settled_at",
                "paid_at",
                LinkEvent::Settle { at },
            )?;
        }
        if status == LinkState::Expired {
            let event = match entry.expired_at.map(stamp) {
                Some(at) if at > expiry => {
                    return Err(fail(
                        "expired_at",
                        format!(
                            "{} is after the invoice's expiry_date {} (created + \
                             invoice_duration), when it expired by its duration",
                            timestamp::format(at),
                            timestamp::format(expiry)
                        ),
                    ))
                }
                Some(at) if at == expiry => LinkEvent::Tick { now: at },
                Some(at) => LinkEvent::Expire { at },
                None if expiry <= now => LinkEvent::Tick { now: expiry },
                None => LinkEvent::Expire { at: now },
            };
            replay(&mut lifecycle, "expired_at", "created", event)?;
        }
        // The clock has reached `now`: a link still PENDING at its expiry date has expired.
        replay(
            &mut lifecycle,
            "status",
            "the last change",
            LinkEvent::Tick { now },
        )?;
        if lifecycle.state() != status {
            return Err(fail(
                "status",
                format!(
                    "cannot be {status}: its expiry_date {} (created + invoice_duration) is \
                     not after the clock {}; seed it EXPIRED, or give a later created or a \
                     longer invoice_duration",
                    timestamp::format(expiry),
                    timestamp::format(now)
                ),
            ));
        }

        let paid = if status.is_paid() {
            let channel = match entry.payment_channel {
                Some(channel) if offered.contains(&channel) => channel,
                Some(channel) => {
                    let list: Vec<&str> = offered.iter().map(ChannelCode::as_str).collect();
                    return Err(fail(
                        "payment_channel",
                        format!(
                            "`{channel}` is not offered by this invoice (it offers {})",
                            list.join(", ")
                        ),
                    ));
                }
                None => offered.first().cloned().ok_or_else(|| {
                    fail("payment_channel", "the invoice offers no channel".into())
                })?,
            };
            let with = PayWith::channel(channel);
            let family = payments::family_of(&with).ok_or_else(|| {
                fail(
                    "payment_channel",
                    format!("`{}` belongs to no known payment family", with.channel),
                )
            })?;
            let amount = request.amount;
            Some(Box::new(payments::generate_paid(
                state, family, with, amount,
            )))
        } else {
            None
        };
        let id = state.next_id(created);
        let scope = entry
            .for_user_id
            .as_deref()
            .map(|s| state.interner.scope(s));
        Ok(Record {
            id,
            created,
            lifecycle,
            scope,
            request: state.interner.request(request),
            paid,
            failed_attempts: 0,
        })
    }
}

/// A refusal of the state machine, said in terms of the seed's fields.
fn transition_message(e: TransitionError, after: &str, expiry: OffsetDateTime) -> String {
    match e {
        TransitionError::TimeWentBackwards { at, updated } => format!(
            "{} is before {after} {}",
            timestamp::format(at),
            timestamp::format(updated)
        ),
        TransitionError::PastExpiry { at, .. } => format!(
            "{} is at or after the invoice's expiry_date {} (created + invoice_duration): an \
             expired link cannot be paid",
            timestamp::format(at),
            timestamp::format(expiry)
        ),
        other => other.to_string(),
    }
}
