//! End-to-end: "Il mio tetto" (`/{tenant}/tetti`, the viewer with the roof panel) in headless
//! Chromium over the real binary and the demo data. The browser script
//! `tests/fixtures/tetti_check.mjs` only reports; this file judges against the roof API: an
//! address found with the keyboard opens its building's card in three interactions; the card's
//! numbers are the API's for the same point, planes and figures; the household's figures and a
//! plane unticked recompute it and stay in the URL; twelve monthly bars sum to the year; the
//! green toggle recolours the planes; the share link reopens the same card in a fresh browser;
//! a point without a building says so; a protected building, one already equipped and a flat
//! roof say so in words (and the report too); axe-core finds nothing serious on a desktop and a phone;
//! no request leaves navigli. A missing browser or package is a failure.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(170);

/// A number as the Italian card writes it ("93.400 kWh", "5,6 anni", "−1.545 €").
fn italian(text: &str) -> f64 {
    let kept: String = text
        .chars()
        .map(|c| if c == '−' { '-' } else { c })
        .skip_while(|c| !(c.is_ascii_digit() || *c == '-'))
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
        .collect();
    kept.replace('.', "").replace(',', ".").parse().unwrap_or_else(|_| panic!("not a number: {text}"))
}

fn api(server: &common::server::Server, point: &Value, extra: &str) -> Value {
    let (lon, lat) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    common::server::json(server, &format!("/milano/roofs/at?lon={lon:.6}&lat={lat:.6}{extra}"))
}

/// A house number of Milano whose building (within 30 m) has several planes, one unsuitable:
/// its search text.
fn address(server: &common::server::Server) -> String {
    for start in (0..4000).step_by(200) {
        let fc = common::server::json(
            server,
            &format!(
                "/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=civici&COUNT=200&STARTINDEX={start}\
                 &OUTPUTFORMAT=application/json&SRSNAME=urn:ogc:def:crs:OGC:1.3:CRS84"
            ),
        );
        for c in fc["features"].as_array().unwrap().iter().filter(|f| f["properties"]["esponente"].is_null()) {
            let at = &c["geometry"]["coordinates"];
            let (status, _, body) = common::server::get(
                server,
                &format!("/milano/roofs/at?lon={:.6}&lat={:.6}", at[0].as_f64().unwrap(), at[1].as_f64().unwrap()),
            );
            if status != 200 {
                continue;
            }
            let r: Value = serde_json::from_str(&body).unwrap();
            let planes = r["planes"].as_array().unwrap();
            if planes.len() >= 2 && planes.iter().any(|p| p["solar"]["class"] == "unsuitable") && r["summary"]["kwp"].as_f64() > Some(0.0) {
                return format!("{} {}", c["properties"]["odonimo"].as_str().unwrap(), c["properties"]["civico"]);
            }
        }
    }
    panic!("no house number of the demo has a building with several roof planes");
}

/// A point inside the first roof plane (a convex polygon: the mean of its corners) of the first
/// building matching a CQL2 `filter` over `collection` (`edifici` or `falde`) of Milano:
/// (building id, [lon, lat]).
fn edge_point(server: &common::server::Server, collection: &str, filter: &str) -> (i64, Value) {
    let q = |c: &str, f: &str| {
        let fc = common::server::json(
            server,
            &format!(
                "/milano/ogcapi/collections/{c}/items?limit=1&filter={}",
                f.replace(' ', "%20").replace('\'', "%27").replace('>', "%3E").replace('<', "%3C").replace('=', "%3D")
            ),
        );
        fc["features"].as_array().and_then(|a| a.first().cloned()).unwrap_or_else(|| panic!("no {c} with {f} in the demo"))
    };
    let building = if collection == "edifici" {
        q("edifici", filter)["id"].as_i64().unwrap()
    } else {
        q("falde", filter)["properties"]["edificio_fid"].as_i64().unwrap()
    };
    let plane = q("falde", &format!("edificio_fid = {building}"));
    let ring = plane["geometry"]["coordinates"][0][0].as_array().unwrap();
    let corners = &ring[..ring.len() - 1];
    let mean = |i: usize| corners.iter().map(|c| c[i].as_f64().unwrap()).sum::<f64>() / corners.len() as f64;
    (building, serde_json::json!([mean(0), mean(1)]))
}

fn serious(violations: &Value) -> Vec<&Value> {
    violations.as_array().expect("axe list").iter().filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical"))).collect()
}

#[test]
fn a_citizen_finds_their_roof_and_reads_the_card() {
    assert!(Path::new("/usr/bin/chromium").exists(), "/usr/bin/chromium is missing (run scripts/deps.sh test)");
    assert!(common::root().join("web/dist/manifest.json").exists(), "the web bundle is missing (run scripts/web.sh)");
    let (server, dir) = common::server::demo_server();
    let address = address(&server);
    // The search index is built on this server's first query (make run builds it beforehand):
    // built here, so that the browser measures the page, not the build.
    let found = common::server::json(&server, &format!("/milano/search?q={}", address.replace(' ', "%20")));
    assert!(!found["features"].as_array().unwrap().is_empty(), "{found}");
    // Edge cases from the demo's attributes: a protected building, one with a system already on
    // its roof, a flat roof. The API says it first.
    let edges = [
        ("heritage", edge_point(&server, "edifici", "vincolo IS NOT NULL")),
        ("equipped", edge_point(&server, "edifici", "fv_kwp > 0")),
        ("flat", edge_point(&server, "falde", "pendenza < 5")),
    ];
    for (name, (building, point)) in &edges {
        let r = api(&server, point, "");
        assert_eq!(r["building"]["id"].as_i64(), Some(*building), "{name}: {r}");
        match *name {
            "heritage" => assert!(r["building"]["vincolo"].as_str().is_some_and(|v| !v.is_empty()), "{r}"),
            "equipped" => assert!(r["building"]["existing_kwp"].as_f64() > Some(0.0), "{r}"),
            _ => assert!(r["planes"].as_array().unwrap().iter().any(|p| p["solar"]["flat_roof"] == true), "{r}"),
        }
    }
    let edges_json = serde_json::json!(edges
        .iter()
        .map(|(name, (b, p))| serde_json::json!({ "name": name, "lon": p[0], "lat": p[1], "building": b }))
        .collect::<Vec<_>>())
    .to_string();
    let mut cmd = Command::new("node");
    cmd.arg(common::root().join("tests/fixtures/tetti_check.mjs"))
        .args([&server.base(), &common::root().join("target/npm").display().to_string(), &dir.path().display().to_string()])
        .args(["/milano/tetti", &address, "9.0", "45.0", &edges_json]);
    let report = common::run_report(cmd, "tetti check", "run scripts/deps.sh test", TIMEOUT);
    assert!(report["error"].is_null(), "browser script failed: {}", report["error"]);
    eprintln!(
        "{address}: typed to results {} ms, choice to card {} ms, whole search to card {} ms",
        report["typed_to_results_ms"], report["choice_to_card_ms"], report["search_to_card_ms"]
    );

    // The card is the API's answer for the point the search chose.
    let first = &report["first"];
    let point = &first["point"];
    let r = api(&server, point, "");
    assert_eq!(first["building"].as_str().unwrap(), r["building"]["id"].to_string(), "{first}");
    let annual = r["summary"]["annual_kwh"].as_f64().unwrap();
    assert!((italian(first["values"]["annual_kwh"].as_str().unwrap()) - annual.round()).abs() <= 1.0, "{first}");
    assert!(
        (italian(first["values"]["cost_eur"].as_str().unwrap()) - r["summary"]["economics"]["cost_eur"].as_f64().unwrap()).abs() <= 1.0
    );
    assert_eq!((first["bars"].as_u64(), first["cash_bars"].as_u64()), (Some(12), Some(26)), "{first}");
    let months: f64 = first["months"].as_array().unwrap().iter().map(|m| italian(m.as_str().unwrap())).sum();
    assert!((months - annual).abs() <= annual * 0.01, "months {months} vs year {annual}");
    // Every unsuitable plane says why in words.
    for p in first["why"].as_array().unwrap() {
        assert_eq!(p["cls"] == "unsuitable", !p["why"].is_null(), "{p}");
    }
    assert!(first["legend"].as_array().unwrap().iter().any(|l| l == "ottima"), "{first}");
    assert!(serious(&report["axe_card"]).is_empty(), "axe (card): {}", report["axe_card"]);

    // The household's figures: the card follows the API, and the URL keeps them.
    let savings = |c: &Value| italian(c["values"]["annual_savings_eur"].as_str().unwrap());
    let api_savings = |extra: &str| api(&server, point, extra)["summary"]["economics"]["annual_savings_eur"].as_f64().unwrap();
    assert!((savings(&report["sc30"]) - api_savings("&self_consumption=0.3")).abs() <= 1.0, "{}", report["sc30"]);
    assert!((savings(&report["sc70"]) - api_savings("&self_consumption=0.7&price=0.35")).abs() <= 1.0, "{}", report["sc70"]);
    assert!(savings(&report["sc70"]) > savings(&report["sc30"]));
    let hash = report["sc70"]["hash"].as_str().unwrap();
    assert!(hash.contains("sc=70") && hash.contains("price=0.35") && hash.contains("roof="), "{hash}");

    // One plane unticked: the totals are those of the rest.
    let planes: Vec<i64> = first["planes"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
    let rest: Vec<String> = planes[1..].iter().map(i64::to_string).collect();
    let unticked = &report["unticked"];
    let r_rest = api(&server, point, &format!("&planes={}&self_consumption=0.7&price=0.35", rest.join(",")));
    assert!(
        (italian(unticked["values"]["annual_kwh"].as_str().unwrap()) - r_rest["summary"]["annual_kwh"].as_f64().unwrap().round()).abs()
            <= 1.0,
        "{unticked}"
    );
    assert!(unticked["hash"].as_str().unwrap().contains(&format!("planes={}", rest.join(","))), "{unticked}");

    // Green toggle: other colours, the green legend.
    let (solar, green) = (&report["colour_solar"], &report["colour_green"]);
    assert!(solar["count"].as_u64() > Some(0) && green["count"].as_u64() > Some(0), "planes drawn: {solar} {green}");
    assert_ne!(solar["mean"], green["mean"], "the planes are recoloured");
    assert!(
        report["green"]["legend"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().starts_with("estensivo")),
        "{}",
        report["green"]
    );

    // The share link in a fresh browser: the same card.
    let shared = &report["shared"];
    assert_eq!(shared["building"], first["building"]);
    assert_eq!(shared["values"], unticked["values"], "same numbers after sharing");
    assert_eq!(shared["sc"], "70");
    assert_eq!(shared["planes"].as_array().unwrap().iter().filter(|p| p["checked"] == true).count(), rest.len());

    // The page's PDF link: the same card, and pdftotext recovers the figures the card shows.
    let link = report["report_link"].as_str().unwrap();
    let path = link.strip_prefix(&server.base()).unwrap_or(link);
    assert!(path.starts_with("/milano/tetti/report?"), "{link}");
    for part in [format!("planes={}", rest.join("%2C")), "self_consumption=0.7".into(), "price=0.35".into()] {
        assert!(path.contains(&part), "{part} in {link}");
    }
    let (status, head, pdf) = common::server::get_bytes(&server, path);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert!(head.contains("content-type: application/pdf") && pdf.starts_with(b"%PDF-"), "{head}");
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let out = Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils; run scripts/deps.sh test)");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("Edificio n. {}", first["building"].as_str().unwrap())), "{text}");
    for key in ["annual_kwh", "cost_eur", "net_cost_eur", "annual_savings_eur", "payback_years"] {
        let shown = unticked["values"][key].as_str().unwrap().trim();
        assert!(text.contains(shown), "{key}: the card shows '{shown}', the report does not: {text}");
    }

    // The phone, in English; a point with no building.
    let phone = &report["phone"];
    assert_eq!((phone["lang"].as_str(), phone["title"].as_str()), (Some("en"), Some("Your roof")), "{phone}");
    assert_eq!((phone["overflow"].as_bool(), phone["panel_overflow"].as_bool()), (Some(false), Some(false)), "{phone}");
    assert!(serious(&report["axe_phone"]).is_empty(), "axe (phone): {}", report["axe_phone"]);
    assert!(report["nothing"]["empty"].as_str().unwrap_or("").starts_with("No building"), "{}", report["nothing"]);

    // The edge cases say their reason in words (the protection as the data names it, the
    // power already installed written the Italian way), and the report repeats it.
    let heritage = &report["edges"]["heritage"];
    let vincolo = api(&server, &edges[0].1 .1, "")["building"]["vincolo"].as_str().unwrap().to_string();
    assert!(
        heritage["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains(&format!("tutela — {vincolo}."))),
        "{heritage}"
    );
    let equipped = &report["edges"]["equipped"];
    let kwp = api(&server, &edges[1].1 .1, "")["building"]["existing_kwp"].as_f64().unwrap();
    let kwp_it = format!("{kwp:.1}").replace('.', ",");
    assert!(
        equipped["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains(&format!("impianto fotovoltaico di {kwp_it} kWp"))),
        "{kwp_it}: {equipped}"
    );
    let flat = &report["edges"]["flat"];
    assert!(flat["plane_texts"].as_array().unwrap().iter().any(|t| t.as_str().unwrap().contains("tetto piano: file di moduli")), "{flat}");
    assert!(serious(&report["axe_edges"]).is_empty(), "axe (edge cases): {}", report["axe_edges"]);
    let (lon, lat) = (edges[0].1 .1[0].as_f64().unwrap(), edges[0].1 .1[1].as_f64().unwrap());
    let (status, _, pdf) = common::server::get_bytes(&server, &format!("/milano/tetti/report?lon={lon:.7}&lat={lat:.7}"));
    assert_eq!(status, 200);
    std::fs::write(dir.path().join("heritage.pdf"), &pdf).unwrap();
    let out = Command::new("pdftotext").arg(dir.path().join("heritage.pdf")).arg("-").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&format!("Edificio sottoposto a tutela — {vincolo}.")), "{text}");

    assert_eq!(report["foreign"], serde_json::json!([]), "requests left navigli");
    assert_eq!(report["console_errors"], serde_json::json!([]), "console errors");
}
