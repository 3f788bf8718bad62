//! In-process handler tests: the real routes (`navigli::web::configure`) over the demo
//! GeoPackage, driven with `actix_web::test` — no binary, no socket, no client of ours in the
//! way. For request/answer rules that need no real client: the OGC CITE rules on ids, filters,
//! version negotiation and `updateSequence`. The slow end-to-end files keep what needs the real
//! binary and real clients.

mod common;

use std::sync::Arc;

use actix_web::{test, App};
use navigli::catalog::Catalog;
use navigli::config::SourceKind;
use navigli::web::{configure, AppState};

/// The routes over a catalog of the shipped configuration with the demo GeoPackage.
async fn app() -> impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error> {
    let mut config = common::config().clone();
    for s in config.sources.iter_mut() {
        s.kind = SourceKind::Gpkg;
        s.path = Some(common::demo_gpkg().clone());
    }
    let catalog = Arc::new(Catalog::build(&config).await.expect("catalog over the demo GeoPackage"));
    let tiles = Arc::new(navigli::tiles::TileService::new(&catalog));
    test::init_service(App::new().configure(configure(AppState::new(catalog, tiles)))).await
}

/// One GET: status, content type, body.
async fn get(
    app: &impl actix_web::dev::Service<actix_http::Request, Response = actix_web::dev::ServiceResponse, Error = actix_web::Error>,
    uri: &str,
) -> (u16, String, String) {
    let res = test::call_service(app, test::TestRequest::get().uri(uri).to_request()).await;
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = test::read_body(res).await;
    (status, ct, String::from_utf8_lossy(&body).into_owned())
}

/// The value of `attribute` on the document's root element.
fn root_attribute(xml: &str, attribute: &str) -> Option<String> {
    let doc = roots(xml);
    let start = doc.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
    Some(doc[start..start + doc[start..].find('"')?].to_string())
}

/// The root element's start tag.
fn roots(xml: &str) -> &str {
    let mut rest = xml;
    loop {
        let i = rest.find('<').unwrap_or(0);
        let tail = &rest[i..];
        if tail.starts_with("<?") || tail.starts_with("<!") {
            rest = &tail[tail.find('>').map_or(tail.len(), |e| e + 1)..];
            continue;
        }
        return &tail[..tail.find('>').map_or(tail.len(), |e| e + 1)];
    }
}

/// Asserts an OGC exception with this status, code and locator.
fn exception(answer: &(u16, String, String), status: u16, code: &str, locator: Option<&str>) {
    let (s, _, body) = answer;
    assert_eq!(*s, status, "{body}");
    let coded = body.contains(&format!(" code=\"{code}\"")) || body.contains(&format!(" exceptionCode=\"{code}\""));
    assert!(coded, "expected {code}: {body}");
    if let Some(l) = locator {
        assert!(body.contains(&format!("locator=\"{l}\"")), "expected locator {l}: {body}");
    }
}

const WFS: &str = "/cmm/wfs?SERVICE=WFS&VERSION=2.0.0";

fn fes(body: &str) -> String {
    let filter = format!(
        "<fes:Filter xmlns:fes=\"http://www.opengis.net/fes/2.0\" xmlns:gml=\"http://www.opengis.net/gml/3.2\">{body}</fes:Filter>"
    );
    form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

#[actix_web::test]
async fn get_feature_by_id_of_any_unknown_form_is_not_found() {
    let app = app().await;
    let by_id = |id: &str| format!("{WFS}&REQUEST=GetFeature&STOREDQUERY_ID=urn:ogc:def:query:OGC-WFS::GetFeatureById&ID={id}");
    for id in ["no-such-id-42", "edifici.x", "nosuchtype.12", "edifici.999999999", ".", "edifici."] {
        exception(&get(&app, &by_id(id)).await, 404, "NotFound", Some("id"));
    }
    let (status, _, body) = get(&app, &by_id("edifici.1")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("gml:id=\"edifici.1\""), "{body}");
}

#[actix_web::test]
async fn spatial_operators_refuse_a_property_that_is_not_the_geometry() {
    let app = app().await;
    let envelope = "<gml:Envelope srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:lowerCorner>45.0 8.5</gml:lowerCorner><gml:upperCorner>45.9 9.9</gml:upperCorner></gml:Envelope>";
    let point = "<gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>45.4642 9.1919</gml:pos></gml:Point>";
    let hits = |filter: String| format!("{WFS}&REQUEST=GetFeature&TYPENAMES=navigli:comuni&RESULTTYPE=hits&FILTER={filter}");
    let ops = |property: &str| {
        vec![
            format!("<fes:BBOX><fes:ValueReference>{property}</fes:ValueReference>{envelope}</fes:BBOX>"),
            format!("<fes:Intersects><fes:ValueReference>{property}</fes:ValueReference>{point}</fes:Intersects>"),
            format!("<fes:Disjoint><fes:ValueReference>{property}</fes:ValueReference>{point}</fes:Disjoint>"),
            format!("<fes:DWithin><fes:ValueReference>{property}</fes:ValueReference>{point}<fes:Distance uom=\"m\">10</fes:Distance></fes:DWithin>"),
            // Nested inside a logical operator too.
            format!("<fes:Not><fes:Within><fes:ValueReference>{property}</fes:ValueReference>{point}</fes:Within></fes:Not>"),
        ]
    };
    for op in ops("nome") {
        exception(&get(&app, &hits(fes(&op))).await, 400, "InvalidParameterValue", Some("filter"));
    }
    for op in ops("navigli:geom") {
        let (status, _, body) = get(&app, &hits(fes(&op))).await;
        assert_eq!(status, 200, "{op}: {body}");
    }
    // The BBOX over all of the area with the geometry named finds every comune.
    let (_, _, body) = get(&app, &hits(fes(&ops("geom")[0]))).await;
    assert!(root_attribute(&body, "numberMatched").is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 100)), "{}", roots(&body));
    // The same rule for WFS 1.1 (Filter 1.1, PropertyName).
    let filter11 = "<ogc:Filter xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:gml=\"http://www.opengis.net/gml\"><ogc:BBOX><ogc:PropertyName>nome</ogc:PropertyName><gml:Envelope srsName=\"EPSG:4326\"><gml:lowerCorner>8.5 45.0</gml:lowerCorner><gml:upperCorner>9.9 45.9</gml:upperCorner></gml:Envelope></ogc:BBOX></ogc:Filter>";
    let filter11: String = form_urlencoded::byte_serialize(filter11.as_bytes()).collect();
    let uri = format!("/cmm/wfs?SERVICE=WFS&VERSION=1.1.0&REQUEST=GetFeature&TYPENAME=navigli:comuni&RESULTTYPE=hits&FILTER={filter11}");
    exception(&get(&app, &uri).await, 400, "InvalidParameterValue", Some("filter"));
}

#[actix_web::test]
async fn resource_ids_must_be_of_the_requested_types() {
    let app = app().await;
    let uri = format!("{WFS}&REQUEST=GetFeature&TYPENAMES=navigli:comuni&RESOURCEID=edifici.12");
    exception(&get(&app, &uri).await, 400, "InvalidParameterValue", Some("resourceId"));
    let uri = format!("{WFS}&REQUEST=GetFeature&TYPENAMES=navigli:edifici&RESOURCEID=edifici.12,comuni.1");
    exception(&get(&app, &uri).await, 400, "InvalidParameterValue", Some("resourceId"));
    let uri = format!("{WFS}&REQUEST=GetFeature&TYPENAMES=navigli:edifici&RESOURCEID=edifici.12&RESULTTYPE=hits");
    let (status, _, body) = get(&app, &uri).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(root_attribute(&body, "numberMatched").as_deref(), Some("1"), "{}", roots(&body));
}

#[actix_web::test]
async fn wms_capabilities_versions_negotiate_as_the_standard_says() {
    let app = app().await;
    let caps = |q: &str| format!("/cmm/wms?SERVICE=WMS&REQUEST=GetCapabilities{q}");
    for (q, want) in [
        ("", "1.3.0"),
        ("&VERSION=1.3.0", "1.3.0"),
        ("&VERSION=1.1.1", "1.1.1"),
        ("&VERSION=0.0.0", "1.1.1"),
        ("&VERSION=1.0.0", "1.1.1"),
        ("&VERSION=1.2.0", "1.1.1"),
        ("&VERSION=9.9.9", "1.3.0"),
        ("&WMTVER=1.1.1", "1.1.1"),
        ("&WMTVER=1.0.0", "1.1.1"),
    ] {
        let (status, _, body) = get(&app, &caps(q)).await;
        assert_eq!(status, 200, "{q}: {body}");
        assert_eq!(root_attribute(&body, "version").as_deref(), Some(want), "{q}: {}", roots(&body));
    }
}

#[actix_web::test]
async fn query_layers_must_be_among_the_layers() {
    let app = app().await;
    let gfi = |layers: &str, query: &str| {
        format!(
            "/milano/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS={layers}&QUERY_LAYERS={query}&STYLES=&CRS=EPSG:32632\
             &BBOX=514000,5034000,515000,5035000&WIDTH=256&HEIGHT=256&I=128&J=128&INFO_FORMAT=application/json"
        )
    };
    exception(&get(&app, &gfi("comuni", "edifici")).await, 400, "LayerNotDefined", Some("query_layers"));
    exception(&get(&app, &gfi("comuni", "comuni,edifici")).await, 400, "LayerNotDefined", Some("query_layers"));
    for (layers, query) in [("comuni,edifici", "edifici"), ("edifici", "edifici"), ("dbt", "edifici")] {
        let (status, ct, body) = get(&app, &gfi(layers, query)).await;
        assert_eq!((status, ct.as_str()), (200, "application/json"), "LAYERS={layers} QUERY_LAYERS={query}: {body}");
    }
}

#[actix_web::test]
async fn capabilities_carry_an_update_sequence_that_clients_can_compare() {
    let app = app().await;
    let services = [
        ("/cmm/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0", true),
        ("/cmm/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.1.1", true),
        ("/cmm/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=2.0.0", false),
        ("/cmm/wfs?SERVICE=WFS&REQUEST=GetCapabilities&ACCEPTVERSIONS=1.1.0", false),
    ];
    let mut minimal = None;
    for (uri, wms) in services {
        let (status, _, body) = get(&app, uri).await;
        assert_eq!(status, 200, "{body}");
        let seq: u64 = root_attribute(&body, "updateSequence").and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{}", roots(&body)));
        assert!(seq > 1_000_000_000, "a Unix time: {seq}");
        // Older: the whole document.
        let (status, _, older) = get(&app, &format!("{uri}&UPDATESEQUENCE={}", seq - 1)).await;
        assert_eq!(status, 200);
        assert_eq!(older.len(), body.len(), "{uri} with an older sequence");
        // Higher: InvalidUpdateSequence.
        exception(&get(&app, &format!("{uri}&UPDATESEQUENCE={}", seq + 1)).await, 400, "InvalidUpdateSequence", None);
        // Equal: WMS says CurrentUpdateSequence; WFS 2.0 (OWS Common 1.1) answers the bare root.
        let current = get(&app, &format!("{uri}&UPDATESEQUENCE={seq}")).await;
        if wms {
            exception(&current, 400, "CurrentUpdateSequence", None);
        } else if uri.ends_with("2.0.0") {
            assert_eq!(current.0, 200, "{}", current.2);
            assert_eq!(root_attribute(&current.2, "updateSequence"), Some(seq.to_string()));
            assert!(!current.2.contains("FeatureTypeList"), "{}", current.2);
            minimal = Some(current.2);
        } else {
            assert_eq!(current.2.len(), body.len(), "WFS 1.1.0 answers the whole document (its schema needs the filter capabilities)");
        }
    }
    common::server::ogc_validate(&minimal.expect("WFS 2.0 minimal capabilities"), "wfs-current-update-sequence");
}
