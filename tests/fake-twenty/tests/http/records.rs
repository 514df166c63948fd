//! Records over HTTP: envelopes and normalisation, duplicates and all-or-nothing batches, upsert
//! (only in the current profile), soft delete and pagination.

use fake_twenty::{FakeConfig, Profile};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{enc, T};

#[tokio::test(flavor = "multi_thread")]
async fn envelopes_and_normalisation() {
    let t = T::new(FakeConfig::legacy()).await;
    let (s, v) = t
        .post(
            "/rest/people",
            json!({"name": {"firstName": "Ada", "lastName": "Lovelace"}, "emails": {"primaryEmail": "Ada.Real@Example.COM"}, "jobTitle": "Engineer", "city": "London"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let p = &v["data"]["createPerson"];
    assert_eq!(
        p["emails"],
        json!({"primaryEmail": "ada.real@example.com", "additionalEmails": null})
    );
    assert_eq!(
        p["createdBy"],
        json!({"source": "API", "workspaceMemberId": null, "name": "My api key", "context": {}})
    );
    assert_eq!(p["phones"]["primaryPhoneNumber"], json!(""));
    assert!(p["deletedAt"].is_null() && p["companyId"].is_null());
    let id = p["id"].as_str().unwrap().to_string();

    let (s, v) = t
        .post("/rest/companies", json!({"name": "Sample Co", "domainName": {"primaryLinkUrl": "HTTPS://SampleCo.Example.com/"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let c = &v["data"]["createCompany"];
    assert_eq!(
        c["domainName"],
        json!({"primaryLinkLabel": null, "primaryLinkUrl": "https://sampleco.example.com", "secondaryLinks": []})
    );
    let cid = c["id"].as_str().unwrap().to_string();

    let filter = enc("emails.primaryEmail[eq]:\"ada.real@example.com\"");
    let (s, v) = t.get(&format!("/rest/people?filter={filter}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["totalCount"], json!(1));
    assert_eq!(v["data"]["people"][0]["id"], json!(id));
    assert_eq!(v["pageInfo"]["hasNextPage"], json!(false));

    let (s, v) = t
        .send(
            "PATCH",
            &format!("/rest/people/{id}"),
            Some(json!({"companyId": cid, "jobTitle": "Countess"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["updatePerson"]["jobTitle"], json!("Countess"));
    let (_, v) = t.get(&format!("/rest/people/{id}?depth=1")).await;
    assert_eq!(v["data"]["person"]["company"]["id"], json!(cid));

    let (s, v) = t
        .post(
            "/rest/batch/companies",
            json!([{"name": "Batch A"}, {"name": "Batch B"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(v["data"]["createCompanies"].as_array().unwrap().len(), 2);
    let (_, v) = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc("or(name[eq]:\"Batch A\",name[eq]:\"Batch B\")")
        ))
        .await;
    assert_eq!(v["totalCount"], json!(2));

    let (s, v) = t.send("DELETE", &format!("/rest/people/{id}"), None).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"data": {"deletePerson": {"id": id}}})
        )
    );
    assert!(t.fake.records("people").is_empty());

    let (s, v) = t.get("/healthz").await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"status": "ok", "info": {}, "error": {}, "details": {}})
        )
    );
    assert_eq!(t.fake.count_matching("POST", "/rest/"), 3);
    assert!(t.fake.requests().iter().all(|r| r.headers.authorization));
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_and_all_or_nothing_batches() {
    let mut cfg = FakeConfig::legacy();
    cfg.with_external_id = true;
    let t = T::new(cfg).await;
    assert_eq!(
        t.post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "ada@example.com"}, "externalId": "ext-1"})
        )
        .await
        .0,
        StatusCode::CREATED
    );
    let (s, v) = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "ADA@example.com"}}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"statusCode": 400, "error": "UserInputError", "messages": ["Duplicate Emails with value ada@example.com. Please set a unique one."]})
    );
    let (_, v) = t
        .post(
            "/rest/batch/people",
            json!([{"externalId": "ext-2"}, {"externalId": "ext-1"}]),
        )
        .await;
    assert_eq!(
        v["messages"][0],
        json!("Duplicate External ID with value ext-1. Please set a unique one.")
    );
    assert!(
        t.fake.find_by_external_id("people", "ext-2").is_empty(),
        "batch must be all-or-nothing"
    );
    // two items of one batch with the same new value
    let (s, _) = t
        .post(
            "/rest/batch/people",
            json!([{"externalId": "ext-9"}, {"externalId": "ext-9"}]),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(t.fake.find_by_external_id("people", "ext-9").is_empty());
    // empty values never collide
    let (s, _) = t
        .post("/rest/batch/people", json!([{"city": "a"}, {"city": "b"}]))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // soft-deleted rows keep their unique values
    let id = t.fake.find_by_external_id("people", "ext-1")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.fake.soft_delete_record("people", &id);
    let (s, _) = t.post("/rest/people", json!({"externalId": "ext-1"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Legacy has no batch cap.
    let many: Vec<Value> = (0..250).map(|i| json!({"name": format!("c{i}")})).collect();
    assert_eq!(
        t.post("/rest/batch/companies", Value::Array(many.clone()))
            .await
            .0,
        StatusCode::CREATED
    );

    t.fake.set_profile(Profile::Current);
    let (s, v) = t.post("/rest/batch/companies", Value::Array(many)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["messages"][0],
        json!("Maximum number of records to upsert is 200.")
    );
    let (_, v) = t.post("/rest/people", json!({"externalId": "ext-1"})).await;
    assert_eq!(
        v,
        json!({"statusCode": 400, "error": "BadRequestException", "messages": ["A duplicate entry was detected"]})
    );
    let (s, v) = t
        .post("/rest/batch/people", json!({"not": "an array"}))
        .await;
    assert_eq!(
        (s, v["messages"][0].clone()),
        (StatusCode::BAD_REQUEST, json!("Body must be an array"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upsert_only_in_current() {
    let mut cfg = FakeConfig::legacy();
    cfg.with_external_id = true;
    let t = T::new(cfg).await;
    let (_, v) = t
        .post("/rest/companies", json!({"name": "A", "externalId": "e1"}))
        .await;
    let id = v["data"]["createCompany"]["id"].clone();
    let (s, v) = t
        .post(
            "/rest/companies?upsert=true",
            json!({"name": "A2", "externalId": "e1"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "legacy ignores upsert: {v}");
    let (_, v) = t
        .post(
            "/rest/companies?upsert=true",
            json!({"id": id, "name": "A3"}),
        )
        .await;
    assert_eq!(v["messages"][0], json!("Record already exists"));

    t.fake.set_profile(Profile::Current);
    let (s, v) = t
        .post(
            "/rest/batch/companies?upsert=true",
            json!([{"name": "A2", "externalId": "e1"}, {"name": "B", "externalId": "e2"}]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let out = v["data"]["createCompanies"].as_array().unwrap();
    assert_eq!(out[0]["id"], id);
    assert_eq!(out[0]["name"], json!("A2"));
    assert_eq!(t.fake.records("companies").len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn soft_delete_and_pagination() {
    let t = T::new(FakeConfig::current()).await;
    for i in 0..5 {
        t.post(
            "/rest/companies",
            json!({"name": format!("c{i}"), "employees": i}),
        )
        .await;
    }
    let (_, v) = t
        .get("/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D")
        .await;
    assert_eq!(
        v["data"]["companies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("c0"), json!("c1")]
    );
    assert_eq!(v["totalCount"], json!(5));
    assert_eq!(v["pageInfo"]["hasNextPage"], json!(true));
    let cursor = v["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let (_, v) = t
        .get(&format!(
            "/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D&starting_after={}",
            enc(&cursor)
        ))
        .await;
    assert_eq!(v["data"]["companies"][0]["name"], json!("c2"));
    let (_, v) = t
        .get("/rest/companies?order_by=employees%5BDescNullsLast%5D&limit=1")
        .await;
    assert_eq!(v["data"]["companies"][0]["name"], json!("c4"));
    let id = t.fake.records("companies")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = t
        .send(
            "DELETE",
            &format!("/rest/companies/{id}?soft_delete=true"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t.get("/rest/companies").await.1["totalCount"], json!(4));
    assert_eq!(
        t.get(&format!("/rest/companies/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, v) = t
        .get("/rest/companies?filter=deletedAt%5Bis%5D%3ANOT_NULL")
        .await;
    assert_eq!(v["totalCount"], json!(1));
    assert_eq!(t.fake.records_including_deleted("companies").len(), 5);
    let (s, _) = t
        .get("/rest/companies?starting_after=a&ending_before=b")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_id_made_non_unique_by_hand_takes_a_second_record() {
    let mut cfg = FakeConfig::current();
    cfg.with_external_id = true;
    let t = T::new(cfg).await;
    assert!(t.fake.set_field_unique("companies", "externalId", false));
    assert!(!t.fake.set_field_unique("companies", "noSuchField", false));
    for name in ["First", "Second"] {
        let (s, v) = t
            .post(
                "/rest/companies",
                json!({"name": name, "externalId": "ext-1"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    assert_eq!(t.fake.find_by_external_id("companies", "ext-1").len(), 2);
    let (_, v) = t
        .post(
            "/metadata",
            json!({"query": "{ objects(paging:{first:200}) { edges { node { id nameSingular fields(paging:{first:1000}) { edges { node { id name type isUnique isActive } } } } } } }"}),
        )
        .await;
    let objects = v["data"]["objects"]["edges"].as_array().unwrap();
    let company = objects
        .iter()
        .find(|o| o["node"]["nameSingular"] == "company")
        .unwrap();
    let field = company["node"]["fields"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["node"]["name"] == "externalId")
        .unwrap();
    assert_eq!(field["node"]["isUnique"], json!(false));
}
