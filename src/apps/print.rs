//! The printed map of an app: `GET /{tenant}/apps/{slug}/print` answers a one-page PDF sheet —
//! title, the map (the app's layers in its order and styles, over navigli's basemap layers),
//! legend, scale bar with the scale written out, north arrow, attribution, reference system,
//! date and the app's address. Text is real PDF text (DejaVu Sans, see
//! [`crate::render::pdf`]), so `pdftotext` and screen readers recover it.
//!
//! Parameters: `bbox` (EPSG:3857; default the app's extent), `layers` (app layers, default the
//! visible ones), `paper` `a4`|`a3`, `orientation` `landscape`|`portrait`, `dpi` 72–300 (150),
//! `scale` (a scale denominator: the map is centred on `bbox` at that scale), `title`, `lang`.
//! The map is drawn by the WMS renderer ([`crate::ogc::wms::map_image`]): layers of equal
//! opacity together, composited with their opacity. An external XYZ basemap is not printed
//! (the sheet says so): navigli fetches nothing from elsewhere.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use tiny_skia::{Pixmap, PixmapPaint, Transform};

use super::document::{AppDocument, Basemap};
use crate::crs::{transform_bbox, transform_point, Bbox, Crs};
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;
use crate::http::{Scope, ServiceError};
use crate::ogc::wms::{map_image, WmsContext, MAX_LAYERS, MAX_SIZE};
use crate::render::map::Canvas;
use crate::render::pdf::{self, fit_text, text_width, wrap_text, Page};
use crate::render::style::Color;

/// Mounts the print route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/apps/{slug}/print", web::get().to(print));
}

/// Most layers on one sheet (app layers and basemap layers together).
const MAX_PRINTED: usize = 32;
/// Longest title, characters.
const MAX_TITLE: usize = 120;
/// Page margin, points (10 mm).
const MARGIN: f64 = 28.35;
/// Heights of the title band and the footer, points.
const HEADER: f64 = 46.0;
const FOOTER: f64 = 26.0;
/// Width of the legend column of a landscape sheet, points.
const LEGEND_COLUMN: f64 = 165.0;
/// Metres per point of paper.
const METRES_PER_POINT: f64 = 0.0254 / 72.0;

/// Paper sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    /// 210 × 297 mm.
    A4,
    /// 297 × 420 mm.
    A3,
}

/// A print request, checked.
#[derive(Debug)]
pub struct PrintRequest {
    /// The area asked for, EPSG:3857 (widened to the map frame's shape).
    pub bbox: Option<Bbox>,
    /// App layers to print (default: the visible ones).
    pub layers: Option<Vec<String>>,
    /// Paper.
    pub paper: Paper,
    /// Landscape (default) or portrait.
    pub landscape: bool,
    /// Map resolution, dots per inch.
    pub dpi: u32,
    /// A scale denominator to print at.
    pub scale: Option<f64>,
    /// Title instead of the app's.
    pub title: Option<String>,
}

fn bad(locator: &str, text: impl Into<String>) -> ServiceError {
    ServiceError::new(OgcException::new(ExceptionCode::InvalidParameterValue, text).at(locator).with_status(400), ReportFormat::Json)
}

impl PrintRequest {
    /// Reads and checks the query parameters.
    pub fn from_kvp(kvp: &Kvp) -> Result<PrintRequest, ServiceError> {
        let bbox = match kvp.list("bbox") {
            None => None,
            Some(parts) => {
                let n: Vec<f64> = parts.iter().filter_map(|p| p.trim().parse::<f64>().ok()).filter(|v| v.is_finite()).collect();
                const WORLD: f64 = 20_037_508.35;
                let ok = n.len() == 4 && parts.len() == 4 && n.iter().all(|v| v.abs() <= WORLD);
                let b = ok.then(|| Bbox::new(n[0], n[1], n[2], n[3])).flatten().filter(|b| b.max_x > b.min_x && b.max_y > b.min_y);
                Some(b.ok_or_else(|| bad("bbox", "bbox is minx,miny,maxx,maxy in EPSG:3857 metres, minimum below maximum"))?)
            }
        };
        let layers = kvp.get("layers").map(|l| l.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect());
        let paper = match kvp.get("paper").map(str::to_ascii_lowercase).as_deref() {
            None | Some("a4") => Paper::A4,
            Some("a3") => Paper::A3,
            Some(_) => return Err(bad("paper", "paper is a4 or a3")),
        };
        let landscape = match kvp.get("orientation").map(str::to_ascii_lowercase).as_deref() {
            None | Some("landscape") => true,
            Some("portrait") => false,
            Some(_) => return Err(bad("orientation", "orientation is landscape or portrait")),
        };
        let dpi = match kvp.get("dpi") {
            None => 150,
            Some(d) => d
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (72..=300).contains(d))
                .ok_or_else(|| bad("dpi", "dpi is an integer from 72 to 300"))?,
        };
        let scale = match kvp.get("scale") {
            None => None,
            Some(s) => Some(
                s.trim()
                    .trim_start_matches("1:")
                    .replace(['.', ',', '_', ' '], "")
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (100.0..=10_000_000.0).contains(s))
                    .ok_or_else(|| bad("scale", "scale is a scale denominator from 100 to 10000000 (e.g. 5000 for 1:5.000)"))?,
            ),
        };
        let title = match kvp.get("title").map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().count() > MAX_TITLE => return Err(bad("title", format!("title has at most {MAX_TITLE} characters"))),
            t => t.map(str::to_string),
        };
        Ok(PrintRequest { bbox, layers, paper, landscape, dpi, scale, title })
    }
}

/// Where things go on the sheet, points from the top-left corner.
#[derive(Clone, Copy, Debug)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// The page size and the map and legend frames of a sheet.
fn layout(paper: Paper, landscape: bool) -> ((f64, f64), Rect, Rect) {
    let (short, long) = match paper {
        Paper::A4 => pdf::A4,
        Paper::A3 => pdf::A3,
    };
    let (w, h) = if landscape { (long, short) } else { (short, long) };
    let top = MARGIN + HEADER;
    let body = h - top - MARGIN - FOOTER;
    if landscape {
        let map = Rect { x: MARGIN, y: top, w: w - 2.0 * MARGIN - LEGEND_COLUMN - 12.0, h: body };
        let legend = Rect { x: map.x + map.w + 12.0, y: top, w: LEGEND_COLUMN, h: body };
        ((w, h), map, legend)
    } else {
        let legend_h = (body * 0.22).round();
        let map = Rect { x: MARGIN, y: top, w: w - 2.0 * MARGIN, h: body - legend_h - 10.0 };
        let legend = Rect { x: MARGIN, y: map.y + map.h + 10.0, w: map.w, h: legend_h };
        ((w, h), map, legend)
    }
}

/// The map area: `bbox` (or the app's extent) centred in the frame, at `scale` when given,
/// else widened to the frame's shape; with the scale denominator at its centre.
fn map_area(bbox: Bbox, frame: Rect, scale: Option<f64>) -> (Bbox, f64) {
    let (cx, cy) = ((bbox.min_x + bbox.max_x) / 2.0, (bbox.min_y + bbox.max_y) / 2.0);
    // Web Mercator stretches the ground by 1/cos(latitude).
    let lat = transform_point(Crs::WEB_MERCATOR, Crs::CRS84, cx, cy).map(|p| p.1).unwrap_or(45.46);
    let ground = lat.to_radians().cos();
    let (paper_w, paper_h) = (frame.w * METRES_PER_POINT, frame.h * METRES_PER_POINT);
    let (half_w, half_h) = match scale {
        Some(s) => (s * paper_w / ground / 2.0, s * paper_h / ground / 2.0),
        None => {
            let (bw, bh) = (bbox.max_x - bbox.min_x, bbox.max_y - bbox.min_y);
            let per_metre = (bw / paper_w).max(bh / paper_h);
            (per_metre * paper_w / 2.0, per_metre * paper_h / 2.0)
        }
    };
    let area = Bbox { min_x: cx - half_w, min_y: cy - half_h, max_x: cx + half_w, max_y: cy + half_h };
    (area, 2.0 * half_w * ground / paper_w)
}

/// A round length for a scale bar of about `target` metres: 1, 2 or 5 × 10ⁿ.
fn nice_length(target: f64) -> f64 {
    let p = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|k| k * p).find(|v| *v <= target).unwrap_or(p)
}

/// A whole number with the language's thousands separator.
pub(super) fn grouped(n: f64, lang: &str) -> String {
    let digits = format!("{:.0}", n.round().max(0.0));
    let sep = if lang == "en" { ',' } else { '.' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A number with `decimals` decimals (trailing zeros dropped), the language's separators.
pub(super) fn decimal(v: f64, decimals: usize, lang: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "−" } else { "" };
    let int = grouped(int.parse::<f64>().unwrap_or(0.0), lang);
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}{}{frac}", if lang == "en" { '.' } else { ',' })
    }
}

fn distance(m: f64, lang: &str) -> String {
    if m >= 1000.0 {
        let km = m / 1000.0;
        let s = if km.fract() == 0.0 { format!("{km:.0}") } else { format!("{km}") };
        format!("{} km", if lang == "en" { s } else { s.replace('.', ",") })
    } else {
        format!("{m:.0} m")
    }
}

/// The sheet's words in one language.
struct Words {
    legend: &'static str,
    scale: &'static str,
    printed: &'static str,
    crs: &'static str,
    external: &'static str,
    more: &'static str,
}

fn words(lang: &str) -> Words {
    if lang == "en" {
        Words {
            legend: "Legend",
            scale: "Scale 1:{n} (at the centre of the map)",
            printed: "Printed on {d}",
            crs: "Reference system: WGS 84 / Pseudo-Mercator (EPSG:3857)",
            external: "External basemap not printed.",
            more: "… and {n} more layers",
        }
    } else {
        Words {
            legend: "Legenda",
            scale: "Scala 1:{n} (al centro della mappa)",
            printed: "Stampata il {d}",
            crs: "Sistema di riferimento: WGS 84 / Pseudo-Mercator (EPSG:3857)",
            external: "Mappa di base esterna non stampata.",
            more: "… e altri {n} livelli",
        }
    }
}

/// What goes on the sheet besides the map image.
struct Sheet {
    title: String,
    subtitle: String,
    attribution: String,
    url: String,
    lang: &'static str,
    external_basemap: bool,
    /// Legend entries, top layer first: title and legend image.
    legend: Vec<(String, Option<Pixmap>)>,
}

const INK: Color = Color { r: 26, g: 26, b: 26, a: 255 };
const GREY: Color = Color { r: 90, g: 90, b: 90, a: 255 };
const WHITE: Color = Color { r: 255, g: 255, b: 255, a: 255 };

/// Lays out the whole page around the map image.
fn draw_sheet(sheet: &Sheet, map: &Pixmap, scale: f64, paper: Paper, landscape: bool) -> Page {
    let ((w, h), frame, legend) = layout(paper, landscape);
    let words = words(sheet.lang);
    let mut page = Page::new(w, h);
    page.text(MARGIN, MARGIN + 18.0, 17.0, true, INK, &fit_text(&sheet.title, 17.0, true, w - 2.0 * MARGIN));
    page.text(MARGIN, MARGIN + 35.0, 10.0, false, GREY, &fit_text(&sheet.subtitle, 10.0, false, w - 2.0 * MARGIN));
    page.image(frame.x, frame.y, frame.w, frame.h, map);
    page.stroke_rect(frame.x, frame.y, frame.w, frame.h, GREY, 0.75);
    scale_bar(&mut page, frame, scale, sheet.lang, &words);
    north_arrow(&mut page, frame);
    draw_legend(&mut page, legend, &sheet.legend, &words);
    let foot = h - MARGIN - FOOTER + 11.0;
    let half = (w - 2.0 * MARGIN) / 2.0 - 6.0;
    let mut left = sheet.attribution.clone();
    if sheet.external_basemap {
        left = format!("{left} · {}", words.external);
    }
    page.text(MARGIN, foot, 7.5, false, GREY, &fit_text(&left, 7.5, false, half));
    page.text(MARGIN, foot + 10.0, 7.5, false, GREY, words.crs);
    let date = jiff::Zoned::now().strftime("%d/%m/%Y").to_string();
    page.text_right(w - MARGIN, foot, 7.5, false, GREY, &words.printed.replace("{d}", &date));
    page.text_right(w - MARGIN, foot + 10.0, 7.5, false, GREY, &fit_text(&sheet.url, 7.5, false, half));
    page
}

fn scale_bar(page: &mut Page, frame: Rect, scale: f64, lang: &str, words: &Words) {
    let metres = nice_length(frame.w / 4.0 * METRES_PER_POINT * scale);
    let bar = metres / scale / METRES_PER_POINT;
    let text = words.scale.replace("{n}", &grouped(scale, lang));
    let label = distance(metres, lang);
    let box_w = (bar + 16.0 + text_width(&label, 7.5, false) / 2.0).max(text_width(&text, 7.5, false) + 16.0);
    let (x, y) = (frame.x + 8.0, frame.y + frame.h - 44.0);
    page.fill_rect(x, y, box_w, 36.0, WHITE);
    page.stroke_rect(x, y, box_w, 36.0, GREY, 0.5);
    let (bx, by) = (x + 8.0, y + 16.0);
    page.fill_rect(bx, by, bar / 2.0, 4.0, INK);
    page.fill_rect(bx + bar / 2.0, by, bar / 2.0, 4.0, WHITE);
    page.stroke_rect(bx, by, bar, 4.0, INK, 0.6);
    page.text(bx - 2.0, by - 3.0, 7.5, false, INK, "0");
    page.text(bx + bar - text_width(&label, 7.5, false) / 2.0, by - 3.0, 7.5, false, INK, &label);
    page.text(bx, by + 14.0, 7.5, false, INK, &text);
}

fn north_arrow(page: &mut Page, frame: Rect) {
    let (x, y) = (frame.x + frame.w - 34.0, frame.y + 8.0);
    page.fill_rect(x, y, 26.0, 36.0, WHITE);
    page.stroke_rect(x, y, 26.0, 36.0, GREY, 0.5);
    let cx = x + 13.0;
    page.polygon(&[(cx, y + 16.0), (cx + 7.0, y + 32.0), (cx, y + 28.0), (cx - 7.0, y + 32.0)], INK);
    page.text(cx - text_width("N", 9.0, true) / 2.0, y + 13.0, 9.0, true, INK, "N");
}

fn draw_legend(page: &mut Page, frame: Rect, entries: &[(String, Option<Pixmap>)], words: &Words) {
    page.text(frame.x, frame.y + 11.0, 11.0, true, INK, words.legend);
    // Portrait sheets flow the legend in three columns.
    let columns = if frame.w > 300.0 { 3 } else { 1 };
    let col_w = (frame.w - 12.0 * (columns - 1) as f64) / columns as f64;
    let (mut col, mut y) = (0usize, frame.y + 22.0);
    for (i, (title, image)) in entries.iter().enumerate() {
        let lines = wrap_text(title, 8.5, true, col_w);
        // Legend images are drawn at 32 px per 16 pt row.
        let (img_w, img_h) = image.as_ref().map(|p| (f64::from(p.width()) / 2.0, f64::from(p.height()) / 2.0)).unwrap_or((0.0, 0.0));
        // An entry taller than a whole column is shrunk to fit one (with room for the note
        // about the layers left out).
        let room = frame.h - 22.0 - lines.len() as f64 * 10.5 - 20.0;
        let scale = 1f64.min(if img_w > 0.0 { col_w / img_w } else { 1.0 }).min(if img_h > 0.0 { room.max(8.0) / img_h } else { 1.0 });
        let needed = lines.len() as f64 * 10.5 + img_h * scale + 8.0;
        if y + needed > frame.y + frame.h - 12.0 {
            col += 1;
            y = frame.y + 22.0;
            if col >= columns {
                let x = frame.x + (columns - 1) as f64 * (col_w + 12.0);
                let rest = words.more.replace("{n}", &(entries.len() - i).to_string());
                page.text(x, frame.y + frame.h - 2.0, 8.0, false, GREY, &fit_text(&rest, 8.0, false, col_w));
                return;
            }
        }
        let x = frame.x + col as f64 * (col_w + 12.0);
        for line in &lines {
            y += 10.5;
            page.text(x, y - 2.0, 8.5, true, INK, line);
        }
        if let Some(p) = image {
            page.image(x, y + 1.0, img_w * scale, img_h * scale, p);
            y += img_h * scale + 1.0;
        }
        y += 7.0;
    }
}

/// One WMS image of consecutive layers sharing an opacity.
struct Group {
    layers: Vec<(String, String)>,
    opacity: f64,
}

/// The layers to print, bottom first, in groups of equal opacity of at most [`MAX_LAYERS`]
/// (the WMS's limit per map), and the legend entries.
#[allow(clippy::type_complexity)]
fn groups(scope: &Scope, doc: &AppDocument, asked: Option<&[String]>) -> Result<(Vec<Group>, Vec<(String, String)>), ServiceError> {
    if let Some(names) = asked {
        if let Some(unknown) = names.iter().find(|n| !doc.layers.iter().any(|l| &l.name == *n)) {
            let shown: String = unknown.chars().take(64).collect();
            return Err(bad("layers", format!("'{shown}' is not a layer of this app")));
        }
    }
    let mut chosen: Vec<(String, String, f64)> = Vec::new();
    if let Basemap::Navigli { layers } = &doc.basemap {
        let public = crate::auth::Caller::Anonymous;
        for name in layers.iter().filter(|n| scope.catalog().layer(scope.tenant(), &public, n).is_some()) {
            chosen.push((name.clone(), String::new(), 1.0));
        }
    }
    let mut legend = Vec::new();
    for l in &doc.layers {
        let wanted = asked.map_or(l.visible, |names| names.iter().any(|n| n == &l.name));
        // A layer gone from the catalog, or not for this caller, is left out (as the viewer does).
        let Some(layer) = scope.catalog().layer(scope.tenant(), &scope.caller, &l.name) else { continue };
        if wanted {
            chosen.push((l.name.clone(), l.style.clone().unwrap_or_default(), l.opacity.clamp(0.0, 1.0)));
            legend.push((l.name.clone(), l.title.clone().unwrap_or_else(|| layer.config.title.clone())));
        }
    }
    if chosen.len() > MAX_PRINTED {
        return Err(bad("layers", format!("at most {MAX_PRINTED} layers per sheet (basemap included)")));
    }
    let mut out: Vec<Group> = Vec::new();
    for (name, style, opacity) in chosen {
        match out.last_mut() {
            Some(g) if (g.opacity - opacity).abs() < 1e-6 && g.layers.len() < MAX_LAYERS => g.layers.push((name, style)),
            _ => out.push(Group { layers: vec![(name, style)], opacity }),
        }
    }
    legend.reverse();
    Ok((out, legend))
}

/// The map image: every group drawn by the WMS renderer and composited over white.
async fn map_pixmap(scope: &Scope, groups: &[Group], area: Bbox, size: (u32, u32), dpi: u32) -> Result<Pixmap, ServiceError> {
    let mut base = Pixmap::new(size.0, size.1).ok_or_else(|| bad("dpi", "the map is too large"))?;
    base.fill(tiny_skia::Color::WHITE);
    let ctx = WmsContext::of(scope, "wms");
    for g in groups {
        let names: Vec<&str> = g.layers.iter().map(|l| l.0.as_str()).collect();
        let styles: Vec<&str> = g.layers.iter().map(|l| l.1.as_str()).collect();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("VERSION", "1.3.0")
            .append_pair("CRS", "EPSG:3857")
            .append_pair("BBOX", &format!("{},{},{},{}", area.min_x, area.min_y, area.max_x, area.max_y))
            .append_pair("WIDTH", &size.0.to_string())
            .append_pair("HEIGHT", &size.1.to_string())
            .append_pair("LAYERS", &names.join(","))
            .append_pair("STYLES", &styles.join(","))
            .append_pair("TRANSPARENT", "TRUE")
            .append_pair("DPI", &dpi.to_string())
            .finish();
        let kvp = Kvp::parse(&query).map_err(|e| ServiceError::new(e, ReportFormat::Json))?;
        let image = map_image(&ctx, &kvp).await.map_err(|e| ServiceError::new(e, ReportFormat::Json))?;
        let paint = PixmapPaint { opacity: g.opacity as f32, ..PixmapPaint::default() };
        base.draw_pixmap(0, 0, image.as_ref(), &paint, Transform::identity(), None);
    }
    Ok(base)
}

async fn print(scope: Scope, path: web::Path<(String, String)>) -> Result<HttpResponse, ServiceError> {
    let slug = path.into_inner().1;
    let (_, doc) = super::viewer::published(&scope, &slug).await?;
    if !doc.tools.iter().any(|t| t == "print") {
        return Err(super::viewer::json_error(404, ExceptionCode::NotFound, "this app has no print tool"));
    }
    let req = PrintRequest::from_kvp(&scope.kvp)?;
    let ((_, _), frame, _) = layout(req.paper, req.landscape);
    let px = |pt: f64| (pt / 72.0 * f64::from(req.dpi)).round() as u32;
    let size = (px(frame.w), px(frame.h));
    if size.0 > MAX_SIZE || size.1 > MAX_SIZE {
        let most = (f64::from(MAX_SIZE) * 72.0 / frame.w.max(frame.h)).floor();
        return Err(bad("dpi", format!("at most {most} dpi on this paper")));
    }
    let t = &scope.tenant().extent_lonlat;
    let lonlat = doc.extent.map(|e| Bbox { min_x: e[0], min_y: e[1], max_x: e[2], max_y: e[3] }).unwrap_or(*t);
    let extent = transform_bbox(Crs::CRS84, Crs::WEB_MERCATOR, &lonlat).map_err(|e| bad("bbox", e.to_string()))?;
    let (area, scale) = map_area(req.bbox.unwrap_or(extent), frame, req.scale);
    let (groups, legend_layers) = groups(&scope, &doc, req.layers.as_deref())?;
    let map = map_pixmap(&scope, &groups, area, size, req.dpi).await?;
    let legend = legend_layers
        .into_iter()
        .map(|(name, title)| {
            let layer = scope.catalog().layer(scope.tenant(), &scope.caller, &name);
            let image = layer.and_then(|l| {
                let style = scope.catalog().style(l)?;
                Canvas::legend(&style, &l.config.geometry_type, 32).ok().map(Canvas::into_pixmap)
            });
            (title, image)
        })
        .collect();
    let lang = super::viewer::lang(&scope);
    let sheet = Sheet {
        title: req.title.clone().unwrap_or_else(|| doc.title.clone()),
        subtitle: scope.tenant().title.clone(),
        attribution: scope.catalog().server.attribution.clone(),
        url: scope.service_url(&format!("apps/{slug}")),
        lang,
        external_basemap: matches!(doc.basemap, Basemap::Xyz { .. }),
        legend,
    };
    let (paper, landscape) = (req.paper, req.landscape);
    let bytes = web::block(move || pdf::document(&[draw_sheet(&sheet, &map, scale, paper, landscape)], &sheet.title))
        .await
        .map_err(|e| ServiceError::new(OgcException::new(ExceptionCode::NoApplicableCode, e.to_string()), ReportFormat::Json))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{slug}.pdf\"")))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bars_are_round_and_scales_are_grouped() {
        assert_eq!(nice_length(730.0), 500.0);
        assert_eq!(nice_length(2100.0), 2000.0);
        assert_eq!(nice_length(99.0), 50.0);
        assert_eq!(grouped(12345.4, "it"), "12.345");
        assert_eq!(grouped(1234567.0, "en"), "1,234,567");
        assert_eq!(grouped(500.0, "it"), "500");
        assert_eq!(distance(2000.0, "it"), "2 km");
        assert_eq!(distance(2500.0, "it"), "2,5 km");
        assert_eq!(distance(200.0, "en"), "200 m");
        assert_eq!(decimal(1234.56, 1, "it"), "1.234,6");
        assert_eq!(decimal(-1545.0, 0, "it"), "−1.545");
        assert_eq!(decimal(5.60, 2, "en"), "5.6");
        assert_eq!(decimal(-0.001, 1, "it"), "0");
    }

    #[test]
    fn the_map_area_keeps_the_centre_and_takes_the_frame_shape() {
        let (_, frame, _) = layout(Paper::A4, true);
        let asked = Bbox { min_x: 1_000_000.0, min_y: 5_690_000.0, max_x: 1_010_000.0, max_y: 5_692_000.0 };
        let (area, scale) = map_area(asked, frame, None);
        let ratio = (area.max_x - area.min_x) / (area.max_y - area.min_y);
        assert!((ratio - frame.w / frame.h).abs() < 1e-9);
        assert!(area.min_x <= asked.min_x + 1e-6 && area.max_x >= asked.max_x - 1e-6 && area.max_y >= asked.max_y);
        // At a given scale: the frame's paper width times the scale is the ground width.
        let (at, s) = map_area(asked, frame, Some(5000.0));
        assert!((s - 5000.0).abs() < 1e-6, "{s}");
        let lat = transform_point(Crs::WEB_MERCATOR, Crs::CRS84, 1_005_000.0, 5_691_000.0).unwrap().1;
        let ground = (at.max_x - at.min_x) * lat.to_radians().cos();
        assert!((ground - 5000.0 * frame.w * METRES_PER_POINT).abs() < 1e-3);
        assert!(scale > 10_000.0 && scale < 100_000.0, "{scale}");
    }

    #[test]
    fn bad_parameters_name_their_parameter() {
        let err = |q: &str| PrintRequest::from_kvp(&Kvp::parse(q).unwrap()).unwrap_err().exception.to_string();
        assert!(err("paper=a0").contains("a4 or a3"));
        assert!(err("orientation=up").contains("landscape"));
        assert!(err("dpi=1000").contains("72 to 300"));
        assert!(err("bbox=1,2,3").contains("EPSG:3857"));
        assert!(err("bbox=3,2,1,4").contains("EPSG:3857"));
        assert!(err("scale=3").contains("100"));
        let ok = PrintRequest::from_kvp(&Kvp::parse("scale=1:5.000&paper=A3&orientation=portrait&layers=a,,b").unwrap()).unwrap();
        assert_eq!((ok.scale, ok.paper, ok.landscape, ok.dpi), (Some(5000.0), Paper::A3, false, 150));
        assert_eq!(ok.layers.unwrap(), vec!["a", "b"]);
    }
}
