//! SLD 1.0 / SE 1.1 style documents: `parse_sld` on arbitrary (lossily decoded) input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use navigli::render::sld::parse_sld;

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    if let Ok(report) = parse_sld(&xml) {
        assert_eq!(report.styles.len(), report.layers.len());
    }
});
