//! What the fake sends: the invoice as Xendit returns it (built from a stored record), the
//! callback event it emits, and the callback body Xendit sends for an invoice (spec section
//! 8.2), as a serialized struct: the
//! invoice's identity, amounts and times, the paid fields of its family, and none of
//! `merchant_profile_picture_url`, `invoice_url`, `expiry_date` or the `available_*` arrays.
//! Fields are written in Xendit's order; absent ones are left out, never written as `null`.
//! Also the invoice as JSON bytes, the answer of `GET /v2/invoices/{id}`, with the answers of
//! recently read invoices kept.

use paylink_core::timestamp;

use super::trace::Answer;
use super::*;
use paylink_core::{
    BankCode, ChannelCode, Currency, EwalletType, Invoice, InvoiceFee, InvoiceStatus,
    PaymentDetails, PaymentMethod,
};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Serialize)]
struct CallbackBody<'a> {
    id: &'a str,
    external_id: &'a str,
    user_id: &'a str,
    is_high: bool,
    status: &'a InvoiceStatus,
    merchant_name: &'a str,
    #[serde(with = "paylink_core::json_amount")]
    amount: Decimal,
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "paylink_core::json_amount::option"
    )]
    paid_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    paid_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method: Option<&'a PaymentMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_channel: Option<&'a ChannelCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bank_code: Option<&'a BankCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ewallet_type: Option<&'a EwalletType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_destination: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method_id: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_details: Option<&'a PaymentDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_card_charge_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_card_token: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(with = "timestamp")]
    created: OffsetDateTime,
    #[serde(with = "timestamp")]
    updated: OffsetDateTime,
    currency: Currency,
    #[serde(skip_serializing_if = "Option::is_none")]
    success_redirect_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_redirect_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    should_authenticate_credit_card: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<CallbackItem<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fees: &'a [InvoiceFee],
}

/// An item as the callback carries it: name, price, quantity, url and category only.
#[derive(Serialize)]
struct CallbackItem<'a> {
    name: &'a str,
    #[serde(with = "paylink_core::json_amount")]
    price: Decimal,
    #[serde(with = "paylink_core::json_amount")]
    quantity: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
}

/// The callback body for `inv`, as JSON text.
pub(super) fn callback_body(inv: &Invoice) -> String {
    let body = CallbackBody {
        id: &inv.id,
        external_id: &inv.external_id,
        user_id: &inv.user_id,
        is_high: false,
        status: &inv.status,
        merchant_name: &inv.merchant_name,
        amount: inv.amount,
        paid_amount: inv.paid_amount,
        paid_at: inv.paid_at,
        payment_method: inv.payment_method.as_ref(),
        payment_channel: inv.payment_channel.as_ref(),
        bank_code: inv.bank_code.as_ref(),
        ewallet_type: inv.ewallet_type.as_ref(),
        payment_destination: inv.payment_destination.as_deref(),
        payment_id: inv.payment_id.as_deref(),
        payment_method_id: inv.extra.get("payment_method_id"),
        payment_details: inv.payment_details.as_ref(),
        credit_card_charge_id: inv.credit_card_charge_id.as_deref(),
        credit_card_token: inv.extra.get("credit_card_token"),
        payer_email: inv.payer_email.as_deref(),
        description: inv.description.as_deref(),
        created: inv.created,
        updated: inv.updated,
        // Every invoice the fake makes carries its currency; IDR is Xendit's default.
        currency: inv.currency.unwrap_or(Currency::Idr),
        success_redirect_url: inv.success_redirect_url.as_deref(),
        failure_redirect_url: inv.failure_redirect_url.as_deref(),
        should_authenticate_credit_card: inv.should_authenticate_credit_card,
        items: inv
            .items
            .iter()
            .map(|i| CallbackItem {
                name: &i.name,
                price: i.price,
                quantity: i.quantity,
                url: i.url.as_deref(),
                category: i.category.as_deref(),
            })
            .collect(),
        fees: &inv.fees,
    };
    // Serializing borrowed strings, enums and numbers into a String cannot fail.
    serde_json::to_string(&body).unwrap_or_default()
}

/// How many invoices' JSON answers are kept, whatever the number stored (one slot each, about
/// 1 KiB for a link offering a few channels).
const KEPT_ANSWERS: usize = 256;

/// The JSON answers of recently read invoices, in a slot per `seq % KEPT_ANSWERS` (a read of
/// another invoice of the same slot replaces it). [`State::record_mut`] forgets a record's
/// answer before any change to it, and a reset replaces the whole store, this included.
#[derive(Debug, Default)]
pub(crate) struct Answers {
    slots: Vec<Option<(u32, Arc<[u8]>)>>,
}

impl Answers {
    fn get(&self, seq: u32) -> Option<Arc<[u8]>> {
        match self.slots.get(seq as usize % KEPT_ANSWERS)? {
            Some((kept, json)) if *kept == seq => Some(Arc::clone(json)),
            _ => None,
        }
    }

    fn put(&mut self, seq: u32, json: Arc<[u8]>) {
        if self.slots.is_empty() {
            self.slots.resize(KEPT_ANSWERS, None);
        }
        self.slots[seq as usize % KEPT_ANSWERS] = Some((seq, json));
    }

    pub(crate) fn forget(&mut self, seq: u32) {
        if let Some(slot) = self.slots.get_mut(seq as usize % KEPT_ANSWERS) {
            if slot.as_ref().is_some_and(|(kept, _)| *kept == seq) {
                *slot = None;
            }
        }
    }
}

/// A JSON answer and the id it is about, for the call's span.
struct JsonAnswer<'a> {
    id: &'a str,
    json: Arc<[u8]>,
}

impl Answer for JsonAnswer<'_> {
    fn invoice_id(&self) -> Option<&str> {
        Some(self.id)
    }
}

impl FakeGateway {
    /// [`Gateway::get_invoice`] as `GET /v2/invoices/{id}` answers it: the same invoice, faults,
    /// `for-user-id` scope and span, as the JSON bytes `serde_json` writes for that `Invoice`.
    /// The answers of the last invoices read are kept (a fixed number, each forgotten on any
    /// change to its invoice), so reading a link again costs no rebuilding.
    ///
    /// # Errors
    /// As [`Gateway::get_invoice`].
    pub async fn get_invoice_json(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Arc<[u8]>, GatewayError> {
        let work = async {
            self.before(Operation::Get).await?;
            let json = self.get_json_now(id, options)?;
            Ok(JsonAnswer { id, json })
        };
        traced("get", Some(id), None, work)
            .await
            .map(|answer| answer.json)
    }

    fn get_json_now(&self, id: &str, options: &RequestOptions) -> Result<Arc<[u8]>, GatewayError> {
        let mut state = self.state();
        let seq = self.visible(&state, id, options).ok_or_else(not_found)?;
        if let Some(json) = state.answers.get(seq) {
            return Ok(json);
        }
        // Written under the lock, so that no change can come between the read and the keeping.
        // Serializing an `Invoice` into bytes cannot fail.
        let invoice = self.build(&state.records[seq as usize]);
        let json: Arc<[u8]> = serde_json::to_vec(&invoice).unwrap_or_default().into();
        state.answers.put(seq, Arc::clone(&json));
        Ok(json)
    }

    pub(super) fn offered(&self, request: &StoredRequest) -> Vec<ChannelCode> {
        match request.methods() {
            Some(m) => m.to_vec(),
            None => self
                .config()
                .channels
                .get(&request.currency())
                .cloned()
                .unwrap_or_default(),
        }
    }

    pub(super) fn build(&self, rec: &Record) -> Invoice {
        let config = self.config();
        let f = rec.request.to_fields();
        let id = rec.id.to_string();
        let offer = channels::offer(&self.offered(&rec.request), f.amount, &config.merchant_name);
        let lc = &rec.lifecycle;
        let paid = rec.paid.as_deref();
        let mut extra = Map::new();
        if let Some(pm) = paid.and_then(|p| p.payment_method_id.as_ref()) {
            extra.insert("payment_method_id".into(), Value::String(pm.clone()));
        }
        if let Some(t) = paid.and_then(|p| p.card_token.as_ref()) {
            extra.insert("credit_card_token".into(), Value::String(t.clone()));
        }
        Invoice {
            invoice_url: format!("{}{id}", config.invoice_base_url),
            id,
            external_id: f.external_id,
            user_id: rec
                .scope
                .as_deref()
                .map_or_else(|| config.user_id.clone(), str::to_owned),
            status: lc.state().status(),
            merchant_name: config.merchant_name.clone(),
            merchant_profile_picture_url: config.merchant_profile_picture_url.clone(),
            amount: f.amount,
            currency: Some(rec.request.currency()),
            payer_email: f.payer_email,
            description: f.description,
            expiry_date: lc.expiry_date(),
            available_banks: offer.banks,
            available_retail_outlets: offer.retail_outlets,
            available_ewallets: offer.ewallets,
            available_qr_codes: offer.qr_codes,
            available_direct_debits: offer.direct_debits,
            available_paylaters: offer.paylaters,
            should_exclude_credit_card: Some(!offer.card),
            should_send_email: f.should_send_email.unwrap_or(false),
            created: rec.created,
            updated: lc.updated(),
            success_redirect_url: f.success_redirect_url,
            failure_redirect_url: f.failure_redirect_url,
            should_authenticate_credit_card: f.should_authenticate_credit_card,
            locale: f.locale,
            items: f.items.unwrap_or_default(),
            fees: f.fees.unwrap_or_default(),
            fixed_va: f.fixed_va,
            reminder_date: None,
            customer: f.customer,
            customer_notification_preference: f.customer_notification_preference,
            channel_properties: f.channel_properties,
            metadata: f.metadata,
            mid_label: f.mid_label,
            paid_at: lc.paid_at(),
            paid_amount: paid.map(|p| p.amount),
            payment_method: paid.map(|p| p.method.clone()),
            payment_channel: paid.map(|p| p.channel.clone()),
            payment_destination: paid.and_then(|p| p.destination.clone()),
            payment_details: paid.and_then(|p| p.details.clone()),
            payment_id: paid.and_then(|p| p.payment_id.clone()),
            bank_code: paid
                .filter(|p| p.family == ChannelFamily::VirtualAccount)
                .map(|p| BankCode::from(p.channel.as_str())),
            ewallet_type: paid
                .filter(|p| p.family == ChannelFamily::Ewallet)
                .map(|p| EwalletType::from(p.channel.as_str())),
            credit_card_charge_id: paid.and_then(|p| p.charge_id.clone()),
            recurring_payment_id: None,
            adjusted_received_amount: None,
            extra,
        }
    }

    pub(super) fn emit(&self, state: &mut State, seq: u32, invoice: &Invoice) {
        let rec = &state.records[seq as usize];
        let body = payload::callback_body(invoice);
        let event = CallbackEvent {
            seq: 0,
            invoice_id: invoice.id.clone(),
            status: invoice.status.clone(),
            for_user_id: rec.scope.as_deref().map(str::to_owned),
            at: state.now,
            body: Arc::from(body),
        };
        state.outbox.emit(event);
    }
}
