//! Nothing panics on outside input: arbitrary bytes, arbitrary JSON, and fixtures with one
//! field replaced by arbitrary JSON, fed to every parser that reads from the outside.

mod support;

use std::time::Duration;

use paylink_core::{
    parse_callback, reconcile, CreateInvoiceRequest, GatewayError, Invoice, LinkState,
    ListInvoicesQuery, WebhookError,
};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use support::fixture;

/// Field names of the payloads, so generated objects often hit real fields.
const NAMES: &[&str] = &[
    "id",
    "external_id",
    "user_id",
    "status",
    "merchant_name",
    "amount",
    "currency",
    "created",
    "updated",
    "expiry_date",
    "invoice_url",
    "paid_at",
    "paid_amount",
    "payment_method",
    "payment_channel",
    "items",
    "fees",
    "name",
    "price",
    "quantity",
    "type",
    "value",
    "metadata",
    "customer",
    "addresses",
    "available_banks",
    "bank_code",
    "channel_properties",
    "cards",
    "allowed_bins",
    "invoice_duration",
    "reminder_time",
    "payment_details",
    "error_code",
    "message",
    "errors",
];

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // serde_json without `float_roundtrip` (a host's choice, not ours) may read the
        // shortest form of some 16-17 digit floats one unit off; keep the numbers it reads back
        // as written, so "written twice, same bytes" tests paylink and not serde_json's parser.
        "-?[0-9]{1,40}(\\.[0-9]{1,40})?([eE][-+]?[0-9]{1,4})?".prop_filter_map(
            "a JSON number that serde_json reads back as written",
            |s| {
                let n = s.parse::<Number>().ok()?;
                let again = n.to_string().parse::<Number>().ok()?;
                (again == n).then_some(Value::Number(n))
            }
        ),
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        "\\PC{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("PAID"),
            Just("EXPIRED"),
            Just("SETTLED"),
            Just("IDR"),
            Just("USD"),
            Just("2024-11-28T06:41:29.776Z"),
            Just("9999-12-31T23:59:60.999999999+23:59"),
            Just("0000-01-01T00:00:00Z"),
            Just("1e400"),
            Just("-0"),
            Just("79228162514264337593543950336"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        proptest::sample::select(NAMES).prop_map(str::to_owned),
                        "[a-z_]{0,8}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A fixture with one top-level field replaced by `value` or removed, or one level deeper.
fn mutate(mut base: Value, key: prop::sample::Index, value: Option<Value>, deep: bool) -> Value {
    let Some(obj) = base.as_object_mut() else {
        return base;
    };
    let keys: Vec<String> = obj.keys().cloned().collect();
    if keys.is_empty() {
        return base;
    }
    let k = &keys[key.index(keys.len())];
    if deep {
        if let Some(inner) = obj.get_mut(k) {
            let target = match inner {
                Value::Array(items) if !items.is_empty() => items.first_mut(),
                other => Some(other),
            };
            if let Some(t) = target {
                let taken = std::mem::take(t);
                *t = mutate(taken, key, value, false);
                return base;
            }
        }
    }
    match value {
        Some(v) => {
            obj.insert(k.clone(), v);
        }
        None => {
            obj.remove(k);
        }
    }
    base
}

/// Every parser on the same bytes. Whatever they accept they write back in a form they accept
/// again and write identically; whatever they refuse is an error value, never a panic.
fn feed(bytes: &[u8], status: u16) {
    match parse_callback(bytes) {
        Ok(event) => {
            let _ = event.reconcile(LinkState::Pending);
            let written = serde_json::to_vec(&event.callback).expect("a callback serializes");
            let again = parse_callback(&written).expect("a written callback parses");
            assert_eq!(
                serde_json::to_vec(&again.callback).expect("serializes"),
                written,
                "writing a callback is stable"
            );
        }
        Err(WebhookError::Body { path, message }) => {
            assert!(path.starts_with('$'), "{path}");
            assert!(!message.is_empty());
        }
        Err(other) => panic!("parsing never checks the token, got {other:?}"),
    }
    if let Ok(invoice) = serde_json::from_slice::<Invoice>(bytes) {
        let _ = reconcile(LinkState::Expired, &invoice.status);
        let _ = ListInvoicesQuery::default().matches(&invoice);
        let written = serde_json::to_vec(&invoice).expect("an invoice serializes");
        let again: Invoice = serde_json::from_slice(&written).expect("a written invoice parses");
        assert_eq!(
            serde_json::to_vec(&again).expect("serializes"),
            written,
            "writing an invoice is stable"
        );
    }
    if let Ok(request) = serde_json::from_slice::<CreateInvoiceRequest>(bytes) {
        let written = serde_json::to_vec(&request).expect("a request serializes");
        let again: CreateInvoiceRequest =
            serde_json::from_slice(&written).expect("a written request parses");
        assert_eq!(again, request, "a request reads back equal");
    }
    let e = GatewayError::from_response(
        status,
        bytes,
        Some(Duration::from_millis(u64::from(status))),
    );
    assert_eq!(e.status(), Some(status));
    let _ = (
        e.to_string(),
        e.may_have_reached_server(),
        e.error_code(),
        format!("{e:?}"),
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), status in any::<u16>()) {
        feed(&bytes, status);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json(), status in 400_u16..600) {
        let bytes = serde_json::to_vec(&value).expect("a Value serializes");
        feed(&bytes, status);
    }

    #[test]
    fn fixtures_with_one_field_replaced_never_panic(
        which in 0_usize..6,
        key in any::<prop::sample::Index>(),
        value in proptest::option::weighted(0.9, arb_json()),
        deep in any::<bool>(),
    ) {
        let base = match which {
            0 => fixture("invoice/spec_invoice_example.json"),
            1 => fixture("invoice/create_response_doc_pl.json"),
            2 => fixture("webhook/paid_ewallet_dana.json"),
            3 => fixture("webhook/paid_virtual_account_testbank.json"),
            4 => fixture("request/create_doc_pl.json"),
            _ => fixture("request/card_bin_whitelist.json"),
        };
        let bytes = serde_json::to_vec(&mutate(base, key, value, deep)).expect("serializes");
        feed(&bytes, 404);
    }

    #[test]
    fn arbitrary_list_query_pairs_never_panic(
        pairs in proptest::collection::vec(
            (
                prop_oneof![
                    proptest::sample::select(vec![
                        "external_id", "statuses", "statuses[]", "limit", "created_after",
                        "created_before", "paid_after", "paid_before", "expired_after",
                        "expired_before", "last_invoice", "last_invoice_id", "client_types",
                        "payment_channels", "on_demand_link", "on_demand", "recurring_payment_id",
                    ]).prop_map(str::to_owned),
                    "\\PC{0,12}",
                ],
                prop_oneof![
                    "\\PC{0,24}",
                    "-?[0-9]{1,30}(\\.[0-9]{0,5})?",
                    Just("2023-01-01T00:00:00.000Z".to_owned()),
                    Just("PENDING,PAID,,".to_owned()),
                ],
            ),
            0..10,
        )
    ) {
        let borrowed: Vec<(&str, &str)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        match ListInvoicesQuery::from_pairs(borrowed) {
            Ok(q) => {
                let again = ListInvoicesQuery::from_pairs(
                    q.to_pairs().iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
                );
                prop_assert_eq!(again, Ok(q), "to_pairs reads back to the same query");
            }
            Err(e) => {
                prop_assert!(!e.name.is_empty() || pairs.iter().any(|(k, _)| k.is_empty()));
                let _ = e.to_string();
            }
        }
    }
}

#[test]
fn numbers_beyond_a_decimal_are_errors_not_panics() {
    for n in [
        "1e400",
        "-1e400",
        "1e-400",
        "79228162514264337593543950336",
        "0.0000000000000000000000000000001",
        "123456789012345678901234567890.5",
    ] {
        let json = format!(r#"{{"external_id":"a","amount":{n}}}"#);
        let result = serde_json::from_str::<CreateInvoiceRequest>(&json);
        assert!(result.is_err(), "{n} is not a valid amount: {result:?}");
    }
}
