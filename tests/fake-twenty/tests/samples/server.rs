//! What every answer carries and the endpoints besides records: the headers of every REST
//! response, `/healthz` without auth, and the OpenAPI document.

use fake_twenty::{FakeConfig, Profile};
use reqwest::header::HeaderMap;
use serde_json::json;

use crate::support::{lit, Auth, HOUSECALL, T};

// ----- Headers (every REST response) ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn headers_on_every_rest_response() {
    let t = T::legacy().await;
    t.fake.insert_record("companies", lit(HOUSECALL));
    let r = t.get("/rest/companies?limit=1").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-powered-by"), Some("Express"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert_eq!(r.header("keep-alive"), Some("timeout=5"));
    let len: usize = r.header("content-length").unwrap().parse().unwrap();
    assert_eq!(len, r.body.to_string().len());
    // Express' weak ETag: W/"<length in hex>-<27 chars of base64 SHA-1>".
    let etag = r.header("etag").unwrap().to_string();
    let inner = etag
        .strip_prefix("W/\"")
        .and_then(|e| e.strip_suffix('"'))
        .unwrap();
    let (hex, hash) = inner.split_once('-').unwrap();
    assert_eq!(hex, format!("{len:x}"));
    assert_eq!(hash.len(), 27);
    assert!(r.header("date").is_some());
    // ... and Express answers a matching If-None-Match with 304.
    let again = t
        .http
        .get(t.url("/rest/companies?limit=1"))
        .bearer_auth(t.fake.api_key())
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);

    // No rate-limit headers, on REST or /metadata; a burst of 300, 8 at a time, all 200.
    let limit_headers = |h: &HeaderMap| {
        h.keys().any(|k| {
            let k = k.as_str();
            k.starts_with("x-ratelimit") || k.starts_with("ratelimit") || k == "retry-after"
        })
    };
    assert!(!limit_headers(&r.headers));
    let g = t
        .request(
            "POST",
            "/metadata",
            Some(json!({"query": "{ objects(paging:{first:200}) { edges { node { id } } } }"})),
            Auth::Key,
        )
        .await;
    assert_eq!(g.status, 200);
    assert!(!limit_headers(&g.headers));
    let (url, key) = (t.url("/rest/companies?limit=1"), t.fake.api_key());
    for _ in 0..300 / 8 {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (http, url, key) = (t.http.clone(), url.clone(), key.clone());
                tokio::spawn(async move { http.get(url).bearer_auth(key).send().await.unwrap() })
            })
            .collect();
        for task in tasks {
            let r = task.await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert!(!limit_headers(r.headers()));
        }
    }

    // Status codes: create 201; get, list, update, delete 200; validation / not found 400.
    let c = t.post("/rest/companies", json!({"name": "S"})).await;
    assert_eq!(c.status, 201);
    let id = c.body["data"]["createCompany"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(t.get(&format!("/rest/companies/{id}")).await.status, 200);
    assert_eq!(
        t.patch(&format!("/rest/companies/{id}"), json!({"name": "T"}))
            .await
            .status,
        200
    );
    assert_eq!(t.delete(&format!("/rest/companies/{id}")).await.status, 200);
    assert_eq!(t.get(&format!("/rest/companies/{id}")).await.status, 400);
    assert_eq!(t.get("/rest/companies?limit=abc").await.status, 400);
}

// ----- /healthz (no auth) --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn healthz_without_auth() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let t = T::new(FakeConfig::with_profile(profile)).await;
        let r = t.request("GET", "/healthz", None, Auth::Bare).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("cache-control"),
            Some("no-cache, no-store, must-revalidate")
        );
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.body,
            lit(r#"{"status":"ok","info":{},"error":{},"details":{}}"#)
        );
    }
}

// ----- OpenAPI -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn openapi_core() {
    let t = T::legacy().await;
    let r = t.get("/rest/open-api/core").await;
    assert_eq!(r.status, 200);
    assert!(r.body["openapi"].is_string(), "{}", r.body);
    assert!(r.body["paths"].is_object());
}
