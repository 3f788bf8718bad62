//! The citizen roof check over HTTP, against the real binary: the yield model reproduces the
//! PVGIS 5.3 headline figures for Milan and agrees with pvlib-python (an independent
//! implementation of the same transposition, fed the same monthly inputs the API reports)
//! over a grid of slopes and aspects; invalid input gets 400 with a locator; `roofs/at` finds
//! the building at a point and adds up its planes.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::server::{demo_server, get, json, Server};
use serde_json::{json, Value};

/// The Python of the test venv (`scripts/deps.sh test` installs pvlib there); created here
/// when missing, failing loudly when pip cannot install pvlib.
fn pvlib_python() -> std::path::PathBuf {
    let venv = common::root().join("target/pyvenv");
    let python = venv.join("bin/python");
    let has = |p: &std::path::Path| Command::new(p).args(["-c", "import pvlib"]).output().is_ok_and(|o| o.status.success());
    if !has(&python) {
        eprintln!("installing pvlib into {} (scripts/deps.sh test does this for make test)", venv.display());
        if !python.exists() {
            let made = Command::new("/usr/bin/python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success());
            assert!(made, "cannot create a Python venv at {}: install python3-venv", venv.display());
        }
        let out = Command::new(venv.join("bin/pip")).args(["install", "--quiet", "pvlib"]).output().expect("run pip");
        assert!(out.status.success() && has(&python), "pip could not install pvlib: {}", String::from_utf8_lossy(&out.stderr));
    }
    python
}

fn estimate(server: &Server, slope: f64, aspect: f64) -> Value {
    json(server, &format!("/cmm/roofs/estimate?slope={slope}&aspect={aspect}&area=100"))
}

fn f(v: &Value, path: &[&str]) -> f64 {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_f64().unwrap_or_else(|| panic!("{path:?} is not a number in {v}"))
}

#[test]
fn api_reproduces_pvgis_headline_figures_for_milan() {
    let (server, _dir) = demo_server();
    // PVGIS 5.3, Milan, crystalline silicon, 14 % system losses.
    for (slope, pvgis) in [(39.0, 1369.0), (90.0, 956.0)] {
        let r = estimate(&server, slope, 180.0);
        let y = f(&r, &["solar", "specific_yield_kwh_per_kwp"]);
        let dev = y / pvgis - 1.0;
        eprintln!("{slope}° south: {y:.1} kWh/kWp vs PVGIS {pvgis} ({:+.1} %)", dev * 100.0);
        assert!(dev.abs() <= 0.07, "{slope}°: {y} vs PVGIS {pvgis}");
        assert_eq!(r["assumptions"]["pv"]["system_losses"], json!(0.14));
    }
}

#[test]
fn api_agrees_with_pvlib_over_slopes_and_aspects() {
    let (server, _dir) = demo_server();
    let slopes = [0.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0];
    let aspects = [90.0, 112.5, 135.0, 157.5, 180.0, 202.5, 225.0, 247.5, 270.0];
    let mut planes = Vec::new();
    let mut ours = Vec::new();
    let mut assumptions = Value::Null;
    for &s in &slopes {
        for &a in &aspects {
            let r = estimate(&server, s, a);
            let solar = &r["solar"];
            // Flat roofs carry racked rows: pvlib computes the racks' orientation, and the
            // rows' mutual shading (reported in the assumptions) is taken out of our yield.
            let flat = solar["flat_roof"].as_bool().unwrap();
            let row_loss = if flat { f(&r, &["assumptions", "installation", "flat_row_shading"]) } else { 0.0 };
            planes.push(json!([f(solar, &["module_tilt"]), f(solar, &["module_aspect"])]));
            ours.push((s, a, f(solar, &["irradiation_kwh_m2"]), f(solar, &["specific_yield_kwh_per_kwp"]) / (1.0 - row_loss)));
            assumptions = r["assumptions"].clone();
        }
    }
    let c = &assumptions["climate"];
    let pv = &assumptions["pv"];
    let input = json!({
        "latitude": c["latitude"], "longitude": c["longitude"],
        "ghi": c["ghi_kwh_m2"], "diffuse_fraction": c["diffuse_fraction"],
        "temperature": c["temperature_c"], "temperature_amplitude": c["temperature_amplitude_c"],
        "albedo": c["albedo"], "wind_speed": c["wind_speed_m_s"],
        "system_losses": pv["system_losses"], "iam_ar": pv["iam_ar"],
        "faiman_u0": pv["faiman_u0"], "faiman_u1": pv["faiman_u1"],
        "planes": planes,
    });
    let script = common::root().join("tests/fixtures/roofs_pvlib.py");
    let mut child = Command::new(pvlib_python())
        .args(["-W", "ignore"])
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run roofs_pvlib.py");
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "roofs_pvlib.py: {}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<(f64, f64)> = serde_json::from_slice(&out.stdout).expect("pvlib JSON");
    assert_eq!(theirs.len(), ours.len());

    let mut rows = Vec::new();
    let (mut worst_h, mut worst_y) = (0.0f64, 0.0f64);
    for ((s, a, h, y), (ph, py)) in ours.iter().zip(&theirs) {
        let (dh, dy) = (h / ph - 1.0, y / py - 1.0);
        worst_h = worst_h.max(dh.abs());
        worst_y = worst_y.max(dy.abs());
        assert!(dh.abs() <= 0.03, "slope {s} aspect {a}: irradiation {h} vs pvlib {ph}");
        assert!(dy.abs() <= 0.03, "slope {s} aspect {a}: yield {y} vs pvlib {py}");
        rows.push(json!({"slope": s, "aspect": a, "navigli_kwh_m2": h, "pvlib_kwh_m2": ph, "navigli_kwh_kwp": y, "pvlib_kwh_kwp": py}));
    }
    eprintln!(
        "{} planes: largest deviation from pvlib {:.2} % (irradiation), {:.2} % (yield)",
        rows.len(),
        worst_h * 100.0,
        worst_y * 100.0
    );
    // Kept for the documentation's plot (scripts/roofs_plot.py).
    let dir = common::root().join("target/navigli-test");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("roofs-pvlib.json"), serde_json::to_string_pretty(&rows).unwrap()).unwrap();
}

#[test]
fn invalid_input_is_a_400_naming_the_parameter() {
    let (server, _dir) = demo_server();
    for (query, locator) in [
        ("slope=91&aspect=180&area=40", "slope"),
        ("slope=-1&aspect=180&area=40", "slope"),
        ("slope=abc&aspect=180&area=40", "slope"),
        ("slope=NaN&aspect=180&area=40", "slope"),
        ("slope=30&aspect=361&area=40", "aspect"),
        ("slope=30&aspect=-5&area=40", "aspect"),
        ("slope=30&aspect=inf&area=40", "aspect"),
        ("slope=30&aspect=180&area=0", "area"),
        ("slope=30&aspect=180&area=-3", "area"),
        ("slope=30&aspect=180&area=1e400", "area"),
        ("slope=30&aspect=180", "area"),
        ("aspect=180&area=40", "slope"),
        ("slope=30&aspect=180&area=40&shading=1.5", "shading"),
        ("slope=30&aspect=180&area=40&main_home=maybe", "main_home"),
    ] {
        let (status, _, body) = get(&server, &format!("/milano/roofs/estimate?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["locator"], json!(locator), "{query}: {body}");
        assert!(v["description"].as_str().unwrap().contains(locator), "{query}: {body}");
    }
    let (status, _, _) = get(&server, "/nowhere/roofs/estimate?slope=30&aspect=180&area=40");
    assert_eq!(status, 404);
    for query in ["lon=9.1&lat=95", "lon=abc&lat=45", "lat=45.46"] {
        let (status, _, body) = get(&server, &format!("/milano/roofs/at?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
    }
}

#[test]
fn estimate_reports_every_documented_field() {
    let (server, _dir) = demo_server();
    let r = json(&server, "/milano/roofs/estimate?slope=30&aspect=180&area=40&shading=0.1&main_home=true");
    for field in [
        "irradiation_kwh_m2",
        "specific_yield_kwh_per_kwp",
        "kwp",
        "annual_kwh",
        "cost_eur",
        "annual_savings_eur",
        "payback_years",
        "co2_avoided_kg_per_year",
    ] {
        assert!(r["solar"][field].is_number(), "solar.{field} in {r}");
    }
    assert_eq!(r["solar"]["class"], json!("very_good"));
    assert!(r["green"]["suitable"].is_boolean() && r["green"]["type"].is_string());
    assert!(r["green"]["cost_eur"].is_number() && r["green"]["retained_rain_m3_per_year"].is_number());
    assert!(r["assumptions"]["climate"]["source"].as_str().unwrap().contains("PVGIS"));
    // 40 m² × 0.75 usable × 0.21 kWp/m² = 6.3 kWp; main home: 50 % deduction of the cost
    assert_eq!(f(&r, &["solar", "kwp"]), 6.3);
    assert_eq!(f(&r, &["solar", "deduction_eur"]), f(&r, &["solar", "cost_eur"]) * 0.5);
    // 10 % shading: 10 % less light than the unshaded plane
    let clear = json(&server, "/milano/roofs/estimate?slope=30&aspect=180&area=40");
    let ratio = f(&r, &["solar", "irradiation_kwh_m2"]) / f(&clear, &["solar", "irradiation_kwh_m2"]);
    assert!((ratio - 0.9).abs() < 0.001, "{ratio}");
    // second homes get 36 %
    assert_eq!(f(&clear, &["solar", "deduction_eur"]), (f(&clear, &["solar", "cost_eur"]) * 0.36 * 100.0).round() / 100.0);
    let north = json(&server, "/milano/roofs/estimate?slope=40&aspect=0&area=40");
    assert_eq!(north["solar"]["class"], json!("unsuitable"));
}

/// A point inside a building of Milano, from GDAL (an independent reader of the GeoPackage).
fn building_point() -> (i64, f64, f64) {
    let gpkg = common::demo_gpkg().display().to_string();
    let out = Command::new("ogrinfo")
        .args(["-q", &gpkg, "-dialect", "SQLite", "-sql"])
        .arg("SELECT e.fid * 1 AS bid, ST_X(ST_Transform(ST_PointOnSurface(e.geom), 4326)) AS lon, ST_Y(ST_Transform(ST_PointOnSurface(e.geom), 4326)) AS lat FROM edifici e WHERE e.cod_istat = '015146' AND (SELECT count(*) FROM falde f WHERE f.edificio_fid = e.fid) >= 2 LIMIT 1")
        .output()
        .expect("ogrinfo (gdal-bin, installed by make test)");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> String {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name} (")).map(|r| r.split('=').nth(1).unwrap().trim().to_string()))
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    (field("bid").parse().unwrap(), field("lon").parse().unwrap(), field("lat").parse().unwrap())
}

#[test]
fn at_finds_the_building_and_adds_up_its_planes() {
    let (server, _dir) = demo_server();
    let (id, lon, lat) = building_point();
    let r = json(&server, &format!("/milano/roofs/at?lon={lon}&lat={lat}&main_home=true"));
    assert_eq!(r["building"]["id"], json!(id), "{r}");
    let planes = r["planes"].as_array().unwrap();
    assert!(planes.len() >= 2 && r["building"]["planes"] == json!(planes.len()));
    let suitable_kwp: f64 = planes.iter().filter(|p| p["solar"]["class"] != json!("unsuitable")).map(|p| f(p, &["solar", "kwp"])).sum();
    assert!((f(&r, &["summary", "kwp"]) - suitable_kwp).abs() < 0.05, "{r}");
    assert!(planes.iter().all(|p| p["input"]["main_home"] == json!(true)));
    // The same building is not in another comune's service, and an empty field has none.
    let (status, _, body) = get(&server, &format!("/rho/roofs/at?lon={lon}&lat={lat}"));
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no building"), "{body}");
    let (status, _, _) = get(&server, "/milano/roofs/at?lon=9.0&lat=45.0");
    assert_eq!(status, 404);
}
