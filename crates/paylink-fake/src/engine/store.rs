//! The invoice store: compact records in creation order, an id index, and an expiry index of
//! the PENDING links so advancing the clock touches only the links that fall due.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use paylink_core::{
    ChannelCode, ChannelFamily, CreateInvoiceFields, Currency, Lifecycle, PaymentDetails,
    PaymentMethod,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::outbox::Outbox;
use super::payload::Answers;
use super::rng::{InvoiceId, SplitMix64};
use super::snapshot::Tracker;

/// What a payment left behind, kept only for paid links.
#[derive(Debug, Clone)]
pub(crate) struct Paid {
    pub(crate) method: PaymentMethod,
    pub(crate) channel: ChannelCode,
    pub(crate) family: ChannelFamily,
    pub(crate) amount: Decimal,
    pub(crate) destination: Option<String>,
    pub(crate) payment_id: Option<String>,
    pub(crate) payment_method_id: Option<String>,
    pub(crate) details: Option<PaymentDetails>,
    pub(crate) charge_id: Option<String>,
    pub(crate) card_token: Option<String>,
}

/// The validated create request, compact: the fields nearly every request has are kept inline
/// (the `payment_methods` list shared between records that use the same one), and the other
/// optional fields, only when at least one is set, as their JSON text. A full
/// `CreateInvoiceFields` is 816 bytes, mostly `None`; reading the rare fields back costs a
/// small parse.
#[derive(Debug)]
pub(crate) struct StoredRequest {
    external_id: Box<str>,
    amount: Decimal,
    currency: Currency,
    payer_email: Option<Box<str>>,
    description: Option<Box<str>>,
    methods: Option<Arc<[ChannelCode]>>,
    invoice_duration: Option<u32>,
    rest: Option<Box<str>>,
}

impl StoredRequest {
    pub(crate) fn external_id(&self) -> &str {
        &self.external_id
    }

    pub(crate) fn amount(&self) -> Decimal {
        self.amount
    }

    pub(crate) fn currency(&self) -> Currency {
        self.currency
    }

    pub(crate) fn methods(&self) -> Option<&[ChannelCode]> {
        self.methods.as_deref()
    }

    /// The request as it was validated.
    pub(crate) fn to_fields(&self) -> CreateInvoiceFields {
        // The text was written by `Interner::request` from this same type, so it reads back.
        let mut f = self
            .rest
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| CreateInvoiceFields::new(String::new(), Decimal::ZERO));
        f.external_id = self.external_id.to_string();
        f.amount = self.amount;
        f.currency = Some(self.currency);
        f.payer_email = self.payer_email.as_deref().map(str::to_owned);
        f.description = self.description.as_deref().map(str::to_owned);
        f.payment_methods = self.methods.as_deref().map(<[ChannelCode]>::to_vec);
        f.invoice_duration = self.invoice_duration;
        f
    }
}

/// Shares the `payment_methods` lists and `for-user-id` values that records repeat.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    methods: HashSet<Arc<[ChannelCode]>>,
    scopes: HashSet<Arc<str>>,
}

impl Interner {
    pub(crate) fn request(&mut self, mut fields: CreateInvoiceFields) -> StoredRequest {
        let methods = fields.payment_methods.take().map(|m| {
            if let Some(shared) = self.methods.get(m.as_slice()) {
                return shared.clone();
            }
            let shared: Arc<[ChannelCode]> = Arc::from(m);
            self.methods.insert(shared.clone());
            shared
        });
        let currency = fields.effective_currency();
        let mut stored = StoredRequest {
            external_id: std::mem::take(&mut fields.external_id).into_boxed_str(),
            amount: fields.amount,
            currency,
            payer_email: fields.payer_email.take().map(String::into_boxed_str),
            description: fields.description.take().map(String::into_boxed_str),
            methods,
            invoice_duration: fields.invoice_duration.take(),
            rest: None,
        };
        fields.amount = Decimal::ZERO;
        fields.currency = None;
        if fields != CreateInvoiceFields::new(String::new(), Decimal::ZERO) {
            stored.rest = serde_json::to_string(&fields)
                .ok()
                .map(String::into_boxed_str);
        }
        stored
    }

    pub(crate) fn scope(&mut self, scope: &str) -> Arc<str> {
        if let Some(shared) = self.scopes.get(scope) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(scope);
        self.scopes.insert(shared.clone());
        shared
    }
}

/// One stored invoice: the validated request plus a small state record; the `Invoice` is built
/// on read. Changed only through [`State::record_mut`], which forgets its cached answer.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: InvoiceId,
    pub(crate) created: OffsetDateTime,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) scope: Option<Arc<str>>,
    pub(crate) request: StoredRequest,
    pub(crate) paid: Option<Box<Paid>>,
    pub(crate) failed_attempts: u32,
}

impl Record {
    pub(crate) fn visible_with(&self, scope: Option<&str>) -> bool {
        self.scope.as_deref() == scope
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub(crate) now: OffsetDateTime,
    pub(crate) rng: SplitMix64,
    pub(crate) process: [u8; 5],
    pub(crate) counter: u32,
    pub(crate) records: Vec<Record>,
    pub(crate) by_id: HashMap<InvoiceId, u32>,
    pub(crate) expiry: BTreeSet<(OffsetDateTime, u32)>,
    pub(crate) outbox: Outbox,
    pub(crate) interner: Interner,
    pub(crate) tracker: Tracker,
    /// The JSON answers of recently read invoices (a fixed number).
    pub(crate) answers: Answers,
}

impl State {
    pub(crate) fn new(seed: u64, start: OffsetDateTime) -> Self {
        let mut rng = SplitMix64::new(seed);
        let p = rng.next_u64().to_be_bytes();
        let counter = (rng.next_u64() & 0x00ff_ffff) as u32;
        State {
            now: start,
            rng,
            process: [p[0], p[1], p[2], p[3], p[4]],
            counter,
            records: Vec::new(),
            by_id: HashMap::new(),
            expiry: BTreeSet::new(),
            outbox: Outbox::default(),
            interner: Interner::default(),
            tracker: Tracker::default(),
            answers: Answers::default(),
        }
    }

    /// The record `seq`, to change: its cached answer is forgotten first, so that no read
    /// after any change is served from before it.
    pub(crate) fn record_mut(&mut self, seq: u32) -> &mut Record {
        self.answers.forget(seq);
        self.touch(seq);
        &mut self.records[seq as usize]
    }

    /// A fresh id for a link created at `created`: never one already stored.
    pub(crate) fn next_id(&mut self, created: OffsetDateTime) -> InvoiceId {
        let seconds = u32::try_from(created.unix_timestamp().max(0)).unwrap_or(u32::MAX);
        loop {
            self.counter = (self.counter + 1) & 0x00ff_ffff;
            let id = InvoiceId::object_id(seconds, self.process, self.counter);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    pub(crate) fn seq_of(&self, id: &str) -> Option<u32> {
        let id: InvoiceId = id.parse().ok()?;
        self.by_id.get(&id).copied()
    }

    /// Marks a record changed, for the change tracking.
    pub(crate) fn touch(&mut self, seq: u32) {
        if self.tracker.on {
            self.tracker.dirty.insert(seq);
        }
    }

    pub(crate) fn insert(&mut self, record: Record) -> u32 {
        let seq = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        self.touch(seq);
        self.answers.forget(seq);
        self.by_id.insert(record.id, seq);
        self.expiry.insert((record.lifecycle.expiry_date(), seq));
        self.records.push(record);
        seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paylink_core::{CreateInvoiceRequest, InvoiceItem};

    #[test]
    fn a_stored_request_gives_back_exactly_the_validated_fields() {
        let mut interner = Interner::default();
        let full = CreateInvoiceRequest::builder("order-9", Decimal::from(75_000), Currency::Idr)
            .payer_email("a@example.com")
            .description("d")
            .payment_methods(["BNI", "DANA"])
            .success_redirect_url("https://example.com/ok")
            .item(InvoiceItem::new("Tea", 2, Decimal::from(1_000)))
            .metadata_entry("k", "v")
            .build()
            .expect("valid")
            .into_fields();
        let stored = interner.request(full.clone());
        assert!(stored.rest.is_some());
        assert_eq!(stored.to_fields(), full);

        let minimal =
            CreateInvoiceRequest::builder("order-10", Decimal::from(10_000), Currency::Php)
                .payment_methods(["BNI", "DANA"])
                .invoice_duration(600)
                .build()
                .expect("valid")
                .into_fields();
        let again = interner.request(minimal.clone());
        assert!(
            again.rest.is_none(),
            "nothing beyond the common fields is kept boxed"
        );
        assert_eq!(again.to_fields(), minimal);
        let (a, b) = (stored.methods.expect("set"), again.methods.expect("set"));
        assert!(Arc::ptr_eq(&a, &b), "equal method lists are shared");
    }
}
