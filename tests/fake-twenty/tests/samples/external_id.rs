//! The custom `externalId` field on the Aug-2025 build: creating it (REST and GraphQL), filtering
//! on it, upsert ignored, and how batch creates fail.

use serde_json::{json, Value};

use crate::support::{enc, lit, T};

// ----- Custom field externalId, upsert and batch failures (Aug-2025 build) --------------------

#[tokio::test(flavor = "multi_thread")]
async fn custom_field_external_id_upsert_and_batch_failures() {
    let t = T::legacy().await;
    // REST metadata listing is broken; any query string is a bad path.
    let r = t.get("/rest/metadata/objects").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"messages":["Cannot query field 'dataSourceId' on type 'Object'."],"error":"Bad Request"}"#
        )
    );
    let r = t.get("/rest/metadata/objects?limit=200").await;
    assert_eq!(r.status, 400);
    assert!(
        r.message().starts_with(
            "Query path '/rest/metadata/objects?limit=200' invalid. Metadata path \"objects?limit=200\" does not exist"
        ),
        "{}",
        r.body
    );
    // GraphQL metadata gives the object ids.
    let v = t
        .graphql(
            "{ objects(paging:{first:200}) { edges { node { id nameSingular namePlural } } } }",
        )
        .await;
    let id_of = |singular: &str| {
        v["data"]["objects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["nameSingular"] == json!(singular))
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .unwrap()
    };
    let company_object = id_of("company");
    assert_eq!(company_object, t.fake.object_metadata_id("companies"));
    assert_eq!(id_of("person"), t.fake.object_metadata_id("people"));

    // An existing row before the field exists gets "".
    let old = t.post("/rest/companies", json!({"name": "Old"})).await;
    let old_id = old.body["data"]["createCompany"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (object, object_id) in [
        ("companies", company_object.clone()),
        ("people", id_of("person")),
    ] {
        let r = t
            .post(
                "/rest/metadata/fields",
                json!({"objectMetadataId": object_id, "type": "TEXT", "name": "externalId", "label": "External ID", "isNullable": true, "isUnique": true}),
            )
            .await;
        assert_eq!(r.status, 201, "{object}: {}", r.body);
        let f = &r.body["data"]["createOneField"];
        assert!(f["id"].is_string());
        for (k, v) in [
            ("type", json!("TEXT")),
            ("name", json!("externalId")),
            ("label", json!("External ID")),
            ("isCustom", json!(true)),
            ("isActive", json!(true)),
            ("isNullable", json!(false)),
            ("defaultValue", json!("''")),
        ] {
            assert_eq!(f[k], v, "{k}");
        }
    }
    assert_eq!(
        t.fake.record("companies", &old_id).unwrap()["externalId"],
        json!("")
    );

    // The field is on every record, filters work, uniqueness is enforced, "" never collides.
    for ext in ["ext-1", "ext-2", "ext-3"] {
        let r = t
            .post(
                "/rest/companies",
                json!({"name": ext, "externalId": ext, "domainName": {"primaryLinkUrl": format!("{ext}.example.com")}}),
            )
            .await;
        assert_eq!(r.status, 201);
        assert_eq!(r.body["data"]["createCompany"]["externalId"], json!(ext));
    }
    let r = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc(r#"externalId[in]:["ext-1","ext-2"]"#)
        ))
        .await;
    assert_eq!(r.body["totalCount"], json!(2));
    let r = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc(r#"externalId[eq]:"ext-3""#)
        ))
        .await;
    assert_eq!(r.body["totalCount"], json!(1));
    let dup_ext = lit(
        r#"{"statusCode":400,"error":"UserInputError","messages":["Duplicate External ID with value ext-1. Please set a unique one."]}"#,
    );
    let r = t
        .post(
            "/rest/companies",
            json!({"name": "again", "externalId": "ext-1"}),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup_ext));
    for name in ["e1", "e2"] {
        let r = t
            .post("/rest/companies", json!({"name": name, "externalId": ""}))
            .await;
        assert_eq!(r.status, 201, "empty externalIds do not collide");
    }

    // ?upsert=true does nothing on this build, single and batch alike.
    let ext1 = t.fake.find_by_external_id("companies", "ext-1")[0].clone();
    t.post(
        "/rest/people",
        json!({"emails": {"primaryEmail": "ada.real@example.com"}}),
    )
    .await;
    for path in [
        "/rest/companies?upsert=true",
        "/rest/batch/companies?upsert=true",
    ] {
        let wrap = |v: Value| {
            if path.contains("batch") {
                json!([v])
            } else {
                v
            }
        };
        let r = t
            .post(path, wrap(json!({"name": "x", "externalId": "ext-1"})))
            .await;
        assert_eq!((r.status, &r.body), (400, &dup_ext), "{path}");
        let r = t
            .post(
                path,
                wrap(json!({"domainName": {"primaryLinkUrl": "ext-2.example.com"}})),
            )
            .await;
        assert_eq!(
            r.message(),
            "Duplicate Domain Name with value ext-2.example.com. Please set a unique one.",
            "{path}"
        );
        let r = t
            .post(
                &path.replace("companies", "people"),
                wrap(json!({"emails": {"primaryEmail": "ada.real@example.com"}})),
            )
            .await;
        assert_eq!(
            r.message(),
            "Duplicate Emails with value ada.real@example.com. Please set a unique one.",
            "{path}"
        );
        let r = t
            .post(path, wrap(json!({"id": ext1["id"], "name": "takeover"})))
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            lit(
                r#"{"statusCode":400,"error":"BadRequestException","messages":["Record already exists"]}"#
            ),
            "{path}"
        );
    }
    assert_eq!(
        t.fake
            .record("companies", ext1["id"].as_str().unwrap())
            .unwrap(),
        ext1,
        "nothing was updated"
    );

    // A batch create is all-or-nothing.
    let r = t
        .post(
            "/rest/batch/companies",
            json!([{"name": "new", "externalId": "ext-new"}, {"name": "dup", "externalId": "ext-1"}]),
        )
        .await;
    assert_eq!((r.status, &r.body), (400, &dup_ext));
    assert!(t
        .fake
        .find_by_external_id("companies", "ext-new")
        .is_empty());

    // PATCH of a uuid that does not exist.
    let r = t
        .patch(
            "/rest/companies/6fb68711-5ffa-4a41-ba13-d95f6d652cd3",
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], json!("EntityNotFoundError"));
    assert!(r
        .message()
        .starts_with("Could not find any entity of type \"company\" matching: {"));

    // No batch cap on this build: 250 accepted.
    let many: Vec<Value> = (0..250).map(|i| json!({"name": format!("b{i}")})).collect();
    let r = t.post("/rest/batch/companies", Value::Array(many)).await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["data"]["createCompanies"].as_array().unwrap().len(),
        250
    );

    // 60 quoted ids in an `in` filter with limit=60 and depth=0.
    let list = (0..60)
        .map(|i| format!("\"ext-{i}\""))
        .collect::<Vec<_>>()
        .join(",");
    let r = t
        .get(&format!(
            "/rest/companies?filter={}&limit=60&depth=0",
            enc(&format!("externalId[in]:[{list}]"))
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["totalCount"], json!(3));

    // Idempotency-Key is not read: the same key twice creates two records.
    for _ in 0..2 {
        let r = t
            .http
            .post(t.url("/rest/people"))
            .bearer_auth(t.fake.api_key())
            .header("idempotency-key", "same-key")
            .json(&json!({"city": "Idem"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    let r = t
        .get(&format!(
            "/rest/people?filter={}",
            enc(r#"city[eq]:"Idem""#)
        ))
        .await;
    assert_eq!(r.body["totalCount"], json!(2));
}
