//! The web map apps without a browser: document validation against the catalog (every problem
//! with its JSON pointer, nothing saved), the demo documents against the published JSON Schema
//! (checked by the `jsonschema` package, not by us), and the viewer's routes in process — the
//! published document with its ETag, 404s, the CSP, operator text escaped in the page and in
//! its data block.

mod common;

use std::sync::Arc;

use actix_web::{test, App};
use navigli::apps::admin::{self, SaveError};
use navigli::appstore::sqlite::SqliteAppStore;
use navigli::appstore::AppStore;
use navigli::auth::Caller;
use navigli::catalog::Catalog;
use navigli::config::SourceKind;
use navigli::web::{configure, AppState};
use serde_json::{json, Value};

async fn catalog() -> Arc<Catalog> {
    let mut config = common::config().clone();
    for s in config.sources.iter_mut() {
        s.kind = SourceKind::Gpkg;
        s.path = Some(common::demo_gpkg().clone());
    }
    config.server.web_dir = common::root().join("web/dist");
    Arc::new(Catalog::build(&config).await.expect("catalog over the demo GeoPackage"))
}

fn valid() -> Value {
    json!({
        "version": 1, "title": "Prova", "access": "public",
        "basemap": { "kind": "navigli", "layers": ["comuni"] },
        "layers": [{ "name": "edifici", "service": "mvt" }, { "name": "strade", "service": "wms", "opacity": 0.5 }],
        "tools": ["identify", "permalink"],
    })
}

/// The pointers of a refused document.
async fn refused(catalog: &Catalog, doc: &Value) -> Vec<String> {
    let store = SqliteAppStore::in_memory();
    let milano = catalog.tenant("milano").unwrap();
    let err = admin::save(catalog, &store, milano, &Caller::Anonymous, "prova", &doc.to_string(), false).await;
    assert!(store.get(&milano.id, "prova").await.unwrap().is_none(), "a refused document was saved");
    match err {
        Err(SaveError::Invalid(p)) => p.0.into_iter().map(|(ptr, _)| ptr).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn documents_are_checked_against_the_catalog_with_pointers() {
    let catalog = catalog().await;
    let store = SqliteAppStore::in_memory();
    let milano = catalog.tenant("milano").unwrap();
    let saved = admin::save(&catalog, &store, milano, &Caller::Anonymous, "prova", &valid().to_string(), true).await;
    assert_eq!(saved.unwrap(), Some(1));

    let mut d = valid();
    d["layers"][1]["name"] = json!("nessuno");
    assert_eq!(refused(&catalog, &d).await, ["/layers/1/name"]);
    // A restricted layer in a public app (the operator could see it: still refused).
    let mut d = valid();
    d["layers"][0]["name"] = json!("servizi_sociali");
    assert_eq!(refused(&catalog, &d).await, ["/layers/0/name"]);
    let mut d = valid();
    d["extent"] = json!([10.5, 46.0, 10.6, 46.1]);
    assert_eq!(refused(&catalog, &d).await, ["/extent"], "an extent outside Milano");
    let mut d = valid();
    d["extent"] = json!([9.2, 45.5, 9.1, 45.4]);
    assert_eq!(refused(&catalog, &d).await, ["/extent"]);
    let mut d = valid();
    d["primary"] = json!("#9fc5e8");
    assert_eq!(refused(&catalog, &d).await, ["/primary"], "white on light blue fails WCAG AA");
    let mut d = valid();
    d["layers"][0]["opacity"] = json!(2);
    d["layers"][1]["service"] = json!("wmts");
    d["tools"] = json!(["identify", "teleport"]);
    d["colour"] = json!("red");
    assert_eq!(refused(&catalog, &d).await, ["/colour", "/layers/0/opacity", "/layers/1/service", "/tools/1"]);
    let mut d = valid();
    d["embed_origins"] = json!(["https://comune.milano.it/mappa"]);
    assert_eq!(refused(&catalog, &d).await, ["/embed_origins/0"]);
    let mut d = valid();
    d["basemap"] = json!({ "kind": "xyz", "url": "http://tiles.example/{z}/{x}/{y}.png", "attribution": "x" });
    assert_eq!(refused(&catalog, &d).await, ["/basemap/url"], "an external basemap must be https");
    let mut d = valid();
    d["description"] = json!("x".repeat(300 * 1024));
    assert_eq!(refused(&catalog, &d).await, [""], "oversized");
    assert_eq!(refused(&catalog, &json!([1, 2])).await, [""]);
}

#[tokio::test]
async fn the_demo_documents_validate_against_the_published_schema() {
    let catalog = catalog().await;
    let docs: Vec<Value> = navigli::apps::demo::documents(&catalog).into_iter().map(|(_, _, d)| d).collect();
    assert!(docs.len() >= 8, "one app per zona omogenea and one metropolitan: {}", docs.len());
    // The schema's own checker, on the demo documents and on a document it must refuse.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.json"), navigli::apps::document::SCHEMA).unwrap();
    let mut bad = valid();
    bad["layers"][0]["service"] = json!("wmts");
    let all: Vec<Value> = docs.iter().cloned().chain([bad]).collect();
    std::fs::write(dir.path().join("docs.json"), serde_json::to_string(&all).unwrap()).unwrap();
    let script = "import json, sys, jsonschema\n\
        s = json.load(open(sys.argv[1])); jsonschema.Draft202012Validator.check_schema(s)\n\
        v = jsonschema.Draft202012Validator(s)\n\
        print(json.dumps([[e.json_path for e in v.iter_errors(d)] for d in json.load(open(sys.argv[2]))]))\n";
    let out = std::process::Command::new(common::tools_python())
        .args(["-c", script])
        .arg(dir.path().join("schema.json"))
        .arg(dir.path().join("docs.json"))
        .output()
        .expect("python with jsonschema (scripts/deps.sh test)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let errors: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    let (last, demo) = errors.split_last().unwrap();
    assert!(demo.iter().all(Vec::is_empty), "demo documents invalid: {demo:?}");
    assert_eq!(last, &vec!["$.layers[0].service".to_string()]);
}

#[actix_web::test]
async fn the_viewer_routes_answer_and_escape() {
    let catalog = catalog().await;
    let store: Arc<dyn AppStore> = Arc::new(SqliteAppStore::in_memory());
    let milano = catalog.tenant("milano").unwrap();
    let mut doc = valid();
    let hostile = "<script>alert(1)</script> & \"ciao\"";
    doc["title"] = json!(hostile);
    doc["description"] = json!("</script><img src=x onerror=alert(2)>");
    doc["embed_origins"] = json!(["https://comune.milano.it"]);
    admin::save(&catalog, &*store, milano, &Caller::Anonymous, "prova", &doc.to_string(), true).await.unwrap();
    let tiles = Arc::new(navigli::tiles::TileService::new(&catalog));
    let app = test::init_service(App::new().configure(configure(AppState::new(catalog.clone(), tiles).with_apps(store.clone())))).await;

    let res = test::call_service(&app, test::TestRequest::get().uri("/milano/apps/prova").to_request()).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'self' https://comune.milano.it"), "{csp}");
    let html = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "operator text not escaped:\n{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;ciao&quot;"), "{html}");
    // The data block holds the title, unescaped for the script, and cannot be closed early.
    let start = html.find("id=\"navigli-app\">").expect("data block") + "id=\"navigli-app\">".len();
    let block = &html[start..start + html[start..].find("</script>").unwrap()];
    let data: Value = serde_json::from_str(block).unwrap();
    assert_eq!(data["app"]["title"], hostile);
    assert_eq!(data["layers"].as_array().unwrap().len(), 2);

    // The document, with an ETag that answers 304.
    let res = test::call_service(&app, test::TestRequest::get().uri("/milano/apps/prova.json").to_request()).await;
    assert_eq!(res.status(), 200);
    let etag = res.headers().get("etag").unwrap().to_str().unwrap().to_string();
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert_eq!(body, doc);
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/milano/apps/prova.json").insert_header(("If-None-Match", etag)).to_request(),
    )
    .await;
    assert_eq!(res.status(), 304);

    // Another comune has no such app; unknown names and paths are 404 JSON.
    for uri in ["/rho/apps/prova", "/milano/apps/nessuna", "/milano/apps/Prova..", "/static/..%2Fsecret", "/static/nothing.js"] {
        let res = test::call_service(&app, test::TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), 404, "{uri}");
    }
    let res = test::call_service(&app, test::TestRequest::get().uri("/schemas/app.json").to_request()).await;
    assert_eq!(res.status(), 200);
    let schema: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let res = test::call_service(&app, test::TestRequest::get().uri("/milano/apps?f=json").to_request()).await;
    let list: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert_eq!(list["apps"][0]["slug"], "prova");
}
