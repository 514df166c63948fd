//! The data model is paged: a whole-workspace metadata query is capped at `first + 1` fields in
//! all, so only per-object reads, cursor by cursor, see every field.

use serde_json::{json, Value};

use crate::support::{lit, T};

// ----- The data model is paged ---------------------------------------------------------------

fn whole_workspace_query(first: usize) -> String {
    format!("{{ objects(paging:{{first:200}}) {{ edges {{ node {{ id nameSingular fields(paging:{{first:{first}}}) {{ edges {{ node {{ id name type isUnique isActive }} }} }} }} }} }} }}")
}

/// (object singular name, field name) of every field in a whole-workspace answer.
fn fields_in(answer: &Value) -> Vec<(String, String)> {
    answer["data"]["objects"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| {
            let object = o["node"]["nameSingular"].as_str().unwrap().to_string();
            o["node"]["fields"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |f| {
                    (
                        object.clone(),
                        f["node"]["name"].as_str().unwrap().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Reads one object's fields page by page, following `pageInfo.endCursor`.
async fn fields_of_object(t: &T, object_id: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut after = String::new();
    for _ in 0..100 {
        let q = format!(
            "{{ objects(filter:{{id:{{eq:\"{object_id}\"}}}}) {{ edges {{ node {{ id fields(paging:{{first:50{after}}}) {{ edges {{ node {{ id name }} }} pageInfo {{ hasNextPage endCursor }} }} }} }} }} }}"
        );
        let v = t.graphql(&q).await;
        let edges = v["data"]["objects"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 1);
        let fields = &edges[0]["node"]["fields"];
        for f in fields["edges"].as_array().unwrap() {
            names.push(f["node"]["name"].as_str().unwrap().to_string());
        }
        if fields["pageInfo"]["hasNextPage"] != json!(true) {
            return names;
        }
        after = format!(
            ", after:\"{}\"",
            fields["pageInfo"]["endCursor"].as_str().unwrap()
        );
    }
    panic!("no last page");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_data_model_is_paged() {
    let t = T::legacy().await;
    t.fake.set_new_field_ids_sort_last(true);
    let company_object = t.fake.object_metadata_id("companies");
    let field = json!({"objectMetadataId": company_object, "type": "TEXT", "name": "externalId", "label": "External ID", "isNullable": true, "isUnique": true});
    assert_eq!(
        t.post("/rest/metadata/fields", field.clone()).await.status,
        201
    );
    let total = t.fake.total_field_count();
    assert_eq!(
        total, 536,
        "a freshly seeded workspace with company.externalId"
    );

    // 501 fields in total across all objects, not 500 per object; first:1000 returns all, and
    // the 501 are the first of them in id order.
    let all = fields_in(&t.graphql(&whole_workspace_query(1000)).await);
    assert_eq!(all.len(), total);
    assert!(all.contains(&("company".into(), "externalId".into())));
    let capped = fields_in(&t.graphql(&whole_workspace_query(500)).await);
    assert_eq!(capped.len(), 501);
    assert_eq!(capped[..], all[..501]);

    // One object at a time returns all of that object's fields, across pages.
    let objects = t
        .graphql("{ objects(paging:{first:200}) { edges { node { id } } } }")
        .await;
    let mut sum = 0;
    for o in objects["data"]["objects"]["edges"].as_array().unwrap() {
        sum += fields_of_object(&t, o["node"]["id"].as_str().unwrap())
            .await
            .len();
    }
    assert_eq!(sum, total);

    // With one more custom object of 460 fields (996 in all): still 501 for first:500.
    t.fake.add_custom_object_with_fields(460);
    let total = t.fake.total_field_count();
    assert_eq!(total, 996);
    assert_eq!(
        fields_in(&t.graphql(&whole_workspace_query(500)).await).len(),
        501
    );
    assert_eq!(
        fields_in(&t.graphql(&whole_workspace_query(1000)).await).len(),
        total
    );

    // When the new field sorts after 500 others, the whole-workspace answer leaves it out
    // although it exists (and every record carries it); the per-object read finds it.
    t.fake.set_new_field_ids_sort_last(false);
    t.fake.add_padding_fields("companies", 500);
    let capped = fields_in(&t.graphql(&whole_workspace_query(500)).await);
    assert_eq!(capped.len(), 501);
    assert!(!capped.contains(&("company".into(), "externalId".into())));
    assert!(fields_of_object(&t, &company_object)
        .await
        .contains(&"externalId".to_string()));

    // A taken name: the field exists, read it instead.
    let r = t.post("/rest/metadata/fields", field).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":400,"messages":["Name 'externalId' is not available, check that it is not duplicating another field's name."],"error":"Bad Request"}"#
        )
    );
    // GET /rest/metadata/objects fails on every call at this version.
    for _ in 0..2 {
        assert_eq!(
            t.get("/rest/metadata/objects").await.message(),
            "Cannot query field 'dataSourceId' on type 'Object'."
        );
    }
}
