//! The record endpoints of the Aug-2025 build: the success check, creating a company and a
//! person, PATCH, listing with a filter, pagination and ordering, batch create and delete.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{
    b64, create_ada, enc, is_iso_millis, lit, names, pinned, seeded_id, ADA, ADA_ID, ADA_REQUEST,
    HOUSECALL, SAMPLE_CO, SAMPLE_CO_ID, SAMPLE_CO_REQUEST, T,
};

// ----- GET /rest/companies?limit=1 (the success check) ---------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn get_list_success_check() {
    let t = T::legacy().await;
    t.fake.insert_record("companies", lit(HOUSECALL));
    for i in 0..598 {
        t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(i), "name": format!("Seed {i}")}),
        );
    }
    let r = t.get("/rest/companies?limit=1").await;
    assert_eq!(r.status, 200);
    let sample = lit(&format!(
        r#"{{"data":{{"companies":[{HOUSECALL}]}},"pageInfo":{{"hasNextPage":true,"startCursor":"eyJpZCI6IjIwMjAyMDIwLWEwMDAtNDQ4NS05NGRlLTcwYzJhOThkYWVmMiJ9","endCursor":"eyJpZCI6IjIwMjAyMDIwLWEwMDAtNDQ4NS05NGRlLTcwYzJhOThkYWVmMiJ9"}},"totalCount":599}}"#
    ));
    assert_eq!(r.body, sample);
}

// ----- POST /rest/companies (201 Created) ----------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn post_companies_201() {
    let t = T::legacy().await;
    let r = t.post("/rest/companies", lit(SAMPLE_CO_REQUEST)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = &r.body["data"]["createCompany"];
    assert!(is_iso_millis(&got["createdAt"]));
    assert_eq!(got["createdAt"], got["updatedAt"]);
    let expected = pinned(&lit(SAMPLE_CO), got, &["id", "createdAt", "updatedAt"]);
    assert_eq!(r.body, json!({"data": {"createCompany": expected}}));
}

// ----- POST /rest/people (201 Created) and the findings ---------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn post_people_201_and_findings() {
    let t = T::legacy().await;
    let r = t.post("/rest/people", lit(ADA_REQUEST)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let got = &r.body["data"]["createPerson"];
    assert!(is_iso_millis(&got["createdAt"]));
    let expected = pinned(&lit(ADA), got, &["id", "createdAt", "updatedAt"]);
    assert_eq!(r.body, json!({"data": {"createPerson": expected}}));

    // primaryEmail is lowercased on write.
    let r = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "Grace.Hopper@Example.COM"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["data"]["createPerson"]["emails"]["primaryEmail"],
        json!("grace.hopper@example.com")
    );
    // No e-mail syntax check.
    let r = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "not-an-email"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Uniqueness covers primaryEmail only.
    let r = t
        .post(
            "/rest/people",
            json!({"emails": {"primaryEmail": "other@example.com", "additionalEmails": ["ada.real@example.com"]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

// ----- PATCH /rest/people/{id} (200) ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn patch_person_200() {
    let t = T::legacy().await;
    let mut co = lit(SAMPLE_CO_REQUEST);
    co["id"] = json!(SAMPLE_CO_ID);
    assert_eq!(t.post("/rest/companies", co).await.status, 201);
    let before = create_ada(&t).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = t
        .patch(
            &format!("/rest/people/{ADA_ID}"),
            lit(r#"{"companyId":"384d064f-5395-4032-90c0-1a0e9fb891fc","jobTitle":"Countess"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = &r.body["data"]["updatePerson"];
    let mut expected = before.clone();
    expected["jobTitle"] = json!("Countess");
    expected["companyId"] = json!(SAMPLE_CO_ID);
    expected["updatedAt"] = got["updatedAt"].clone();
    // searchVector is a generated column: it follows the new job title.
    expected["searchVector"] =
        json!("'ada':1 'ada.real@example.com':3 'countess':5 'example.com':4 'lovelace':2");
    assert_eq!(r.body, json!({"data": {"updatePerson": expected}}));
    assert!(is_iso_millis(&got["updatedAt"]));
    assert_ne!(got["updatedAt"], before["updatedAt"]);
}

// ----- GET list with filter (200), type mismatch ----------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn get_list_with_filter() {
    let t = T::legacy().await;
    let ada = create_ada(&t).await;
    let r = t
        .get(&format!(
            "/rest/people?filter={}",
            enc(r#"emails.primaryEmail[eq]:"ada.real@example.com""#)
        ))
        .await;
    assert_eq!(r.status, 200);
    let sample = lit(&format!(
        r#"{{"data":{{"people":[{ADA}]}},"pageInfo":{{"hasNextPage":false,"startCursor":"eyJpZCI6ImFmNGRmYWU3LTMzZjItNDJiYy05ZTRmLTFhNTNjN2VlOGM0YSJ9","endCursor":"eyJpZCI6ImFmNGRmYWU3LTMzZjItNDJiYy05ZTRmLTFhNTNjN2VlOGM0YSJ9"}},"totalCount":1}}"#
    ));
    let mut expected = sample.clone();
    expected["data"]["people"][0] = pinned(
        &sample["data"]["people"][0],
        &ada,
        &["createdAt", "updatedAt"],
    );
    assert_eq!(r.body, expected);

    let co = t.post("/rest/companies", lit(SAMPLE_CO_REQUEST)).await;
    let co = &co.body["data"]["createCompany"];
    let r = t
        .get(&format!(
            "/rest/companies?filter={}&limit=5",
            enc(r#"name[eq]:"Sample Co Real""#)
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalCount"], json!(1));
    assert_eq!(r.body["data"]["companies"], json!([co]));

    // Other filter forms that worked.
    for name in ["Batch A", "Batch B"] {
        t.post("/rest/companies", json!({ "name": name })).await;
    }
    let cid = co["id"].as_str().unwrap();
    t.post(
        "/rest/people",
        json!({"name": {"firstName": "James", "lastName": "Watt"}, "city": "London", "companyId": cid}),
    )
    .await;
    let cases: [(&str, &str, usize); 5] = [
        ("companies", r#"name[ilike]:"%sample%""#, 1),
        ("people", r#"emails.primaryEmail[like]:"%ada%""#, 1),
        (
            "companies",
            r#"or(name[eq]:"Batch A",name[eq]:"Batch B")"#,
            2,
        ),
        (
            "people",
            r#"and(city[eq]:"London",companyId[is]:NOT_NULL)"#,
            1,
        ),
        ("people", r#"name.firstName[in]:["Ada","James"]"#, 2),
    ];
    for (object, filter, count) in cases {
        let r = t
            .get(&format!("/rest/{object}?filter={}", enc(filter)))
            .await;
        assert_eq!(r.status, 200, "{filter}: {}", r.body);
        assert_eq!(r.body["totalCount"], json!(count), "{filter}");
    }

    // A type mismatch is not an error.
    let r = t
        .get(&format!(
            "/rest/companies?filter={}",
            enc("employees[gte]:abc")
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        lit(
            r#"{"data":{"companies":[]},"pageInfo":{"hasNextPage":false,"startCursor":null,"endCursor":null},"totalCount":0}"#
        )
    );
}

// ----- Pagination and ordering ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn pagination_and_ordering() {
    let t = T::legacy().await;
    let special = [
        ("2020", Some(12)),
        ("3Pillar Global", Some(300)),
        ("6sense", None),
        ("ACS Technologies", Some(40)),
        ("Google", Some(1_000_000)),
        ("Microsoft", Some(900_000)),
    ];
    let mut ids = std::collections::HashMap::new();
    for (i, (name, employees)) in special.iter().enumerate() {
        let rec = t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(1000 + i), "name": name, "employees": employees}),
        );
        ids.insert(*name, rec["id"].as_str().unwrap().to_string());
    }
    for i in 0..596 {
        let employees = if i % 7 == 0 { Value::Null } else { json!(i) };
        t.fake.insert_record(
            "companies",
            json!({"id": seeded_id(i), "name": format!("Company {i:03}"), "employees": employees}),
        );
    }
    let r = t
        .get("/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        names(&r.body["data"]["companies"]),
        ["2020", "3Pillar Global"]
    );
    assert_eq!(r.body["pageInfo"]["hasNextPage"], json!(true));
    assert_eq!(r.body["totalCount"], json!(602));
    let end = r.body["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let expected_cursor = format!(
        r#"{{"name":"3Pillar Global","id":"{}"}}"#,
        ids["3Pillar Global"]
    );
    assert_eq!(end, b64(expected_cursor.as_bytes()));

    let r = t
        .get(&format!(
            "/rest/companies?limit=2&order_by=name%5BAscNullsFirst%5D&starting_after={}",
            enc(&end)
        ))
        .await;
    assert_eq!(
        names(&r.body["data"]["companies"]),
        ["6sense", "ACS Technologies"]
    );
    assert_eq!(
        r.body["totalCount"],
        json!(600),
        "with a cursor, totalCount counts the records after it"
    );

    let r = t
        .get("/rest/companies?limit=2&order_by=employees%5BDescNullsLast%5D")
        .await;
    assert_eq!(names(&r.body["data"]["companies"]), ["Google", "Microsoft"]);

    let r = t.get("/rest/companies?limit=1000").await;
    assert_eq!(r.body["data"]["companies"].as_array().unwrap().len(), 602);
    assert_eq!(r.body["pageInfo"]["hasNextPage"], json!(false));

    // Without order_by, the cursor is {"id":...}.
    let r = t.get("/rest/companies?limit=1").await;
    let first = r.body["data"]["companies"][0]["id"].as_str().unwrap();
    assert_eq!(
        r.body["pageInfo"]["startCursor"],
        json!(b64(format!(r#"{{"id":"{first}"}}"#).as_bytes()))
    );
}

// ----- Batch and delete ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn batch_and_delete() {
    let t = T::legacy().await;
    let r = t
        .post(
            "/rest/batch/companies",
            lit(r#"[{"name":"Batch A"},{"name":"Batch B"}]"#),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["data"]
    );
    assert_eq!(
        names(&r.body["data"]["createCompanies"]),
        ["Batch A", "Batch B"]
    );

    for query in ["", "?soft_delete=true"] {
        let p = t.post("/rest/people", json!({"city": "x"})).await;
        let id = p.body["data"]["createPerson"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = t.delete(&format!("/rest/people/{id}{query}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, json!({"data": {"deletePerson": {"id": id}}}));
        assert!(
            t.fake.record("people", &id).is_none(),
            "hard delete{query}: the row is gone"
        );
        let r = t.get(&format!("/rest/people/{id}")).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body,
            lit(
                r#"{"statusCode":400,"error":"BadRequestException","messages":["Record not found"]}"#
            )
        );
    }
}
