//! KVP query strings: `Kvp::parse` and its accessors on arbitrary (lossily decoded) input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use navigli::http::kvp::{Kvp, MAX_PARAMS};

const NAMES: [&str; 10] = ["service", "REQUEST", "TypeNames", "bbox", "FILTER", "layers", "styles", "srsName", "count", ""];

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let Ok(kvp) = Kvp::parse(&query) else { return };
    assert!(kvp.pairs().count() <= MAX_PARAMS);
    for name in NAMES {
        let value = kvp.get(name);
        assert_eq!(kvp.require(name).ok(), value);
        if let Some(list) = kvp.list(name) {
            assert!(value.is_some() && !list.is_empty());
        }
        let _ = kvp.has(name);
    }
    for (name, value) in kvp.pairs() {
        assert!(!name.is_empty() && !name.bytes().any(|b| b.is_ascii_uppercase()));
        assert!(kvp.has(name) && kvp.has(&name.to_ascii_uppercase()));
        if !value.trim().is_empty() {
            assert_eq!(kvp.get(&name.to_ascii_uppercase()), Some(value));
        }
    }
});
