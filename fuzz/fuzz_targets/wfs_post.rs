//! WFS XML POST bodies: `xml_to_kvp` on arbitrary (lossily decoded) input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use navigli::ogc::wfs::post::xml_to_kvp;

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    if let Ok(kvp) = xml_to_kvp(&body) {
        for name in ["service", "request", "version", "typenames", "filter", "sortby", "storedquery_id"] {
            let _ = kvp.get(name);
            let _ = kvp.list(name);
        }
    }
});
