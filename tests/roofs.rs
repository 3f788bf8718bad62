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

/// The Python of the test venv, with pvlib.
fn pvlib_python() -> std::path::PathBuf {
    common::pyvenv("pvlib")
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
        ("slope=30&aspect=180&area=40&self_consumption=1.2", "self_consumption"),
        ("slope=30&aspect=180&area=40&battery=-1", "battery"),
        ("slope=30&aspect=180&area=40&price=0", "price"),
        ("slope=30&aspect=180&area=40&export_price=2", "export_price"),
        ("slope=30&aspect=180&area=40&cost_per_kwp=5", "cost_per_kwp"),
        ("slope=30&aspect=180&area=40&consumption=50", "consumption"),
        ("slope=30&aspect=180&area=40&consumption=3000&bill=800", "bill"),
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
        .arg("SELECT e.fid * 1 AS bid, ST_X(ST_Transform(ST_PointOnSurface(e.geom), 4326)) AS lon, ST_Y(ST_Transform(ST_PointOnSurface(e.geom), 4326)) AS lat FROM edifici e WHERE e.cod_istat = '015146' AND (SELECT count(*) FROM falde f WHERE f.edificio_fid = e.fid) >= 2 ORDER BY e.fid LIMIT 1")
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

#[test]
fn at_takes_the_households_figures_and_a_choice_of_planes() {
    let (server, _dir) = demo_server();
    let (_, lon, lat) = building_point();
    let base = format!("/milano/roofs/at?lon={lon}&lat={lat}");
    let own = "consumption=1000&self_consumption=0.7&price=0.35&export_price=0.05&cost_per_kwp=1600";
    let r = json(&server, &format!("{base}&{own}"));
    let s = &r["summary"];
    let e = &s["economics"];
    let (kwp, annual) = (f(s, &["kwp"]), f(s, &["annual_kwh"]));
    assert!(kwp > 0.0, "{r}");
    assert_eq!((f(e, &["used", "self_consumption"]), f(e, &["used", "electricity_price_eur_kwh"])), (0.7, 0.35));
    // Used on site: 70 % of the production, but never more than the 1000 kWh the home uses.
    let on_site = (0.7 * annual).min(1000.0);
    assert!((f(e, &["self_consumed_kwh"]) - on_site).abs() < 0.02, "{e}");
    assert!((f(e, &["exported_kwh"]) - (annual - on_site)).abs() < 0.02, "{e}");
    assert!((f(e, &["consumption_covered"]) - on_site / 1000.0).abs() < 0.01, "{e}");
    // (kWp is rounded to 2 decimals in the answer: O&M is compared to within that)
    let om = f(e, &["om_eur"]);
    assert!((om - 20.0 * kwp).abs() < 0.2, "{e}");
    assert!((f(e, &["annual_savings_eur"]) - (on_site * 0.35 + (annual - on_site) * 0.05 - om)).abs() < 0.05, "{e}");
    assert!((f(e, &["cost_eur"]) - kwp * 1600.0).abs() < 16.0, "{e}");
    assert_eq!(e["cash_flow_eur"].as_array().unwrap().len(), 26);
    // Twelve months summing to the year.
    let months: f64 = s["monthly_kwh"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum();
    assert_eq!(s["monthly_kwh"].as_array().unwrap().len(), 12);
    assert!((months - annual).abs() <= annual * 0.01, "{months} vs {annual}");
    // A bill is a consumption at the price: 350 € at 0.35 €/kWh is 1000 kWh.
    let billed = json(&server, &format!("{base}&bill=350&self_consumption=0.7&price=0.35&export_price=0.05&cost_per_kwp=1600"));
    assert_eq!(billed["summary"]["economics"], r["summary"]["economics"]);
    // Each plane is what /roofs/estimate says of it, with the same figures.
    let planes = r["planes"].as_array().unwrap();
    for p in planes.iter().take(3) {
        let i = &p["input"];
        let est = json(
            &server,
            &format!(
                "/milano/roofs/estimate?slope={}&aspect={}&area={}&shading={}&{own}",
                i["slope"], i["aspect"], i["area_m2"], i["shading"]
            ),
        );
        assert_eq!(est["solar"]["annual_kwh"], p["solar"]["annual_kwh"], "{p}");
        assert_eq!(est["solar"]["payback_years"], p["solar"]["payback_years"], "{p}");
        assert_eq!(est["solar"]["cash_flow_eur"], p["solar"]["cash_flow_eur"], "{p}");
    }
    // One plane chosen: the totals are that plane's.
    let one = planes.iter().find(|p| p["solar"]["class"] != json!("unsuitable")).expect("a suitable plane");
    let id = one["id"].as_i64().unwrap();
    let chosen = json(&server, &format!("{base}&planes={id}"));
    assert_eq!(chosen["selected_planes"], json!([id]));
    assert!((f(&chosen, &["summary", "kwp"]) - f(one, &["solar", "kwp"])).abs() < 0.01, "{chosen}");
    for (query, text) in [("planes=abc", "list of plane ids"), ("planes=999999999", "not a roof plane of this building")] {
        let (status, _, body) = get(&server, &format!("{base}&{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["locator"], json!("planes"), "{body}");
        assert!(body.contains(text), "{body}");
    }
}

fn navigli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(args).output().expect("run navigli");
    assert!(out.status.success(), "navigli {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (fid → (classe, kwp, irradiazione)) of `falde`, and the `tetti_rossi` / `tetti_verdi` rows
/// as text, read from a computed GeoPackage.
type Computed = (std::collections::BTreeMap<i64, (String, f64, f64)>, Vec<String>, Vec<String>);

fn read_gpkg(path: &std::path::Path) -> Computed {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut falde = std::collections::BTreeMap::new();
    let mut stmt = conn.prepare("SELECT fid, classe, kwp, irradiazione FROM falde").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, (r.get::<_, String>(1)?, r.get(2)?, r.get(3)?)))).unwrap();
    for row in rows {
        let (fid, v) = row.unwrap();
        falde.insert(fid, v);
    }
    let text = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    (
        falde,
        text("SELECT fid || '|' || cod_istat || '|' || classe || '|' || falde_idonee || '|' || printf('%.6f|%.6f|%.6f|%.4f', kwp, kwh_anno, costo_eur, co2_kg) FROM tetti_rossi ORDER BY fid"),
        text("SELECT fid || '|' || cod_istat || '|' || tipo || '|' || printf('%.6f|%.6f|%.4f', area_m2, costo_eur, acqua_m3) FROM tetti_verdi ORDER BY fid"),
    )
}

fn read_postgis(url: &str) -> Computed {
    let psql = |sql: &str| -> Vec<String> {
        let out = Command::new("psql").args([url, "-Atc", sql]).output().expect("psql");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    };
    let falde = psql("SELECT fid, classe, kwp, irradiazione FROM falde")
        .iter()
        .map(|l| {
            let p: Vec<&str> = l.split('|').collect();
            (p[0].parse().unwrap(), (p[1].to_string(), p[2].parse().unwrap(), p[3].parse().unwrap()))
        })
        .collect();
    (
        falde,
        psql("SELECT fid || '|' || cod_istat || '|' || classe || '|' || falde_idonee || '|' || format('%s|%s|%s|%s', to_char(kwp, 'FM999999990.000000'), to_char(kwh_anno, 'FM999999990.000000'), to_char(costo_eur, 'FM999999990.000000'), to_char(co2_kg, 'FM999999990.0000')) FROM tetti_rossi ORDER BY fid"),
        psql("SELECT fid || '|' || cod_istat || '|' || tipo || '|' || format('%s|%s|%s', to_char(area_m2, 'FM999999990.000000'), to_char(costo_eur, 'FM999999990.000000'), to_char(acqua_m3, 'FM999999990.0000')) FROM tetti_verdi ORDER BY fid"),
    )
}

/// `navigli roofs compute` on the small demo: every plane classified, one row per building in
/// both per-building tables, all 133 comuni covered; the plane values are what the citizen API
/// says for the same plane; PostGIS gets exactly the GeoPackage's rows; and the computed layers
/// render in WMS (with a legend of the classes), in vector tiles and through the RoofReport
/// stored query.
#[test]
fn compute_fills_the_roof_layers_in_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("roofs.gpkg");
    std::fs::copy(common::demo_gpkg(), &gpkg).unwrap();
    let config = common::server::write_config(dir.path(), &gpkg);
    let config_arg = config.display().to_string();
    let summary = navigli(&["roofs", "compute", "--config", &config_arg]);
    eprintln!("{summary}");
    assert!(summary.contains("roofs computed"), "{summary}");

    let (falde, rossi, verdi) = read_gpkg(&gpkg);
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(q("SELECT count(*) FROM falde WHERE classe IS NULL OR kwp IS NULL OR verde IS NULL"), 0);
    assert_eq!(falde.len() as i64, q("SELECT count(*) FROM falde"));
    let buildings = q("SELECT count(DISTINCT edificio_fid) FROM falde");
    assert_eq!((rossi.len() as i64, verdi.len() as i64), (buildings, buildings));
    assert_eq!(q("SELECT count(DISTINCT cod_istat) FROM tetti_rossi"), 133, "every comune has roofs");
    assert_eq!(q("SELECT count(*) FROM rtree_tetti_rossi_geom"), buildings);
    // Each class occurs; a building's class is the best of its planes'.
    for class in ["ottima", "buona", "discreta", "non idonea"] {
        assert!(q(&format!("SELECT count(*) FROM falde WHERE classe = '{class}'")) > 0, "{class}");
    }
    let worse_than_a_plane = q("SELECT count(*) FROM tetti_rossi t WHERE t.classe = 'non idonea' AND EXISTS \
         (SELECT 1 FROM falde f WHERE f.edificio_fid = t.fid AND f.classe <> 'non idonea')");
    assert_eq!(worse_than_a_plane, 0);

    let server = common::server::start(&config, &[]);
    // Neighbours shade some planes; a plane's stored values are what the API computes for it
    // with that shading.
    let shaded = q("SELECT count(*) FROM falde WHERE ombreggiamento > 0.05");
    let unshaded = q("SELECT count(*) FROM falde WHERE ombreggiamento = 0");
    eprintln!("planes shaded more than 5 %: {shaded}; not at all: {unshaded}");
    assert!(shaded > 100 && unshaded > shaded, "{shaded} shaded, {unshaded} open");
    assert_eq!(q("SELECT count(*) FROM falde WHERE ombreggiamento < 0 OR ombreggiamento > 1 OR ombreggiamento IS NULL"), 0);
    let mut fid = 0;
    for condition in ["ombreggiamento > 0.1", "ombreggiamento = 0 AND classe = 'ottima'"] {
        let (plane, slope, aspect, area, shading): (i64, f64, f64, f64, f64) = conn
            .query_row(
                &format!(
                    "SELECT fid, pendenza, esposizione, area_m2, ombreggiamento FROM falde WHERE pendenza > 15 AND {condition} ORDER BY fid LIMIT 1"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        let api = json(&server, &format!("/cmm/roofs/estimate?slope={slope}&aspect={aspect}&area={area}&shading={shading}"));
        let (classe, kwp, irr) = &falde[&plane];
        assert_eq!(api["solar"]["class_label"], json!(classe), "plane {plane}");
        assert!((f(&api, &["solar", "kwp"]) - kwp).abs() < 0.01, "{kwp} vs {api}");
        assert!((f(&api, &["solar", "irradiation_kwh_m2"]) - irr).abs() < 0.5, "plane {plane}: {irr} vs {api}");
        fid = plane;
    }

    // WMS: the buildings of central Milano in the class colours, and a legend row per class.
    let (status, _, png) = common::server::get_bytes(
        &server,
        "/milano/wms?SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=tetti_rossi&STYLES=&SRS=EPSG:4326&BBOX=9.17,45.455,9.20,45.47&WIDTH=512&HEIGHT=384&FORMAT=image/png&TRANSPARENT=TRUE",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&png));
    let map = tiny_skia::Pixmap::decode_png(&png).unwrap();
    let colour = |rgb: [u8; 3]| map.pixels().iter().filter(|c| [c.red(), c.green(), c.blue()] == rgb && c.alpha() == 255).count();
    let very_good = colour([0xb2, 0x18, 0x2b]);
    assert!(very_good > 200, "{very_good} pixels of the 'ottima' fill");
    let (status, _, png) = common::server::get_bytes(
        &server,
        "/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=tetti_rossi&FORMAT=image/png&WIDTH=20",
    );
    assert_eq!(status, 200);
    assert_eq!(tiny_skia::Pixmap::decode_png(&png).unwrap().height(), 4 * 20, "one legend row per class");
    let (status, _, png) = common::server::get_bytes(
        &server,
        "/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=tetti_verdi&FORMAT=image/png&WIDTH=20",
    );
    assert_eq!(status, 200);
    assert_eq!(tiny_skia::Pixmap::decode_png(&png).unwrap().height(), 3 * 20, "intensivo, estensivo, non idoneo");

    // Vector tiles: GDAL decodes the computed attributes.
    let (status, _, tile) = common::server::get_bytes(&server, "/milano/tiles/tetti_rossi,tetti_verdi/14/8610/5863.mvt");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&tile));
    let file = tempfile::Builder::new().suffix(".mvt").tempfile().unwrap();
    std::fs::write(file.path(), &tile).unwrap();
    let out = Command::new("/usr/bin/python3")
        .arg(common::root().join("tests/fixtures/mvt_oracle.py"))
        .args(["decode", &file.path().display().to_string(), "14", "8610", "5863"])
        .output()
        .expect("python3 with GDAL");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoded: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rossi_tile = decoded["tetti_rossi"].as_object().expect("tetti_rossi layer in the tile");
    assert!(rossi_tile.len() > 10, "{} buildings", rossi_tile.len());
    for (id, feature) in rossi_tile {
        let row = rossi.iter().find(|r| r.starts_with(&format!("{id}|"))).unwrap_or_else(|| panic!("building {id}"));
        assert_eq!(row.split('|').nth(2).unwrap(), feature["props"]["classe"].as_str().unwrap(), "building {id}");
    }
    assert!(decoded["tetti_verdi"].as_object().is_some_and(|o| !o.is_empty()));

    // WFS: the RoofReport stored query returns the building's planes and its two rows.
    let building: i64 = conn.query_row("SELECT edificio_fid FROM falde WHERE fid = ?1", [fid], |r| r.get(0)).unwrap();
    let planes = q(&format!("SELECT count(*) FROM falde WHERE edificio_fid = {building}"));
    let (status, _, body) = get(
        &server,
        &format!("/cmm/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=urn:navigli:query:RoofReport&BUILDING={building}"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("numberReturned=\"{}\"", planes + 2)), "{planes} planes + 2: {}", &body[..body.len().min(600)]);
    assert!(body.contains(&format!("gml:id=\"tetti_rossi.{building}\"")) && body.contains("<navigli:classe>"), "{}", &body[..600]);
    common::server::ogc_validate(&body, "roof-report.xml");
    let (status, _, body) =
        get(&server, "/milano/wfs?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&STOREDQUERY_ID=urn:navigli:query:RoofReport&BUILDING=x");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("locator=\"building\""), "{body}");
    drop(server);

    // PostGIS: a fresh database with the same demo data gets exactly the same rows.
    let Some(url) = common::demo_postgis() else { return };
    let db = format!("navigli_roofs_{}", std::process::id());
    let (base, _) = url.rsplit_once('/').unwrap();
    let psql = |sql: &str| {
        let out = Command::new("psql").args([url, "-Atc", sql]).output().expect("psql");
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    psql(&format!("DROP DATABASE IF EXISTS {db}"));
    psql(&format!("CREATE DATABASE {db}"));
    let db_url = format!("{base}/{db}");
    navigli(&["demo", "--config", &config_arg, "--postgis", &db_url, "--size", "small", "--seed", "42"]);
    navigli(&["roofs", "compute", "--config", &config_arg, "--source", &format!("main={db_url}")]);
    let (pg_falde, pg_rossi, pg_verdi) = read_postgis(&db_url);
    psql(&format!("DROP DATABASE {db}"));
    assert_eq!(pg_falde.len(), falde.len());
    for (fid, (classe, kwp, irr)) in &falde {
        let (c, k, i) = &pg_falde[fid];
        assert!(c == classe && (k - kwp).abs() < 1e-9 && (i - irr).abs() < 1e-9, "falde {fid}: {c} {k} {i} vs {classe} {kwp} {irr}");
    }
    for (name, pg, gp) in [("tetti_rossi", &pg_rossi, &rossi), ("tetti_verdi", &pg_verdi, &verdi)] {
        assert_eq!(pg.len(), gp.len(), "{name} rows");
        if let Some((a, b)) = pg.iter().zip(gp.iter()).find(|(a, b)| a != b) {
            panic!("{name}: PostGIS {a} vs GeoPackage {b}");
        }
    }
}
