//! The OpenAPI 3.0 document (`service-desc`), generated from the operation and parameter
//! tables the routes are mounted from, for the collections the caller may see: the generic
//! paths, and one `/collections/{name}/items` path per collection with its queryables as
//! parameters.

use serde_json::{json, Map, Value as Json};

use super::params::{self, In, Op, Operation, GEOJSON, HTML, JSON, MVT, PARAMS};
use super::Api;
use crate::catalog::Layer;
use crate::model::AttributeType;

fn parameter(p: &params::Param, collections: &[String], groups: &[String], max_features: u64) -> Json {
    let mut schema = (p.schema)();
    // An empty enum is not valid OpenAPI: a caller who sees nothing gets plain strings.
    if p.name == "collectionId" && !collections.is_empty() {
        schema = json!({ "type": "string", "enum": collections });
    }
    if p.name == "groupId" && !groups.is_empty() {
        schema = json!({ "type": "string", "enum": groups });
    }
    if p.name == "limit" {
        // GDAL ≥ 3.8 pages with the declared maximum; larger values are clamped, not refused.
        schema["maximum"] = json!(max_features);
    }
    let mut out = json!({
        "name": p.name,
        "in": if p.location == In::Path { "path" } else { "query" },
        "required": p.location == In::Path,
        "description": p.description,
        "schema": schema,
    });
    if p.location == In::Query {
        out["style"] = json!("form");
        out["explode"] = json!(false);
    }
    out
}

fn response_schema(media: &str) -> Json {
    match media {
        GEOJSON => json!({
            "type": "object",
            "required": ["type"],
            "properties": {
                "type": { "type": "string", "enum": ["FeatureCollection", "Feature"] },
                "features": { "type": "array", "items": { "type": "object" } },
                "numberReturned": { "type": "integer", "minimum": 0 },
                "numberMatched": { "type": "integer", "minimum": 0 },
                "links": { "type": "array", "items": { "$ref": "#/components/schemas/link" } },
            },
        }),
        HTML => json!({ "type": "string" }),
        _ => json!({ "type": "object" }),
    }
}

fn responses(o: &Operation) -> Json {
    let content: Map<String, Json> = o.media.iter().map(|m| (m.to_string(), json!({ "schema": response_schema(m) }))).collect();
    let error = |d: &str| json!({ "description": d, "content": { JSON: { "schema": { "$ref": "#/components/schemas/exception" } } } });
    let mut out = json!({
        "200": { "description": "The resource", "content": content },
        "400": error("A parameter is unknown or invalid"),
        "401": error("The credentials are invalid"),
        "403": error("The credentials do not cover this collection"),
        "404": error("No such collection or feature"),
        "503": error("The data source is unavailable; try again later"),
    });
    if o.media.contains(&MVT) {
        out["204"] = json!({ "description": "The tile holds no feature" });
        out["304"] = json!({ "description": "The tile has not changed (If-None-Match)" });
    }
    out
}

fn operation(o: &Operation, id: String, parameters: Vec<Json>) -> Json {
    json!({ "get": { "operationId": id, "summary": o.summary, "parameters": parameters, "responses": responses(o) } })
}

fn queryable_parameter(layer: &Layer, name: &str, kind: AttributeType) -> Json {
    let schema = match kind {
        AttributeType::Int => json!({ "type": "integer" }),
        AttributeType::Float => json!({ "type": "number" }),
        AttributeType::Bool => json!({ "type": "boolean" }),
        AttributeType::Date => json!({ "type": "string", "format": "date" }),
        AttributeType::Text => json!({ "type": "string" }),
    };
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": format!("Only features of {} whose {name} equals this value", layer.name()),
        "schema": schema,
        "style": "form",
        "explode": false,
    })
}

/// The Part 4 operations of a collection the caller may edit, beside its reads.
fn write_operations(paths: &mut Map<String, Json>, name: &str) {
    let feature_body = |media: &str| json!({ "required": true, "content": { media: { "schema": { "type": "object", "required": ["type"], "properties": { "type": { "type": "string" } } } } } });
    let failure = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/exception" } } } });
    let errors = |mut r: Map<String, Json>| {
        for (code, d) in [
            ("400", "Invalid feature"),
            ("401", "Credentials needed"),
            ("403", "Not allowed"),
            ("404", "No such feature"),
            ("412", "The feature changed since it was read (If-Match)"),
        ] {
            r.insert(code.into(), failure(d));
        }
        Json::Object(r)
    };
    let id_param = json!({ "$ref": "#/components/parameters/featureId" });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": false, "schema": { "type": "string" }, "description": "The ETag the feature was read with." });
    let mut created = Map::new();
    created.insert("201".into(), json!({ "description": "Created; Location names the new feature" }));
    let mut done = Map::new();
    done.insert("204".into(), json!({ "description": "Done" }));
    let items = format!("/collections/{name}/items");
    if let Some(Json::Object(ops)) = paths.get_mut(&items) {
        ops.insert("post".into(), json!({ "operationId": format!("createFeature_{name}"), "summary": "Add a feature", "requestBody": feature_body("application/geo+json"), "responses": errors(created) }));
    }
    let item = format!("/collections/{name}/items/{{featureId}}");
    let mut ops = Map::new();
    ops.insert("put".into(), json!({ "operationId": format!("replaceFeature_{name}"), "summary": "Replace a feature", "parameters": [id_param, if_match], "requestBody": feature_body("application/geo+json"), "responses": errors(done.clone()) }));
    ops.insert("patch".into(), json!({ "operationId": format!("updateFeature_{name}"), "summary": "Change a feature (JSON merge patch)", "parameters": [id_param, if_match], "requestBody": feature_body("application/merge-patch+json"), "responses": errors(done.clone()) }));
    ops.insert("delete".into(), json!({ "operationId": format!("deleteFeature_{name}"), "summary": "Delete a feature", "parameters": [id_param, if_match], "responses": errors(done) }));
    paths.insert(item, Json::Object(ops));
}

/// The document for the caller of `api`.
pub fn document(api: &Api) -> Json {
    let (catalog, tenant) = (api.scope.catalog(), api.scope.tenant());
    let layers: Vec<_> = catalog.visible_layers(tenant, &api.scope.caller).collect();
    let names: Vec<String> = layers.iter().map(|l| l.name().to_string()).collect();
    let groups: Vec<String> =
        catalog.groups.iter().filter(|g| layers.iter().any(|l| l.config.group == g.name)).map(|g| g.name.clone()).collect();
    let components: Map<String, Json> =
        PARAMS.iter().map(|p| (p.name.to_string(), parameter(p, &names, &groups, catalog.server.max_features))).collect();
    let refs = |o: &Operation, skip: &[&str]| -> Vec<Json> {
        o.params.iter().filter(|p| !skip.contains(p)).map(|p| json!({ "$ref": format!("#/components/parameters/{p}") })).collect()
    };
    let mut paths = Map::new();
    for o in params::OPERATIONS {
        paths.insert(o.path.to_string(), operation(o, o.id.to_string(), refs(o, &[])));
    }
    let items = params::operation(Op::Items);
    for layer in &layers {
        let mut parameters = refs(items, &["collectionId"]);
        parameters.extend(layer.schema.attributes.iter().map(|a| queryable_parameter(layer, &a.name, a.kind)));
        let path = format!("/collections/{}/items", layer.name());
        paths.insert(path, operation(items, format!("getFeatures_{}", layer.name()), parameters));
    }
    for layer in layers.iter().filter(|l| crate::edit::allowed(&api.scope.caller, tenant, l)) {
        write_operations(&mut paths, layer.name());
    }
    let mut contact = Map::new();
    if let Some(o) = &tenant.contact.organization {
        contact.insert("name".into(), json!(o));
    }
    if let Some(e) = &tenant.contact.email {
        contact.insert("email".into(), json!(e));
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("{} — OGC API", tenant.title),
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API – Features Parts 1–3 (CQL2) and OGC API – Tiles (vector tiles) served by navigli.",
            "contact": contact,
            "license": { "name": "CC-BY-4.0" },
        },
        "servers": [{ "url": api.base }],
        "paths": paths,
        "components": {
            "parameters": components,
            "schemas": {
                "link": {
                    "type": "object",
                    "required": ["href", "rel"],
                    "properties": { "href": { "type": "string" }, "rel": { "type": "string" }, "type": { "type": "string" }, "title": { "type": "string" } },
                },
                "exception": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": { "code": { "type": "string" }, "description": { "type": "string" } },
                },
            },
        },
    })
}
