//! The metadata API per profile over HTTP.

use fake_twenty::{FakeConfig, Profile};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{enc, T};

#[tokio::test(flavor = "multi_thread")]
async fn metadata_per_profile() {
    let t = T::new(FakeConfig::legacy()).await;
    let (s, v) = t.get("/rest/metadata/objects").await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"statusCode": 400, "messages": ["Cannot query field 'dataSourceId' on type 'Object'."], "error": "Bad Request"})
        )
    );
    let (s, v) = t.post("/metadata", json!({"query": "{ objects(paging:{first:200}) { edges { node { id nameSingular namePlural fields { edges { node { name isUnique } } } } } } }"})).await;
    assert_eq!(s, StatusCode::OK);
    let edges = v["data"]["objects"]["edges"].as_array().unwrap();
    let person = edges
        .iter()
        .find(|e| e["node"]["nameSingular"] == json!("person"))
        .unwrap();
    let person_id = person["node"]["id"].as_str().unwrap().to_string();
    assert_eq!(person_id, t.fake.object_metadata_id("people"));
    assert!(person["node"]["fields"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["node"]["name"] == json!("emails") && f["node"]["isUnique"] == json!(true)));
    let field = json!({"objectMetadataId": person_id, "type": "TEXT", "name": "externalId", "label": "External ID", "isNullable": true, "isUnique": true});
    let (s, v) = t.post("/rest/metadata/fields", field.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["data"]["createOneField"]["isNullable"], json!(false));
    assert_eq!(v["data"]["createOneField"]["defaultValue"], json!("''"));
    let (s, v) = t.post("/rest/metadata/fields", field).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"statusCode": 400, "messages": ["Name 'externalId' is not available, check that it is not duplicating another field's name."], "error": "Bad Request"})
        )
    );
    let (s, _) = t.post("/rest/people", json!({"externalId": "x-1"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = t
        .get(&format!(
            "/rest/people?filter={}",
            enc("externalId[in]:[\"x-1\",\"x-2\"]")
        ))
        .await;
    assert_eq!(v["totalCount"], json!(1));
    // companies still lack the field
    assert_eq!(
        t.post("/rest/companies", json!({"externalId": "x-1"}))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );

    t.fake.set_profile(Profile::Current);
    let (s, v) = t.get("/rest/metadata/objects").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalCount"], json!(2));
    let people = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["namePlural"] == json!("people"))
        .unwrap();
    assert!(people["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == json!("externalId") && f["isUnique"] == json!(true)));
    t.fake
        .set_metadata_list_shape(fake_twenty::MetadataListShape::Nested);
    assert_eq!(
        t.get("/rest/metadata/objects").await.1["data"]["objects"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    t.fake.set_key_can_edit_data_model(false);
    assert_eq!(
        t.get("/rest/metadata/objects").await.0,
        StatusCode::FORBIDDEN
    );
}
