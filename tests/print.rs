//! End-to-end: the printed sheet of a published app (`GET /{tenant}/apps/{slug}/print`), read
//! back with poppler's `pdftotext`, `pdfinfo`, `pdffonts` and `pdftoppm` (Debian `poppler-utils`, from
//! `scripts/deps.sh test`; missing tools are a failure): the title, the titles of exactly the
//! printed layers, the scale written out, the attribution and the app's address are real text;
//! the paper size is the one asked for; the map frame is drawn; the fonts are embedded subsets; bad parameters are a 400 JSON
//! problem naming the parameter.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn poppler(tool: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .args(if tool == "pdftotext" { vec!["-"] } else { vec![] })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils; run scripts/deps.sh test): {e}"));
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Fetches a sheet into `dir/name.pdf`.
fn sheet(server: &common::server::Server, dir: &Path, name: &str, path: &str) -> std::path::PathBuf {
    let (status, head, body) = common::server::get_bytes(server, path);
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    assert!(head.contains("content-type: application/pdf"), "{head}");
    assert!(body.starts_with(b"%PDF-1."), "{path} is not a PDF");
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, body).unwrap();
    file
}

/// The runtime data block of a viewer page: what the viewer shows (layer titles, visibility).
fn runtime(server: &common::server::Server, app: &str) -> Value {
    let (status, _, html) = common::server::get(server, app);
    assert_eq!(status, 200, "{app}");
    let start = html.find("id=\"navigli-app\">").expect("data block") + "id=\"navigli-app\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// Share of non-white pixels in the middle of a page rendered by `pdftoppm -gray` (PGM).
fn inked_share(pdf: &Path) -> f64 {
    let out = Command::new("pdftoppm").args(["-r", "20", "-gray"]).arg(pdf).output().expect("pdftoppm (poppler-utils)");
    assert!(out.status.success());
    let pgm = out.stdout;
    // P5\n<w> <h>\n255\n<pixels>
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let s = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[s..i]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &pgm[i + 1..];
    let (mut inked, mut all) = (0, 0);
    for y in h / 4..h * 3 / 4 {
        for x in w / 8..w / 2 {
            all += 1;
            inked += usize::from(pixels[y * w + x] < 235);
        }
    }
    inked as f64 / all as f64
}

#[test]
fn an_app_prints_as_a_pdf_sheet_with_real_text() {
    let (server, dir) = common::server::demo_apps_server();
    let app = "/cmm/apps/mappa-metropolitana";
    let data = runtime(&server, app);
    let layers = data["layers"].as_array().unwrap();
    let visible: Vec<&str> = layers.iter().filter(|l| l["visible"] == true).map(|l| l["title"].as_str().unwrap()).collect();
    let hidden: Vec<&str> = layers.iter().filter(|l| l["visible"] == false).map(|l| l["title"].as_str().unwrap()).collect();
    assert!(!visible.is_empty());

    // Default: A4 landscape, the app's extent, its visible layers.
    let pdf = sheet(&server, dir.path(), "default", &format!("{app}/print"));
    let info = poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("Page size:       841.89 x 595.28 pts (A4)"), "{info}");
    let text = poppler("pdftotext", &[], &pdf);
    assert!(text.contains(data["app"]["title"].as_str().unwrap()), "the title: {text}");
    assert!(text.contains("Legenda") && text.contains("Scala 1:") && text.contains("(al centro della mappa)"), "{text}");
    assert!(text.contains(data["attribution"].as_str().unwrap()), "the attribution: {text}");
    assert!(text.contains(&format!("{}{app}", server.base())), "the app's address: {text}");
    assert!(text.contains("EPSG:3857"), "{text}");
    for t in &visible {
        assert!(text.contains(t), "visible layer {t} in the legend: {text}");
    }
    for t in &hidden {
        assert!(!text.contains(t), "hidden layer {t} is not printed: {text}");
    }
    assert!(inked_share(&pdf) > 0.05, "the map frame is drawn");
    // The fonts: both faces embedded as subsets (CID TrueType with a ToUnicode map), so the
    // sheet stays small however many characters the fonts have.
    let fonts = poppler("pdffonts", &[], &pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "regular and bold: {fonts}");
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "a tagged subset: {row}");
        assert!(row.contains("CID TrueType") && row.contains("Identity-H"), "{row}");
        assert_eq!(cols[cols.len() - 5..cols.len() - 2], ["yes", "yes", "yes"], "embedded, subset, ToUnicode: {row}");
    }

    // One named layer, A3 portrait, at 1:5000, in English, with a title of the caller's.
    let first = layers.iter().find(|l| l["visible"] == true).unwrap();
    let path = format!(
        "{app}/print?paper=a3&orientation=portrait&scale=5000&lang=en&dpi=96&layers={}&title=Prova%20%C3%A0%20%E2%82%AC",
        first["name"].as_str().unwrap()
    );
    let pdf = sheet(&server, dir.path(), "a3", &path);
    assert!(poppler("pdfinfo", &[], &pdf).contains("Page size:       841.89 x 1190.55 pts (A3)"));
    let text = poppler("pdftotext", &[], &pdf);
    assert!(text.contains("Prova à €"), "the title, Italian characters and € kept: {text}");
    assert!(text.contains("Scale 1:5,000 (at the centre of the map)") && text.contains("Legend"), "{text}");
    assert!(text.contains(first["title"].as_str().unwrap()), "{text}");
    for other in visible.iter().filter(|t| **t != first["title"].as_str().unwrap()) {
        assert!(!text.contains(other), "{other} was not asked for: {text}");
    }

    // Bad parameters: 400, a JSON problem naming the parameter; an unknown app: 404.
    for (query, locator) in [
        ("paper=a0", "paper"),
        ("orientation=sideways", "orientation"),
        ("dpi=301", "dpi"),
        ("scale=1:0", "scale"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=9e99,0,1,1", "bbox"),
        ("layers=not_a_layer_of_this_app", "layers"),
    ] {
        let (status, _, body) = common::server::get(&server, &format!("{app}/print?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let problem: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{query}: {e}: {body}"));
        assert_eq!(problem["locator"], locator, "{query}: {body}");
    }
    let (status, _, _) = common::server::get(&server, "/cmm/apps/no-such-app/print");
    assert_eq!(status, 404);
}
