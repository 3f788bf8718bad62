//! Rendering tests over the real binary and the demo data: golden images of every demo style
//! (with a pixel tolerance), labels, the 8-bit PNG and JPEG formats, and `SLD_BODY`.
//!
//! Golden images live in `tests/golden/<layer>.png`. After an intended change of a style or of
//! the renderer, look at the new images and re-bless them with
//! `NAVIGLI_BLESS=1 cargo nextest run --test wms_render golden` (then review `git diff --stat`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::server::{demo_server, get, get_bytes, start, write_config};

fn decode(png: &[u8]) -> tiny_skia::Pixmap {
    tiny_skia::Pixmap::decode_png(png).unwrap_or_else(|e| panic!("not a PNG: {e}"))
}

fn painted(p: &tiny_skia::Pixmap, background: [u8; 4]) -> usize {
    p.pixels().iter().filter(|c| [c.red(), c.green(), c.blue(), c.alpha()] != background).count()
}

/// Pixels whose colour differs by more than `tolerance` in some channel.
fn differing(a: &tiny_skia::Pixmap, b: &tiny_skia::Pixmap, tolerance: u8) -> usize {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "image sizes differ");
    a.pixels()
        .iter()
        .zip(b.pixels())
        .filter(|(p, q)| {
            let (p, q) = (p.demultiply(), q.demultiply());
            [p.red().abs_diff(q.red()), p.green().abs_diff(q.green()), p.blue().abs_diff(q.blue()), p.alpha().abs_diff(q.alpha())]
                .iter()
                .any(|d| *d > tolerance)
        })
        .count()
}

/// Central Milano (EPSG:32632) at about 1:5,600 on 512×384 pixels: labels of roads and
/// services are drawn at this scale.
const CENTRO: &str = "514200,5034200,515000,5034800";
/// Parco Sempione at about 1:6,300 on 512×384.
const SEMPIONE: &str = "513400,5035000,514300,5035675";
/// A cluster of welfare services in the north-east of Milano, about 1:5,600 on 512×384.
const WELFARE: &str = "519200,5042400,520000,5043000";
/// Around two libraries (drawn with an external graphic) east of the centre, about 1:5,600.
const BIBLIOTECHE: &str = "514600,5034700,515400,5035300";
/// The north-west of the metropolitan area at about 1:210,000 on 512×512: comuni names.
const NORD_OVEST: &str = "500000,5020000,530000,5050000";
/// The whole metropolitan area at about 1:420,000 on 512×512.
const CMM: &str = "485000,5000000,545000,5060000";

/// Each demo style, the map it is checked on, and the least share of painted pixels.
const GOLDEN: &[(&str, &str, u32, u32, f64)] = &[
    ("comuni", NORD_OVEST, 512, 512, 0.05),
    ("zone_omogenee", CMM, 512, 512, 0.3),
    ("uso_suolo", CENTRO, 512, 384, 0.5),
    ("aree_verdi", SEMPIONE, 512, 384, 0.2),
    ("idrografia", NORD_OVEST, 512, 512, 0.002),
    ("strade", CENTRO, 512, 384, 0.05),
    ("edifici", CENTRO, 512, 384, 0.05),
    ("falde", CENTRO, 512, 384, 0.05),
    ("servizi_pubblici", BIBLIOTECHE, 512, 384, 0.002),
    ("servizi_sociali", WELFARE, 512, 384, 0.002),
];

fn golden_path(layer: &str) -> PathBuf {
    common::root().join("tests/golden").join(format!("{layer}.png"))
}

#[test]
fn golden_images_of_every_demo_style() {
    // The restricted welfare layer is made public in this test's own configuration only, so
    // its style can be checked without credentials.
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let text = std::fs::read_to_string(&config).unwrap().replace("access = \"restricted\"", "access = \"public\"");
    std::fs::write(&config, text).unwrap();
    let server = start(&config, &[]);
    let bless = std::env::var_os("NAVIGLI_BLESS").is_some();
    let mut failures = Vec::new();
    for &(layer, bbox, w, h, min_share) in GOLDEN {
        let path = format!(
            "/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={layer}&STYLES=&CRS=EPSG:32632&BBOX={bbox}&WIDTH={w}&HEIGHT={h}&FORMAT=image/png&TRANSPARENT=TRUE"
        );
        let (status, _, body) = get_bytes(&server, &path);
        assert_eq!(status, 200, "{layer}: {}", String::from_utf8_lossy(&body));
        let image = decode(&body);
        let share = painted(&image, [0, 0, 0, 0]) as f64 / f64::from(w * h);
        assert!(share >= min_share, "{layer}: only {:.2} % of the map is painted", share * 100.0);
        let golden = golden_path(layer);
        if bless {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &body).unwrap();
            eprintln!("blessed {}", golden.display());
            continue;
        }
        let Ok(expected) = std::fs::read(&golden) else {
            failures.push(format!("{layer}: no golden image at {} (bless with NAVIGLI_BLESS=1)", golden.display()));
            continue;
        };
        let diff = differing(&image, &decode(&expected), 24);
        // Antialiasing may move by a pixel between platforms; a style change moves far more.
        if diff as f64 > 0.005 * f64::from(w * h) {
            let out = std::env::temp_dir().join(format!("navigli-{layer}-actual.png"));
            std::fs::write(&out, &body).unwrap();
            failures.push(format!("{layer}: {diff} pixels differ from {} (actual image: {})", golden.display(), out.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn sld(layer: &str, symbolizer: &str) -> String {
    format!(
        r#"<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc"><NamedLayer><Name>{layer}</Name><UserStyle><FeatureTypeStyle><Rule>{symbolizer}</Rule></FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"#
    )
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

const LABEL_ONLY: &str = r#"<TextSymbolizer><Label><ogc:PropertyName>nome</ogc:PropertyName></Label><Font><CssParameter name="font-size">12</CssParameter></Font><Fill><CssParameter name="fill">#000000</CssParameter></Fill></TextSymbolizer>"#;

#[test]
fn labels_are_drawn_from_an_sld_body_and_bad_styles_are_refused() {
    let (server, _dir) = demo_server();
    let base = format!(
        "/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&CRS=EPSG:32632&BBOX={NORD_OVEST}&WIDTH=512&HEIGHT=512&FORMAT=image/png&TRANSPARENT=TRUE"
    );
    // Labels only: comuni names and nothing else; LAYERS comes from the SLD's NamedLayer.
    let (status, _, body) = get_bytes(&server, &format!("{base}&SLD_BODY={}", encode(&sld("comuni", LABEL_ONLY))));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let labels = decode(&body);
    let ink = painted(&labels, [0, 0, 0, 0]);
    assert!(ink > 2_000 && ink < 512 * 512 / 5, "names drawn, and only names: {ink} pixels");
    // A label that is not a property name is never evaluated: the symbolizer is left out.
    let bad = LABEL_ONLY.replace(">nome<", ">nome; DROP TABLE comuni<");
    let (status, _, body) = get_bytes(&server, &format!("{base}&LAYERS=comuni&SLD_BODY={}", encode(&sld("comuni", &bad))));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(painted(&decode(&body), [0, 0, 0, 0]), 0);
    // A property the layer does not have is refused.
    let unknown = LABEL_ONLY.replace(">nome<", ">segreto<");
    let (status, _, body) = get(&server, &format!("{base}&LAYERS=comuni&SLD_BODY={}", encode(&sld("comuni", &unknown))));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("InvalidParameterValue") && body.contains("sld_body"), "{body}");
    // Entities are never expanded; remote SLD documents are never fetched.
    let dtd = format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}", sld("comuni", LABEL_ONLY));
    let (status, _, body) = get(&server, &format!("{base}&LAYERS=comuni&SLD_BODY={}", encode(&dtd)));
    assert_eq!(status, 400, "{body}");
    assert!(!body.contains("root:"), "{body}");
    let (status, _, body) = get(&server, &format!("{base}&LAYERS=comuni&SLD=http://127.0.0.1:1/style.sld"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("locator=\"sld\""), "{body}");
    // The shipped comuni style labels too: more ink than its outlines alone.
    let (_, _, styled) = get_bytes(&server, &format!("{base}&LAYERS=comuni&STYLES="));
    let outline = sld(
        "comuni",
        r##"<PolygonSymbolizer><Stroke><CssParameter name="stroke">#555555</CssParameter><CssParameter name="stroke-width">1.2</CssParameter></Stroke></PolygonSymbolizer>"##,
    );
    let (_, _, outlines) = get_bytes(&server, &format!("{base}&SLD_BODY={}", encode(&outline)));
    assert!(painted(&decode(&styled), [0, 0, 0, 0]) > painted(&decode(&outlines), [0, 0, 0, 0]) + 1_000);
}

#[test]
fn eight_bit_png_and_jpeg() {
    let (server, _dir) = demo_server();
    let path = |format: &str| {
        format!(
            "/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=uso_suolo,strade,edifici&STYLES=&CRS=EPSG:32632&BBOX={CENTRO}&WIDTH=400&HEIGHT=300&FORMAT={format}"
        )
    };
    let (status, head, full) = get_bytes(&server, &path("image/png"));
    assert_eq!(status, 200);
    assert!(head.contains("content-type: image/png"), "{head}");
    let full = decode(&full);
    for format in ["image/png;%20mode=8bit", "image/png8"] {
        let (status, head, body) = get_bytes(&server, &path(format));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert!(head.contains("content-type: image/png"), "{head}");
        // IHDR colour type 3: a palette image.
        assert_eq!(body[25], 3, "{format} is not a palette PNG");
        let eight = decode(&body);
        let diff = differing(&full, &eight, 40);
        assert!(diff < 400 * 300 / 50, "{format}: {diff} pixels far from the 32-bit image");
    }
    let (status, head, jpeg) = get_bytes(&server, &path("image/jpeg"));
    assert_eq!(status, 200);
    assert!(head.contains("content-type: image/jpeg"), "{head}");
    assert_eq!(&jpeg[..3], &[0xff, 0xd8, 0xff], "JPEG start of image");
    // GDAL reads it as a 400×300 RGB image.
    let file = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    std::fs::write(file.path(), &jpeg).unwrap();
    let out = Command::new("gdalinfo").arg(file.path()).output().expect("gdalinfo (gdal-bin) is installed by make test");
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(info.contains("Driver: JPEG") && info.contains("Size is 400, 300") && info.contains("Band 3"), "{info}");
    // An unknown format is refused with InvalidFormat.
    let (status, _, body) = get(&server, &path("image/gif"));
    assert_eq!(status, 400);
    assert!(body.contains("InvalidFormat"), "{body}");
}

#[test]
fn legends_have_one_captioned_row_per_rule() {
    let (server, _dir) = demo_server();
    let (status, _, body) =
        get_bytes(&server, "/cmm/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER=edifici&FORMAT=image/png&WIDTH=20");
    assert_eq!(status, 200);
    let legend = decode(&body);
    // The edifici style has eleven symbolized rules, each 20 px high, captions to the right.
    assert_eq!(legend.height(), 11 * 20);
    assert!(legend.width() > 100, "captions widen the legend: {}", legend.width());
    let caption_ink = (0..legend.height())
        .flat_map(|y| (24..legend.width()).map(move |x| (x, y)))
        .filter(|&(x, y)| legend.pixel(x, y).unwrap().alpha() > 0)
        .count();
    assert!(caption_ink > 500, "{caption_ink}");
}
