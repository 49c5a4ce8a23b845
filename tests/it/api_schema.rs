//! The OpenAPI document of `/api` (issue 21), from the outside: `GET /api/openapi.json` is public
//! OpenAPI 3.1 and lists exactly the routes the server answers (every documented route is routed to a
//! handler; every route attribute and every `"/api…"` mount in the source is in the document; nothing
//! else under `/api` answers); and schemathesis, run against a live server as a signed-in security
//! officer, finds no 5xx and no response outside the document (SQLite only: the handlers and the
//! document are the same on both backends).

use crate::support::{repo_path, rust_files, TestDb};
use crate::web;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

type Routes = BTreeSet<(String, String)>;

fn documented(doc: &Value) -> Routes {
    let mut out = Routes::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
        {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// The 2xx `application/json` answers whose schema says nothing but "an object": neither a `$ref` to a
/// component with `properties` (or a composition of such) nor a schema with `properties` or
/// `items`. The document itself (an OpenAPI document, described by its own specification) is left out.
fn untyped_successes(doc: &Value) -> Vec<String> {
    let typed = |schema: &Value| {
        let schema = match schema["$ref"].as_str() {
            Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(&Value::Null),
            None => schema,
        };
        ["properties", "items", "allOf", "oneOf"].iter().any(|k| {
            schema.get(*k).is_some_and(|v| {
                v.as_object().is_some_and(|o| !o.is_empty()) || v.as_array().is_some_and(|a| !a.is_empty())
            })
        })
    };
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path == "/api/openapi.json" {
            continue;
        }
        for (method, op) in item.as_object().expect("path item") {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let response = match response["$ref"].as_str() {
                    Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(&Value::Null),
                    None => response,
                };
                let schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2') && !schema.is_null() && !typed(schema) {
                    out.push(format!("{} {path} {status}: {schema}", method.to_uppercase()));
                }
            }
        }
    }
    out
}

#[test]
fn a_bare_object_answer_is_reported_as_untyped() {
    let doc = serde_json::json!({
        "paths": {
            "/api/a": { "get": { "responses": { "200": { "content": { "application/json": { "schema": { "type": "object" } } } } } } },
            "/api/b": { "post": { "responses": { "201": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Empty" } } } } } } },
            "/api/c": { "get": { "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Made" } } } },
                                                "400": { "content": { "application/json": { "schema": { "type": "object" } } } } } } },
            "/api/openapi.json": { "get": { "responses": { "200": { "content": { "application/json": { "schema": { "type": "object" } } } } } } }
        },
        "components": { "schemas": { "Empty": { "type": "object" }, "Made": { "type": "object", "properties": { "id": { "type": "string" } } } } }
    });
    let untyped = untyped_successes(&doc);
    assert_eq!(untyped.len(), 2, "{untyped:?}");
    assert!(untyped[0].starts_with("GET /api/a 200") && untyped[1].starts_with("POST /api/b 201"), "{untyped:?}");
}

/// What the source mounts: every actix route attribute (the `/api` handlers; paths relative to
/// `/api`), and every `"/api…"` string handed to `.route(`, `web::resource(`, `web::scope(` or
/// `.service(` anywhere but the table.
fn mounted_in_source() -> (Routes, Vec<String>) {
    let (mut routes, mut elsewhere) = (Routes::new(), Vec::new());
    for f in rust_files(&repo_path("src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let table = f.ends_with("src/http/api.rs");
        for (n, line) in text.lines().enumerate() {
            let l = line.trim();
            for m in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = l.strip_prefix(&format!("#[{m}(\"")) {
                    let path = rest.split('"').next().unwrap();
                    routes.insert((m.to_uppercase(), format!("/api{path}")));
                }
            }
            let mounts = [".route(\"/api", "web::resource(\"/api", "web::scope(\"/api", ".service(\"/api"]
                .iter()
                .any(|m| l.contains(m));
            if mounts && !table && !l.starts_with("//") {
                elsewhere.push(format!("{}:{}: {l}", f.display(), n + 1));
            }
        }
    }
    (routes, elsewhere)
}

/// The schema names the source gives its `ToSchema` types: the type's own name, or the name in
/// `#[schema(as = …)]`; with where each is declared. utoipa keeps one schema per name, so two types
/// under one name make the document describe one of them in the other's place.
fn schema_names_in_source() -> std::collections::BTreeMap<String, Vec<String>> {
    let mut names: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in rust_files(&repo_path("src")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let (mut deriving, mut renamed) = (false, None::<String>);
        for (n, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.starts_with("#[derive(") && l.contains("ToSchema") {
                deriving = true;
            } else if let Some(rest) = l.strip_prefix("#[schema(as = ") {
                renamed = Some(rest.trim_end_matches(")]").rsplit("::").next().unwrap().to_string());
            } else if deriving && !l.starts_with("#[") && !l.starts_with("//") {
                let decl = l.trim_start_matches("pub(crate) ").trim_start_matches("pub ");
                if let Some(name) = decl.strip_prefix("struct ").or_else(|| decl.strip_prefix("enum ")) {
                    let name = name.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap().to_string();
                    names.entry(renamed.take().unwrap_or(name)).or_default().push(format!("{}:{}", f.display(), n + 1));
                }
                (deriving, renamed) = (false, None);
            }
        }
    }
    names
}

#[test]
fn no_two_schema_types_share_a_name() {
    let names = schema_names_in_source();
    assert!(names.len() >= 50, "the scan finds the ToSchema types: {names:?}");
    let clashes: Vec<_> = names.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(clashes.is_empty(), "two ToSchema types share a schema name (give one `#[schema(as = …)]`): {clashes:#?}");
}

/// The property names of a schema, through `$ref` and `allOf`.
fn properties(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(&Value::Null),
        None => schema,
    };
    let mut out: BTreeSet<String> =
        schema["properties"].as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        out.extend(properties(doc, part));
    }
    out
}

fn concrete(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_exactly_the_mounted_api_routes() {
    let db = TestDb::sqlite();
    let s = web::start(&db, |_| {}).await;
    let c = s.client();
    let (status, doc) = c.get_json("/api/openapi.json").await;
    assert_eq!(status, 200, "the document is public");
    assert_eq!(doc["openapi"], "3.1.0");
    let documented = documented(&doc);
    assert!(documented.len() >= 50, "{documented:?}");

    // The source mounts exactly what the document lists, and nothing under /api outside the table.
    let (in_source, elsewhere) = mounted_in_source();
    assert_eq!(
        in_source, documented,
        "route attributes in src/ and the document differ: add the handler to table! in src/http/api.rs"
    );
    assert!(elsewhere.is_empty(), "/api routes mounted outside the table of src/http/api.rs: {elsewhere:#?}");

    // Every documented route reaches its handler (without a session: 401, 403 for a POST
    // without a CSRF token, 400 for a missing required query), and the other method at the same path reaches nothing.
    let http = reqwest::Client::new();
    for (method, path) in &documented {
        let url = format!("{}{}", s.base, concrete(path));
        let (res, other) = match method.as_str() {
            "GET" => (http.get(&url).send().await.unwrap(), http.post(&url).send().await.unwrap()),
            _ => (http.post(&url).send().await.unwrap(), http.get(&url).send().await.unwrap()),
        };
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(
            [200, 400, 401, 403].contains(&status) && body["error"] != "not_found",
            "{method} {path}: {status} {body}"
        );
        let documented_other = documented.iter().any(|(m, p)| m != method && concrete(p) == concrete(path));
        if !documented_other {
            assert_eq!(other.status().as_u16(), 404, "{path} answers a method the document does not list");
        }
    }
    // Every success body is typed: its schema names the fields the handler serializes (issue 21).
    let untyped = untyped_successes(&doc);
    assert!(
        untyped.is_empty(),
        "2xx JSON answers documented as a bare object: name the type the handler serializes\n{untyped:#?}"
    );
    // A request body that wraps another type keeps its own fields (the exception's last day).
    let body = &doc["paths"]["/api/review/exceptions"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    let fields = properties(&doc, body);
    for f in ["rule", "subjects", "reason", "until"] {
        assert!(fields.contains(f), "POST /api/review/exceptions documents `{f}`: {fields:?}");
    }
    // Anything else under /api is the JSON 404.
    let (status, body) = c.get_json("/api/no-such-route").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    // No secret in the document: no example values of keys, tokens or passwords, no configuration.
    let text = doc.to_string();
    assert!(
        !text.contains(&db.config().database.url) && !text.contains("BEGIN"),
        "the document holds only routes and types"
    );
}

/// The venv of scripts/setup-rp.sh.
fn schemathesis() -> String {
    let venv = std::env::var("TOBIRA_TEST_RP_VENV")
        .unwrap_or_else(|_| format!("{}/.cache/tobira-rp-venv", std::env::var("HOME").unwrap_or_default()));
    let bin = format!("{venv}/bin/schemathesis");
    assert!(Path::new(&bin).exists(), "no schemathesis at {bin}: run scripts/setup-rp.sh (scripts/test.sh does)");
    bin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_schema_break() {
    let bin = schemathesis();
    let db = TestDb::sqlite();
    let s = web::start(&db, |_| {}).await;
    // A seeded database: an officer who signs in with two factors, staff in a section, a 所属長.
    s.account("p-so-0901", crate::oidc_rp::PASSWORD, false, true).await;
    s.person("tanaka.k", "400001", "regular", false, &[]).await;
    s.person("suzuki.m", "400002", "regular", true, &[]).await;
    let (officer, _) = crate::web::signed_in(&s, "p-so-0901").await;
    assert_eq!(officer.get_json("/api/officer/lockouts").await.0, 200, "the officer's session reaches the API");
    let c_doc = documented(&officer.get_json("/api/openapi.json").await.1);
    let cookie = officer.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let (csrf, url) = (officer.csrf(), format!("{}/api/openapi.json", s.base));
    let report = tempfile::tempdir().unwrap();
    let junit = report.path().join("junit.xml");
    let (junit_path, dir) = (junit.clone(), report.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args([
                "run",
                &url,
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args([
                "--mode",
                "positive",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "10",
                "--seed",
                "21",
                "--generation-deterministic",
            ])
            .args([
                "--generation-with-security-parameters",
                "false",
                "--workers",
                "1",
                "--request-timeout",
                "10",
                "--no-color",
            ])
            .args(["-H", &format!("Cookie: {cookie}"), "-H", &format!("X-CSRF-Token: {csrf}")])
            .args(["--report", "junit", "--report-junit-path"])
            .arg(&junit)
            .current_dir(&dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis found problems:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // It ran every operation of the document, signed in (not a run of 401s).
    let tested: Routes = std::fs::read_to_string(&junit_path)
        .unwrap()
        .split("<testcase ")
        .skip(1)
        .filter_map(|t| {
            t.split("name=\"").nth(1)?.split('"').next()?.split_once(' ').map(|(m, p)| (m.to_string(), p.to_string()))
        })
        .collect();
    let mut expected = c_doc.clone();
    expected.remove(&("GET".to_string(), "/api/openapi.json".to_string())); // the document itself is not an operation it tests
    assert_eq!(tested, expected, "schemathesis tested every operation of the document\n{stdout}");
    assert_eq!(
        officer.get_json("/api/officer/lockouts").await.0,
        200,
        "the officer is still signed in after the run\n{stdout}"
    );
}
