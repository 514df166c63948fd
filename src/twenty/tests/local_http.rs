//! HTTP behaviour that `fake-twenty` does not produce, against a small local axum server:
//! short pages with `hasNextPage`, records that were not asked for, the intermediate build's
//! batch key, out-of-order batch results, non-JSON success bodies, and the key never leaking
//! from transport errors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::domain::EntityKind;
use crate::twenty::{ClientConfig, ErrorCode, RequestBudget, RetryPolicy, TwentyClient};

type Log = Arc<Mutex<Vec<String>>>;

async fn serve(router: Router) -> String {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

fn client(base_url: &str, key: &str) -> TwentyClient {
    let config = ClientConfig {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
        },
        ..ClientConfig::new(base_url, key)
    };
    TwentyClient::new(config, RequestBudget::new(60_000, 1_000)).expect("client")
}

/// Page 1 holds a record nobody asked for and one asked for; page 2 the other one.
async fn paged_people(State(log): State<Log>, RawQuery(query): RawQuery) -> Json<Value> {
    let query = query.unwrap_or_default();
    log.lock().expect("log").push(query.clone());
    if query.contains("starting_after=cursor-1") {
        Json(json!({
            "data": {"people": [{"id": "id-b", "externalId": "b"}]},
            "pageInfo": {"hasNextPage": false, "endCursor": "cursor-2"},
            "totalCount": 1
        }))
    } else {
        Json(json!({
            "data": {"people": [
                {"id": "id-x", "externalId": "not-asked"},
                {"id": "id-empty", "externalId": ""},
                {"id": "id-a", "externalId": "a"}
            ]},
            "pageInfo": {"hasNextPage": true, "endCursor": "cursor-1"},
            "totalCount": 4
        }))
    }
}

#[tokio::test]
async fn pages_are_followed_and_unasked_records_dropped() {
    let log: Log = Arc::default();
    let base = serve(
        Router::new()
            .route("/rest/people", get(paged_people))
            .with_state(Arc::clone(&log)),
    )
    .await;
    let found = client(&base, "key-123456")
        .find_by_external_ids(EntityKind::Person, &["b".to_string(), "a".to_string()])
        .await
        .expect("lookup");
    let got: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|r| (r.id.as_str(), r.external_id.as_deref()))
        .collect();
    assert_eq!(got, [("id-b", Some("b")), ("id-a", Some("a"))]);
    let queries = log.lock().expect("log").clone();
    assert_eq!(queries.len(), 2);
    assert!(
        queries[0].contains("limit=2") && queries[0].contains("depth=0"),
        "{}",
        queries[0]
    );
    assert!(queries[1].contains("starting_after=cursor-1"));
}

async fn intermediate_batch(Json(body): Json<Value>) -> (axum::http::StatusCode, Json<Value>) {
    // The intermediate build's plain plural key, and the results in reverse order.
    let mut records: Vec<Value> = body
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r["id"] = json!(format!("id-{i}"));
            r
        })
        .collect();
    records.reverse();
    (
        axum::http::StatusCode::CREATED,
        Json(json!({"data": {"companies": records}})),
    )
}

#[tokio::test]
async fn batch_results_under_the_plural_key_come_back_in_input_order() {
    let base = serve(Router::new().route("/rest/batch/companies", post(intermediate_batch))).await;
    let created = client(&base, "key-123456")
        .create_batch(
            EntityKind::Company,
            &[
                json!({"externalId": "c-1", "name": "One"}),
                json!({"externalId": "c-2", "name": "Two"}),
            ],
            "k",
            false,
        )
        .await
        .expect("created");
    let got: Vec<(&str, Option<&str>)> = created
        .iter()
        .map(|r| (r.id.as_str(), r.external_id.as_deref()))
        .collect();
    assert_eq!(got, [("id-0", Some("c-1")), ("id-1", Some("c-2"))]);
}

#[tokio::test]
async fn a_web_page_instead_of_the_api_is_reported_as_such() {
    let base = serve(
        Router::new()
            .route(
                "/healthz",
                get(|| async { "<!doctype html><title>Twenty</title>" }),
            )
            .route(
                "/rest/people",
                get(|| async { "<!doctype html><title>Twenty</title>" }),
            ),
    )
    .await;
    let client = client(&base, "key-123456");
    let error = client.healthz().await.expect_err("not JSON");
    assert_eq!(error.code(), ErrorCode::ServerError);
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("server URL"), "{error}");
    let error = client
        .find_by_external_ids(EntityKind::Person, &["a".to_string()])
        .await
        .expect_err("not JSON");
    assert_eq!(error.code(), ErrorCode::ServerError);
}

#[tokio::test]
async fn the_key_never_leaks_from_transport_errors_or_debug_output() {
    let key = "a.b*c+(d)-key";
    // A closed port, with the key in the base URL's path as a careless user might paste it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let base = format!("http://127.0.0.1:{port}/proxy/{key}");
    let config = ClientConfig::new(base.clone(), key);
    assert!(!format!("{config:?}").contains(key));
    let client = client(&base, key);
    assert!(!format!("{client:?}").contains(key));

    let error = client.healthz().await.expect_err("refused");
    assert_eq!(error.code(), ErrorCode::NetworkError);
    assert!(error.is_retryable());
    assert!(!error.to_string().contains(key), "{error}");

    let error = client
        .find_by_external_ids(EntityKind::Company, &["x".to_string()])
        .await
        .expect_err("refused");
    assert_eq!(error.code(), ErrorCode::OperationFailed);
    assert_eq!(error.root().code(), ErrorCode::NetworkError);
    assert!(!error.to_string().contains(key), "{error}");

    let report = client.test_connection(false).await;
    assert!(!report.ok);
    let text = serde_json::to_string(&report).expect("serialize");
    assert!(!text.contains(key), "{text}");
}

#[test]
fn unusable_configuration_is_refused_before_any_request() {
    let budget = RequestBudget::new(60, 1);
    for (url, key) in [
        ("not a url", "key-123456"),
        ("ftp://twenty.example", "key-123456"),
        ("https://twenty.example/?token=1", "key-123456"),
        ("https://twenty.example", ""),
        ("https://twenty.example", "key with space"),
    ] {
        let error = TwentyClient::new(ClientConfig::new(url, key), Arc::clone(&budget))
            .expect_err("refused");
        assert_eq!(error.code(), ErrorCode::ValidationError, "{url} {key}");
    }
    let client = TwentyClient::new(
        ClientConfig::new(" https://crm.example.com/twenty/ ", "key-123456"),
        budget,
    )
    .expect("ok");
    assert_eq!(client.base_url(), "https://crm.example.com/twenty");
}
