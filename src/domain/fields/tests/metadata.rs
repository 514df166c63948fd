//! Tests for the data model read from the metadata API's answers (GraphQL and both REST shapes).

use serde_json::json;

use super::*;

fn field_node(name: &str, field_type: &str) -> serde_json::Value {
    json!({"id": format!("f-{name}"), "name": name, "label": name, "type": field_type,
           "isNullable": true, "isUnique": false, "isActive": true, "isCustom": false, "isSystem": false})
}

#[test]
fn a_graphql_listing_gives_both_kinds_with_options_in_position_order() {
    let category = json!({
        "id": "f-cat", "name": "category", "label": "Category", "type": "SELECT",
        "options": [
            {"id": "o2", "value": "FINTECH", "label": "Fintech", "position": 1, "color": "red"},
            {"id": "o1", "value": "AGENCY", "label": "Agency", "position": 0, "color": "blue"},
        ],
        "isNullable": true, "isUnique": false, "isActive": true, "isCustom": true, "isSystem": false
    });
    let body = json!({"data": {"objects": {"edges": [
        {"node": {"id": "o-c", "nameSingular": "company", "fields": {
            "edges": [{"node": field_node("name", "TEXT")}, {"node": category}],
            "pageInfo": {"hasNextPage": false, "endCursor": null}}}},
        {"node": {"id": "o-p", "nameSingular": "person", "fields": {
            "edges": [{"node": field_node("emails", "EMAILS")}, {"node": field_node("company", "RELATION")}]}}},
        {"node": {"id": "o-x", "nameSingular": "opportunity", "fields": {"edges": []}}},
    ]}}});
    let model = data_model_from_listing(&body).expect("a model");
    let category = model
        .field(EntityKind::Company, "category")
        .expect("category");
    assert_eq!(category.field_type, FieldType::Select);
    assert_eq!(category.origin, FieldOrigin::Custom);
    assert_eq!(
        category
            .options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>(),
        ["AGENCY", "FINTECH"]
    );
    let relation = model.field(EntityKind::Person, "company").expect("company");
    assert_eq!(relation.field_type, FieldType::Other("RELATION".into()));
    assert!(!relation.is_mappable());
    assert!(model
        .field(EntityKind::Person, "emails")
        .expect("emails")
        .is_mappable());
    assert_eq!(model.object(EntityKind::Company).len(), 2);
}

#[test]
fn both_rest_listings_are_read() {
    let object = |kind: &str| json!({"id": kind, "nameSingular": kind, "fields": [field_node("name", "TEXT")]});
    for body in [
        json!({"data": {"objects": [object("company"), object("person")]}, "totalCount": 2}),
        json!({"data": [object("company"), object("person")], "pageInfo": {}, "totalCount": 2}),
    ] {
        let model = data_model_from_listing(&body).expect("a model");
        assert_eq!(
            model.field(EntityKind::Person, "name").map(|f| f.kind),
            Some(EntityKind::Person)
        );
    }
}

#[test]
fn missing_properties_take_twentys_defaults_and_nameless_nodes_are_skipped() {
    let fields = fields_from_metadata(
        EntityKind::Company,
        &json!([{"name": "tagline"}, {"type": "TEXT"}, {"name": "  "}, {"name": "x", "label": "", "type": "WEIRD"}]),
    );
    assert_eq!(fields.len(), 2);
    let tagline = &fields[0];
    assert_eq!(
        (
            tagline.label.as_str(),
            &tagline.field_type,
            tagline.nullable,
            tagline.unique,
            tagline.active,
            tagline.system
        ),
        (
            "tagline",
            &FieldType::Other("UNKNOWN".into()),
            true,
            false,
            true,
            false
        )
    );
    assert_eq!(fields[1].label, "x");
    assert_eq!(fields[1].field_type.as_str(), "WEIRD");
}

#[test]
fn an_answer_without_the_objects_says_so() {
    assert_eq!(
        data_model_from_listing(&json!({"errors": []})),
        Err(MetadataError::NoObjects)
    );
    assert_eq!(
        data_model_from_listing(&json!({"data": {"objects": []}})),
        Err(MetadataError::NoObjects)
    );
    let only_company = json!({"data": [{"nameSingular": "company", "fields": []}]});
    let error = data_model_from_listing(&only_company).expect_err("no person");
    assert_eq!(error, MetadataError::MissingObject(EntityKind::Person));
    assert!(error.to_string().contains("no person object"), "{error}");
}

#[test]
fn field_types_keep_their_metadata_names_and_serialise_as_them() {
    for name in [
        "TEXT",
        "NUMBER",
        "NUMERIC",
        "BOOLEAN",
        "DATE",
        "DATE_TIME",
        "SELECT",
        "MULTI_SELECT",
        "RATING",
        "EMAILS",
        "PHONES",
        "LINKS",
        "FULL_NAME",
        "ADDRESS",
        "CURRENCY",
        "ARRAY",
        "RAW_JSON",
        "RELATION",
    ] {
        let field_type = FieldType::from_name(name);
        assert_eq!(field_type.as_str(), name);
        assert_eq!(field_type.is_writable(), name != "RELATION", "{name}");
        assert_eq!(
            serde_json::to_value(&field_type).expect("json"),
            json!(name)
        );
    }
}

#[test]
fn the_data_model_survives_json_and_bincode() {
    let model = workspace();
    let text = serde_json::to_string(&model).expect("json");
    assert_eq!(
        serde_json::from_str::<DataModel>(&text).expect("back"),
        model
    );
    let config = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(&model, config).expect("bincode");
    let (back, _): (DataModel, usize) =
        bincode::serde::decode_from_slice(&bytes, config).expect("back");
    assert_eq!(back, model);
}

#[test]
fn composite_types_list_their_parts_with_twentys_wire_names() {
    let wire = |field_type: FieldType| {
        field_type
            .parts()
            .iter()
            .map(|p| p.wire_name())
            .collect::<Vec<_>>()
    };
    assert_eq!(wire(FieldType::FullName), ["firstName", "lastName"]);
    assert_eq!(
        wire(FieldType::Emails),
        ["primaryEmail", "additionalEmails"]
    );
    assert_eq!(
        wire(FieldType::Phones),
        [
            "primaryPhoneNumber",
            "primaryPhoneCountryCode",
            "primaryPhoneCallingCode",
            "additionalPhones"
        ]
    );
    assert_eq!(
        wire(FieldType::Links),
        ["primaryLinkUrl", "primaryLinkLabel", "secondaryLinks"]
    );
    assert_eq!(
        wire(FieldType::Address),
        [
            "addressStreet1",
            "addressStreet2",
            "addressCity",
            "addressPostcode",
            "addressState",
            "addressCountry"
        ]
    );
    assert_eq!(wire(FieldType::Currency), ["amountMicros", "currencyCode"]);
    assert!(FieldType::Text.parts().is_empty());
    for part in Part::ALL {
        assert!(part.composite().parts().contains(&part), "{part}");
        assert_eq!(
            serde_json::to_value(part).expect("json"),
            json!(part.wire_name())
        );
    }
}
