//! Any field through the relay: agent A (platform) forwards intents carrying values of every
//! type, relay B reads them back against its own data model and pushes them to the fake Twenty
//! with the directory's custom fields; a value B cannot read rejects only that intent, naming
//! the key.

use fake_twenty::{FakeConfig, FakeTwenty};
use serde_json::{json, Value};
use twenty_sync::app::ops::fields::{client_of, refresh};
use twenty_sync::config::{Secret, Settings, SyncMode};
use twenty_sync::domain::fields::{read_field_inputs, ReadHints};
use twenty_sync::domain::{EntityKind, IntentDraft, IntentFields, IntentSource};
use twenty_sync::relay::RelayServer;
use twenty_sync::twenty::RequestBudget;

use super::support::*;

const TOKEN: &str = "relay-token-0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn values_of_every_type_reach_twenty_through_the_relay() {
    let fake = FakeTwenty::start(FakeConfig::august_2025().directory()).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let settings_b = Settings {
        base_url: Some(fake.base_url()),
        api_key: Some(Secret::new(fake.api_key())),
        sync_mode: SyncMode::DirectCrm,
        relay_token: Some(Secret::new(TOKEN)),
        ..Settings::default()
    };
    let b = start_agent(dir_b.path(), settings_b.clone());
    let hb = b.handle();
    // B knows its workspace's fields (as `fields --refresh` reads them).
    let client = client_of(&settings_b, RequestBudget::for_rate(600)).unwrap();
    refresh(hb.store(), &client).await.unwrap();
    let server = RelayServer::bind(
        "127.0.0.1:0".parse().unwrap(),
        hb.store().clone(),
        hb.settings_changes(),
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));

    // A reads its values against the same model (as its own `fields --refresh` would).
    let model = hb
        .store()
        .server(&fake.base_url())
        .unwrap()
        .data_model
        .expect("B recorded the data model");
    let inputs = json!({
        "category": "Fintech",
        "tags": "Agency, Café",
        "address.city": "Paris",
        "address.country": "France",
        "employees": "1200",
        "score": "12.125",
        "annualRecurringRevenue": "1234.5",
        "annualRecurringRevenue.currencyCode": "EUR",
        "verified": "yes",
        "foundedOn": "2001-02-03",
        "rating": "4",
        "aliases": "Acme Corp, ACME",
        "extra": "{\"b\": [1, 2], \"a\": true}",
        "Listing URL": "dir.example/acme",
        "linkedinLink": "linkedin.com/company/acme",
    });
    let mut fixed = IntentFields {
        name: Some("Acme".into()),
        ..IntentFields::default()
    };
    let values = read_field_inputs(
        model.object(EntityKind::Company),
        inputs
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v)),
        ReadHints::default(),
        &mut fixed,
    )
    .unwrap();
    let a = start_agent(
        dir_a.path(),
        Settings {
            sync_mode: SyncMode::Platform,
            platform_url: Some(format!("http://{addr}")),
            platform_token: Some(Secret::new(TOKEN)),
            ..Settings::default()
        },
    );
    let ha = a.handle();
    ha.record(
        EntityKind::Company,
        IntentDraft {
            external_id: Some("c1".into()),
            fields: fixed,
            values: values.clone(),
        },
        IntentSource::Cli,
    )
    .unwrap();
    eventually("the company is in Twenty", || {
        fake.find_by_external_id("companies", "c1").len() == 1
    })
    .await;
    let company = fake.find_by_external_id("companies", "c1").remove(0);
    let expect = [
        ("category", json!("FINTECH")),
        ("tags", json!(["AGENCY", "CAFE"])),
        ("employees", json!(1200)),
        ("verified", json!(true)),
        ("foundedOn", json!("2001-02-03")),
        ("rating", json!("RATING_4")),
        ("aliases", json!(["Acme Corp", "ACME"])),
        ("extra", json!({"a": true, "b": [1, 2]})),
    ];
    for (field, value) in expect {
        assert_eq!(company[field], value, "{field}: {company}");
    }
    assert_eq!(company["address"]["addressCity"], "Paris", "{company}");
    assert_eq!(company["address"]["addressCountry"], "France");
    assert_eq!(
        company["annualRecurringRevenue"]["amountMicros"].as_f64(),
        Some(1_234_500_000.0),
        "{company}"
    );
    assert_eq!(
        company["annualRecurringRevenue"]["currencyCode"], "EUR",
        "{company}"
    );
    assert_eq!(
        company["listingUrl"]["primaryLinkUrl"], "https://dir.example/acme",
        "{company}"
    );
    assert!(
        company["score"] == json!(12.125) || company["score"] == json!("12.125"),
        "{company}"
    );
    // B recorded the very values A read.
    let recorded = (1..=hb.store().last_seq())
        .filter_map(|seq| hb.store().intent_at(seq).ok().flatten())
        .find(|intent| intent.external_id == "c1")
        .expect("B recorded the intent");
    assert_eq!(recorded.values, values, "the relay reads back what A sent");

    // A value B cannot read rejects that intent alone, naming the key.
    let url = format!("http://{addr}/api/v1/intents");
    let answer: Value = reqwest::Client::new()
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({
            "origin": "test",
            "intents": [
                { "id": uuid::Uuid::now_v7(), "kind": "company", "external_id": "c2",
                  "fields": { "name": "Two", "category": "Fintek" } },
                { "id": uuid::Uuid::now_v7(), "kind": "company", "external_id": "c3",
                  "fields": { "name": "Three", "nosuch": 1 } },
                { "id": uuid::Uuid::now_v7(), "kind": "person", "external_id": "p4",
                  "fields": { "name": "Ada Lovelace", "emails": "ada@example.com",
                              "seniority": "lead", "jobTitle": "Engineer" } }
            ]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], "rejected", "{answer}");
    assert_eq!(results[0]["errors"][0]["field"], "category", "{answer}");
    let message = results[0]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Fintek") && message.contains("Fintech"),
        "{message}"
    );
    assert_eq!(results[1]["status"], "rejected", "{answer}");
    assert_eq!(results[1]["errors"][0]["field"], "nosuch", "{answer}");
    assert_eq!(results[2]["status"], "accepted", "{answer}");
    eventually("the person is in Twenty with her fields", || {
        fake.find_by_external_id("people", "p4")
            .first()
            .is_some_and(|p| p["seniority"] == "LEAD" && p["jobTitle"] == "Engineer")
    })
    .await;
    let _ = stop.send(());
    a.stop().await;
    b.stop().await;
}
