//! Tests of the search index on plain values: normalisation, terms and their byte order, where a
//! record is listed (ranking), and what the index holds of a log (the newest values only, an
//! older intent never replacing a newer one).

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::domain::event::{Envelope, PushOutcome};
use crate::domain::intent::{EntityKind, Intent, IntentSource};
use crate::domain::projection::MemoryProjections;

fn company(id: &str) -> RecordKey {
    RecordKey::new(EntityKind::Company, id)
}

fn doc(name: &str, email: Option<&str>) -> SearchDoc {
    SearchDoc {
        name: Some(name.into()),
        email: email.map(str::to_string),
    }
}

/// Every value `key` is found by with this doc and Twenty id.
fn indexed_values(
    key: &RecordKey,
    doc: Option<&SearchDoc>,
    twenty_id: Option<&str>,
) -> Vec<IndexedValue> {
    IndexedRecord::folded(
        None,
        doc.map(|doc| (1, doc.clone())),
        twenty_id.map(str::to_string),
    )
    .map(|record| record.values(key))
    .unwrap_or_default()
}

#[test]
fn case_accents_and_spacing_are_normalised() {
    assert_eq!(normalise("Zoë"), "zoe");
    assert_eq!(
        normalise("  ÉCOLE\t Normale  Supérieure "),
        "ecole normale superieure"
    );
    assert_eq!(normalise("Ångström"), "angstrom");
    assert_eq!(normalise("ﬁne Ｃｏ"), "fine co");
    assert_eq!(normalise("İstanbul"), "istanbul");
    assert_eq!(normalise("K-5"), "k-5");
    assert_eq!(normalise("a\u{0}b\u{7}c"), "abc");
    assert_eq!(normalise("\u{301}"), "", "a lone accent is nothing");
    assert_eq!(normalise("Zoë"), normalise("Zoe\u{308}"), "composed or not");
}

#[test]
fn long_values_are_cut_on_a_character() {
    let long = "é".repeat(TERM_MAX_CHARS + 10);
    assert_eq!(cut(&long).chars().count(), TERM_MAX_CHARS);
    assert_eq!(cut("short"), "short");
}

proptest! {
    #[test]
    fn normalising_is_idempotent_and_leaves_no_separator(text in "\\PC*|[ -~]*|.*") {
        let once = normalise(&text);
        prop_assert_eq!(normalise(&once), once.clone());
        prop_assert!(!once.contains(char::from(0)), "a NUL is left");
        prop_assert!(!once.contains("  "));
        prop_assert_eq!(once.trim(), once.as_str());
    }

    #[test]
    fn terms_sort_as_their_bytes(
        a in ("[a-c ]{0,4}", 0..4u8, any::<bool>(), "[a-c\u{e9}]{0,3}"),
        b in ("[a-c ]{0,4}", 0..4u8, any::<bool>(), "[a-c\u{e9}]{0,3}"),
    ) {
        let term = |(text, class, person, id): (String, u8, bool, String)| IndexTerm {
            class: TermClass::from_byte(b'0' + class).unwrap(),
            term: text,
            key: RecordKey::new(if person { EntityKind::Person } else { EntityKind::Company }, id),
        };
        let (a, b) = (term(a), term(b));
        prop_assert_eq!(a.cmp(&b), a.to_bytes().cmp(&b.to_bytes()));
        prop_assert_eq!(IndexTerm::from_bytes(&a.to_bytes()), Some(a));
    }
}

#[test]
fn a_record_is_found_by_ids_name_words_and_email() {
    let key = RecordKey::new(EntityKind::Person, "P-16");
    let values = indexed_values(
        &key,
        Some(&doc("Zoë Jean-Luc Ödön", Some("zoe@Example.com"))),
        Some("TW-1"),
    );
    let terms: Vec<(TermClass, &str)> = values
        .iter()
        .map(|v| (v.term.class, v.term.term.as_str()))
        .collect();
    assert_eq!(
        terms,
        vec![
            (TermClass::ExternalId, "p-16"),
            (TermClass::Word, "jean-luc odon"),
            (TermClass::Word, "luc odon"),
            (TermClass::Word, "odon"),
            (TermClass::Field, "zoe jean-luc odon"),
            (TermClass::Field, "zoe@example.com"),
            (TermClass::TwentyId, "tw-1"),
        ]
    );
    assert!(indexed_values(&key, None, None).is_empty(), "never seen");
    let mapped_only = indexed_values(&key, None, Some("TW-1"));
    assert_eq!(
        mapped_only
            .iter()
            .map(|v| (v.term.class, v.value.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (TermClass::ExternalId, "p-16"),
            (TermClass::TwentyId, "tw-1")
        ],
        "a record mapped before any intent is found by both ids"
    );
}

/// Where each record is listed for `query`: (range index, rank).
fn listed(query: &str, records: &[(&str, &str)]) -> Vec<Option<(usize, MatchRank)>> {
    records
        .iter()
        .map(|(id, name)| {
            let values = indexed_values(&company(id), Some(&doc(name, None)), None);
            first_listing(&normalise(query), &values)
                .map(|(range, _)| (range, SEARCH_RANGES[range].rank()))
        })
        .collect()
}

#[test]
fn an_exact_id_comes_first_then_prefixes_then_later_words() {
    let found = listed(
        "K-5",
        &[
            ("k-5", "Alpha"),
            ("k-50", "Beta"),
            ("x-1", "K-5 Holdings"),
            ("x-2", "The K-5 Group"),
            ("x-3", "Gamma"),
        ],
    );
    assert_eq!(
        found,
        vec![
            Some((0, MatchRank::Exact)),
            Some((2, MatchRank::Prefix)),
            Some((4, MatchRank::Prefix)),
            Some((5, MatchRank::Other)),
            None,
        ]
    );
    let twenty = indexed_values(&company("c"), Some(&doc("N", None)), Some("abc-123"));
    assert_eq!(
        first_listing("abc-123", &twenty).map(|(range, _)| SEARCH_RANGES[range].rank()),
        Some(MatchRank::Exact)
    );
    // A record matched several ways is listed at its best place only.
    let both = indexed_values(&company("acme-1"), Some(&doc("Acme", None)), None);
    let (range, term) = first_listing("acme", &both).unwrap();
    assert_eq!((range, term.class), (2, TermClass::ExternalId));
}

#[test]
fn a_long_query_is_compared_on_the_whole_value() {
    let base = "x".repeat(TERM_MAX_CHARS);
    let one = indexed_values(
        &company(&format!("{base}-one")),
        Some(&doc("N", None)),
        None,
    );
    let two = indexed_values(
        &company(&format!("{base}-two")),
        Some(&doc("N", None)),
        None,
    );
    assert_eq!(one[0].term.term, two[0].term.term, "the same cut term");
    let query = format!("{base}-one");
    assert_eq!(first_listing(&query, &one).map(|(range, _)| range), Some(0));
    assert_eq!(first_listing(&query, &two), None);
    assert!(SEARCH_RANGES[0].key_prefix(&query).ends_with(&[0]));
}

struct Log {
    projections: MemoryProjections,
    envelopes: Vec<Envelope>,
}

impl Log {
    fn push(&mut self, event: Event) {
        let seq = self.envelopes.len() as u64 + 1;
        let envelope = Envelope {
            schema_version: 1,
            id: Uuid::from_u128(u128::from(seq)),
            seq,
            recorded_at_ms: 0,
            event,
        };
        self.projections.apply(&envelope);
        self.envelopes.push(envelope);
    }

    fn intent(&mut self, id: &str, name: &str) -> Uuid {
        let intent = Intent {
            values: Default::default(),
            id: Uuid::from_u128(1_000 + self.envelopes.len() as u128),
            kind: EntityKind::Company,
            external_id: id.into(),
            fields: IntentFields {
                name: Some(name.into()),
                ..IntentFields::default()
            },
            source: IntentSource::Cli,
            requested_at_ms: 0,
        };
        let intent_id = intent.id;
        self.push(Event::IntentRecorded(intent));
        intent_id
    }

    fn index(&self) -> SearchIndex {
        SearchIndex::of_log(&self.envelopes, &self.projections.mappings)
    }

    fn terms(&self) -> Vec<(TermClass, String)> {
        self.index()
            .terms()
            .iter()
            .map(|t| (t.class, t.term.clone()))
            .collect()
    }
}

#[test]
fn the_index_holds_the_newest_name_and_the_mapped_twenty_id() {
    let mut log = Log {
        projections: MemoryProjections::default(),
        envelopes: Vec::new(),
    };
    let first = log.intent("c-1", "Old Name");
    assert_eq!(
        log.index().records[&company("c-1")].doc,
        Some(doc("Old Name", None))
    );
    assert_eq!(
        log.terms(),
        vec![
            (TermClass::Field, "old name".into()),
            (TermClass::Word, "name".into())
        ]
    );
    log.push(Event::PushSucceeded {
        field_hashes: Default::default(),
        intent_id: first,
        key: company("c-1"),
        twenty_id: "TW-9".into(),
        outcome: PushOutcome::Created,
        fields_hash: [0; 16],
    });
    log.intent("c-1", "Zoë");
    assert_eq!(
        log.terms(),
        vec![
            (TermClass::TwentyId, "tw-9".into()),
            (TermClass::Field, "zoe".into())
        ],
        "the old name's terms are gone"
    );
    log.push(Event::MappingInvalidated {
        key: company("c-1"),
        twenty_id: "TW-9".into(),
    });
    assert_eq!(log.terms(), vec![(TermClass::Field, "zoe".into())]);
    assert!(log.index().records.contains_key(&company("c-1")));
    // Events about records never recorded nor mapped index nothing.
    log.push(Event::RetryRequested {
        key: company("ghost"),
    });
    assert!(!log.index().records.contains_key(&company("ghost")));
}

#[test]
fn an_older_intent_never_replaces_a_newer_one() {
    let newer = IndexedRecord::folded(None, Some((9, doc("New", None))), None).unwrap();
    let again = IndexedRecord::folded(Some(&newer), Some((4, doc("Old", None))), None);
    assert_eq!(again.as_ref(), Some(&newer), "folding an older part again");
    let mapped = IndexedRecord::folded(Some(&newer), None, Some("TW".into())).unwrap();
    assert_eq!(
        (mapped.doc, mapped.doc_seq, mapped.twenty_id.as_deref()),
        (Some(doc("New", None)), 9, Some("TW"))
    );
    assert_eq!(IndexedRecord::folded(None, None, None), None);
    let unmapped = IndexedRecord::folded(Some(&newer), None, None);
    assert_eq!(unmapped.as_ref(), Some(&newer), "a doc keeps the entry");
}
