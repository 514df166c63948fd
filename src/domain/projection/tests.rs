//! Tests of the fold, on plain values: coalescing, settling, parking, retrying, invalidating.

use super::*;
use crate::domain::event::{FailureCode, ImportSummary};
use crate::domain::intent::EntityKind;
use crate::domain::intent::{Intent, IntentFields, IntentSource};

struct Log {
    projections: MemoryProjections,
    seq: u64,
}

impl Log {
    fn new() -> Log {
        Log {
            projections: MemoryProjections::default(),
            seq: 0,
        }
    }

    fn push(&mut self, event: Event) -> u64 {
        self.seq += 1;
        self.projections.apply(&Envelope {
            schema_version: 1,
            id: Uuid::from_u128(u128::from(self.seq)),
            seq: self.seq,
            recorded_at_ms: 1_000 * self.seq as i64,
            event,
        });
        self.seq
    }

    fn intent(&mut self, kind: EntityKind, external_id: &str, name: &str) -> Uuid {
        let id = Uuid::from_u128(10_000 + u128::from(self.seq));
        self.push(Event::IntentRecorded(Intent {
            values: Default::default(),
            id,
            kind,
            external_id: external_id.into(),
            fields: IntentFields {
                name: Some(name.into()),
                ..IntentFields::default()
            },
            source: IntentSource::Cli,
            requested_at_ms: 0,
        }));
        id
    }

    fn succeed(&mut self, intent_id: Uuid, key: &RecordKey, twenty_id: &str) {
        self.push(Event::PushSucceeded {
            field_hashes: Default::default(),
            intent_id,
            key: key.clone(),
            twenty_id: twenty_id.into(),
            outcome: PushOutcome::Created,
            fields_hash: [1; 16],
        });
    }

    fn fail(&mut self, intent_id: Uuid, key: &RecordKey, retryable: bool) {
        self.push(Event::PushFailed {
            intent_id,
            key: key.clone(),
            code: FailureCode::ValidationError,
            message: "bad".into(),
            attempt: 1,
            retryable,
        });
    }

    fn queue(&self) -> Vec<(u64, String)> {
        self.projections
            .queue
            .iter()
            .map(|(seq, key)| (*seq, key.external_id.clone()))
            .collect()
    }
}

fn company(id: &str) -> RecordKey {
    RecordKey::new(EntityKind::Company, id)
}

#[test]
fn repeated_edits_coalesce_and_the_newest_wins() {
    let mut log = Log::new();
    log.intent(EntityKind::Company, "c1", "Old");
    log.intent(EntityKind::Company, "c2", "Other");
    let newest = log.intent(EntityKind::Company, "c1", "New");
    assert_eq!(log.projections.counters.pending, 2);
    assert_eq!(log.projections.counters.intents, 3);
    assert_eq!(log.projections.pending[&company("c1")].intent_id, newest);
    // c1 moved behind c2: the queue follows the newest intent's place in the log.
    assert_eq!(log.queue(), vec![(2, "c2".into()), (3, "c1".into())]);
}

#[test]
fn success_settles_only_the_pushed_intent() {
    let mut log = Log::new();
    let first = log.intent(EntityKind::Company, "c1", "A");
    let second = log.intent(EntityKind::Company, "c1", "B");
    // The push of the first intent finishes after the second was recorded.
    log.succeed(first, &company("c1"), "t1");
    assert_eq!(
        log.projections.counters.pending, 1,
        "the newer edit still waits"
    );
    assert_eq!(log.projections.pending[&company("c1")].intent_id, second);
    assert_eq!(log.projections.mappings[&company("c1")].twenty_id, "t1");
    log.succeed(second, &company("c1"), "t1");
    assert_eq!(log.projections.counters.pending, 0);
    assert!(log.projections.queue.is_empty());
    assert_eq!(log.projections.counters.mapped_companies, 1);
    assert_eq!(log.projections.counters.synced(), 2);
    assert_eq!(log.projections.counters.last_push_ms, Some(4_000));
}

#[test]
fn retryable_failures_stay_queued_and_count_attempts() {
    let mut log = Log::new();
    let intent = log.intent(EntityKind::Company, "c1", "A");
    log.fail(intent, &company("c1"), true);
    log.fail(intent, &company("c1"), true);
    let pending = &log.projections.pending[&company("c1")];
    assert_eq!(pending.attempts, 2);
    assert_eq!(pending.last_error.as_deref(), Some("bad"));
    assert_eq!(log.projections.counters.failed, 0);
}

#[test]
fn permanent_failures_park_and_unblock_the_queue_until_retried() {
    let mut log = Log::new();
    let bad = log.intent(EntityKind::Company, "c1", "A");
    log.intent(EntityKind::Company, "c2", "B");
    log.fail(bad, &company("c1"), false);
    assert_eq!(log.queue(), vec![(2, "c2".into())]);
    assert_eq!(log.projections.counters.failed, 1);
    assert_eq!(log.projections.counters.pending, 1);
    assert_eq!(log.projections.failed[&company("c1")].seq, 1);

    log.push(Event::RetryRequested { key: company("c1") });
    assert!(log.projections.failed.is_empty());
    assert_eq!(log.queue(), vec![(1, "c1".into()), (2, "c2".into())]);
    assert_eq!(log.projections.counters.failed, 0);
    assert_eq!(log.projections.counters.pending, 2);

    // Retrying something that is not parked changes nothing but the event count.
    let before = log.projections.clone();
    log.push(Event::RetryRequested {
        key: company("nope"),
    });
    assert_eq!(log.projections.queue, before.queue);
    assert_eq!(log.projections.counters.events, before.counters.events + 1);
}

#[test]
fn a_new_intent_replaces_a_parked_failure() {
    let mut log = Log::new();
    let bad = log.intent(EntityKind::Company, "c1", "A");
    log.fail(bad, &company("c1"), false);
    let fixed = log.intent(EntityKind::Company, "c1", "A fixed");
    assert!(log.projections.failed.is_empty());
    assert_eq!(log.projections.pending[&company("c1")].intent_id, fixed);
    assert_eq!(
        (
            log.projections.counters.failed,
            log.projections.counters.pending
        ),
        (0, 1)
    );
}

#[test]
fn stale_results_change_nothing_in_the_queue() {
    let mut log = Log::new();
    let intent = log.intent(EntityKind::Company, "c1", "A");
    log.fail(Uuid::from_u128(42), &company("c1"), false);
    log.push(Event::PushSkipped {
        intent_id: Uuid::from_u128(43),
        key: company("c1"),
    });
    assert_eq!(log.projections.pending[&company("c1")].intent_id, intent);
    assert_eq!(log.projections.counters.failed, 0);
}

#[test]
fn invalidation_drops_only_the_named_mapping() {
    let mut log = Log::new();
    let intent = log.intent(EntityKind::Company, "c1", "A");
    log.succeed(intent, &company("c1"), "t1");
    log.push(Event::MappingInvalidated {
        key: company("c1"),
        twenty_id: "other".into(),
    });
    assert!(log.projections.mappings.contains_key(&company("c1")));
    log.push(Event::MappingInvalidated {
        key: company("c1"),
        twenty_id: "t1".into(),
    });
    assert!(log.projections.mappings.is_empty());
    assert_eq!(log.projections.counters.mapped_companies, 0);
}

#[test]
fn imports_index_the_first_import_of_each_content() {
    let mut log = Log::new();
    let summary = |duplicate| ImportSummary {
        file_name: "a.csv".into(),
        content_hash: "h1".into(),
        rows_read: 1,
        recorded: 1,
        invalid: 0,
        duplicate_rows: 0,
        duplicate_of_earlier_import: duplicate,
        duration_ms: 1,
    };
    let first = log.push(Event::ImportCompleted(summary(false)));
    log.push(Event::ImportCompleted(summary(true)));
    log.push(Event::ImportCompleted(summary(false)));
    assert_eq!(log.projections.imports.get("h1"), Some(&first));
    assert_eq!(log.projections.counters.imports, 3);
}

#[test]
fn server_knowledge_keeps_only_facts_that_change_it() {
    use crate::domain::{MetadataRoute, ServerFact};
    let field = ServerFact::ExternalIdField {
        kind: EntityKind::Person,
        field_id: "f-1".into(),
        field_type: "TEXT".into(),
        is_unique: true,
    };
    let mut known = super::ServerKnowledge::default();
    let news = known.news(vec![
        field.clone(),
        ServerFact::MetadataRoute(MetadataRoute::Graphql),
        field.clone(),
    ]);
    assert_eq!(
        news,
        vec![
            field.clone(),
            ServerFact::MetadataRoute(MetadataRoute::Graphql)
        ],
        "a repeated fact is news once"
    );
    for fact in &news {
        known.learn(fact);
    }
    assert!(known.external_id(EntityKind::Person).is_some());
    assert!(known.external_id(EntityKind::Company).is_none());
    assert!(known.news(vec![field]).is_empty(), "known already");
    let forget = ServerFact::ExternalIdFieldForgotten {
        kind: EntityKind::Person,
    };
    known.learn(&forget);
    assert!(known.external_id(EntityKind::Person).is_none());
}

fn conflict(holder_id: &str) -> crate::domain::event::Conflict {
    crate::domain::event::Conflict {
        field: "domainName.primaryLinkUrl".into(),
        value: "https://acme.com".into(),
        holder: Some(crate::domain::event::ConflictHolder {
            twenty_id: holder_id.into(),
            name: Some("Acme Inc".into()),
            external_id: None,
            in_trash: false,
        }),
    }
}

/// c1 parked as a duplicate of Twenty's `t-9`, with the conflict recorded after its failure.
fn parked_duplicate(log: &mut Log) -> Uuid {
    let intent = log.intent(EntityKind::Company, "c1", "Acme");
    log.fail(intent, &company("c1"), false);
    log.push(Event::ConflictFound {
        intent_id: intent,
        key: company("c1"),
        conflict: conflict("t-9"),
    });
    intent
}

#[test]
fn a_conflict_is_kept_with_its_parked_failure_only() {
    let mut log = Log::new();
    let intent = parked_duplicate(&mut log);
    assert_eq!(
        log.projections.details[&company("c1")].conflict,
        Some(conflict("t-9"))
    );
    // A conflict of another intent, or of a record that is not parked, is not kept.
    log.push(Event::ConflictFound {
        intent_id: Uuid::from_u128(42),
        key: company("c1"),
        conflict: conflict("t-other"),
    });
    log.push(Event::ConflictFound {
        intent_id: intent,
        key: company("c2"),
        conflict: conflict("t-other"),
    });
    assert_eq!(log.projections.details.len(), 1);
    assert_eq!(
        log.projections.details[&company("c1")].conflict,
        Some(conflict("t-9"))
    );

    // Retried: the conflict goes with the failure.
    log.push(Event::RetryRequested { key: company("c1") });
    assert!(log.projections.details.is_empty());

    // Parked again, then a newer intent: gone too.
    let mut log = Log::new();
    parked_duplicate(&mut log);
    log.intent(EntityKind::Company, "c1", "Acme fixed");
    assert!(log.projections.details.is_empty());
}

#[test]
fn a_dismissed_failure_leaves_the_failed_list_and_the_queue_until_a_newer_intent() {
    let mut log = Log::new();
    let intent = parked_duplicate(&mut log);
    // A dismissal of another intent changes nothing.
    log.push(Event::FailureDismissed {
        intent_id: Uuid::from_u128(42),
        key: company("c1"),
        by: "cli".into(),
    });
    assert_eq!(log.projections.counters.failed, 1);

    log.push(Event::FailureDismissed {
        intent_id: intent,
        key: company("c1"),
        by: "cli".into(),
    });
    let counters = log.projections.counters;
    assert_eq!((counters.failed, counters.pending), (0, 0));
    assert!(log.projections.failed.is_empty() && log.projections.queue.is_empty());
    let detail = &log.projections.details[&company("c1")];
    let dismissal = detail.dismissed.as_ref().expect("dismissed");
    assert_eq!(
        (dismissal.failure.intent_id, dismissal.by.as_str()),
        (intent, "cli")
    );
    assert_eq!(
        detail.conflict,
        Some(conflict("t-9")),
        "the conflict stays visible"
    );

    // Retry-all does not bring it back (it is not parked any more).
    log.push(Event::RetryRequested { key: company("c1") });
    assert!(log.projections.queue.is_empty());
    assert!(log.projections.details.contains_key(&company("c1")));

    // A newer intent does.
    let newer = log.intent(EntityKind::Company, "c1", "Acme again");
    assert_eq!(log.projections.pending[&company("c1")].intent_id, newer);
    assert!(log.projections.details.is_empty());
}

#[test]
fn a_linked_record_is_mapped_to_the_twenty_record_and_queued_for_an_update() {
    let mut log = Log::new();
    let intent = parked_duplicate(&mut log);
    let link = |intent_id| Event::RecordLinked {
        intent_id,
        key: company("c1"),
        twenty_id: "t-9".into(),
        by: "ui".into(),
    };
    log.push(link(Uuid::from_u128(42)));
    assert!(
        log.projections.mappings.is_empty(),
        "a stale link changes nothing"
    );

    log.push(link(intent));
    let mapping = &log.projections.mappings[&company("c1")];
    assert_eq!(mapping.twenty_id, "t-9");
    assert_eq!(mapping.fields_hash, super::LINKED_FIELDS_HASH);
    assert_eq!(log.projections.pending[&company("c1")].intent_id, intent);
    assert_eq!(log.queue(), vec![(1, "c1".into())]);
    let counters = log.projections.counters;
    assert_eq!(
        (counters.failed, counters.pending, counters.mapped_companies),
        (0, 1, 1)
    );
    assert!(log.projections.failed.is_empty() && log.projections.details.is_empty());

    // Its push settles it as any other.
    log.succeed(intent, &company("c1"), "t-9");
    assert_eq!(log.projections.counters.pending, 0);
    assert_eq!(log.projections.counters.mapped_companies, 1);
}
