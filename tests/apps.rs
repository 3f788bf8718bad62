//! The web map apps without a browser: document validation against the catalog (every problem
//! with its JSON pointer, nothing saved), the demo documents against the published JSON Schema
//! (checked by the `jsonschema` package, not by us), and the viewer's routes in process — the
//! published document with its ETag, 404s, the CSP, operator text escaped in the page and in
//! its data block; the style rules vector layers carry to the browser.

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

    // Every problem is worded in both languages, and the two differ (nothing left untranslated).
    let mut d = valid();
    d["version"] = json!(7);
    d["title"] = json!(" ");
    d["access"] = json!("segreto");
    d["logo"] = json!("https://example.org/logo.png");
    d["roles"] = json!(["nessuno"]);
    d["basemap"] = json!({ "kind": "navigli", "layers": [] });
    d["layers"][0]["visible"] = json!("sì");
    d["layers"][1]["style"] = json!("nessuno");
    d["embed_origins"] = json!(["ftp://x"]);
    d["primary"] = json!("#ffff00");
    let store = SqliteAppStore::in_memory();
    let milano = catalog.tenant("milano").unwrap();
    let Err(SaveError::Invalid(p)) = admin::save(&catalog, &store, milano, &Caller::Anonymous, "prova", &d.to_string(), false).await else {
        panic!("refused");
    };
    assert!(p.0.len() >= 10, "{:?}", p.0);
    for (ptr, m) in &p.0 {
        assert!(!m.it.is_empty() && !m.en.is_empty() && m.it != m.en, "{ptr}: {m:?}");
    }
    let contrast = p.0.iter().find(|(ptr, _)| ptr == "/primary").map(|(_, m)| m.it.clone()).unwrap();
    assert!(contrast.contains(",") && contrast.contains("4,5:1"), "Italian decimal comma: {contrast}");
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

/// A catalog with two operators: one manages Milano's apps, the other Rho's.
async fn catalog_with_operators() -> Arc<Catalog> {
    use sha2::Digest;
    let mut config = common::config().clone();
    for s in config.sources.iter_mut() {
        s.kind = SourceKind::Gpkg;
        s.path = Some(common::demo_gpkg().clone());
    }
    for (role, tenant, key) in [("operatore-milano", "milano", "chiave-milano"), ("operatore-rho", "rho", "chiave-rho")] {
        config.roles.push(navigli::config::RoleConfig {
            name: role.into(),
            layers: vec![],
            edit: vec![],
            apps: true,
            tenants: vec![tenant.into()],
        });
        let sha256 = sha2::Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        config.api_keys.push(navigli::config::ApiKeyConfig { name: role.into(), sha256, roles: vec![role.into()] });
    }
    Arc::new(Catalog::build(&config).await.expect("catalog"))
}

#[actix_web::test]
async fn operators_compose_publish_and_roll_back_their_own_apps_only() {
    let catalog = catalog_with_operators().await;
    let tiles = Arc::new(navigli::tiles::TileService::new(&catalog));
    let store: Arc<dyn AppStore> = Arc::new(SqliteAppStore::in_memory());
    let app = test::init_service(App::new().configure(configure(AppState::new(catalog, tiles).with_apps(store)))).await;
    let milano = ("Authorization", "ApiKey chiave-milano");
    let rho = ("Authorization", "ApiKey chiave-rho");
    macro_rules! call {
        ($req:expr) => {{
            let res = test::call_service(&app, $req.to_request()).await;
            let status = res.status().as_u16();
            let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
            let body = test::read_body(res).await;
            (status, etag, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
        }};
    }
    let put = |doc: &Value| test::TestRequest::put().uri("/milano/admin/apps/prova").set_payload(doc.to_string());

    // Who may: nobody anonymous (401), not Rho's operator (403), never a key in the URL (400).
    assert_eq!(call!(put(&valid())).0, 401);
    assert_eq!(call!(put(&valid()).insert_header(rho)).0, 403);
    let in_url = test::TestRequest::put().uri("/milano/admin/apps/prova?apikey=chiave-milano").set_payload(valid().to_string());
    assert_eq!(call!(in_url).0, 400);

    let (status, etag, _) = call!(put(&valid()).insert_header(milano));
    assert_eq!((status, etag.as_deref()), (201, Some("\"v1\"")));
    // An invalid save: 422 with pointers, the draft unchanged.
    let mut bad = valid();
    bad["layers"][0]["name"] = json!("nessuno");
    bad["tools"] = json!(["nope"]);
    let (status, _, body) = call!(put(&bad).insert_header(milano));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["locator"], "/layers/0/name");
    let pointers: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    assert_eq!(pointers, ["/layers/0/name", "/tools/0"]);
    // Worded in Italian by default, in English for the English builder (`lang=en`).
    let messages = |body: &Value| -> Vec<String> {
        body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        messages(&body),
        ["nessun livello 'nessuno' in Comune di Milano — SIT", &format!("uno tra {}", navigli::apps::document::TOOLS.join(", "))]
    );
    let english = test::TestRequest::put().uri("/milano/admin/apps/prova?lang=en").set_payload(bad.to_string()).insert_header(milano);
    let (status, _, body) = call!(english);
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body),
        ["no layer 'nessuno' in Comune di Milano — SIT", &format!("one of {}", navigli::apps::document::TOOLS.join(", "))]
    );
    assert!(body["description"].as_str().unwrap().starts_with("invalid app document: "), "{body}");
    let (_, _, draft) = call!(test::TestRequest::get().uri("/milano/admin/apps/prova").insert_header(milano));
    assert_eq!(draft, valid());

    // Publish v1; save and publish v2 (If-Match guards the draft); roll back to v1.
    let (status, _, body) = call!(test::TestRequest::post().uri("/milano/admin/apps/prova/publish").insert_header(milano));
    assert_eq!((status, body["revision"].clone()), (200, json!(1)));
    let mut v2 = valid();
    v2["title"] = json!("Seconda");
    assert_eq!(call!(put(&v2).insert_header(milano).insert_header(("If-Match", "\"v1\""))).0, 200);
    assert_eq!(call!(put(&v2).insert_header(milano).insert_header(("If-Match", "\"v1\""))).0, 412, "a stale If-Match");
    let (_, _, body) = call!(test::TestRequest::get().uri("/milano/apps/prova.json"));
    assert_eq!(body["title"], "Prova", "the viewer shows the published revision, not the draft");
    call!(test::TestRequest::post().uri("/milano/admin/apps/prova/publish").insert_header(milano));
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/prova.json")).2["title"], "Seconda");
    let (_, _, diff) = call!(test::TestRequest::get().uri("/milano/admin/apps/prova/revisions?diff=1,2").insert_header(milano));
    assert_eq!(diff["changes"], json!([{ "op": "replace", "path": "/title", "old": "Prova", "new": "Seconda" }]));
    let (status, _, body) = call!(test::TestRequest::post().uri("/milano/admin/apps/prova/rollback?revision=1").insert_header(milano));
    assert_eq!((status, body["published"].clone(), body["latest"].clone()), (200, json!(1), json!(2)));
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/prova.json")).2["title"], "Prova");
    let (_, _, revs) = call!(test::TestRequest::get().uri("/milano/admin/apps/prova/revisions").insert_header(milano));
    assert_eq!(revs["revisions"].as_array().unwrap().len(), 2);
    // Copy: a new draft (unpublished), the name taken once.
    let (status, _, body) = call!(test::TestRequest::post().uri("/milano/admin/apps/prova/copy?to=prova-2").insert_header(milano));
    assert_eq!((status, body["published"].clone(), body["title"].clone()), (201, Value::Null, json!("Prova")));
    assert_eq!(call!(test::TestRequest::post().uri("/milano/admin/apps/prova/copy?to=prova-2").insert_header(milano)).0, 409);
    assert_eq!(call!(test::TestRequest::post().uri("/milano/admin/apps/prova/copy?to=Bad_Name").insert_header(milano)).0, 422);
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/prova-2.json")).0, 404, "a copy is not published");

    // Rho's operator sees none of it; its own tenant has no apps.
    assert_eq!(call!(test::TestRequest::get().uri("/milano/admin/apps").insert_header(rho)).0, 403);
    assert_eq!(call!(test::TestRequest::get().uri("/milano/admin/apps/prova").insert_header(rho)).0, 403);
    assert_eq!(call!(test::TestRequest::get().uri("/rho/admin/apps").insert_header(rho)).2, json!({ "apps": [] }));
    assert_eq!(call!(test::TestRequest::delete().uri("/milano/admin/apps/prova").insert_header(rho)).0, 403);

    // A restricted app for one role: 401 without credentials, 403 without the role; roles of
    // a public app, or unknown ones, are refused with their pointers.
    let mut restricted = valid();
    restricted["access"] = json!("restricted");
    restricted["roles"] = json!(["operatore-rho"]);
    let riservata = |doc: &Value| test::TestRequest::put().uri("/milano/admin/apps/riservata").set_payload(doc.to_string());
    let (status, _, body) = call!(riservata(&restricted).insert_header(milano));
    assert_eq!(status, 201, "{body}");
    call!(test::TestRequest::post().uri("/milano/admin/apps/riservata/publish").insert_header(milano));
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/riservata.json")).0, 401);
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/riservata.json").insert_header(milano)).0, 403);
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/riservata.json").insert_header(rho)).0, 200);
    let public_list = call!(test::TestRequest::get().uri("/milano/apps?f=json")).2;
    assert!(public_list["apps"].as_array().unwrap().iter().all(|a| a["slug"] != "riservata"), "{public_list}");
    let mut bad = restricted.clone();
    bad["roles"] = json!(["operatore-rho", "nessuno"]);
    assert_eq!(call!(riservata(&bad).insert_header(milano)).2["locator"], "/roles/1");
    bad["access"] = json!("public");
    assert_eq!(call!(riservata(&bad).insert_header(milano)).2["locator"], "/roles");

    assert_eq!(call!(test::TestRequest::delete().uri("/milano/admin/apps/prova").insert_header(milano)).0, 204);
    assert_eq!(call!(test::TestRequest::get().uri("/milano/apps/prova.json")).0, 404);
}

#[actix_web::test]
async fn a_layer_removed_from_the_configuration_is_left_out_with_a_warning() {
    let full = catalog_with_operators().await;
    let store: Arc<dyn AppStore> = Arc::new(SqliteAppStore::in_memory());
    let milano = full.tenant("milano").unwrap();
    let mut doc = valid();
    doc["layers"] = json!([{ "name": "aree_verdi", "service": "wms" }, { "name": "edifici", "service": "mvt" }]);
    admin::save(&full, &*store, milano, &Caller::Anonymous, "verde", &doc.to_string(), true).await.unwrap();

    // The same configuration without aree_verdi (and the same operators).
    let mut config = common::config().clone();
    for s in config.sources.iter_mut() {
        s.kind = SourceKind::Gpkg;
        s.path = Some(common::demo_gpkg().clone());
    }
    config.layers.retain(|l| l.name != "aree_verdi");
    config.roles = vec![];
    config.api_keys = vec![];
    use sha2::Digest;
    config.roles.push(navigli::config::RoleConfig {
        name: "op".into(),
        layers: vec![],
        edit: vec![],
        apps: true,
        tenants: vec!["milano".into()],
    });
    let sha256 = sha2::Sha256::digest(b"chiave").iter().map(|b| format!("{b:02x}")).collect();
    config.api_keys.push(navigli::config::ApiKeyConfig { name: "op".into(), sha256, roles: vec!["op".into()] });
    config.server.web_dir = common::root().join("web/dist");
    let trimmed = Arc::new(Catalog::build(&config).await.expect("catalog without aree_verdi"));
    let tiles = Arc::new(navigli::tiles::TileService::new(&trimmed));
    let app = test::init_service(App::new().configure(configure(AppState::new(trimmed, tiles).with_apps(store)))).await;

    let res = test::call_service(&app, test::TestRequest::get().uri("/milano/apps/verde").to_request()).await;
    assert_eq!(res.status(), 200, "the app still opens");
    let html = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let start = html.find("id=\"navigli-app\">").expect("data block (is web/dist built?)") + "id=\"navigli-app\">".len();
    let data: Value = serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()]).unwrap();
    let names: Vec<&str> = data["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["edifici"]);
    assert_eq!(data["warnings"][0]["layer"], "aree_verdi");

    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/milano/admin/apps").insert_header(("Authorization", "ApiKey chiave")).to_request(),
    )
    .await;
    let list: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    assert_eq!(list["apps"][0]["problems"][0]["pointer"], "/layers/0/name", "{list}");
    // Publishing it again is refused until the operator fixes it.
    let res = test::call_service(
        &app,
        test::TestRequest::post().uri("/milano/admin/apps/verde/publish").insert_header(("Authorization", "ApiKey chiave")).to_request(),
    )
    .await;
    assert_eq!(res.status(), 422);
}

/// The viewer draws MVT and WFS layers with their SLD rules (per feature and scale, as the WMS
/// does): what the runtime carries for the demo's roads and services.
#[actix_web::test]
async fn vector_layers_carry_their_style_rules() {
    let catalog = catalog().await;
    let cmm = catalog.tenant("cmm").unwrap();
    let layer = |name: &str| catalog.layer(cmm, &Caller::Anonymous, name).unwrap().clone();
    let roads = serde_json::to_value(navigli::apps::document::paint(&catalog, &layer("strade"))).unwrap();
    let rules = roads["rules"].as_array().expect("rules");
    // Casings under the inner lines: more than one pass, each rule's filter on `classe`.
    let passes: std::collections::BTreeSet<u64> = rules.iter().map(|r| r["pass"].as_u64().unwrap()).collect();
    assert!(passes.len() >= 2, "{passes:?}");
    let motorway = rules.iter().filter(|r| r["filter"] == json!(["==", "classe", "autostrada"])).count();
    assert!(motorway >= 2, "casing and line of the motorways: {rules:#?}");
    assert!(rules.iter().any(|r| r["max_scale"].is_number()) && rules.iter().any(|r| r["min_scale"].is_number()), "scale ranges");
    assert!(rules.iter().all(|r| r["symbols"].as_array().is_some_and(|s| s.iter().all(|p| p["stroke"].is_string()))));
    // Services: the library's icon as a PNG data URL, the other kinds as marks.
    let services = serde_json::to_value(navigli::apps::document::paint(&catalog, &layer("servizi_pubblici"))).unwrap();
    let symbols: Vec<&Value> = services["rules"].as_array().unwrap().iter().flat_map(|r| r["symbols"].as_array().unwrap()).collect();
    let icon = symbols.iter().find_map(|s| s["icon"].as_str()).expect("an icon");
    let b64 = icon.strip_prefix("data:image/png;base64,").expect(icon);
    assert!(b64.starts_with("iVBORw0KGgo") && b64.len() % 4 == 0 && !b64.contains(['-', '_']), "standard padded base64 of a PNG: {icon}");
    assert!(symbols.iter().any(|s| s["shape"] == "circle"), "{symbols:?}");
}
