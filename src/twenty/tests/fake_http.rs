//! HTTP behaviour against the `fake-twenty` server in both profiles (Aug-2025 `Legacy2025` and
//! newest `Current`). Real time with short timeouts and backoffs: reqwest's timeout runs on
//! tokio timers, and under paused time the clock would jump ahead while the server works.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, MetadataListShape, Profile, RateLimitConfig};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::domain::{EntityKind, IntentFields, MetadataRoute};
use crate::twenty::wire::{company_body, person_body};
use crate::twenty::{
    ClientConfig, ErrorCode, FieldRefusal, RequestBudget, RetryPolicy, SchemaReport, TwentyClient,
};

const PROFILES: [Profile; 2] = [Profile::Legacy2025, Profile::Current];

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    }
}

fn client_with(base_url: &str, api_key: &str, retry: RetryPolicy) -> TwentyClient {
    let config = ClientConfig {
        timeout: Duration::from_secs(2),
        retry,
        ..ClientConfig::new(base_url, api_key)
    };
    match TwentyClient::new(config, RequestBudget::new(60_000, 1_000)) {
        Ok(client) => client,
        Err(e) => panic!("client: {e}"),
    }
}

fn client(fake: &FakeTwenty) -> TwentyClient {
    client_with(&fake.base_url(), &fake.api_key(), fast())
}

async fn fake(profile: Profile, with_external_id: bool) -> FakeTwenty {
    FakeTwenty::start(FakeConfig {
        with_external_id,
        ..FakeConfig::with_profile(profile)
    })
    .await
}

fn company(name: &str) -> IntentFields {
    IntentFields {
        name: Some(name.to_string()),
        ..IntentFields::default()
    }
}

fn ids(records: &[crate::twenty::RemoteRecord]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r.external_id.as_deref().unwrap_or("?"))
        .collect()
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn healthz_on_both_profiles() {
    for profile in PROFILES {
        let fake = fake(profile, false).await;
        let client = client(&fake);
        assert_eq!(client.healthz().await, Ok(()));
        fake.faults().unhealthy(true);
        let error = client.healthz().await.expect_err("503");
        assert_eq!(error.code(), ErrorCode::ServerError);
        assert_eq!(error.status(), Some(503));
        assert_eq!(
            fake.count_matching("GET", "/healthz"),
            2,
            "one attempt each"
        );
        let health = fake.requests();
        assert!(
            health.iter().all(|r| !r.headers.authorization),
            "no key on /healthz"
        );
    }
}

#[tokio::test]
async fn create_find_and_update_on_both_profiles() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let client = client(&fake);
        let bodies = vec![
            company_body("c-1", &company("Acme")),
            company_body(
                "c-2",
                &IntentFields {
                    website: Some("https://globex.example".into()),
                    ..company("Globex")
                },
            ),
        ];
        let created = client
            .create_batch(EntityKind::Company, &bodies, "twenty-sync-k1", false)
            .await
            .expect("batch create");
        assert_eq!(ids(&created), ["c-1", "c-2"], "{profile:?}");
        let post = fake
            .requests()
            .into_iter()
            .find(|r| r.method == "POST")
            .expect("logged");
        assert_eq!(post.path, "/rest/batch/companies");
        assert_eq!(post.query, None, "no upsert flag");
        assert!(post.headers.authorization);
        assert_eq!(
            post.headers.idempotency_key.as_deref(),
            Some("twenty-sync-k1")
        );

        fake.clear_requests();
        let found = client
            .find_by_external_ids(EntityKind::Company, &strings(&["c-2", "c-1", "missing"]))
            .await
            .expect("lookup");
        assert_eq!(ids(&found), ["c-2", "c-1"], "in the order asked");
        assert_eq!(found[1].id, created[0].id);
        let get = &fake.requests()[0];
        assert_eq!(get.path, "/rest/companies");
        assert_eq!(
            get.query_decoded().as_deref(),
            Some(r#"filter=externalId[in]:["c-2","c-1","missing"]&limit=3&depth=0"#)
        );

        let person = person_body(
            "p-1",
            &IntentFields {
                name: Some("Ada Lovelace".into()),
                email: Some("Ada@Example.com".into()),
                ..IntentFields::default()
            },
            Some(&created[0].id),
        );
        let people = client
            .create_batch(EntityKind::Person, &[person], "twenty-sync-k2", false)
            .await
            .expect("person");
        assert_eq!(people[0].raw["emails"]["primaryEmail"], "ada@example.com");
        assert_eq!(people[0].raw["companyId"], json!(created[0].id));

        let updated = client
            .update(
                EntityKind::Person,
                &people[0].id,
                &json!({"jobTitle": "Countess"}),
                "twenty-sync-k3",
            )
            .await
            .expect("update");
        assert_eq!(updated.id, people[0].id);
        assert_eq!(updated.external_id.as_deref(), Some("p-1"));
        assert_eq!(updated.raw["jobTitle"], "Countess");
        assert_eq!(updated.raw["name"]["firstName"], "Ada", "other fields kept");

        let gone = client
            .update(
                EntityKind::Person,
                "6fb68711-5ffa-4a41-ba13-d95f6d652cd3",
                &json!({"jobTitle": "x"}),
                "twenty-sync-k4",
            )
            .await
            .expect_err("no such record");
        assert_eq!(gone.code(), ErrorCode::NotFound, "{profile:?}: {gone}");

        let duplicate = client
            .create_batch(
                EntityKind::Company,
                &[
                    company_body("c-3", &company("New")),
                    company_body("c-1", &company("Again")),
                ],
                "twenty-sync-k5",
                false,
            )
            .await
            .expect_err("duplicate externalId");
        assert_eq!(
            duplicate.code(),
            ErrorCode::Duplicate,
            "{profile:?}: {duplicate}"
        );
        assert!(
            fake.find_by_external_id("companies", "c-3").is_empty(),
            "all or nothing"
        );
    }
}

#[tokio::test]
async fn upsert_updates_on_current_and_is_ignored_on_legacy() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let client = client(&fake);
        let first = client
            .create_batch(
                EntityKind::Company,
                &[company_body("u-1", &company("One"))],
                "k1",
                true,
            )
            .await
            .expect("create");
        let again = client
            .create_batch(
                EntityKind::Company,
                &[company_body("u-1", &company("Two"))],
                "k2",
                true,
            )
            .await;
        match profile {
            Profile::Current => {
                let again = again.expect("upsert");
                assert_eq!(again[0].id, first[0].id);
                assert_eq!(again[0].raw["name"], "Two");
            }
            Profile::Legacy2025 => {
                assert_eq!(
                    again.map_err(|e| e.code()).err(),
                    Some(ErrorCode::Duplicate)
                );
            }
        }
        assert!(fake
            .requests()
            .iter()
            .any(|r| r.query.as_deref() == Some("upsert=true")));
    }
}

#[tokio::test]
async fn ids_with_filter_characters_are_found_exactly() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let client = client(&fake);
        let tricky = [
            "acme (paris",
            "x(y)",
            ")(",
            "a,b",
            "O'Neil",
            "q\"uote",
            "br[ack]et",
            "c,\"d\"",
            "back\\slash",
            "plain",
            "50%_off",
            "a b:c&d=e",
        ];
        // Decoys that the LIKE patterns (and `%`/`_` in ids) also match.
        let decoys = [
            "acme _paris",
            "acme Xparis",
            "xAyB",
            "AB",
            "50%Xoff",
            "backXslash",
        ];
        let bodies: Vec<Value> = tricky
            .iter()
            .chain(decoys.iter())
            .map(|id| company_body(id, &company(id)))
            .collect();
        client
            .create_batch(EntityKind::Company, &bodies, "k", false)
            .await
            .expect("create");
        fake.clear_requests();

        let found = client
            .find_by_external_ids(EntityKind::Company, &strings(&tricky))
            .await
            .expect("lookup");
        assert_eq!(ids(&found), tricky, "{profile:?}");
        assert!(
            fake.requests().iter().all(|r| r.status == 200),
            "{profile:?}: no request was refused"
        );
        let list_request = fake
            .requests()
            .into_iter()
            .filter_map(|r| r.query_decoded())
            .find(|q| q.contains("[in]"))
            .expect("one in-list request");
        assert!(
            list_request.contains(r#"["plain","50%_off","a b:c&d=e"]"#),
            "{list_request}"
        );
    }
}

#[tokio::test]
async fn lookups_of_more_than_sixty_ids_are_split() {
    let fake = fake(Profile::Current, true).await;
    let client = client(&fake);
    let all: Vec<String> = (0..130).map(|i| format!("id-{i:03}")).collect();
    let bodies: Vec<Value> = all
        .iter()
        .step_by(2)
        .map(|id| company_body(id, &company(id)))
        .collect();
    client
        .create_batch(EntityKind::Company, &bodies, "k", false)
        .await
        .expect("create");
    fake.clear_requests();
    let found = client
        .find_by_external_ids(EntityKind::Company, &all)
        .await
        .expect("lookup");
    assert_eq!(found.len(), 65);
    assert_eq!(
        fake.count_matching("GET", "/rest/companies"),
        3,
        "60 + 60 + 10"
    );
}

#[tokio::test]
async fn wrong_keys_are_auth_errors_and_never_echoed() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let key = "a.b*c+(d)-key";
        let client = client_with(&fake.base_url(), key, fast());
        let error = client
            .find_by_external_ids(EntityKind::Person, &strings(&["x"]))
            .await
            .expect_err("refused");
        assert_eq!(error.code(), ErrorCode::AuthError, "{profile:?}");
        // Both real builds answer a wrong bearer token with 401 (403 only without a header).
        assert_eq!(error.status(), Some(401), "{profile:?}");
        assert!(!error.is_retryable());
        assert!(!error.to_string().contains(key));
        assert_eq!(fake.request_count(), 1, "no retry");
    }
}

#[tokio::test]
async fn server_errors_are_retried_and_then_wrapped() {
    let fake = fake(Profile::Current, true).await;
    let client = client(&fake);
    let one = strings(&["x"]);

    fake.faults().fail_next(2, 503);
    client
        .find_by_external_ids(EntityKind::Company, &one)
        .await
        .expect("third attempt works");
    assert_eq!(fake.count_matching("GET", "/rest/companies"), 3);

    fake.clear_requests();
    fake.faults().fail_next(4, 502);
    let error = client
        .find_by_external_ids(EntityKind::Company, &one)
        .await
        .expect_err("retries exhausted");
    assert_eq!(error.code(), ErrorCode::OperationFailed);
    assert!(error.is_retryable());
    assert_eq!(error.root().status(), Some(502));
    assert_eq!(error.server_message(), Some("502 Bad Gateway"));
    assert_eq!(fake.request_count(), 4, "1 + 3 retries");

    fake.clear_requests();
    fake.faults().fail_next(1, 400);
    let error = client
        .find_by_external_ids(EntityKind::Company, &one)
        .await
        .expect_err("400");
    assert_eq!(error.code(), ErrorCode::ValidationError);
    assert_eq!(fake.request_count(), 1, "no retry on 400");
}

#[tokio::test]
async fn timeouts_are_retried() {
    let fake = fake(Profile::Current, true).await;
    let config = ClientConfig {
        timeout: Duration::from_millis(300),
        retry: fast(),
        ..ClientConfig::new(fake.base_url(), fake.api_key())
    };
    let client = TwentyClient::new(config, RequestBudget::new(60_000, 1_000)).expect("client");
    fake.faults().set_hang_duration(Duration::from_secs(3));
    fake.faults().timeout_next(1);
    client
        .create_batch(
            EntityKind::Company,
            &[company_body("t-1", &company("T"))],
            "k",
            false,
        )
        .await
        .expect("second attempt works");
    assert_eq!(fake.count_matching("POST", "/rest/batch/companies"), 2);

    fake.faults().timeout_next(4);
    let started = Instant::now();
    let error = client
        .find_by_external_ids(EntityKind::Company, &strings(&["t-1"]))
        .await
        .expect_err("always hangs");
    assert_eq!(error.code(), ErrorCode::OperationFailed);
    assert_eq!(error.root().code(), ErrorCode::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out() {
    for profile in PROFILES {
        // 2 requests per nominal minute, run 60× faster: one token every 0.5 s.
        let limit = RateLimitConfig::new(2, Duration::from_secs(60)).with_time_scale(60.0);
        let fake = FakeTwenty::start(FakeConfig {
            with_external_id: true,
            rate_limit: Some(limit),
            ..FakeConfig::with_profile(profile)
        })
        .await;
        let retry = RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_secs(3),
        };
        let client = client_with(&fake.base_url(), &fake.api_key(), retry);
        for _ in 0..4 {
            client
                .find_by_external_ids(EntityKind::Company, &strings(&["x"]))
                .await
                .expect("waits, then succeeds");
        }
        let limited = fake.requests().iter().filter(|r| r.status == 429).count();
        assert!(limited >= 1, "{profile:?}: the limiter was hit");
        assert_eq!(
            client.budget().total_requests(),
            fake.request_count() as u64,
            "every attempt took a permit"
        );
    }
}

#[tokio::test]
async fn quota_exhaustion_is_not_retried() {
    let fake = fake(Profile::Current, true).await;
    let client = client(&fake);
    fake.faults().quota_exhausted(true);
    let error = client
        .create_batch(
            EntityKind::Company,
            &[company_body("q", &company("Q"))],
            "k",
            false,
        )
        .await
        .expect_err("402");
    assert_eq!(error.code(), ErrorCode::QuotaExhausted);
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn missing_external_id_field_is_explained() {
    let fake = fake(Profile::Current, false).await;
    let client = client(&fake);
    let error = client
        .find_by_external_ids(EntityKind::Person, &strings(&["x"]))
        .await
        .expect_err("no field");
    assert_eq!(error.code(), ErrorCode::ValidationError);
    assert!(
        error.to_string().contains("no externalId field on people"),
        "{error}"
    );
}

fn kinds(report: &SchemaReport) -> Vec<EntityKind> {
    report.present.iter().map(|(kind, _)| *kind).collect()
}

#[tokio::test]
async fn external_id_fields_are_created_on_both_profiles_and_shapes() {
    for (profile, shape) in [
        (Profile::Current, MetadataListShape::Flat),
        (Profile::Current, MetadataListShape::Nested),
        (Profile::Legacy2025, MetadataListShape::Flat),
    ] {
        let fake = fake(profile, false).await;
        fake.set_metadata_list_shape(shape);
        let client = client(&fake);
        let report = client.ensure_external_id_fields(false).await.expect("read");
        assert_eq!(
            report.missing,
            vec![EntityKind::Company, EntityKind::Person],
            "{profile:?} {shape:?}"
        );
        assert_eq!(report.refusal, None);
        assert_eq!(report.route, Some(MetadataRoute::Graphql));
        assert!(!fake.has_field("people", "externalId"));
        let report = client
            .ensure_external_id_fields(true)
            .await
            .expect("create");
        assert!(report.is_ready(), "{profile:?} {shape:?}: {report:?}");
        let field = report.field(EntityKind::Person).expect("person field");
        assert!(field.created && field.is_unique && field.field_type == "TEXT");
        assert!(!field.field_id.is_empty());
        assert!(fake.has_field("people", "externalId"));
        assert!(fake.has_field("companies", "externalId"));
        let creates: Vec<Value> = fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == "/rest/metadata/fields")
            .filter_map(|r| r.body)
            .collect();
        assert_eq!(creates.len(), 2);
        assert_eq!(creates[0]["name"], "externalId");
        assert_eq!(creates[0]["type"], "TEXT");
        assert_eq!(creates[0]["isUnique"], true);
        assert_eq!(creates[0]["isNullable"], true);
        assert_eq!(
            fake.count_matching("GET", "/rest/metadata/objects"),
            0,
            "the REST listing (broken on the Aug-2025 build) is not needed"
        );
        // Idempotent: found, not created again.
        let report = client.ensure_external_id_fields(true).await.expect("again");
        assert!(report.is_ready());
        assert!(report.present.iter().all(|(_, f)| !f.created));
    }
}

/// The real servers cap a whole-workspace query at about 500 fields in total: with 1,000+
/// fields and `externalId` sorting last, only per-object paging finds it.
#[tokio::test]
async fn the_field_is_found_among_thousands_of_fields_when_it_sorts_last() {
    for profile in PROFILES {
        for hand_made in [false, true] {
            let fake = fake(profile, false).await;
            fake.add_padding_fields("company", 700);
            fake.add_padding_fields("person", 600);
            fake.add_custom_object_with_fields(460);
            fake.set_new_field_ids_sort_last(true);
            if hand_made {
                fake.create_external_id_fields();
            }
            let report = client(&fake)
                .ensure_external_id_fields(true)
                .await
                .expect("ensure");
            assert!(
                report.is_ready(),
                "{profile:?} hand_made={hand_made}: {report:?}"
            );
            assert_eq!(
                kinds(&report),
                vec![EntityKind::Company, EntityKind::Person]
            );
            let creates = fake.count_matching("POST", "/rest/metadata/fields");
            assert_eq!(creates, if hand_made { 0 } else { 2 }, "{profile:?}");
            // Found again by a new client (a new process), without creating anything.
            let again = client(&fake)
                .ensure_external_id_fields(true)
                .await
                .expect("again");
            assert!(again.is_ready());
            assert_eq!(
                fake.count_matching("POST", "/rest/metadata/fields"),
                creates
            );
        }
    }
}

/// A create refused because the name is taken means the field exists: read it, go on.
#[tokio::test]
async fn a_taken_name_means_the_field_exists() {
    for profile in PROFILES {
        let fake = fake(profile, false).await;
        fake.create_external_id_fields();
        // The object listing is read, but the field pages lie (as the whole-workspace query
        // does): the create is refused as taken, and the re-read finds the field.
        fake.set_hide_external_id_from_first_read(true);
        let client = client(&fake);
        let report = client
            .ensure_external_id_fields(true)
            .await
            .expect("ensure");
        assert!(report.is_ready(), "{profile:?}: {report:?}");
        assert_eq!(report.refusal, None);
        let refused = fake
            .requests()
            .into_iter()
            .filter(|r| r.path == "/rest/metadata/fields" && r.status == 400)
            .count();
        assert!(refused >= 1, "{profile:?}: the create was refused");
    }
}

#[tokio::test]
async fn only_the_missing_field_is_created() {
    let fake = fake(Profile::Current, true).await;
    fake.drop_external_id_field("people");
    let client = client(&fake);
    let report = client
        .ensure_external_id_fields(true)
        .await
        .expect("ensure");
    assert!(report.is_ready());
    assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 1);
}

#[tokio::test]
async fn keys_without_data_model_permission() {
    for profile in PROFILES {
        let fake = fake(profile, false).await;
        fake.set_key_can_edit_data_model(false);
        let client = client(&fake);
        let report = client.ensure_external_id_fields(true).await.expect("probe");
        assert_eq!(
            report.missing,
            vec![EntityKind::Company, EntityKind::Person],
            "{profile:?}"
        );
        // Twenty is asked once, and its refusal is quoted; the second kind is not tried.
        assert!(
            matches!(&report.refusal, Some(FieldRefusal::Forbidden(twenty)) if !twenty.is_empty()),
            "{profile:?}: {report:?}"
        );
        assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 1);

        fake.create_external_id_fields();
        let report = client.ensure_external_id_fields(true).await.expect("probe");
        assert!(
            report.is_ready(),
            "{profile:?}: probed through the records API"
        );
    }
}

#[tokio::test]
async fn connection_test_passes_on_a_ready_workspace() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let report = client(&fake).test_connection(false).await;
        assert!(report.ok, "{profile:?}: {report:?}");
        let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "reachable",
                "authenticated",
                "read_companies",
                "read_people",
                "external_id_companies",
                "external_id_people"
            ]
        );
        assert!(
            report.message.starts_with("Connected to Twenty"),
            "{}",
            report.message
        );
        let json = serde_json::to_value(&report).expect("serialize");
        assert_eq!(json["checks"][0]["name"], "reachable");
        // Only the Aug-2025 build's broken REST metadata listing may fail (then GraphQL).
        assert!(
            fake.requests()
                .iter()
                .all(|r| r.status < 400 || r.path == "/rest/metadata/objects"),
            "{profile:?}"
        );
    }
}

#[tokio::test]
async fn connection_test_reports_missing_fields_even_without_metadata_access() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        fake.drop_external_id_field("people");
        fake.set_key_can_edit_data_model(false);
        let report = client(&fake).test_connection(false).await;
        assert!(!report.ok);
        let check = |name: &str| report.checks.iter().find(|c| c.name == name).map(|c| c.ok);
        assert_eq!(check("read_people"), Some(true));
        assert_eq!(
            check("external_id_companies"),
            Some(true),
            "{profile:?}: {report:?}"
        );
        assert_eq!(check("external_id_people"), Some(false));
        assert!(report.message.contains("externalId"), "{}", report.message);
    }
}

#[tokio::test]
async fn connection_test_with_a_wrong_key() {
    for profile in PROFILES {
        let fake = fake(profile, true).await;
        let key = "wrong.key.value-1234";
        let report = client_with(&fake.base_url(), key, fast())
            .test_connection(false)
            .await;
        assert!(!report.ok);
        assert!(report.checks[0].ok, "reachable");
        assert!(!report.checks[1].ok);
        assert!(
            report.checks[1]
                .detail
                .contains("the API key is wrong or lacks permission"),
            "{}",
            report.checks[1].detail
        );
        assert!(
            report.message.contains("APIs & Webhooks"),
            "{}",
            report.message
        );
        let text = serde_json::to_string(&report).expect("serialize");
        assert!(!text.contains(key));
    }
}

#[tokio::test]
async fn connection_test_with_the_server_down() {
    let fake = fake(Profile::Current, true).await;
    let client = client(&fake);
    fake.faults().down(true);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let report = client.test_connection(false).await;
    assert!(!report.ok);
    assert!(!report.checks[0].ok);
    assert_eq!(report.checks.len(), 6);
    assert!(report.checks[1..]
        .iter()
        .all(|c| c.detail.starts_with("not checked")));
    assert!(
        report.message.starts_with("Cannot reach Twenty"),
        "{}",
        report.message
    );
}

/// A field someone made by hand that is not unique: found (not created again), and the
/// connection test says what that means.
#[tokio::test]
async fn a_hand_made_field_that_is_not_unique_is_explained() {
    let fake = fake(Profile::Current, false).await;
    for object in ["companies", "people"] {
        let body = json!({"objectMetadataId": fake.object_metadata_id(object), "type": "TEXT",
            "name": "externalId", "label": "External ID", "isUnique": false});
        let answer = reqwest::Client::new()
            .post(format!("{}/rest/metadata/fields", fake.base_url()))
            .bearer_auth(fake.api_key())
            .json(&body)
            .send()
            .await
            .expect("create by hand");
        assert_eq!(answer.status().as_u16(), 201);
    }
    let report = client(&fake).test_connection(true).await;
    assert!(report.ok, "{report:?}");
    let detail = &report
        .checks
        .iter()
        .find(|c| c.name == "external_id_people")
        .expect("check")
        .detail;
    assert!(detail.contains("not unique"), "{detail}");
    assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 2);
}
