//! The whole payment-link job against the built-in fake, with no network and no keys: create a
//! link, pay it, receive and verify the webhook, reconcile the local order, and let a second
//! link expire by advancing the clock. Run it with `cargo run --example quickstart`.

use std::collections::HashMap;
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use paylink_core::timestamp;
use paylink_core::{
    verify_and_parse, CallbackToken, CreateInvoiceRequest, Currency, EventKind, Gateway,
    InvoiceItem, LinkState, Reconciled, RequestOptions,
};
use paylink_fake::{CallbackEvent, FakeGateway, PayWith};
use rust_decimal::Decimal;
use time::macros::datetime;
use tokio::sync::mpsc::UnboundedReceiver;

/// The merchant's own record of an order, as an application would keep it.
struct Order {
    invoice_id: String,
    state: LinkState,
}

/// Xendit's callback token for this account (in production: from the dashboard).
const CALLBACK_TOKEN: &str = "quickstart-callback-token";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    // The fake, with a fixed seed and clock so every run prints the same ids and times.
    let fake = FakeGateway::builder()
        .seed(42)
        .start(datetime!(2026-01-05 09:00:00 UTC))
        .merchant_name("Kopi Nusantara")
        .build();
    let mut webhooks = fake.subscribe();
    // The application only sees the port; switching to `HttpGateway` changes nothing below.
    let gateway: Arc<dyn Gateway> = Arc::new(fake.clone());
    let token = CallbackToken::from_static(CALLBACK_TOKEN);
    let mut orders: HashMap<String, Order> = HashMap::new();

    step(1, "create a payment link for order-1001");
    let request =
        CreateInvoiceRequest::builder("order-1001", Decimal::from(150_000), Currency::Idr)
            .description("Two bags of Toraja coffee")
            .item(InvoiceItem::new(
                "Toraja coffee 250 g",
                2,
                Decimal::from(75_000),
            ))
            .payment_methods(["BNI", "DANA", "QRIS"])
            .success_redirect_url("https://kopi.example/thanks")
            .build()?;
    let link = gateway
        .create_invoice(&request, &RequestOptions::default())
        .await?;
    println!(
        "   invoice {} is {} until {}",
        link.id,
        link.status,
        timestamp::format(link.expiry_date)
    );
    println!("   send the buyer to {}", link.invoice_url);
    orders.insert(
        link.external_id.clone(),
        Order {
            invoice_id: link.id.clone(),
            state: LinkState::Pending,
        },
    );

    step(2, "the buyer pays with DANA (simulated by the fake)");
    let paid = fake.pay(&link.id, PayWith::channel("DANA"))?;
    println!(
        "   Xendit now shows {}: {} {} paid at {}",
        paid.status,
        paid.paid_amount.unwrap_or_default(),
        paid.currency.map(|c| c.code()).unwrap_or_default(),
        paid.paid_at.map(timestamp::format).unwrap_or_default()
    );

    step(
        3,
        "receive the PAID webhook, verify its token, reconcile the order",
    );
    let delivery = next_webhook(&mut webhooks).await?;
    receive(&token, &delivery, &mut orders)?;

    step(
        4,
        "the same webhook arrives again (Xendit delivers at least once)",
    );
    receive(&token, &delivery, &mut orders)?;

    step(5, "a forged webhook without the right token is refused");
    match verify_and_parse(&token, Some(b"not-the-token"), delivery.body.as_bytes()) {
        Err(e) => println!("   refused: {e}"),
        Ok(_) => return Err("a forged webhook was accepted".into()),
    }

    step(
        6,
        "create a second link that lives one hour, and let the clock pass it",
    );
    let short = CreateInvoiceRequest::builder("order-1002", Decimal::from(60_000), Currency::Idr)
        .description("One bag of Gayo coffee")
        .invoice_duration(3_600)
        .build()?;
    let second = gateway
        .create_invoice(&short, &RequestOptions::default())
        .await?;
    orders.insert(
        second.external_id.clone(),
        Order {
            invoice_id: second.id.clone(),
            state: LinkState::Pending,
        },
    );
    println!(
        "   invoice {} is {} until {}",
        second.id,
        second.status,
        timestamp::format(second.expiry_date)
    );
    let expired = fake.advance(Duration::from_secs(2 * 3_600));
    println!(
        "   clock advanced two hours: {} link(s) expired",
        expired.len()
    );
    let delivery = next_webhook(&mut webhooks).await?;
    receive(&token, &delivery, &mut orders)?;

    step(7, "an expired link cannot be paid");
    match fake.pay(&second.id, PayWith::channel("BNI")) {
        Err(e) => println!("   refused: {e}"),
        Ok(_) => return Err("an expired link was paid".into()),
    }

    step(8, "final state, confirmed by GET");
    let mut external_ids: Vec<_> = orders.keys().cloned().collect();
    external_ids.sort();
    for external_id in external_ids {
        let order = &orders[&external_id];
        let remote = gateway
            .get_invoice(&order.invoice_id, &RequestOptions::default())
            .await?;
        println!(
            "   {external_id}: local {} / Xendit {}",
            order.state, remote.status
        );
        if order.state.status() != remote.status {
            return Err(format!("{external_id} disagrees with Xendit").into());
        }
    }
    println!("\nquickstart finished: one order paid, one link expired, every webhook verified.");
    Ok(())
}

fn step(n: u32, what: &str) {
    println!("\n{n}. {what}");
}

async fn next_webhook(
    webhooks: &mut UnboundedReceiver<CallbackEvent>,
) -> Result<CallbackEvent, Box<dyn Error>> {
    webhooks
        .recv()
        .await
        .ok_or_else(|| "the fake stopped sending webhooks".into())
}

/// What a webhook endpoint does: verify, parse, reconcile.
fn receive(
    token: &CallbackToken,
    delivery: &CallbackEvent,
    orders: &mut HashMap<String, Order>,
) -> Result<(), Box<dyn Error>> {
    // Xendit sends the account's token in the `x-callback-token` header.
    let header = Some(CALLBACK_TOKEN.as_bytes());
    let event = verify_and_parse(token, header, delivery.body.as_bytes())?;
    let what = match &event.kind {
        EventKind::Paid { .. } => format!(
            "PAID via {}, {} {}",
            event
                .callback
                .payment_channel
                .as_ref()
                .map_or("an unknown channel", |c| c.as_str()),
            event.callback.paid_amount.unwrap_or_default(),
            event.callback.currency
        ),
        EventKind::Expired => "EXPIRED".to_owned(),
        other => format!("{other:?}"),
    };
    println!("   webhook verified: invoice {} {what}", event.callback.id);
    let order = orders
        .get_mut(&event.callback.external_id)
        .ok_or("a webhook for an unknown order")?;
    let outcome = event.reconcile(order.state);
    match &outcome {
        Reconciled::Advanced { from, to } => println!("   order {from} -> {to}"),
        Reconciled::AlreadyCurrent => println!("   duplicate: order stays {}", order.state),
        other => println!("   {other:?}: order stays {}", order.state),
    }
    order.state = outcome.resulting_state(order.state);
    Ok(())
}
