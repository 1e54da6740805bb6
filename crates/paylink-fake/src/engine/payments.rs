//! Payments: paying a link through a channel (with the paid fields of its family), failed
//! attempts, settlement.

use super::*;

impl FakeGateway {
    /// Pays a PENDING link in full through `with.channel`, now. Fills the paid fields of the
    /// channel's family (virtual account: `bank_code`, `payment_destination`; e-wallet:
    /// `ewallet_type`, `payment_id` `ewc_...`; retail outlet: `payment_destination` = payment
    /// code; QR: `payment_id` `qrpy_...`, `payment_details`; card: `credit_card_charge_id`),
    /// `paid_amount` and `paid_at`, and emits the PAID callback.
    ///
    /// # Errors
    /// [`FakeError::NotFound`], [`FakeError::Expired`], [`FakeError::AlreadyPaid`],
    /// [`FakeError::UnknownChannel`], [`FakeError::ChannelNotOffered`]. Nothing changes.
    pub fn pay(&self, id: &str, with: PayWith) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = self.payable(&state, id, &with)?;
        let family = family_of(&with).ok_or_else(|| FakeError::UnknownChannel {
            channel: with.channel.clone(),
        })?;
        let at = stamp(state.now);
        let amount = state.records[seq as usize].request.amount();
        let paid = generate_paid(&mut state, family, with, amount);
        let rec = state.record_mut(seq);
        let mut lifecycle = rec.lifecycle;
        lifecycle
            .apply(LinkEvent::Pay { at })
            .map_err(|e| transition_error(id, &lifecycle, e))?;
        rec.lifecycle = lifecycle;
        rec.paid = Some(Box::new(paid));
        let expiry = rec.lifecycle.expiry_date();
        state.expiry.remove(&(expiry, seq));
        state.touch(seq);
        self.changed();
        let invoice = self.build(&state.records[seq as usize]);
        self.emit(&mut state, seq, &invoice);
        Ok(invoice)
    }

    /// A payment that lands after the link expired, as Xendit can report for a late bank
    /// transfer (a payment completing at expiry): the link stays EXPIRED (a get shows it so), and
    /// a PAID callback goes out with the paid fields of the channel's family, `paid_amount` and
    /// `paid_at` (now). An application reconciling it gets
    /// [`Reconciled::PaidAfterExpiry`](paylink_core::Reconciled::PaidAfterExpiry). Each call is
    /// another late payment, with its own callback.
    ///
    /// # Errors
    /// [`FakeError::NotFound`]; [`FakeError::NotExpired`] for a link that is not EXPIRED;
    /// [`FakeError::UnknownChannel`], [`FakeError::ChannelNotOffered`]. Nothing changes.
    pub fn pay_after_expiry(&self, id: &str, with: PayWith) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = state
            .seq_of(id)
            .ok_or_else(|| FakeError::NotFound { id: id.to_owned() })?;
        let rec = &state.records[seq as usize];
        let status = rec.lifecycle.state();
        if status != LinkState::Expired {
            return Err(FakeError::NotExpired {
                id: id.to_owned(),
                status: status.status(),
            });
        }
        let family = family_of(&with).ok_or_else(|| FakeError::UnknownChannel {
            channel: with.channel.clone(),
        })?;
        if !self.offered(&rec.request).contains(&with.channel) {
            return Err(FakeError::ChannelNotOffered {
                id: id.to_owned(),
                channel: with.channel.clone(),
            });
        }
        let at = stamp(state.now);
        let amount = rec.request.amount();
        let paid = generate_paid(&mut state, family, with, amount);
        // The callback shows the payment; the stored link keeps no trace of it.
        let rec = state.record_mut(seq);
        rec.paid = Some(Box::new(paid));
        let mut invoice = self.build(&state.records[seq as usize]);
        state.record_mut(seq).paid = None;
        invoice.status = InvoiceStatus::Paid;
        invoice.paid_at = Some(at);
        invoice.updated = at;
        self.changed();
        self.emit(&mut state, seq, &invoice);
        Ok(invoice)
    }

    /// Records a failed payment attempt through `with.channel`: the link stays PENDING and
    /// can be paid later, as on Xendit's checkout. No callback.
    ///
    /// # Errors
    /// As [`FakeGateway::pay`]: the attempt must be one that could have succeeded.
    pub fn fail_payment(&self, id: &str, with: PayWith) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = self.payable(&state, id, &with)?;
        let rec = state.record_mut(seq);
        rec.failed_attempts = rec.failed_attempts.saturating_add(1);
        state.touch(seq);
        self.changed();
        Ok(self.build(&state.records[seq as usize]))
    }

    /// Settles a PAID link (PAID -> SETTLED), now. Xendit sends no callback for it.
    ///
    /// # Errors
    /// [`FakeError::NotFound`], [`FakeError::NotPaid`] (PENDING), [`FakeError::Expired`],
    /// [`FakeError::AlreadyPaid`] (already SETTLED).
    pub fn settle(&self, id: &str) -> Result<Invoice, FakeError> {
        let mut state = self.state();
        let seq = state
            .seq_of(id)
            .ok_or_else(|| FakeError::NotFound { id: id.to_owned() })?;
        let at = stamp(state.now);
        let rec = state.record_mut(seq);
        let mut lifecycle = rec.lifecycle;
        lifecycle
            .apply(LinkEvent::Settle { at })
            .map_err(|e| transition_error(id, &lifecycle, e))?;
        rec.lifecycle = lifecycle;
        state.touch(seq);
        self.changed();
        Ok(self.build(&state.records[seq as usize]))
    }

    fn payable(&self, state: &State, id: &str, with: &PayWith) -> Result<u32, FakeError> {
        let seq = state
            .seq_of(id)
            .ok_or_else(|| FakeError::NotFound { id: id.to_owned() })?;
        let rec = &state.records[seq as usize];
        let mut probe = rec.lifecycle;
        if rec.lifecycle.state() != LinkState::Pending {
            let at = stamp(state.now);
            if let Err(e) = probe.apply(LinkEvent::Pay { at }) {
                return Err(transition_error(id, &rec.lifecycle, e));
            }
        }
        if family_of(with).is_none() {
            return Err(FakeError::UnknownChannel {
                channel: with.channel.clone(),
            });
        }
        if !self.offered(&rec.request).contains(&with.channel) {
            return Err(FakeError::ChannelNotOffered {
                id: id.to_owned(),
                channel: with.channel.clone(),
            });
        }
        Ok(seq)
    }

    // ----- callbacks -----
}

pub(super) fn family_of(with: &PayWith) -> Option<ChannelFamily> {
    with.method
        .as_ref()
        .and_then(ChannelFamily::of_method)
        .or_else(|| with.channel.family())
}

pub(super) fn transition_error(id: &str, lifecycle: &Lifecycle, e: TransitionError) -> FakeError {
    let id = id.to_owned();
    match e {
        TransitionError::AlreadyExpired { expired_at } => FakeError::Expired { id, expired_at },
        TransitionError::PastExpiry { expiry_date, .. } => FakeError::Expired {
            id,
            expired_at: expiry_date,
        },
        TransitionError::AlreadyPaid { state } => FakeError::AlreadyPaid {
            id,
            status: state.status(),
        },
        TransitionError::NotPaid => FakeError::NotPaid {
            id,
            status: lifecycle.state().status(),
        },
        other => FakeError::Transition { id, source: other },
    }
}

const QR_SOURCES: [&str; 5] = ["DANA", "GOPAY", "OVO", "SHOPEEPAY", "LINKAJA"];

pub(super) fn generate_paid(
    state: &mut State,
    family: ChannelFamily,
    with: PayWith,
    amount: rust_decimal::Decimal,
) -> Paid {
    let rng = &mut state.rng;
    let mut paid = Paid {
        method: with.method.unwrap_or_else(|| family.payment_method()),
        channel: with.channel,
        family,
        amount,
        destination: None,
        payment_id: None,
        payment_method_id: None,
        details: None,
        charge_id: None,
        card_token: None,
    };
    match family {
        ChannelFamily::VirtualAccount => paid.destination = Some(rng.digits(16)),
        ChannelFamily::RetailOutlet => paid.destination = Some(format!("TEST{}", rng.digits(6))),
        ChannelFamily::Ewallet => {
            paid.payment_id = Some(format!("ewc_{}", rng.uuid()));
            paid.payment_method_id = Some(format!("pm-{}", rng.uuid()));
        }
        ChannelFamily::QrCode => {
            paid.payment_id = Some(format!("qrpy_{}", rng.uuid()));
            let source = QR_SOURCES[(rng.next_u64() % QR_SOURCES.len() as u64) as usize];
            paid.details = Some(PaymentDetails {
                receipt_id: Some(rng.digits(12)),
                source: Some(source.to_owned()),
            });
        }
        ChannelFamily::Card => {
            paid.charge_id = Some(rng.hex(12));
            paid.card_token = Some(rng.hex(12));
        }
        ChannelFamily::DirectDebit => paid.payment_id = Some(format!("ddpy_{}", rng.uuid())),
        ChannelFamily::Paylater => paid.payment_id = Some(format!("plpy_{}", rng.uuid())),
        _ => {}
    }
    paid
}
