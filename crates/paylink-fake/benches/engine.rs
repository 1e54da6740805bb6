//! Criterion benches of the fake engine with 1,000,000 stored invoices: create, get, pay and
//! clock advance, each beside a baseline measured in the same run (a plain `HashMap` insert /
//! get + clone of the same invoice; advance with 1,000 pending links). Also writes the bytes
//! per stored invoice to `target/criterion/paylink-figures/fake_bytes_per_invoice.txt`: the
//! live heap bytes (a counting global allocator: allocated minus freed) while the 1,000,000
//! are created, divided by 1,000,000, and beside it the resident memory growth, which adds
//! the allocator's own overhead and fragmentation.

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_main, BatchSize, Criterion};
use paylink_core::{CreateInvoiceRequest, Currency, Gateway, Invoice, RequestOptions};
use paylink_fake::{FakeGateway, PayWith};
use rust_decimal::Decimal;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const STORED: usize = 1_000_000;
/// Long enough that no stored link falls due while the benches move the clock.
const YEAR: u32 = 31_536_000;

fn request(i: usize) -> CreateInvoiceRequest {
    CreateInvoiceRequest::builder(
        format!("order-{i:08}"),
        Decimal::from(150_000),
        Currency::Idr,
    )
    .payer_email("buyer@example.com")
    .description("Bench order")
    .payment_methods(["BNI", "DANA", "QRIS", "CREDIT_CARD"])
    .invoice_duration(YEAR)
    .build()
    .unwrap_or_else(|e| panic!("bench request is valid: {e}"))
}

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn filled(rt: &tokio::runtime::Runtime, n: usize) -> (FakeGateway, Vec<String>) {
    let fake = FakeGateway::builder().seed(1).build();
    let mut ids = Vec::with_capacity(n);
    rt.block_on(async {
        for i in 0..n {
            let inv = fake
                .create_invoice(&request(i), &RequestOptions::default())
                .await
                .unwrap_or_else(|e| panic!("create: {e}"));
            ids.push(inv.id);
        }
    });
    (fake, ids)
}

fn write_figure(name: &str, line: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/criterion/paylink-figures");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(name), format!("{line}\n"));
    }
    println!("{line}");
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));

    let before = rss_bytes();
    let region = Region::new(GLOBAL);
    let (fake, ids) = filled(&rt, STORED);
    let change = region.change();
    let after = rss_bytes();
    // The id list the get bench keeps is not part of the store.
    let ids_heap: usize = ids.capacity() * std::mem::size_of::<String>()
        + ids.iter().map(String::capacity).sum::<usize>();
    // stats_alloc adds a realloc's growth to `bytes_allocated` (and its shrinking to
    // `bytes_deallocated`), so the difference is the live heap.
    let live = change.bytes_allocated as i128 - change.bytes_deallocated as i128 - ids_heap as i128;
    let per_live = live as f64 / STORED as f64;
    let per_rss = match (before, after) {
        (Some(b), Some(a)) => format!(
            "{:.0}",
            (a.saturating_sub(b) as f64 - ids_heap as f64) / STORED as f64
        ),
        _ => "n/a".into(),
    };
    write_figure(
        "fake_bytes_per_invoice.txt",
        &format!(
            "fake engine: {per_live:.0} live heap bytes per stored invoice ({per_rss} bytes of resident memory growth per invoice, allocator overhead and fragmentation included), measured over {STORED} creates"
        ),
    );

    let sample = fake.invoice(&ids[0]).unwrap_or_else(|| panic!("stored"));
    let mut map: HashMap<String, Invoice> = HashMap::with_capacity(STORED * 2);
    for (i, id) in ids.iter().enumerate() {
        let mut inv = sample.clone();
        inv.id.clone_from(id);
        inv.external_id = format!("order-{i:08}");
        map.insert(id.clone(), inv);
    }

    let mut g = c.benchmark_group("fake_engine_1m");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    let next = Cell::new(STORED);
    g.bench_function("create", |b| {
        b.to_async(&rt).iter(|| {
            let i = next.get();
            next.set(i + 1);
            let req = request(i);
            let fake = &fake;
            async move {
                black_box(
                    fake.create_invoice(&req, &RequestOptions::default())
                        .await
                        .unwrap_or_else(|e| panic!("create: {e}")),
                )
            }
        });
    });
    let key = Cell::new(0usize);
    g.bench_function("baseline_hashmap_insert", |b| {
        b.iter(|| {
            let i = key.get();
            key.set(i + 1);
            let _req = black_box(request(i));
            let mut inv = sample.clone();
            inv.id = format!("{i:024x}");
            map.insert(inv.id.clone(), black_box(inv.clone()));
            black_box(inv)
        });
    });

    let pick = Cell::new(0usize);
    let stride = 7_919;
    g.bench_function("get", |b| {
        b.to_async(&rt).iter(|| {
            let i = (pick.get() + stride) % STORED;
            pick.set(i);
            let id = &ids[i];
            let fake = &fake;
            async move {
                black_box(
                    fake.get_invoice(id, &RequestOptions::default())
                        .await
                        .unwrap_or_else(|e| panic!("get: {e}")),
                )
            }
        });
    });
    g.bench_function("baseline_hashmap_get", |b| {
        b.iter(|| {
            let i = (pick.get() + stride) % STORED;
            pick.set(i);
            black_box(map.get(&ids[i]).cloned())
        });
    });

    // Each pay needs a fresh PENDING link; creating it is setup, not measured.
    let fresh = Cell::new(10 * STORED);
    g.bench_function("pay", |b| {
        b.iter_batched(
            || {
                let i = fresh.get();
                fresh.set(i + 1);
                rt.block_on(fake.create_invoice(&request(i), &RequestOptions::default()))
                    .unwrap_or_else(|e| panic!("create: {e}"))
                    .id
            },
            |id| black_box(fake.pay(&id, PayWith::channel("BNI"))),
            BatchSize::SmallInput,
        );
    });
    g.finish();
    drop(map);

    let (small, _) = filled(&rt, 1_000);
    let mut g = c.benchmark_group("fake_advance");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, gateway) in [
        ("1000_pending_1_due", &small),
        ("1000000_pending_1_due", &fake),
    ] {
        let n = Cell::new(20 * STORED);
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let i = n.get();
                    n.set(i + 1);
                    let req = CreateInvoiceRequest::builder(
                        format!("due-{i}"),
                        Decimal::from(20_000),
                        Currency::Idr,
                    )
                    .payment_methods(["BNI"])
                    .invoice_duration(1)
                    .build()
                    .unwrap_or_else(|e| panic!("valid: {e}"));
                    rt.block_on(gateway.create_invoice(&req, &RequestOptions::default()))
                        .unwrap_or_else(|e| panic!("create: {e}"));
                },
                |()| {
                    let expired = gateway.advance(Duration::from_secs(1));
                    assert_eq!(expired.len(), 1);
                    black_box(expired)
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
    println!(
        "stored after the run: {} invoices in the 1,000,000 fake, {} in the 1,000 fake",
        fake.len(),
        small.len()
    );
}

mod group {
    //! The criterion group (in a private module: the macro's function has no doc comment).
    criterion::criterion_group!(engine, super::benches);
}

criterion_main!(group::engine);
