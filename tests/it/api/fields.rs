//! The fields and mapping routes (`/api/fields`, `/api/field-mapping`) answer what `POST
//! /api/rpc` answers for the same operations, refresh the data model from Twenty when asked,
//! and refuse an unknown target or column with a JSON sentence naming the field of the request.

use reqwest::Method;
use serde_json::{json, Value};

use super::server;

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_and_mapping_routes_answer_as_rpc_does() {
    let s = server().await;
    let (status, standard) = s.get("/api/fields?kind=person").await;
    assert_eq!(status, 200, "{standard}");
    let standard = json_of(&standard);
    assert!(standard["note"].as_str().unwrap().contains("--refresh"));
    assert_eq!(standard["kinds"].as_array().unwrap().len(), 1);

    let (status, refreshed) = s
        .send(Method::POST, "/api/fields", json!({ "refresh": true }))
        .await;
    assert_eq!(status, 200, "{refreshed}");
    let refreshed = json_of(&refreshed);
    assert!(refreshed["note"].is_null(), "{refreshed}");
    assert!(refreshed["read_from"].is_string(), "{refreshed}");
    let (_, rpc) = s
        .send(Method::POST, "/api/rpc", json!({ "op": "fields" }))
        .await;
    assert_eq!(json_of(&rpc), refreshed);

    let (status, set) = s
        .send(
            Method::PUT,
            "/api/field-mapping",
            json!({ "kind": "person", "column": "Title", "target": "Job Title" }),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(json_of(&set)["target"], "jobTitle");
    let (status, refused) = s
        .send(
            Method::PUT,
            "/api/field-mapping",
            json!({ "kind": "person", "column": "Title", "target": "nosuch" }),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let refused = json_of(&refused);
    assert!(refused["fields"]["target"]
        .as_str()
        .unwrap()
        .contains("nosuch"));

    let shown = s.rest_and_rpc("/api/field-mapping", "mapping_show").await;
    assert_eq!(
        shown["overrides"],
        json!([{ "kind": "person", "column": "Title", "target": "jobTitle" }])
    );
    let unset = json!({ "op": "mapping_unset", "kind": "person", "column": "title" });
    let (status, _) = s.send(Method::POST, "/api/rpc", unset).await;
    assert_eq!(status, 200);
    let (status, gone) = s
        .send(
            Method::POST,
            "/api/field-mapping/unset",
            json!({ "kind": "person", "column": "Title" }),
        )
        .await;
    assert_eq!(status, 404, "{gone}");
    assert!(json_of(&gone)["error"]
        .as_str()
        .unwrap()
        .contains("no mapping"));
    s.stop().await;
}
