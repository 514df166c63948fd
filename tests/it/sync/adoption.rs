//! Adopting existing Twenty records (issue 14): a new record whose e-mail (person) or domain
//! (company) a Twenty record without an `externalId` holds takes that record over instead of
//! being parked as a duplicate; a first sync into a populated workspace costs one lookup per
//! batch plus the adoptions; later syncs nothing extra; a record found later by a refused batch
//! is adopted the same way.

use fake_twenty::Profile;
use serde_json::json;
use twenty_sync::domain::{EntityKind, Event};

use super::floor::directory;
use super::support::*;

/// Twenty holds companies `c<i>`'s domain and people `p<i>`'s e-mail for `i` in `0..n`, made
/// by hand (no `externalId`).
fn seed_existing(h: &Harness, n: usize) {
    h.fake.create_external_id_fields();
    for i in 0..n {
        h.fake.insert_record(
            "companies",
            json!({"name": format!("Hand-made {i}"), "domainName": {"primaryLinkUrl": format!("https://company{i}.example.com")}}),
        );
        h.fake.insert_record(
            "people",
            json!({"name": {"firstName": "Hand", "lastName": format!("Made{i}")}, "emails": {"primaryEmail": format!("person{i}@example.com")}}),
        );
    }
}

fn adoptions(h: &Harness) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut after = 0;
    while let Some(last) = h
        .store
        .events_after(after, 5_000)
        .unwrap()
        .last()
        .map(|e| e.seq)
    {
        for envelope in h.store.events_after(after, 5_000).unwrap() {
            if let Event::RecordAdopted {
                key, field, value, ..
            } = envelope.event
            {
                found.push((key.external_id, field, value));
            }
        }
        after = last;
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_sync_into_a_populated_workspace_adopts_what_it_holds() {
    // (flavour, the most requests: per batch, per adopted record)
    for (profile, per_batch, per_adopted) in [(Profile::Legacy2025, 2, 1), (Profile::Current, 3, 0)]
    {
        let h = harness(profile).await;
        seed_existing(&h, 250);
        directory(&h, 0, 1_000, "");
        h.sync().await.unwrap();
        let what = format!("{profile:?}");
        let counters = h.counters();
        assert_eq!(
            (counters.failed, counters.pending),
            (0, 0),
            "{what}: nothing parked"
        );
        assert_eq!(
            (counters.mapped_companies, counters.mapped_people),
            (1_000, 1_000),
            "{what}"
        );
        assert_eq!(
            h.fake.records("companies").len(),
            1_000,
            "{what}: no duplicates"
        );
        assert_eq!(h.fake.records("people").len(), 1_000, "{what}");
        assert_no_duplicates(&h.fake, "companies");
        assert_no_duplicates(&h.fake, "people");
        let adopted = adoptions(&h);
        assert_eq!(adopted.len(), 500, "{what}");
        assert!(adopted.contains(&(
            "p7".into(),
            "emails.primaryEmail".into(),
            "person7@example.com".into()
        )));
        // The adopted record is the hand-made one, now with our id and fields.
        let person = &h.in_twenty("people", "p7")[0];
        assert_eq!(person["name"]["firstName"], "Person");
        assert_eq!(
            person["companyId"],
            h.twenty_id(EntityKind::Company, "c7").unwrap().as_str()
        );
        let requests = h.record_requests();
        let batches = 10;
        let bound = per_batch * batches + per_adopted * 500 + 3;
        eprintln!(
            "[adoption] {what}: 2,000 records, 500 adopted, {requests} requests (bound {bound})"
        );
        assert!(requests <= bound, "{what}: {requests} > {bound}");

        // A later sync of new records: created at once, nothing looked up.
        h.fake.clear_requests();
        directory(&h, 1_000, 1_200, "");
        h.sync().await.unwrap();
        assert_eq!(h.record_requests(), 2, "{what}: one create per object");
    }
}

#[tokio::test]
async fn a_record_made_by_hand_later_is_adopted_when_its_batch_is_refused() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        directory(&h, 0, 5, "");
        h.sync().await.unwrap();
        // Someone adds Ada in Twenty by hand; then the directory adds her too.
        let hand_made = h.fake.insert_record(
            "people",
            json!({"name": {"firstName": "Ada"}, "emails": {"primaryEmail": "ada@example.com"}}),
        );
        h.person("p-ada", "Ada Lovelace", "ada@example.com", None);
        h.person("p-bob", "Bob Marley", "bob@example.com", None);
        h.fake.clear_requests();
        h.sync().await.unwrap();
        let ada = h
            .fake
            .record("people", hand_made["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(ada["externalId"], "p-ada", "{profile:?}");
        assert_eq!(ada["name"]["lastName"], "Lovelace");
        assert_eq!(h.in_twenty("people", "p-bob").len(), 1);
        assert_eq!(h.counters().failed, 0);
        assert_eq!(adoptions(&h).len(), 1);
        // The create (refused), its one lookup, then Bob's create and Ada's adoption.
        assert!(
            h.record_requests() <= 4,
            "{profile:?}: {}",
            h.record_requests()
        );
    }
}

#[tokio::test]
async fn a_record_holding_another_external_id_is_never_taken_over() {
    for profile in [Profile::Legacy2025, Profile::Current] {
        let h = harness(profile).await;
        h.fake.create_external_id_fields();
        let theirs = h.fake.insert_record(
            "companies",
            json!({"name": "Theirs", "externalId": "other-system-9", "domainName": {"primaryLinkUrl": "https://acme.com"}}),
        );
        h.company("c1", "Acme", Some("acme.com"));
        h.sync().await.unwrap();
        let kept = h
            .fake
            .record("companies", theirs["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            (kept["externalId"].as_str(), kept["name"].as_str()),
            (Some("other-system-9"), Some("Theirs")),
            "{profile:?}"
        );
        let key = twenty_sync::domain::RecordKey::new(EntityKind::Company, "c1");
        let failed = h.store.failed(&key).unwrap().expect("parked");
        assert!(
            failed.message.contains("(externalId other-system-9)"),
            "{}",
            failed.message
        );
        let conflict = h
            .store
            .failure_detail(&key)
            .unwrap()
            .unwrap()
            .conflict
            .unwrap();
        assert_eq!(
            conflict.holder.unwrap().twenty_id,
            theirs["id"].as_str().unwrap()
        );
        assert!(adoptions(&h).is_empty());
    }
}

/// Never adopting (`match_existing = external_id`) on a build that applies upserts: a refused
/// batch is looked up by `externalId` only, which proves nothing of e-mails, so its records are
/// never upserted (an upsert would take over the record holding one): the holder stays as it is
/// and the record is parked.
#[tokio::test]
async fn never_adopting_never_takes_a_record_over_by_an_upsert() {
    let h = harness(Profile::Current).await;
    directory(&h, 0, 3, "");
    h.sync_never_adopting().await.unwrap();
    assert_eq!(
        h.store.server(&h.fake.base_url()).unwrap().upsert_applies,
        Some(true)
    );
    let holder = h.fake.insert_record(
        "people",
        json!({"name": {"firstName": "Someone"}, "emails": {"primaryEmail": "taken@example.com"}}),
    );
    h.person("p-x", "Pat Doe", "taken@example.com", None);
    h.person("p-y", "Sam Roe", "sam@example.com", None);
    h.sync_never_adopting().await.unwrap();
    let kept = h
        .fake
        .record("people", holder["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (
            kept["externalId"].as_str(),
            kept["name"]["firstName"].as_str()
        ),
        (Some(""), Some("Someone"))
    );
    assert_eq!(h.counters().failed, 1);
    assert_eq!(h.in_twenty("people", "p-y").len(), 1);
    assert!(adoptions(&h).is_empty());
}
