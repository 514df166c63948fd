//! Golden tests: the stored bytes of every event kind are frozen. If one of these fails, the
//! on-disk format changed: revert the change, or write a migration (see `migrations/`) and only
//! then update the expected bytes. Schema-1 bytes of every kind stay here too: they must keep
//! decoding (upcast) as long as stores written by older versions exist.

use super::*;
use crate::domain::fields::{
    CellValue, DataModel, Decimal, DecimalSeparator, FieldDef, FieldOption, FieldOrigin,
    FieldTarget, FieldType, FieldValues, Part,
};
use crate::domain::intent::{IntentFields, IntentSource};

/// The other fields of the example intent: a composite part, a list, a number, a flag.
fn values() -> FieldValues {
    let mut values = FieldValues::new();
    values.set(
        FieldTarget::new("address", Some(Part::AddressCity)),
        CellValue::Text("Paris".into()),
    );
    values.set(
        FieldTarget::new("tags", None),
        CellValue::List(vec!["AGENCY".into(), "CAFE".into()]),
    );
    values.set(
        FieldTarget::new("employees", None),
        CellValue::Number(Decimal::parse("12", DecimalSeparator::Dot).expect("a number")),
    );
    values.set(FieldTarget::new("verified", None), CellValue::Boolean(true));
    values
}

fn uuid(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

fn key() -> RecordKey {
    RecordKey::new(EntityKind::Person, "p-1")
}

fn envelope(event: Event) -> Envelope {
    Envelope {
        schema_version: SCHEMA_VERSION,
        id: uuid(1),
        seq: 7,
        recorded_at_ms: 1_764_000_000_000,
        event,
    }
}

/// One example of every event kind, in declaration order.
fn examples() -> Vec<(&'static str, Event)> {
    vec![
        (
            "IntentRecorded",
            Event::IntentRecorded(Intent {
                values: values(),
                id: uuid(2),
                kind: EntityKind::Person,
                external_id: "p-1".into(),
                fields: IntentFields {
                    name: Some("Ada Lovelace".into()),
                    email: Some("ada@example.com".into()),
                    company_external_id: Some("c-1".into()),
                    ..IntentFields::default()
                },
                source: IntentSource::Import {
                    file: "people.csv".into(),
                    row: 3,
                },
                requested_at_ms: 1_764_000_000_000,
            }),
        ),
        (
            "PushSucceeded",
            Event::PushSucceeded {
                field_hashes: [
                    ("name".to_string(), [5; 16]),
                    ("emails".to_string(), [6; 16]),
                ]
                .into_iter()
                .collect(),
                intent_id: uuid(2),
                key: key(),
                twenty_id: "af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a".into(),
                outcome: PushOutcome::Created,
                fields_hash: [9; 16],
            },
        ),
        (
            "PushSkipped",
            Event::PushSkipped {
                intent_id: uuid(2),
                key: key(),
            },
        ),
        (
            "PushFailed",
            Event::PushFailed {
                intent_id: uuid(2),
                key: key(),
                code: FailureCode::Duplicate,
                message: "Duplicate Emails".into(),
                attempt: 2,
                retryable: false,
            },
        ),
        ("RetryRequested", Event::RetryRequested { key: key() }),
        (
            "MappingInvalidated",
            Event::MappingInvalidated {
                key: key(),
                twenty_id: "t-1".into(),
            },
        ),
        (
            "ImportCompleted",
            Event::ImportCompleted(ImportSummary {
                file_name: "people.csv".into(),
                content_hash: "ab".into(),
                rows_read: 3,
                recorded: 2,
                invalid: 1,
                duplicate_rows: 0,
                duplicate_of_earlier_import: false,
                duration_ms: 12,
            }),
        ),
        (
            "ImportProgress",
            Event::ImportProgress(ImportCheckpoint {
                file_name: "people.csv".into(),
                content_hash: "ab".into(),
                through_row: 1_000,
                recorded: 998,
            }),
        ),
        (
            "ConfigChanged",
            Event::ConfigChanged(ConfigChange {
                values: vec![
                    ("base_url".into(), Some("https://crm.example.com".into())),
                    ("drop_dir".into(), None),
                ],
                secrets: vec![("api_key".into(), true)],
                created_by: "cli".into(),
                updated_by: "ui".into(),
                created_at_ms: 1_764_000_000_000,
                updated_at_ms: 1_764_000_000_001,
            }),
        ),
        (
            "ForwardedToRelay",
            Event::ForwardedToRelay {
                intent_id: uuid(2),
                key: key(),
                already_accepted: true,
            },
        ),
        (
            "DropEntryLeftAlone",
            Event::DropEntryLeftAlone {
                name: "report.pdf".into(),
                reason: "not an import file".into(),
            },
        ),
        (
            "ServerLearned",
            Event::ServerLearned {
                server: "https://crm.example.com".into(),
                fact: ServerFact::ExternalIdField {
                    kind: EntityKind::Company,
                    field_id: "f-1".into(),
                    field_type: "TEXT".into(),
                    is_unique: true,
                },
            },
        ),
        (
            "ImportNoted",
            Event::ImportNoted(ImportNotes {
                file_name: "people.csv".into(),
                content_hash: "ab".into(),
                started_at_ms: 1_764_000_000_000,
                resumed_after_row: Some(1_000),
                warnings: vec!["ignored column not used by twenty-sync: Notes".into()],
            }),
        ),
        (
            "ConflictFound",
            Event::ConflictFound {
                intent_id: uuid(2),
                key: key(),
                conflict: Conflict {
                    field: "emails.primaryEmail".into(),
                    value: "ada@example.com".into(),
                    holder: Some(ConflictHolder {
                        twenty_id: "t-9".into(),
                        name: Some("Ada L".into()),
                        external_id: None,
                        in_trash: false,
                    }),
                },
            },
        ),
        (
            "FailureDismissed",
            Event::FailureDismissed {
                intent_id: uuid(2),
                key: key(),
                by: "cli".into(),
            },
        ),
        (
            "RecordLinked",
            Event::RecordLinked {
                intent_id: uuid(2),
                key: key(),
                twenty_id: "t-9".into(),
                by: "ui".into(),
            },
        ),
        (
            "RecordAdopted",
            Event::RecordAdopted {
                intent_id: uuid(2),
                key: key(),
                twenty_id: "t-9".into(),
                field: "emails.primaryEmail".into(),
                value: "ada@example.com".into(),
            },
        ),
    ]
}

/// One example of every fact learned of a server, in declaration order (the fact's own bytes
/// inside a `ServerLearned`).
fn facts() -> Vec<ServerFact> {
    vec![
        ServerFact::ExternalIdField {
            kind: EntityKind::Company,
            field_id: "f-1".into(),
            field_type: "TEXT".into(),
            is_unique: true,
        },
        ServerFact::ExternalIdFieldForgotten {
            kind: EntityKind::Person,
        },
        ServerFact::MetadataRoute(MetadataRoute::Rest),
        ServerFact::UpsertApplies(false),
        ServerFact::MaxBatch(200),
        ServerFact::WorkspacePopulated {
            kind: EntityKind::Person,
            populated: true,
        },
        ServerFact::DataModelRead(DataModel::new(
            vec![FieldDef {
                id: "f-2".into(),
                kind: EntityKind::Company,
                name: "category".into(),
                label: "Category".into(),
                field_type: FieldType::Select,
                options: vec![FieldOption {
                    value: "AGENCY".into(),
                    label: "Agency".into(),
                }],
                nullable: true,
                unique: false,
                active: true,
                system: false,
                origin: FieldOrigin::Custom,
            }],
            vec![],
        )),
    ]
}

const GOLDEN_FACTS: &[&str] = &[
    "000003662d31045445585401",
    "0101",
    "0201",
    "0300",
    "04c8",
    "050101",
    "0600010863617465676f727903662d32000863617465676f72790843617465676f72790653454c45435401064147454e4359064167656e637901000100010100",
];

#[test]
fn every_server_fact_has_frozen_bytes() {
    let facts = facts();
    assert_eq!(
        facts.len(),
        GOLDEN_FACTS.len(),
        "add a golden entry for the new fact"
    );
    let actual: Vec<String> = facts
        .into_iter()
        .map(|fact| hex(&bincode::serde::encode_to_vec(&fact, bincode_config()).unwrap()))
        .collect();
    assert_eq!(
        actual, GOLDEN_FACTS,
        "fact encodings changed; write a migration first"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The envelope header of the examples; a schema-1 header differs only in its first byte.
const ENVELOPE_PREFIX: &str = "02100101010101010101010101010101010107fd00d02f6d35030000";

/// The bytes of every event kind after the header, as schema 2 writes them.
const GOLDEN: &[(&str, &str)] = &[
    ("IntentRecorded", "0010020202020202020202020202020202020103702d31010c416461204c6f76656c616365010f616461406578616d706c652e636f6d000103632d31000000000000020a70656f706c652e63737603fd00d02f6d35030000040761646472657373010b61646472657373436974790005506172697309656d706c6f7965657300020231320474616773000102064147454e43590443414645087665726966696564000301"),
    ("PushSucceeded", "0110020202020202020202020202020202020103702d312461663464666165372d333366322d343262632d396534662d31613533633765653863346100090909090909090909090909090909090206656d61696c7306060606060606060606060606060606046e616d6505050505050505050505050505050505"),
];

/// The bytes of every event kind after the header, as schema 1 wrote them (before intents
/// carried other fields and successes the hash of each field).
const GOLDEN_SCHEMA_1: &[(&str, &str)] = &[
    ("IntentRecorded", "0010020202020202020202020202020202020103702d31010c416461204c6f76656c616365010f616461406578616d706c652e636f6d000103632d31000000000000020a70656f706c652e63737603fd00d02f6d35030000"),
    ("PushSucceeded", "0110020202020202020202020202020202020103702d312461663464666165372d333366322d343262632d396534662d3161353363376565386334610009090909090909090909090909090909"),
    ("PushSkipped", "0210020202020202020202020202020202020103702d31"),
    ("PushFailed", "0310020202020202020202020202020202020103702d3106104475706c696361746520456d61696c730200"),
    ("RetryRequested", "040103702d31"),
    ("MappingInvalidated", "050103702d3103742d31"),
    ("ImportCompleted", "060a70656f706c652e63737602616203020100000c"),
    ("ImportProgress", "070a70656f706c652e637376026162fbe803fbe603"),
    ("ConfigChanged", "080208626173655f75726c011768747470733a2f2f63726d2e6578616d706c652e636f6d0864726f705f6469720001076170695f6b65790103636c69027569fd00d02f6d35030000fd02d02f6d35030000"),
    ("ForwardedToRelay", "0910020202020202020202020202020202020103702d3101"),
    ("DropEntryLeftAlone", "0a0a7265706f72742e706466126e6f7420616e20696d706f72742066696c65"),
    ("ServerLearned", "0b1768747470733a2f2f63726d2e6578616d706c652e636f6d000003662d31045445585401"),
    ("ImportNoted", "0c0a70656f706c652e637376026162fd00d02f6d3503000001fbe803012d69676e6f72656420636f6c756d6e206e6f742075736564206279207477656e74792d73796e633a204e6f746573"),
    ("ConflictFound", "0d10020202020202020202020202020202020103702d3113656d61696c732e7072696d617279456d61696c0f616461406578616d706c652e636f6d0103742d390105416461204c0000"),
    ("FailureDismissed", "0e10020202020202020202020202020202020103702d3103636c69"),
    ("RecordLinked", "0f10020202020202020202020202020202020103702d3103742d39027569"),
    ("RecordAdopted", "1010020202020202020202020202020202020103702d3103742d3913656d61696c732e7072696d617279456d61696c0f616461406578616d706c652e636f6d"),
];

#[test]
fn every_event_kind_has_frozen_bytes() {
    let examples = examples();
    assert_eq!(
        examples.len(),
        GOLDEN_SCHEMA_1.len(),
        "add a golden entry for the new event kind"
    );
    let mut report = String::new();
    for ((name, event), (golden_name, golden_hex)) in examples.into_iter().zip(schema_2_golden()) {
        assert_eq!(name, golden_name);
        assert_eq!(event.kind_name(), name);
        let bytes = envelope(event).encode();
        let actual = hex(&bytes);
        assert!(
            actual.starts_with(ENVELOPE_PREFIX),
            "envelope header of {name} changed: {actual}"
        );
        let body = &actual[ENVELOPE_PREFIX.len()..];
        if body != golden_hex {
            report.push_str(&format!("    (\"{name}\", \"{body}\"),\n"));
        }
    }
    assert!(
        report.is_empty(),
        "event encodings changed; write a migration first. Now:\n{report}"
    );
}

/// Schema 2's bytes: those of schema 1 but for the two events that changed.
fn schema_2_golden() -> Vec<(&'static str, String)> {
    GOLDEN_SCHEMA_1
        .iter()
        .map(|(name, schema_1)| {
            let changed = GOLDEN.iter().find(|(changed, _)| changed == name);
            (
                *name,
                changed.map_or(*schema_1, |(_, hex)| *hex).to_string(),
            )
        })
        .collect()
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Every event kind as a schema-1 store holds it decodes to today's event: the intent without
/// other values, the success without field hashes, everything else as it was.
#[test]
fn schema_1_bytes_of_every_kind_are_upcast() {
    for ((name, event), (golden_name, body)) in examples().into_iter().zip(GOLDEN_SCHEMA_1) {
        assert_eq!(name, *golden_name);
        let bytes = unhex(&format!("01{}{body}", &ENVELOPE_PREFIX[2..]));
        let decoded = Envelope::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = match event {
            Event::IntentRecorded(intent) => Event::IntentRecorded(Intent {
                values: FieldValues::new(),
                ..intent
            }),
            Event::PushSucceeded {
                intent_id,
                key,
                twenty_id,
                outcome,
                fields_hash,
                field_hashes: _,
            } => Event::PushSucceeded {
                intent_id,
                key,
                twenty_id,
                outcome,
                fields_hash,
                field_hashes: FieldHashes::new(),
            },
            other => other,
        };
        assert_eq!(decoded, envelope(expected), "{name}");
        // Written again, it is a schema-2 envelope that reads back the same.
        assert_eq!(Envelope::decode(&decoded.encode()).unwrap(), decoded);
        assert!(hex(&decoded.encode()).starts_with("02"));
        for cut in [bytes.len() / 2, bytes.len() - 1] {
            assert!(
                Envelope::decode(&bytes[..cut]).is_err(),
                "{name} cut at {cut}"
            );
        }
    }
}

#[test]
fn envelopes_round_trip() {
    for (_, event) in examples() {
        let original = envelope(event);
        assert_eq!(Envelope::decode(&original.encode()).unwrap(), original);
    }
}

#[test]
fn truncated_or_padded_bytes_are_refused() {
    for (name, event) in examples() {
        let bytes = envelope(event).encode();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                Envelope::decode(&bytes[..cut]).is_err(),
                "{name} cut at {cut}"
            );
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert!(matches!(
            Envelope::decode(&padded),
            Err(DecodeError::TrailingBytes { trailing: 1 })
        ));
    }
}

#[test]
fn envelopes_from_a_newer_schema_are_refused_with_advice() {
    let mut newer = envelope(Event::RetryRequested { key: key() }).encode();
    newer[0] = (SCHEMA_VERSION + 1) as u8;
    let error = Envelope::decode(&newer).unwrap_err();
    assert!(matches!(error, DecodeError::TooNew { .. }));
    assert!(error.to_string().contains("upgrade twenty-sync"));
}

#[test]
fn hostile_length_prefixes_do_not_allocate() {
    // schema 1, then a 16-byte id, then a string length claiming 2^60 bytes.
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&[0u8; 16]);
    bytes.extend_from_slice(&[7, 0, 0]);
    bytes.push(0xff);
    bytes.extend_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(Envelope::decode(&bytes).is_err());
}

mod without_values;
