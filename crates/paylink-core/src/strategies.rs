//! proptest strategies for the core types, shared by this crate's property tests and by
//! downstream crates (enable the `proptest` feature).
//!
//! Every strategy named `arb_valid_*` or building a [`CreateInvoiceRequest`] produces values
//! that pass validation against [`AmountLimits::xendit`]; the others may produce anything the
//! type can hold.

use proptest::collection::{vec, SizeRange};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::subsequence;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};
use time::{Duration, OffsetDateTime};

use crate::codes::{ChannelCode, InvoiceStatus, NotificationChannel, CHANNELS};
use crate::lifecycle::{Lifecycle, LinkEvent, LinkState};
use crate::money::{AmountLimits, Currency, Money};
use crate::request::{
    Address, CardProperties, ChannelProperties, CreateInvoiceFields, CreateInvoiceRequest,
    Customer, InstallmentConfiguration, InstallmentTerms, InvoiceFee, InvoiceItem, Metadata,
    NotificationPreference, MAX_FEES, MAX_INVOICE_DURATION, MAX_ITEMS, MAX_METADATA_KEYS,
    MIN_INVOICE_DURATION,
};

/// Any supported currency.
pub fn arb_currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(Currency::ALL.to_vec())
}

/// `10^places` as a count of minor units.
fn minor_units_per_unit(places: u32) -> i64 {
    10_i64.pow(places)
}

/// An amount valid for `currency` under [`AmountLimits::xendit`]: positive, within the limits,
/// with at most the currency's decimal places of value. The written scale varies (`10000`,
/// `10000.0`, `100.50`), and both limits are drawn more often than a uniform draw would.
pub fn arb_amount(currency: Currency) -> impl Strategy<Value = Decimal> {
    arb_amount_within(currency, &AmountLimits::xendit())
}

/// As [`arb_amount`], for any limits table (a currency without a row gets 1 minor unit to
/// 1,000,000,000).
pub fn arb_amount_within(
    currency: Currency,
    limits: &AmountLimits,
) -> impl Strategy<Value = Decimal> {
    let places = currency.decimal_places();
    let unit = Decimal::from(minor_units_per_unit(places));
    let (min, max) = limits.range(currency).map_or(
        (Decimal::new(1, places), Decimal::from(1_000_000_000)),
        |r| (r.min, r.max),
    );
    // The smallest and largest whole number of minor units inside the range.
    let lo = i64::try_from((min * unit).ceil()).unwrap_or(1).max(1);
    let hi = i64::try_from((max * unit).floor())
        .unwrap_or(i64::MAX)
        .max(lo);
    let units = prop_oneof![
        6 => lo..=hi,
        1 => Just(lo),
        1 => Just(hi),
        2 => lo..=lo.saturating_add(10_000).min(hi),
    ];
    (units, 0_u32..=2).prop_map(move |(units, extra_zeros)| {
        let mut d = Decimal::new(units, places);
        d.rescale(places + extra_zeros);
        d
    })
}

/// Valid [`Money`] in `currency` (see [`arb_amount`]).
pub fn arb_money(currency: Currency) -> impl Strategy<Value = Money> {
    arb_amount(currency).prop_filter_map("amount within the limits", move |a| {
        Money::new(a, currency).ok()
    })
}

/// Valid [`Money`] in any currency.
pub fn arb_any_money() -> impl Strategy<Value = Money> {
    arb_currency().prop_flat_map(arb_money)
}

/// A timestamp between 2000 and 2100 with millisecond precision, as Xendit writes them.
pub fn arb_timestamp() -> impl Strategy<Value = OffsetDateTime> {
    (946_684_800_i64..4_102_444_800, 0_i64..1000).prop_map(|(secs, millis)| {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(secs) + Duration::milliseconds(millis)
    })
}

/// An e-mail address of the shape validation accepts.
pub fn arb_email() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._+-]{0,15}@[a-z0-9-]{1,12}\\.(com|id|co\\.id|ph|example)"
}

/// An absolute http(s) URL.
pub fn arb_url() -> impl Strategy<Value = String> {
    "https?://[a-z0-9-]{1,12}\\.[a-z]{2,3}(/[a-zA-Z0-9_-]{0,10}){0,3}(\\?[a-z]{1,5}=[a-z0-9]{0,5})?"
}

/// Text that is not blank: starts with a letter or digit.
fn arb_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 ._-]{0,23}"
}

/// Any printable text, including non-ASCII and the empty string.
fn arb_text() -> impl Strategy<Value = String> {
    "\\PC{0,40}"
}

fn arb_address() -> impl Strategy<Value = Address> {
    (
        option::of(prop_oneof![
            Just("ID".to_owned()),
            Just("PH".to_owned()),
            arb_text()
        ]),
        option::of(arb_text()),
        option::of(arb_text()),
        option::of(arb_text()),
        option::of(arb_text()),
        option::of(arb_text()),
        option::of("[0-9]{5}"),
    )
        .prop_map(
            |(country, street_line1, street_line2, city, province, state, postal_code)| Address {
                country,
                street_line1,
                street_line2,
                city,
                province,
                state,
                postal_code,
            },
        )
}

/// A JSON value for a field paylink keeps as sent: text, integer, exact decimal, bool or null.
fn arb_plain_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        arb_text().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        // Fractions of at most 15 significant digits: what a JSON number without
        // serde_json's `arbitrary_precision` carries exactly.
        (-999_999_999_999_999_i64..=999_999_999_999_999, 1_u32..=6)
            .prop_map(|(m, s)| decimal_value(Decimal::new(m, s))),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

/// A decimal as an exact JSON number.
fn decimal_value(d: Decimal) -> Value {
    d.to_string()
        .parse::<Number>()
        .map_or(Value::Null, Value::Number)
}

/// A valid `customer`, sometimes with fields paylink does not model.
pub fn arb_customer() -> impl Strategy<Value = Customer> {
    (
        (
            option::of("[a-f0-9]{24}"),
            option::of("\\+?[0-9]{6,14}"),
            option::of(arb_text()),
            option::of(arb_text()),
            option::of(arb_email()),
        ),
        (
            option::of("\\+[1-9][0-9]{7,13}"),
            option::of(arb_name()),
            option::of(vec(arb_address(), 0..3)),
            vec(("x_[a-z]{1,10}", arb_plain_value()), 0..3),
        ),
    )
        .prop_map(
            |(
                (id, phone_number, given_names, surname, email),
                (mobile_number, customer_id, addresses, extra),
            )| Customer {
                id,
                phone_number,
                given_names,
                surname,
                email,
                mobile_number,
                customer_id,
                addresses,
                extra: extra.into_iter().collect(),
            },
        )
}

fn arb_channels() -> impl Strategy<Value = Vec<NotificationChannel>> {
    vec(
        prop_oneof![
            4 => proptest::sample::select(NotificationChannel::KNOWN.to_vec()),
            1 => "[a-z]{3,9}".prop_map(|s| NotificationChannel::from(s.as_str())),
        ],
        0..4,
    )
}

/// A `customer_notification_preference`, including channels paylink does not know.
pub fn arb_notification_preference() -> impl Strategy<Value = NotificationPreference> {
    (
        option::of(arb_channels()),
        option::of(arb_channels()),
        option::of(arb_channels()),
        option::of(arb_channels()),
    )
        .prop_map(
            |(invoice_created, invoice_reminder, invoice_paid, invoice_expired)| {
                NotificationPreference {
                    invoice_created,
                    invoice_reminder,
                    invoice_paid,
                    invoice_expired,
                }
            },
        )
}

/// A valid line item priced in `currency`.
pub fn arb_item(currency: Currency) -> impl Strategy<Value = InvoiceItem> {
    let places = currency.decimal_places();
    (
        arb_name(),
        (1_i64..=100_000, 0_u32..=2).prop_map(|(m, s)| Decimal::new(m, s)),
        (0_i64..=10_000_000).prop_map(move |m| Decimal::new(m, places)),
        option::of(arb_name()),
        option::of(arb_url()),
        option::of(arb_name()),
    )
        .prop_map(
            |(name, quantity, price, reference_id, url, category)| InvoiceItem {
                name,
                quantity,
                price,
                reference_id,
                url,
                category,
            },
        )
}

/// A valid fee in `currency` (fees may be negative: a discount).
pub fn arb_fee(currency: Currency) -> impl Strategy<Value = InvoiceFee> {
    let places = currency.decimal_places();
    (
        prop_oneof![
            Just("ADMIN".to_owned()),
            Just("Shipping".to_owned()),
            arb_name()
        ],
        (-1_000_000_i64..=1_000_000).prop_map(move |m| Decimal::new(m, places)),
    )
        .prop_map(|(fee_type, value)| InvoiceFee { fee_type, value })
}

/// Valid `channel_properties`: 6- or 8-digit BINs and installment terms.
pub fn arb_channel_properties() -> impl Strategy<Value = ChannelProperties> {
    let terms = (
        prop_oneof![Just("BCA".to_owned()), Just("BNI".to_owned()), "[A-Z]{3,8}"],
        vec(1_u32..=36, 1..5),
    )
        .prop_map(|(issuer, terms)| InstallmentTerms { issuer, terms });
    let installments = (option::of(any::<bool>()), option::of(vec(terms, 0..4))).prop_map(
        |(allow_full_payment, allowed_terms)| InstallmentConfiguration {
            allow_full_payment,
            allowed_terms,
        },
    );
    let cards = (
        option::of(vec(prop_oneof!["[0-9]{6}", "[0-9]{8}"], 0..4)),
        option::of(installments),
    )
        .prop_map(|(allowed_bins, installment_configuration)| CardProperties {
            allowed_bins,
            installment_configuration,
        });
    option::of(cards).prop_map(|cards| ChannelProperties { cards })
}

/// Valid `metadata`: up to `max_keys` keys of at most 40 characters, values of at most 500.
pub fn arb_metadata(max_keys: usize) -> impl Strategy<Value = Metadata> {
    let value = prop_oneof![
        4 => arb_plain_value(),
        1 => "[a-z]{500}".prop_map(Value::String),
        1 => vec(any::<u16>(), 0..5).prop_map(|v| Value::Array(v.into_iter().map(Value::from).collect())),
    ];
    vec(
        ("[a-z][a-z0-9_]{0,39}", value),
        0..=max_keys.min(MAX_METADATA_KEYS),
    )
    .prop_map(|entries| entries.into_iter().collect::<Map<String, Value>>())
}

fn arb_payment_methods() -> impl Strategy<Value = Vec<ChannelCode>> {
    let codes: Vec<ChannelCode> = CHANNELS
        .iter()
        .map(|(c, _, _)| ChannelCode::from(*c))
        .collect();
    subsequence(codes, 1..6)
}

/// Fields of a create request in `currency` that pass every rule.
pub fn arb_valid_fields(currency: Currency) -> impl Strategy<Value = CreateInvoiceFields> {
    let head = (
        "[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}",
        arb_amount(currency),
        prop_oneof![3 => Just(Some(currency)), 1 => Just(None::<Currency>)],
        option::of(arb_email()),
        option::of(arb_text()),
        option::of(prop_oneof![
            MIN_INVOICE_DURATION..=MAX_INVOICE_DURATION,
            Just(MIN_INVOICE_DURATION),
            Just(MAX_INVOICE_DURATION),
        ]),
        option::of("[a-f0-9]{24}"),
        option::of(any::<bool>()),
        option::of(arb_customer()),
        option::of(arb_notification_preference()),
    );
    let middle = (
        option::of(arb_url()),
        option::of(arb_url()),
        option::of(arb_payment_methods()),
        option::of("[A-Z][A-Z_]{0,11}"),
        option::of(any::<bool>()),
        option::of((
            1_u32..=720,
            option::of(prop_oneof![
                Just("days".to_owned()),
                Just("hours".to_owned())
            ]),
        )),
        option::of(prop_oneof![
            Just("en".to_owned()),
            Just("id".to_owned()),
            "[a-z]{2}"
        ]),
    );
    let tail = (
        option::of(prop_oneof![
            8 => vec(arb_item(currency), 0..6),
            1 => vec(arb_item(currency), MAX_ITEMS..=MAX_ITEMS),
        ]),
        option::of(vec(arb_fee(currency), 0..=MAX_FEES)),
        option::of(arb_channel_properties()),
        option::of(prop_oneof![
            8 => arb_metadata(8),
            1 => arb_metadata(MAX_METADATA_KEYS),
        ]),
        option::of(any::<bool>()),
    );
    (head, middle, tail).prop_map(move |(head, middle, tail)| {
        let mut f = CreateInvoiceFields::new(String::new(), Decimal::ZERO);
        let reminder: Option<(u32, Option<String>)>;
        (
            f.external_id,
            f.amount,
            f.currency,
            f.payer_email,
            f.description,
            f.invoice_duration,
            f.callback_virtual_account_id,
            f.should_send_email,
            f.customer,
            f.customer_notification_preference,
        ) = head;
        (
            f.success_redirect_url,
            f.failure_redirect_url,
            f.payment_methods,
            f.mid_label,
            f.should_authenticate_credit_card,
            reminder,
            f.locale,
        ) = middle;
        (
            f.items,
            f.fees,
            f.channel_properties,
            f.metadata,
            f.fixed_va,
        ) = tail;
        f.reminder_time = reminder.as_ref().map(|(t, _)| *t);
        f.reminder_time_unit = reminder.and_then(|(_, u)| u);
        // Without `currency` Xendit uses IDR, so only an IDR amount may leave it out.
        if currency != Currency::Idr {
            f.currency = Some(currency);
        }
        f
    })
}

/// A valid create request in `currency`, with any mix of optional fields set.
pub fn arb_create_request_in(currency: Currency) -> impl Strategy<Value = CreateInvoiceRequest> {
    arb_valid_fields(currency).prop_filter_map("fields pass validation", |fields| {
        fields.validate(&AmountLimits::xendit()).ok()
    })
}

/// A valid create request in any currency.
pub fn arb_create_request() -> impl Strategy<Value = CreateInvoiceRequest> {
    arb_currency().prop_flat_map(arb_create_request_in)
}

/// Any wire status: the four known ones, and now and then one paylink does not know.
pub fn arb_invoice_status() -> impl Strategy<Value = InvoiceStatus> {
    prop_oneof![
        8 => proptest::sample::select(InvoiceStatus::KNOWN.to_vec()),
        1 => "[A-Z_]{1,12}".prop_map(|s| InvoiceStatus::from(s.as_str())),
    ]
}

/// Any lifecycle state.
pub fn arb_link_state() -> impl Strategy<Value = LinkState> {
    proptest::sample::select(vec![
        LinkState::Pending,
        LinkState::Paid,
        LinkState::Settled,
        LinkState::Expired,
    ])
}

/// A new PENDING lifecycle: created at a random time, expiring from one second to one year
/// later (mostly within three days, so event sequences reach expiry).
pub fn arb_lifecycle() -> impl Strategy<Value = Lifecycle> {
    let duration = prop_oneof![
        4 => 1_i64..=3 * 86_400,
        1 => 1_i64..=i64::from(MAX_INVOICE_DURATION),
    ];
    (arb_timestamp(), duration)
        .prop_map(|(created, secs)| Lifecycle::new(created, created + Duration::seconds(secs)))
}

/// A sequence of Pay, Settle, Expire and Tick events starting near `start`. Each event's
/// time is the previous one's moved by -1 hour to +12 hours, so time mostly goes forward and
/// sometimes backwards.
pub fn arb_link_events(
    start: OffsetDateTime,
    len: impl Into<SizeRange>,
) -> impl Strategy<Value = Vec<LinkEvent>> {
    let step = prop_oneof![
        1 => -3_600_i64..0,
        1 => Just(0_i64),
        6 => 1_i64..=43_200,
    ];
    // Expire is drawn less often than the rest: it ends most sequences at once.
    let kind = prop_oneof![3 => Just(0_u8), 3 => Just(1_u8), 1 => Just(2_u8), 3 => Just(3_u8)];
    vec((kind, step), len).prop_map(move |steps| {
        let mut at = start;
        steps
            .into_iter()
            .map(|(kind, step)| {
                at += Duration::seconds(step);
                match kind {
                    0 => LinkEvent::Pay { at },
                    1 => LinkEvent::Settle { at },
                    2 => LinkEvent::Expire { at },
                    _ => LinkEvent::Tick { now: at },
                }
            })
            .collect()
    })
}

/// A new lifecycle and a sequence of events to apply to it, starting at its creation.
pub fn arb_lifecycle_and_events(
    len: impl Into<SizeRange> + Clone + 'static,
) -> impl Strategy<Value = (Lifecycle, Vec<LinkEvent>)> {
    arb_lifecycle().prop_flat_map(move |l| (Just(l), arb_link_events(l.updated(), len.clone())))
}

/// One step of a webhook delivery schedule: which callback, whether this attempt is lost before
/// the receiver sees it, and how long after the previous step it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryStep {
    /// The callback (an index into the events being delivered).
    pub event: usize,
    /// The attempt is lost (a dropped connection, a timeout): the receiver never sees it, and a
    /// later step of the same event resends it.
    pub dropped: bool,
    /// Time since the previous step (Xendit retries over up to 24 hours).
    pub delay: std::time::Duration,
}

/// Schedules for delivering `events` callbacks the way Xendit may: every callback reaches the
/// receiver at least once; any order (reordered); some more than once (duplicated); some
/// attempts lost and resent later (drop-then-resend); random delays between steps.
///
/// A user's "random interleavings" test becomes a loop over the schedule:
///
/// ```
/// use paylink_core::strategies::arb_delivery_schedule;
/// use proptest::prelude::*;
///
/// proptest!(|(schedule in arb_delivery_schedule(3))| {
///     let events = ["paid", "expired", "settled"];
///     let mut seen = Vec::new();
///     for step in schedule.iter().filter(|s| !s.dropped) {
///         seen.push(events[step.event]); // deliver to your endpoint here
///     }
///     for event in events {
///         prop_assert!(seen.contains(&event));
///     }
/// });
/// ```
pub fn arb_delivery_schedule(events: usize) -> impl Strategy<Value = Vec<DeliveryStep>> {
    // Per event: how many attempts (1 to 4) and which of all but the last are lost.
    let per_event = vec((1_usize..=4, vec(any::<bool>(), 3)), events..=events);
    per_event
        .prop_flat_map(|plan| {
            let order: Vec<usize> = plan
                .iter()
                .enumerate()
                .flat_map(|(event, (attempts, _))| std::iter::repeat_n(event, *attempts))
                .collect();
            let steps = order.len();
            (
                Just(plan),
                Just(order).prop_shuffle(),
                vec(0_u64..=86_400_000, steps..=steps),
            )
        })
        .prop_map(|(plan, order, delays)| {
            let mut seen = vec![0_usize; plan.len()];
            order
                .into_iter()
                .zip(delays)
                .map(|(event, delay_ms)| {
                    let (attempts, lost) = &plan[event];
                    let nth = seen[event];
                    seen[event] += 1;
                    // The last attempt of each event arrives, so each is received at least once.
                    let dropped = nth + 1 < *attempts && lost.get(nth).copied().unwrap_or(false);
                    DeliveryStep {
                        event,
                        dropped,
                        delay: std::time::Duration::from_millis(delay_ms),
                    }
                })
                .collect()
        })
}
