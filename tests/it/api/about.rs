//! `GET /api/about` (and `{"op": "about"}`): the version, the data directory, the log folder and
//! the configured Twenty server, with what was detected of it once the agent has talked to it.

use std::time::Duration;

use serde_json::{json, Value};

use super::server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn about_names_the_version_the_folders_and_the_detected_server() {
    let s = server().await;
    let (status, about) = s.get("/api/about").await;
    assert_eq!(status, 200, "{about}");
    let about: Value = serde_json::from_str(&about).expect("json");
    assert_eq!(about["version"], json!(env!("CARGO_PKG_VERSION")));
    let data_dir = s.dir.path().display().to_string();
    assert_eq!(about["data_dir"], json!(data_dir));
    assert_eq!(about["log_dir"], json!(format!("{data_dir}/logs")));
    let base_url = about["server"]["base_url"].as_str().expect("a server");
    assert!(base_url.starts_with("http://127.0.0.1:"), "{about}");
    assert!(
        !about.to_string().contains(super::KEY),
        "the key never shows"
    );

    // Once a push has run, the store knows the server's build: the fake is a current Twenty.
    s.record(2, "about");
    let store = s.store.clone();
    crate::support::eventually("the records are pushed", Duration::from_secs(30), || {
        store.counters().is_ok_and(|c| c.pending == 0)
    })
    .await;
    let rest = s.rest_and_rpc("/api/about", "about").await;
    let server = &rest["server"];
    assert_eq!(server["detected"], json!(true), "{rest}");
    assert_eq!(server["external_id_on_companies"], json!(true), "{rest}");
    assert!(server["external_id_on_people"].is_boolean(), "{rest}");
    assert!(server["metadata_api"].is_string(), "{rest}");
    assert!(server["flavour"].as_str().is_some_and(|f| !f.is_empty()));
    s.stop().await;
}
