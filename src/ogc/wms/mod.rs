//! WMS 1.3.0 and 1.1.1 (KVP GET): GetCapabilities, GetMap (PNG, 8-bit PNG, JPEG),
//! GetFeatureInfo, GetLegendGraphic. Handlers parse the KVP into typed values, query each
//! layer's source in the request CRS and stream the rows to a blocking thread that draws them
//! with the layer's style (or one given in `SLD_BODY`), so rendering never holds up the
//! server's async workers.

// Documents are written line by line; a trailing "\n" in a write! is intended.
#![allow(clippy::write_with_newline)]

pub mod capabilities;

use std::sync::Arc;

use actix_web::HttpResponse;
use futures_util::StreamExt;

pub use capabilities::{WmsContext, WmsVersion};

use crate::catalog::Layer;
use crate::crs::{Bbox, Crs};
use crate::filter::Filter;
use crate::http::exception::{ExceptionCode, OgcException, ReportFormat};
use crate::http::kvp::Kvp;
use crate::render::map::{default_style, style_properties, styled_symbolizers, Canvas, ImageFormat};
use crate::render::style::{Color, Style};
use crate::source::{Attribute, FeatureQuery};

/// Largest image side, pixels.
pub const MAX_SIZE: u32 = 4096;
/// Most layers in one GetMap.
pub const MAX_LAYERS: usize = 16;
/// Most features drawn per layer in one map.
const MAX_DRAWN: u64 = 500_000;
/// Batches in flight between a source and the drawing thread.
const DRAW_QUEUE: usize = 8;
/// Rows per batch.
const DRAW_BATCH: usize = 256;

fn invalid(code: ExceptionCode, locator: &str, text: impl Into<String>) -> OgcException {
    OgcException::new(code, text).at(locator)
}

fn parse_version(kvp: &Kvp) -> Result<WmsVersion, OgcException> {
    match kvp.get("version").or_else(|| kvp.get("wmtver")) {
        None | Some("1.3.0") | Some("1.3") => Ok(WmsVersion::V1_3_0),
        Some("1.1.1") | Some("1.1.0") | Some("1.1") => Ok(WmsVersion::V1_1_1),
        Some(v) => Err(invalid(
            ExceptionCode::InvalidParameterValue,
            "version",
            format!("VERSION {} is not supported (1.3.0, 1.1.1)", v.chars().take(16).collect::<String>()),
        )),
    }
}

/// The version of a GetCapabilities answer (WMS 1.3.0 §6.2.4): the one asked for (VERSION, or
/// its pre-1.1 name WMTVER) when supported, else the highest supported version below it, else
/// the lowest supported one; 1.3.0 when none is asked.
fn negotiate(kvp: &Kvp) -> WmsVersion {
    let Some(asked) = kvp.get("version").or_else(|| kvp.get("wmtver")) else { return WmsVersion::V1_3_0 };
    let number = |s: &str| -> Option<(u32, u32, u32)> {
        let mut parts = s.trim().split('.').map(|p| p.parse::<u32>().ok());
        Some((parts.next()??, parts.next().flatten().unwrap_or(0), parts.next().flatten().unwrap_or(0)))
    };
    match number(asked) {
        Some(v) if v >= (1, 3, 0) => WmsVersion::V1_3_0,
        // Below 1.3.0 (1.1.1 itself, or anything lower than every supported version).
        Some(_) => WmsVersion::V1_1_1,
        None => WmsVersion::V1_3_0,
    }
}

/// The exception report format of a WMS request.
pub fn report_format(kvp: &Kvp) -> ReportFormat {
    match parse_version(kvp) {
        Ok(WmsVersion::V1_1_1) => ReportFormat::Wms111,
        _ => ReportFormat::Wms130,
    }
}

/// How errors are reported for GetMap.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExceptionMode {
    Xml,
    InImage,
    Blank,
}

/// The parameters shared by GetMap and GetFeatureInfo.
struct MapRequest<'a> {
    version: WmsVersion,
    layers: Vec<(&'a Layer, Arc<Style>)>,
    view: MapView,
}

fn parse_size(kvp: &Kvp, name: &str) -> Result<u32, OgcException> {
    let v = kvp.require(name)?;
    v.trim().parse::<u32>().ok().filter(|n| (1..=MAX_SIZE).contains(n)).ok_or_else(|| {
        invalid(
            ExceptionCode::InvalidParameterValue,
            name,
            format!("{} must be an integer between 1 and {MAX_SIZE}", name.to_ascii_uppercase()),
        )
    })
}

async fn parse_map_request<'a>(ctx: &'a WmsContext<'_>, kvp: &Kvp, layers_param: &str) -> Result<MapRequest<'a>, OgcException> {
    let version = parse_version(kvp)?;
    let sld = if layers_param == "layers" { sld_body(kvp)? } else { None };
    let chosen = map_layers(ctx, kvp, layers_param, sld.as_ref())?;
    if chosen.len() > MAX_LAYERS {
        return Err(invalid(ExceptionCode::InvalidParameterValue, layers_param, format!("at most {MAX_LAYERS} layers per map")));
    }
    let layers = with_graphics(chosen, ctx.catalog.styles_dir.clone()).await?;
    let view = MapView::from_kvp(kvp, version)?;
    Ok(MapRequest { version, layers, view })
}

/// A layer of a map with its style: the layer's own, or one an `SLD_BODY` gave (whose images
/// still have to be loaded).
enum ChosenStyle {
    Own(Arc<Style>),
    Given(Style),
}

/// The layers LAYERS (or QUERY_LAYERS, or the SLD_BODY's named layers) asks for, groups
/// expanded, each with its style.
fn map_layers<'a>(
    ctx: &'a WmsContext<'_>,
    kvp: &Kvp,
    layers_param: &str,
    sld: Option<&crate::render::sld::SldReport>,
) -> Result<Vec<(&'a Layer, ChosenStyle)>, OgcException> {
    let sld_layers: Vec<&str> = sld.iter().flat_map(|r| r.layers.iter().flatten().map(String::as_str)).collect();
    let names = match kvp.list(layers_param) {
        Some(names) => names,
        None if !sld_layers.is_empty() => sld_layers,
        None => {
            let missing = format!("parameter {} is mandatory", layers_param.to_ascii_uppercase());
            return Err(OgcException::new(ExceptionCode::MissingParameterValue, missing).at(layers_param));
        }
    };
    let styles: Vec<&str> = kvp.list("styles").unwrap_or_default();
    if !styles.is_empty() && styles.len() != names.len() && !(styles.len() == 1 && styles[0].is_empty()) {
        return Err(invalid(ExceptionCode::StyleNotDefined, "styles", "STYLES must list one entry (possibly empty) per layer"));
    }
    let mut layers = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let style_name = styles.get(i).copied().unwrap_or("");
        for layer in named_layers(ctx, name, layers_param)? {
            let given = sld.and_then(|r| {
                let i = r.layers.iter().position(|l| l.as_deref() == Some(layer.name()) || l.as_deref() == Some(*name))?;
                r.styles.get(i).cloned()
            });
            if let Some(style) = given {
                layers.push((layer, ChosenStyle::Given(style)));
                continue;
            }
            let own = layer.config.style.as_deref().unwrap_or("default");
            if !style_name.is_empty() && style_name != own && style_name != "default" {
                let shown: String = style_name.chars().take(64).collect();
                return Err(invalid(ExceptionCode::StyleNotDefined, "styles", format!("layer {} has no style '{shown}'", layer.name())));
            }
            let style = ctx.catalog.style(layer).unwrap_or_else(|| Arc::new(default_style(&layer.config.geometry_type)));
            layers.push((layer, ChosenStyle::Own(style)));
        }
    }
    Ok(layers)
}

/// A layer, or the visible members of a group, by name.
fn named_layers<'a>(ctx: &'a WmsContext<'_>, name: &str, layers_param: &str) -> Result<Vec<&'a Layer>, OgcException> {
    if let Some(l) = ctx.catalog.layer(ctx.tenant, ctx.caller, name) {
        return Ok(vec![l.as_ref()]);
    }
    let members: Vec<&Layer> =
        ctx.catalog.visible_layers(ctx.tenant, ctx.caller).filter(|l| l.config.group == name).map(|l| l.as_ref()).collect();
    if !members.is_empty() {
        return Ok(members);
    }
    if let Some(denial) = ctx.catalog.denied(ctx.tenant, ctx.caller, name) {
        return Err(OgcException::from(denial).at(layers_param));
    }
    Err(invalid(ExceptionCode::LayerNotDefined, "layers", format!("unknown layer '{}'", name.chars().take(64).collect::<String>())))
}

/// Loads the images of the styles an `SLD_BODY` gave, on the blocking pool (they are files).
async fn with_graphics(chosen: Vec<(&Layer, ChosenStyle)>, dir: std::path::PathBuf) -> Result<Vec<(&Layer, Arc<Style>)>, OgcException> {
    let (layers, styles): (Vec<&Layer>, Vec<ChosenStyle>) = chosen.into_iter().unzip();
    let any_given = styles.iter().any(|s| matches!(s, ChosenStyle::Given(_)));
    let load = move || {
        styles
            .into_iter()
            .map(|s| match s {
                ChosenStyle::Own(s) => Ok(s),
                ChosenStyle::Given(mut style) => match crate::render::map::load_graphics(&mut style, &dir).into_iter().next() {
                    Some(problem) => Err(invalid(ExceptionCode::InvalidParameterValue, "sld_body", format!("SLD_BODY: {problem}"))),
                    None => Ok(Arc::new(style)),
                },
            })
            .collect::<Result<Vec<_>, _>>()
    };
    // Files are read only for styles an SLD_BODY gave: only then is the blocking pool needed.
    let loaded = if any_given { tokio::task::spawn_blocking(load).await.map_err(internal)?? } else { load()? };
    Ok(layers.into_iter().zip(loaded).collect())
}

/// Where and how big a map is drawn: CRS, box, size, background, resolution.
struct MapView {
    crs: Crs,
    bbox: Bbox,
    width: u32,
    height: u32,
    transparent: bool,
    background: Color,
    dpi: f64,
}

impl MapView {
    fn from_kvp(kvp: &Kvp, version: WmsVersion) -> Result<MapView, OgcException> {
        let (crs_param, crs_code) = match version {
            WmsVersion::V1_3_0 => ("crs", ExceptionCode::InvalidCrs),
            WmsVersion::V1_1_1 => ("srs", ExceptionCode::InvalidSrs),
        };
        let crs_text = kvp.get(crs_param).or_else(|| kvp.get(if crs_param == "crs" { "srs" } else { "crs" })).ok_or_else(|| {
            OgcException::new(ExceptionCode::MissingParameterValue, format!("parameter {} is mandatory", crs_param.to_ascii_uppercase()))
                .at(crs_param)
        })?;
        let (crs, _) = Crs::parse(crs_text).ok_or_else(|| {
            let shown: String = crs_text.chars().take(64).collect();
            invalid(crs_code, crs_param, format!("unsupported {} '{shown}'", crs_param.to_ascii_uppercase()))
        })?;
        let bbox = map_bbox(kvp, version, crs)?;
        let width = parse_size(kvp, "width")?;
        let height = parse_size(kvp, "height")?;
        let transparent = kvp.get("transparent").is_some_and(|t| t.eq_ignore_ascii_case("true"));
        let background = match kvp.get("bgcolor") {
            None => Color { r: 255, g: 255, b: 255, a: 255 },
            Some(c) => Color::parse_hex(&c.replacen("0x", "#", 1).replacen("0X", "#", 1))
                .ok_or_else(|| invalid(ExceptionCode::InvalidParameterValue, "bgcolor", "BGCOLOR looks like 0xRRGGBB"))?,
        };
        Ok(MapView { crs, bbox, width, height, transparent, background, dpi: map_dpi(kvp)? })
    }
}

/// BBOX, in the CRS's own axis order in WMS 1.3.0 (EPSG:4326: lat, lon).
fn map_bbox(kvp: &Kvp, version: WmsVersion, crs: Crs) -> Result<Bbox, OgcException> {
    let parts = kvp
        .list("bbox")
        .ok_or_else(|| OgcException::new(ExceptionCode::MissingParameterValue, "parameter BBOX is mandatory").at("bbox"))?;
    let nums: Vec<f64> = parts
        .iter()
        .map(|p| p.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| invalid(ExceptionCode::InvalidParameterValue, "bbox", "BBOX corners must be numbers"))?;
    if nums.len() != 4 {
        return Err(invalid(ExceptionCode::InvalidParameterValue, "bbox", "BBOX needs minx,miny,maxx,maxy"));
    }
    let swap = version == WmsVersion::V1_3_0 && crs.north_first();
    let (x1, y1, x2, y2) = if swap { (nums[1], nums[0], nums[3], nums[2]) } else { (nums[0], nums[1], nums[2], nums[3]) };
    Bbox::new(x1, y1, x2, y2)
        .filter(|b| b.max_x > b.min_x && b.max_y > b.min_y)
        .ok_or_else(|| invalid(ExceptionCode::InvalidParameterValue, "bbox", "BBOX minimum must be below its maximum"))
}

/// DPI, MAP_RESOLUTION or FORMAT_OPTIONS=dpi: (90.7, the OGC standard pixel, by default).
fn map_dpi(kvp: &Kvp) -> Result<f64, OgcException> {
    let dpi = kvp
        .get("dpi")
        .or_else(|| kvp.get("map_resolution"))
        .map(str::to_string)
        .or_else(|| kvp.get("format_options").and_then(|f| f.split(';').find_map(|o| o.trim().strip_prefix("dpi:").map(str::to_string))))
        .map(|d| {
            d.trim()
                .parse::<f64>()
                .ok()
                .filter(|d| (10.0..=1200.0).contains(d))
                .ok_or_else(|| invalid(ExceptionCode::InvalidParameterValue, "dpi", "DPI must be between 10 and 1200"))
        })
        .transpose()?;
    Ok(dpi.unwrap_or(90.7))
}

/// The styles of an `SLD_BODY`, if given; a remote `SLD` URL is refused (never fetched).
fn sld_body(kvp: &Kvp) -> Result<Option<crate::render::sld::SldReport>, OgcException> {
    if kvp.get("sld").is_some() {
        return Err(invalid(
            ExceptionCode::InvalidParameterValue,
            "sld",
            "remote SLD documents are not fetched by this server; send the style inline in SLD_BODY",
        ));
    }
    let Some(body) = kvp.get("sld_body") else { return Ok(None) };
    let report = crate::render::sld::parse_sld(body)
        .map_err(|e| invalid(ExceptionCode::InvalidParameterValue, "sld_body", format!("SLD_BODY: {e}")))?;
    if report.styles.is_empty() {
        return Err(invalid(ExceptionCode::InvalidParameterValue, "sld_body", "SLD_BODY has no UserStyle"));
    }
    if !report.unsupported.is_empty() {
        tracing::debug!("SLD_BODY elements not rendered: {}", report.unsupported.join(", "));
    }
    Ok(Some(report))
}

fn exception_mode(kvp: &Kvp) -> ExceptionMode {
    match kvp.get("exceptions").map(str::to_ascii_lowercase).as_deref() {
        Some("inimage") | Some("application/vnd.ogc.se_inimage") => ExceptionMode::InImage,
        Some("blank") | Some("application/vnd.ogc.se_blank") => ExceptionMode::Blank,
        _ => ExceptionMode::Xml,
    }
}

fn image_response(bytes: Vec<u8>, format: ImageFormat) -> HttpResponse {
    HttpResponse::Ok().content_type(format.media_type()).insert_header(("Cache-Control", "max-age=60")).body(bytes)
}

fn internal(e: impl std::fmt::Display) -> OgcException {
    OgcException::new(ExceptionCode::NoApplicableCode, e.to_string())
}

fn image_format(kvp: &Kvp) -> Result<ImageFormat, OgcException> {
    let format = kvp.require("format")?;
    ImageFormat::parse(format).ok_or_else(|| {
        invalid(
            ExceptionCode::InvalidFormat,
            "format",
            format!(
                "FORMAT '{}' is not offered ({})",
                format.chars().take(64).collect::<String>(),
                capabilities::GETMAP_FORMATS.join(", ")
            ),
        )
    })
}

/// `GetMap`.
async fn get_map(ctx: &WmsContext<'_>, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    let mode = exception_mode(kvp);
    let result = match image_format(kvp) {
        Ok(format) => render(ctx, kvp, format, mode == ExceptionMode::InImage).await.map(|drawn| (drawn, format)),
        Err(e) => Err(e),
    };
    match (result, mode) {
        // A map without the remote layers that failed: said in a header (and in the image
        // when the client asked for INIMAGE exceptions), and kept by no cache.
        (Ok(((bytes, left_out), format)), _) if !left_out.is_empty() => Ok(HttpResponse::Ok()
            .content_type(format.media_type())
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Navigli-Layers-Unavailable", left_out.join(",")))
            .body(bytes)),
        (Ok(((bytes, _), format)), _) => Ok(image_response(bytes, format)),
        (Err(e), ExceptionMode::Xml) => Err(e),
        (Err(e), m) => {
            tracing::info!("GetMap exception drawn in image: {e}");
            let w = kvp.get("width").and_then(|w| w.parse().ok()).filter(|w| (1..=MAX_SIZE).contains(w)).unwrap_or(256);
            let h = kvp.get("height").and_then(|h| h.parse().ok()).filter(|h| (1..=MAX_SIZE).contains(h)).unwrap_or(256);
            let format = kvp.get("format").and_then(ImageFormat::parse).unwrap_or(ImageFormat::Png);
            let transparent = kvp.get("transparent").is_some_and(|t| t.eq_ignore_ascii_case("true"));
            let bgcolor = kvp.get("bgcolor").and_then(|c| Color::parse_hex(&c.replacen("0x", "#", 1).replacen("0X", "#", 1)));
            let background =
                (!transparent || format == ImageFormat::Jpeg).then(|| bgcolor.unwrap_or(Color { r: 255, g: 255, b: 255, a: 255 }));
            let bbox = Bbox { min_x: 0.0, min_y: 0.0, max_x: 1.0, max_y: 1.0 };
            let message = e.to_string();
            let bytes = tokio::task::spawn_blocking(move || {
                let mut canvas = Canvas::new(bbox, Crs::UTM32N, w, h, background, 90.7)?;
                if m == ExceptionMode::InImage {
                    canvas.draw_error_message(&message);
                }
                canvas.encode(format)
            })
            .await
            .map_err(internal)?
            .map_err(internal)?;
            Ok(image_response(bytes, format))
        }
    }
}

/// One layer as the drawing thread sees it.
struct DrawLayer {
    style: Arc<Style>,
    attributes: Vec<Attribute>,
}

/// The encoded map and the remote layers left out of it (named on the image with `in_image`).
async fn render(ctx: &WmsContext<'_>, kvp: &Kvp, format: ImageFormat, in_image: bool) -> Result<(Vec<u8>, Vec<String>), OgcException> {
    render_with(ctx, kvp, format == ImageFormat::Jpeg, move |mut canvas, left_out| {
        if in_image && !left_out.is_empty() {
            canvas.draw_error_message(&format!("Layers not available now: {}", left_out.join(", ")));
        }
        Ok((canvas.encode(format)?, left_out.to_vec()))
    })
    .await
}

/// The image of a GetMap request (its KVP: LAYERS, STYLES, CRS, BBOX, WIDTH, HEIGHT,
/// TRANSPARENT, DPI…), drawn but not encoded: for map products other than GetMap, such as the
/// printed sheet of an app. Errors are the ones GetMap reports.
pub async fn map_image(ctx: &WmsContext<'_>, kvp: &Kvp) -> Result<tiny_skia::Pixmap, OgcException> {
    render_with(ctx, kvp, false, |canvas, _| Ok(canvas.into_pixmap())).await
}

/// Draws the map a GetMap KVP asks for, then hands the canvas to `finish` (on the drawing
/// thread); `opaque` fills the background even when TRANSPARENT=TRUE (JPEG).
async fn render_with<T: Send + 'static>(
    ctx: &WmsContext<'_>,
    kvp: &Kvp,
    opaque: bool,
    finish: impl FnOnce(Canvas, &[String]) -> Result<T, crate::render::map::RenderError> + Send + 'static,
) -> Result<T, OgcException> {
    let req = parse_map_request(ctx, kvp, "layers").await?;
    let background = (!req.view.transparent || opaque).then_some(req.view.background);
    let canvas = Canvas::new(req.view.bbox, req.view.crs, req.view.width, req.view.height, background, req.view.dpi).map_err(internal)?;
    let scale = canvas.scale_denominator();
    let (plans, draw_layers) = draw_plans(ctx, kvp, &req, scale)?;
    // Rows travel in batches: one wake-up of the drawing thread per batch, not per row.
    let (tx, rx) = tokio::sync::mpsc::channel::<(usize, Vec<crate::source::Feature>)>(DRAW_QUEUE);
    // The remote layers left out (filled before the channel closes, read after it has).
    let left_out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let names = left_out.clone();
    let drawing = tokio::task::spawn_blocking(move || {
        let canvas = draw(canvas, rx, &draw_layers, scale);
        let names = names.lock().unwrap_or_else(|e| e.into_inner()).clone();
        finish(canvas, &names)
    });
    // A layer of a remote service that fails (down, slow, circuit open) is left out of the map:
    // the other layers still render. A local source failing fails the request.
    'layers: for (i, (layer, resolved)) in plans.into_iter().enumerate() {
        let optional = !layer.source.essential();
        let leave_out = |e: &crate::source::SourceError| {
            tracing::warn!(layer = layer.name(), "remote layer left out of the map: {e}");
            left_out.lock().unwrap_or_else(|e| e.into_inner()).push(layer.name().to_string());
        };
        let mut rows = match layer.source.query(layer.schema.clone(), resolved).await {
            Ok(rows) => rows,
            Err(e) if optional => {
                leave_out(&e);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut batch = Vec::with_capacity(DRAW_BATCH);
        while let Some(row) = rows.next().await {
            match row {
                Ok(row) => batch.push(row),
                Err(e) if optional => {
                    leave_out(&e);
                    break;
                }
                Err(e) => return Err(e.into()),
            }
            if batch.len() == DRAW_BATCH && tx.send((i, std::mem::replace(&mut batch, Vec::with_capacity(DRAW_BATCH)))).await.is_err() {
                break 'layers;
            }
        }
        if !batch.is_empty() && tx.send((i, batch)).await.is_err() {
            break;
        }
    }
    drop(tx);
    drawing.await.map_err(internal)?.map_err(internal)
}

/// Every layer's query, checked before anything is drawn (layers outside their scale range are
/// left out), with what the drawing thread needs of each.
#[allow(clippy::type_complexity)]
fn draw_plans<'a>(
    ctx: &WmsContext<'_>,
    kvp: &Kvp,
    req: &MapRequest<'a>,
    scale: f64,
) -> Result<(Vec<(&'a Layer, crate::source::ResolvedQuery)>, Vec<DrawLayer>), OgcException> {
    let (mut plans, mut draw_layers) = (Vec::new(), Vec::new());
    for (layer, style) in &req.layers {
        let c = &layer.config;
        if c.min_scale.is_some_and(|m| scale < m) || c.max_scale.is_some_and(|m| scale >= m) {
            continue;
        }
        // The renderer clips: an index-only box test is enough, and rows may come in any order.
        let query = FeatureQuery {
            envelope: Some((req.view.bbox, req.view.crs)),
            unordered: true,
            // Half a pixel on the ground, for layers stored in metres: invisible, and far less
            // to send and draw at small scales.
            simplify: (!layer.schema.crs.is_geographic())
                .then_some(scale * crate::render::map::STANDARD_PIXEL_M * 90.7 / req.view.dpi / 2.0),
            properties: Some(style_properties(style)),
            output_crs: Some(req.view.crs),
            tenant: ctx.tenant.scope(),
            limit: Some(MAX_DRAWN),
            ..Default::default()
        };
        let resolved = query.resolve(&layer.schema, MAX_DRAWN).map_err(|e| {
            if kvp.get("sld_body").is_some() {
                invalid(ExceptionCode::InvalidParameterValue, "sld_body", format!("style for layer {}: {e}", layer.name()))
            } else {
                tracing::warn!("style of {} reads an attribute the layer does not expose: {e}", layer.name());
                OgcException::new(ExceptionCode::NoApplicableCode, format!("style of layer {} is misconfigured", layer.name()))
            }
        })?;
        let attributes: Vec<Attribute> = resolved.columns.iter().map(|&i| layer.schema.attributes[i].clone()).collect();
        draw_layers.push(DrawLayer { style: style.clone(), attributes });
        plans.push((*layer, resolved));
    }
    Ok((plans, draw_layers))
}

/// The drawing thread: batches of rows, layer after layer, onto the canvas, labels last.
fn draw(
    mut canvas: Canvas,
    mut rx: tokio::sync::mpsc::Receiver<(usize, Vec<crate::source::Feature>)>,
    draw_layers: &[DrawLayer],
    scale: f64,
) -> Canvas {
    let mut current = 0;
    while let Some((i, batch)) = rx.blocking_recv() {
        while current < i {
            canvas.next_layer();
            current += 1;
        }
        let layer = &draw_layers[i];
        for row in &batch {
            let Some(wkb) = &row.wkb else { continue };
            let symbolizers = styled_symbolizers(&layer.style, &layer.attributes, &row.values, scale);
            if symbolizers.is_empty() {
                continue;
            }
            let Ok(geometry) = crate::encode::decode_wkb(row.id, wkb) else { continue };
            canvas.draw_styled(&geometry, &symbolizers, &layer.attributes, &row.values);
        }
    }
    canvas.finish();
    canvas
}

/// `GetFeatureInfo`.
async fn get_feature_info(ctx: &WmsContext<'_>, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    let req = parse_map_request(ctx, kvp, "query_layers").await?;
    let shown = map_layers(ctx, kvp, "layers", None)?;
    if let Some((layer, _)) = req.layers.iter().find(|(q, _)| !shown.iter().any(|(l, _)| l.name() == q.name())) {
        return Err(invalid(
            ExceptionCode::LayerNotDefined,
            "query_layers",
            format!("QUERY_LAYERS names {}, which is not in LAYERS", layer.name()),
        ));
    }
    let (i_name, j_name) = match req.version {
        WmsVersion::V1_3_0 => ("i", "j"),
        WmsVersion::V1_1_1 => ("x", "y"),
    };
    let pixel = |name: &str, max: u32| -> Result<u32, OgcException> {
        let v = kvp.require(name)?;
        v.trim().parse::<u32>().ok().filter(|p| *p < max).ok_or_else(|| {
            invalid(ExceptionCode::InvalidPoint, name, format!("{} must be a pixel inside the map", name.to_ascii_uppercase()))
        })
    };
    let i = pixel(i_name, req.view.width)?;
    let j = pixel(j_name, req.view.height)?;
    let info_format = kvp.get("info_format").unwrap_or("text/plain").trim().to_ascii_lowercase();
    if !capabilities::INFO_FORMATS.contains(&info_format.as_str()) {
        return Err(invalid(ExceptionCode::InvalidFormat, "info_format", "INFO_FORMAT is not offered"));
    }
    let feature_count =
        match kvp.get("feature_count") {
            None => 1,
            Some(n) => n.trim().parse::<u64>().ok().filter(|n| (1..=1000).contains(n)).ok_or_else(|| {
                invalid(ExceptionCode::InvalidParameterValue, "feature_count", "FEATURE_COUNT must be between 1 and 1000")
            })?,
        };
    for (layer, _) in &req.layers {
        if !layer.config.queryable {
            return Err(invalid(ExceptionCode::LayerNotQueryable, "query_layers", format!("layer {} is not queryable", layer.name())));
        }
    }
    // The clicked pixel, widened by a tolerance of a few pixels, in the map CRS.
    let b = &req.view.bbox;
    let (px_w, px_h) = ((b.max_x - b.min_x) / f64::from(req.view.width), (b.max_y - b.min_y) / f64::from(req.view.height));
    let x = b.min_x + (f64::from(i) + 0.5) * px_w;
    let y = b.max_y - (f64::from(j) + 0.5) * px_h;
    let tolerance = 4.0;
    let probe = Bbox { min_x: x - tolerance * px_w, min_y: y - tolerance * px_h, max_x: x + tolerance * px_w, max_y: y + tolerance * px_h };
    let mut found: Vec<(String, Vec<Attribute>, Vec<crate::source::Feature>)> = Vec::new();
    for (layer, _) in &req.layers {
        let query = FeatureQuery {
            filter: Some(Filter::BBox { bbox: probe, crs: req.view.crs }),
            output_crs: Some(req.view.crs),
            tenant: ctx.tenant.scope(),
            limit: Some(feature_count),
            ..Default::default()
        };
        let resolved = query.resolve(&layer.schema, feature_count).map_err(OgcException::from)?;
        let attributes: Vec<Attribute> = resolved.columns.iter().map(|&c| layer.schema.attributes[c].clone()).collect();
        let rows: Vec<_> = layer.source.query(layer.schema.clone(), resolved).await.map_err(OgcException::from)?.collect().await;
        let rows = rows.into_iter().collect::<Result<Vec<_>, _>>().map_err(OgcException::from)?;
        found.push((layer.name().to_string(), attributes, rows));
    }
    Ok(info_response(&info_format, &found, req.view.crs))
}

/// What GetFeatureInfo found: per layer, its name, the attributes read and the rows.
type Found = [(String, Vec<Attribute>, Vec<crate::source::Feature>)];

fn info_response(format: &str, found: &Found, crs: Crs) -> HttpResponse {
    match format {
        "application/json" => HttpResponse::Ok().content_type("application/json").body(info_json(found, crs)),
        "text/html" => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(info_html(found)),
        "application/vnd.ogc.gml" | "application/vnd.ogc.gml/3.1.1" => {
            HttpResponse::Ok().content_type(format.to_string()).body(info_gml(found))
        }
        _ => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(info_text(found)),
    }
}

fn json_value(v: &crate::source::Value) -> serde_json::Value {
    match v {
        crate::source::Value::Null => serde_json::Value::Null,
        crate::source::Value::Bool(b) => (*b).into(),
        crate::source::Value::Int(i) => (*i).into(),
        crate::source::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number),
        crate::source::Value::Text(t) => t.clone().into(),
    }
}

fn info_json(found: &Found, crs: Crs) -> String {
    let mut features = Vec::new();
    for (layer, attrs, rows) in found {
        for r in rows {
            let props: serde_json::Map<String, serde_json::Value> =
                attrs.iter().zip(&r.values).map(|(a, v)| (a.name.clone(), json_value(v))).collect();
            let geometry = r.wkb.as_ref().and_then(|w| crate::encode::decode_wkb(r.id, w).ok()).map(|g| {
                let mut out = Vec::new();
                let _ = crate::encode::geojson::write_geometry(&mut out, &g);
                serde_json::from_slice::<serde_json::Value>(&out).unwrap_or(serde_json::Value::Null)
            });
            features.push(serde_json::json!({ "type": "Feature", "id": format!("{layer}.{}", r.id), "layer": layer, "geometry": geometry, "properties": props }));
        }
    }
    serde_json::json!({ "type": "FeatureCollection", "crs": { "type": "name", "properties": { "name": crs.urn() } }, "features": features })
        .to_string()
}

fn info_html(found: &Found) -> String {
    use std::fmt::Write as _;
    let esc = crate::encode::xml_escape;
    let mut h = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>GetFeatureInfo</title></head><body>");
    for (layer, attrs, rows) in found {
        for r in rows {
            let _ = write!(h, "<table><caption>{}.{}</caption>", esc(layer), r.id);
            for (a, v) in attrs.iter().zip(&r.values) {
                let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(&a.name), esc(&v.to_string()));
            }
            h.push_str("</table>");
        }
    }
    h.push_str("</body></html>\n");
    h
}

fn info_gml(found: &Found) -> String {
    use std::fmt::Write as _;
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<msGMLOutput xmlns:gml=\"http://www.opengis.net/gml\">\n");
    for (layer, attrs, rows) in found {
        let _ = write!(x, "<{layer}_layer><gml:name>{layer}</gml:name>\n");
        for r in rows {
            let _ = write!(x, "<{layer}_feature fid=\"{layer}.{}\">", r.id);
            for (a, v) in attrs.iter().zip(&r.values) {
                let _ = write!(x, "<{0}>{1}</{0}>", a.name, crate::encode::xml_escape(&v.to_string()));
            }
            let _ = write!(x, "</{layer}_feature>\n");
        }
        let _ = write!(x, "</{layer}_layer>\n");
    }
    x.push_str("</msGMLOutput>\n");
    x
}

fn info_text(found: &Found) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    for (layer, attrs, rows) in found {
        let _ = writeln!(t, "Layer '{layer}'");
        for r in rows {
            let _ = writeln!(t, "  Feature {layer}.{}:", r.id);
            for (a, v) in attrs.iter().zip(&r.values) {
                let _ = writeln!(t, "    {} = '{}'", a.name, v);
            }
        }
    }
    t
}

/// `GetLegendGraphic`: one sample per style rule with the rule's title.
async fn get_legend_graphic(ctx: &WmsContext<'_>, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    let name = kvp.require("layer")?;
    if let Some(denial) = ctx.catalog.denied(ctx.tenant, ctx.caller, name) {
        return Err(OgcException::from(denial).at("layer"));
    }
    let layer = ctx.catalog.layer(ctx.tenant, ctx.caller, name).ok_or_else(|| {
        invalid(ExceptionCode::LayerNotDefined, "layer", format!("unknown layer '{}'", name.chars().take(64).collect::<String>()))
    })?;
    let own = layer.config.style.as_deref().unwrap_or("default");
    if let Some(s) = kvp.get("style") {
        if s != own && s != "default" {
            return Err(invalid(
                ExceptionCode::StyleNotDefined,
                "style",
                format!("layer {} has no style '{}'", layer.name(), s.chars().take(64).collect::<String>()),
            ));
        }
    }
    let format = match kvp.get("format") {
        None => ImageFormat::Png,
        Some(_) => image_format(kvp)?,
    };
    let size = match kvp.get("width") {
        None => 20,
        Some(w) => w
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|w| (8..=256).contains(w))
            .ok_or_else(|| invalid(ExceptionCode::InvalidParameterValue, "width", "WIDTH must be between 8 and 256"))?,
    };
    let style = ctx.catalog.style(layer).unwrap_or_else(|| Arc::new(default_style(&layer.config.geometry_type)));
    let geometry_type = layer.config.geometry_type.clone();
    // Drawn and encoded on the blocking pool, like maps.
    let bytes = tokio::task::spawn_blocking(move || Canvas::legend(&style, &geometry_type, size).and_then(|c| c.encode(format)))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(image_response(bytes, format))
}

/// The operations this WMS answers.
pub const OPERATIONS: &[&str] = &["GetCapabilities", "GetMap", "GetFeatureInfo", "GetLegendGraphic"];

impl<'a> WmsContext<'a> {
    /// The context of a request on `/{tenant}/{service}` (`wms` or `ows`).
    pub fn of<P: crate::http::Protocol>(scope: &'a crate::http::Scope<P>, service: &str) -> WmsContext<'a> {
        WmsContext { catalog: scope.catalog(), tenant: scope.tenant(), caller: &scope.caller, service_url: scope.service_url(service) }
    }
}

/// Handles one KVP request; `request` is its REQUEST parameter (case-insensitive).
pub async fn handle(ctx: WmsContext<'_>, request: &str, kvp: &Kvp) -> Result<HttpResponse, OgcException> {
    let Some(operation) = OPERATIONS.iter().copied().find(|op| op.eq_ignore_ascii_case(request)) else {
        let shown: String = request.chars().take(64).collect();
        return Err(OgcException::new(ExceptionCode::OperationNotSupported, format!("WMS has no operation '{shown}'")).at("request"));
    };
    match operation {
        "GetCapabilities" => {
            let version = negotiate(kvp);
            if crate::ogc::update_sequence(kvp, ctx.catalog.update_sequence)? == crate::ogc::UpdateSequence::Current {
                return Err(
                    OgcException::new(ExceptionCode::CurrentUpdateSequence, "the capabilities have not changed").at("updateSequence")
                );
            }
            let content_type = match version {
                WmsVersion::V1_3_0 => "text/xml",
                WmsVersion::V1_1_1 => "application/vnd.ogc.wms_xml",
            };
            Ok(HttpResponse::Ok()
                .content_type(content_type)
                .insert_header(("Cache-Control", "max-age=60"))
                .body(capabilities::capabilities_document(&ctx, version)))
        }
        "GetMap" => get_map(&ctx, kvp).await,
        "GetFeatureInfo" => get_feature_info(&ctx, kvp).await,
        "GetLegendGraphic" => get_legend_graphic(&ctx, kvp).await,
        other => Err(OgcException::new(ExceptionCode::OperationNotSupported, format!("WMS {other} is not available yet")).at("request")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_versions_negotiate_down_then_up() {
        let v = |q: &str| negotiate(&Kvp::parse(q).unwrap());
        assert_eq!(v(""), WmsVersion::V1_3_0);
        assert_eq!(v("VERSION=1.3.0"), WmsVersion::V1_3_0);
        assert_eq!(v("VERSION=1.1.1"), WmsVersion::V1_1_1);
        assert_eq!(v("WMTVER=1.1.1"), WmsVersion::V1_1_1);
        // Lower than every supported version: the lowest.
        assert_eq!(v("VERSION=0.0.0"), WmsVersion::V1_1_1);
        assert_eq!(v("WMTVER=1.0.0"), WmsVersion::V1_1_1);
        // Between two supported versions: the highest below it.
        assert_eq!(v("VERSION=1.2.0"), WmsVersion::V1_1_1);
        // Higher than every supported version: the highest.
        assert_eq!(v("VERSION=2.0.0"), WmsVersion::V1_3_0);
        assert_eq!(v("VERSION=1.3.1"), WmsVersion::V1_3_0);
    }
}
