//! FES 2.0 / Filter 1.1 XML: `parse_filter` in both versions on arbitrary (lossily decoded) input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use navigli::crs::Crs;
use navigli::filter::fes::{parse_filter, FesContext, FesVersion};

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    for version in [FesVersion::V2_0, FesVersion::V1_1] {
        let ctx = FesContext { version, type_name: "edifici", default_crs: Crs::UTM32N, geometry: None };
        let _ = parse_filter(&xml, &ctx);
    }
});
