//! What changed between two JSON documents (two revisions of an app), as a list of
//! `{op, path, old, new}` with JSON pointers — objects member by member, arrays element by
//! element (a layer inserted in the middle shows as the elements after it changing).

use serde_json::{json, Value as Json};

/// Most changes listed.
const MAX_CHANGES: usize = 500;

fn pointer_part(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn walk(path: &str, old: Option<&Json>, new: Option<&Json>, out: &mut Vec<Json>) {
    if out.len() >= MAX_CHANGES {
        return;
    }
    match (old, new) {
        (Some(Json::Object(a)), Some(Json::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
            keys.sort();
            for k in keys {
                walk(&format!("{path}/{}", pointer_part(k)), a.get(k), b.get(k), out);
            }
        }
        (Some(Json::Array(a)), Some(Json::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(&format!("{path}/{i}"), a.get(i), b.get(i), out);
            }
        }
        (Some(a), Some(b)) if a == b => {}
        (Some(a), Some(b)) => out.push(json!({ "op": "replace", "path": path, "old": a, "new": b })),
        (None, Some(b)) => out.push(json!({ "op": "add", "path": path, "new": b })),
        (Some(a), None) => out.push(json!({ "op": "remove", "path": path, "old": a })),
        (None, None) => {}
    }
}

/// The changes from `old` to `new`.
pub fn diff(old: &Json, new: &Json) -> Vec<Json> {
    let mut out = Vec::new();
    walk("", Some(old), Some(new), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn changes_are_listed_with_pointers() {
        let a = json!({ "title": "uno", "layers": [{ "name": "a" }], "tools": ["x"], "a/b": 1 });
        let b = json!({ "title": "due", "layers": [{ "name": "a" }, { "name": "b" }], "a/b": 1, "extent": [1, 2, 3, 4] });
        let d = super::diff(&a, &b);
        let paths: Vec<(&str, &str)> = d.iter().map(|c| (c["op"].as_str().unwrap(), c["path"].as_str().unwrap())).collect();
        assert_eq!(paths, [("add", "/extent"), ("add", "/layers/1"), ("replace", "/title"), ("remove", "/tools")]);
        assert!(super::diff(&a, &a).is_empty());
    }
}
