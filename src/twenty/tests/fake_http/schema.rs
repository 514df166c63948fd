//! The `externalId` fields and the connection test against the fake: found, missing, created,
//! hand-made, without metadata access, with a wrong key, with the server down.

use super::*;

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
        let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
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
        let states: Vec<_> = report.checks.iter().map(|c| c.state).collect();
        {
            use crate::twenty::CheckState::{Failed, NotRun, Ok};
            assert_eq!(states, [Ok, Failed, NotRun, NotRun, NotRun, NotRun]);
        }
        // The check says once that the key was refused and where to check it.
        let detail = &report.checks[1].detail;
        assert!(detail.contains("refused the API key"), "{detail}");
        assert!(!detail.contains("wrong or lacks permission"), "{detail}");
        assert_eq!(
            report.message.matches("APIs & Webhooks").count(),
            1,
            "said once: {}",
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
    assert_eq!(report.checks[0].state, crate::twenty::CheckState::Failed);
    assert!(report.checks[1..].iter().all(|c| !c.ok
        && c.state == crate::twenty::CheckState::NotRun
        && c.detail.starts_with("not run")));
    assert!(
        report.message.starts_with("Cannot reach Twenty"),
        "{}",
        report.message
    );
}

#[tokio::test]
async fn connection_test_names_both_missing_fields_in_one_sentence() {
    let fake = fake(Profile::Current, false).await;
    let report = client(&fake).test_connection(false).await;
    assert!(!report.ok);
    assert!(
        report
            .message
            .starts_with("Companies and people have no externalId field yet"),
        "{}",
        report.message
    );
    assert_eq!(
        report.message.matches("externalId").count(),
        1,
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
    assert!(
        detail.starts_with(
            "the externalId field exists, but it is not unique: every new record costs a lookup"
        ),
        "{detail}"
    );
    // The report's one message says it too: what it means and what to do.
    assert!(
        report.message.ends_with(
            "both have the externalId field, but it is not unique: every new record costs a \
             lookup before it is created and Twenty cannot refuse a duplicate made elsewhere; \
             make it unique in Settings → Data model"
        ),
        "{}",
        report.message
    );
    assert_eq!(fake.count_matching("POST", "/rest/metadata/fields"), 2);
}
