//! Reading the whole data model (`TwentyClient::read_data_model`) from the fake on both builds:
//! every standard and custom field with its type and options, in a crowded workspace whose
//! whole-workspace answer is capped, through REST where GraphQL does not answer, and the typed
//! errors.

use super::*;
use crate::domain::fields::{DataModel, FieldOrigin, FieldType};
use crate::twenty::DataModelError;

async fn directory_fake(profile: Profile) -> FakeTwenty {
    FakeTwenty::start(FakeConfig::with_profile(profile).directory()).await
}

fn option_pairs(model: &DataModel, kind: EntityKind, name: &str) -> Vec<(String, String)> {
    model
        .field(kind, name)
        .unwrap_or_else(|| panic!("no {kind:?} field {name}"))
        .options
        .iter()
        .map(|o| (o.value.clone(), o.label.clone()))
        .collect()
}

fn assert_directory_model(model: &DataModel, profile: Profile) {
    use EntityKind::{Company as C, Person as P};
    for (kind, name, field_type) in [
        (C, "name", FieldType::Text),
        (C, "domainName", FieldType::Links),
        (C, "address", FieldType::Address),
        (C, "employees", FieldType::Number),
        (C, "linkedinLink", FieldType::Links),
        (C, "xLink", FieldType::Links),
        (C, "annualRecurringRevenue", FieldType::Currency),
        (C, "idealCustomerProfile", FieldType::Boolean),
        (C, "category", FieldType::Select),
        (C, "tags", FieldType::MultiSelect),
        (C, "listingUrl", FieldType::Links),
        (C, "rating", FieldType::Rating),
        (C, "foundedOn", FieldType::Date),
        (C, "lastReviewedAt", FieldType::DateTime),
        (C, "score", FieldType::Numeric),
        (C, "aliases", FieldType::Array),
        (C, "extra", FieldType::RawJson),
        (C, "verified", FieldType::Boolean),
        (P, "name", FieldType::FullName),
        (P, "emails", FieldType::Emails),
        (P, "phones", FieldType::Phones),
        (P, "linkedinLink", FieldType::Links),
        (P, "jobTitle", FieldType::Text),
        (P, "city", FieldType::Text),
        (P, "seniority", FieldType::Select),
        (P, "nickname", FieldType::Text),
    ] {
        let field = model
            .field(kind, name)
            .unwrap_or_else(|| panic!("{profile:?}: no {kind:?} field {name}"));
        assert_eq!(field.field_type, field_type, "{profile:?} {name}");
        assert_eq!(field.kind, kind);
        assert!(field.active);
        assert!(!field.id.is_empty(), "{profile:?} {name}: the metadata id");
    }
    assert_eq!(
        option_pairs(model, C, "category"),
        [
            ("AGENCY", "Agency"),
            ("FINTECH", "Fintech"),
            ("IN_PROGRESS", "In progress"),
            ("CAFE", "Café"),
            ("A_B", "A, B"),
        ]
        .map(|(v, l)| (v.to_string(), l.to_string()))
    );
    assert_eq!(
        option_pairs(model, C, "rating")
            .into_iter()
            .map(|(value, _)| value)
            .collect::<Vec<_>>(),
        ["RATING_1", "RATING_2", "RATING_3", "RATING_4", "RATING_5"]
    );
    let listing = model.field(C, "listingUrl").unwrap();
    assert_eq!(listing.label, "Listing URL");
    assert_eq!(listing.origin, FieldOrigin::Custom);
    assert!(listing.is_mappable());
    assert_eq!(
        model.field(C, "name").unwrap().origin,
        FieldOrigin::Standard
    );
    assert!(model.field(C, "domainName").unwrap().unique);
    assert!(model.field(P, "emails").unwrap().unique);
    assert!(model.field(C, "position").unwrap().system);
    assert!(!model.field(C, "position").unwrap().is_mappable());
    assert!(model.field(C, "category").unwrap().nullable);
}

#[tokio::test]
async fn the_whole_data_model_is_read_on_both_builds() {
    for profile in PROFILES {
        let fake = directory_fake(profile).await;
        let client = client(&fake);
        let model = client.read_data_model().await.expect("data model");
        assert_directory_model(&model, profile);
        assert_eq!(client.metadata_route(), Some(MetadataRoute::Graphql));
        // Every custom field the fake holds is in the model.
        let state = fake.state_json();
        for (object, kind) in [
            ("companies", EntityKind::Company),
            ("people", EntityKind::Person),
        ] {
            for name in state["objects"][object]["custom_fields"]
                .as_array()
                .unwrap()
            {
                let name = name.as_str().unwrap();
                assert!(model.field(kind, name).is_some(), "{profile:?} {name}");
            }
        }
        // Only GraphQL was asked: one object listing, then each object's own fields.
        assert_eq!(fake.count_matching("GET", "/rest/metadata"), 0);
        assert_eq!(fake.count_matching("POST", "/metadata"), 3);
    }
}

/// 535 fields in a seeded workspace, plus hundreds more: a whole-workspace query is capped at
/// 501, and the directory fields, made last, sort after every other one. Per-object paging still
/// finds every Company and Person field.
#[tokio::test]
async fn every_field_is_found_in_a_crowded_workspace() {
    for profile in PROFILES {
        let fake = fake(profile, false).await;
        assert_eq!(fake.total_field_count(), 535);
        fake.add_padding_fields("company", 700);
        fake.add_padding_fields("person", 600);
        fake.add_custom_object_with_fields(460);
        fake.set_new_field_ids_sort_last(true);
        fake.add_directory_fields();
        fake.create_external_id_fields();
        let model = client(&fake).read_data_model().await.expect("data model");
        assert_directory_model(&model, profile);
        let padding = |kind: EntityKind| {
            model
                .object(kind)
                .iter()
                .filter(|f| f.name.starts_with("directoryField"))
                .count()
        };
        assert_eq!(padding(EntityKind::Company), 700, "{profile:?}");
        assert_eq!(padding(EntityKind::Person), 600, "{profile:?}");
        assert!(model.field(EntityKind::Company, "externalId").is_some());
        // The fields connection was followed over several pages per object.
        assert!(fake.count_matching("POST", "/metadata") > 3);
    }
}

#[tokio::test]
async fn rest_answers_where_graphql_does_not() {
    let fake = directory_fake(Profile::Current).await;
    let client = client(&fake);
    // The GraphQL metadata API refuses the query once: the client turns to REST.
    fake.faults().fail_next(1, 400);
    let model = client
        .read_data_model()
        .await
        .expect("data model over REST");
    assert_directory_model(&model, Profile::Current);
    assert_eq!(client.metadata_route(), Some(MetadataRoute::Rest));
    assert_eq!(fake.count_matching("GET", "/rest/metadata/objects"), 1);
    // The remembered route is used first next time.
    fake.clear_requests();
    client.read_data_model().await.expect("again");
    assert_eq!(fake.count_matching("POST", "/metadata"), 0);
}

#[tokio::test]
async fn the_errors_say_what_to_do() {
    // REST remembered, and a key without the Data model permission: Forbidden, Twenty quoted.
    let fake = directory_fake(Profile::Current).await;
    fake.set_key_can_edit_data_model(false);
    let client = client(&fake);
    client.set_metadata_route(Some(MetadataRoute::Rest));
    let error = client.read_data_model().await.expect_err("forbidden");
    assert!(
        matches!(&error, DataModelError::Forbidden(twenty) if !twenty.is_empty()),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("Data model permission"),
        "{error}"
    );

    // A wrong key is the client's own error, with its advice.
    for profile in PROFILES {
        let fake = directory_fake(profile).await;
        let wrong = client_with(&fake.base_url(), "not-the-key", fast());
        let error = wrong.read_data_model().await.expect_err("wrong key");
        match error {
            DataModelError::Twenty(twenty) => {
                assert_eq!(twenty.code(), ErrorCode::AuthError, "{profile:?}: {twenty}")
            }
            other => panic!("{profile:?}: {other:?}"),
        }
    }
}
