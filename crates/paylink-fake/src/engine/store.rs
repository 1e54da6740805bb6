//! The invoice store: compact records in creation order, an id index, and an expiry index of
//! the PENDING links so advancing the clock touches only the links that fall due.

use std::collections::{BTreeSet, HashMap};

use paylink_core::{
    ChannelCode, ChannelFamily, CreateInvoiceFields, Lifecycle, PaymentDetails, PaymentMethod,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::outbox::Outbox;
use super::rng::{InvoiceId, SplitMix64};

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
}

/// One stored invoice: the validated request plus a small state record; the `Invoice` is built
/// on read.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: InvoiceId,
    pub(crate) created: OffsetDateTime,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) scope: Option<Box<str>>,
    pub(crate) fields: Box<CreateInvoiceFields>,
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
        }
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

    pub(crate) fn insert(&mut self, record: Record) -> u32 {
        let seq = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        self.by_id.insert(record.id, seq);
        self.expiry.insert((record.lifecycle.expiry_date(), seq));
        self.records.push(record);
        seq
    }
}
