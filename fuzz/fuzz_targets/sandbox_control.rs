//! Fuzz target: the bodies of the sandbox's control endpoints (`pay` and `fail`, `faults`,
//! `clock/advance`), read as the server reads them (`paylink_sandbox::read_control_body`) into
//! `PayRequest`, `FaultsRequest` and `AdvanceRequest`.
//!
//! Input: the body, given to each of the three. Properties:
//! - an empty or blank body, or `null`, is "no body", for each;
//! - otherwise the server reads exactly what `serde_json` reads (so the typed client and the
//!   server cannot disagree) from any JSON text, and refuses the rest with a 400;
//! - a read body writes JSON that reads back as the same value, and only names fields the type
//!   has (the types refuse unknown fields).
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use paylink_fuzz::{raw_fields, read, write};
use paylink_sandbox::{read_control_body, AdvanceRequest, FaultsRequest, PayRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;

fuzz_target!(|data: &[u8]| {
    check::<PayRequest>(data, &["payment_method", "payment_channel"]);
    check::<AdvanceRequest>(data, &["seconds"]);
    check::<FaultsRequest>(
        data,
        &[
            "clear",
            "operation",
            "fail_next",
            "status",
            "error_code",
            "message",
            "latency_ms",
            "duplicate_callbacks",
            "reorder_callbacks",
            "release_held_callback",
        ],
    );
});

fn check<T>(data: &[u8], fields: &[&str])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let served = read_control_body::<T>(data);
    if data.iter().all(u8::is_ascii_whitespace) {
        assert!(matches!(served, Ok(None)), "a blank body is no body");
        return;
    }
    // serde_json checks the text of a string it skips less than one it keeps (see the
    // create_request target): the server must refuse text that is not JSON.
    let is_json = read::<serde_json::Value>(data).is_ok();
    let direct = read::<T>(data).map_err(|e| e.to_string()).and_then(|v| {
        if is_json {
            Ok(v)
        } else {
            Err("not JSON".to_owned())
        }
    });
    if matches!(read::<serde_json::Value>(data), Ok(serde_json::Value::Null)) {
        assert!(matches!(served, Ok(None)), "`null` is no body");
        return;
    }
    let value = match (served, direct) {
        (Ok(Some(s)), Ok(d)) => {
            assert_eq!(s, d, "the server read another value");
            s
        }
        (Err(answer), Err(_)) => {
            assert_eq!(answer.api_error().status, 400);
            return;
        }
        (s, d) => panic!("the server and serde_json disagree: {s:?} / {d:?}"),
    };
    if let Some(entries) = raw_fields(data) {
        for (key, _) in entries {
            assert!(
                fields.contains(&key.as_str()),
                "unknown field `{key}` was read"
            );
        }
    }
    let text = write("control body", &value);
    match read::<T>(text.as_bytes()) {
        Ok(back) => assert_eq!(back, value, "changed in a round trip"),
        Err(e) => panic!("what it writes does not read back: {e}\n{text}"),
    }
}
