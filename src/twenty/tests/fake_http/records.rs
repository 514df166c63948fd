//! Records against the fake on both profiles: health, create, find, update, upsert, lookups
//! of awkward and many ids.

use super::*;

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
            Some("filter=externalId[in]:[c-2,c-1,missing]&limit=3&depth=0")
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
            list_request.contains("[plain,50%_off,a b:c&d=e]"),
            "{list_request}"
        );
    }
}

#[tokio::test]
async fn lookups_are_split_only_to_fit_a_safe_url() {
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
    assert_eq!(fake.count_matching("GET", "/rest/companies"), 1, "one URL");

    // 600 long ids do not fit in one URL: as few lookups as fit, each within the budget.
    let long: Vec<String> = (0..600)
        .map(|i| format!("a-rather-long-external-identifier-{i:05}"))
        .collect();
    fake.clear_requests();
    client
        .find_by_external_ids(EntityKind::Company, &long)
        .await
        .expect("lookup");
    let lookups = fake.requests();
    assert_eq!(lookups.len(), 3, "{}", lookups.len());
    for request in lookups {
        let url = format!("{}?{}", request.path, request.query.unwrap_or_default());
        assert!(
            url.len() <= crate::twenty::wire::MAX_LOOKUP_URL_BYTES,
            "{}",
            url.len()
        );
    }
}
