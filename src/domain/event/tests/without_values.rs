//! `Envelope::decode_without_values`: the same envelope with its intent's values left out, every
//! value still checked, and the values back for the next reader on the same thread.

use super::*;

/// An intent with one value of every kind a cell can hold.
fn intent_with_every_kind_of_value() -> Envelope {
    let mut values = values();
    let mut set = |field: &str, value: CellValue| values.set(FieldTarget::new(field, None), value);
    set("amount", CellValue::Micros(-12_500_000));
    set("extra", CellValue::Json(r#"{"a":[1,"é"]}"#.into()));
    set(
        "owner",
        CellValue::FullName {
            first: "Zoë".into(),
            last: "Ünal".into(),
        },
    );
    set(
        "linkedinLink",
        CellValue::Text("https://example.com/a-long-enough-address".into()),
    );
    let Event::IntentRecorded(mut intent) = examples().swap_remove(0).1 else {
        panic!("the first example is an intent");
    };
    intent.values = values;
    envelope(Event::IntentRecorded(intent))
}

/// What decoding without values gives: the envelope with its intent's values left out.
fn without_values(mut envelope: Envelope) -> Envelope {
    if let Event::IntentRecorded(intent) = &mut envelope.event {
        intent.values = FieldValues::new();
    }
    envelope
}

#[test]
fn decoding_without_values_is_decoding_with_the_values_left_out() {
    let mut originals: Vec<Envelope> = examples().into_iter().map(|(_, e)| envelope(e)).collect();
    originals.push(intent_with_every_kind_of_value());
    for original in originals {
        let bytes = original.encode();
        let decoded = Envelope::decode_without_values(&bytes).expect("decodes");
        assert_eq!(decoded, without_values(original.clone()));
        // The values are back for the next reader on the same thread.
        assert_eq!(Envelope::decode(&bytes).expect("decodes"), original);
    }
    for (name, body) in GOLDEN_SCHEMA_1 {
        let bytes = unhex(&format!("01{}{body}", &ENVELOPE_PREFIX[2..]));
        assert_eq!(
            Envelope::decode_without_values(&bytes).expect("schema 1"),
            Envelope::decode(&bytes).expect("schema 1"),
            "{name}"
        );
    }
}

#[test]
fn decoding_without_values_still_checks_them() {
    let original = intent_with_every_kind_of_value();
    let bytes = original.encode();
    for cut in [bytes.len() / 2, bytes.len() - 1] {
        assert!(
            Envelope::decode_without_values(&bytes[..cut]).is_err(),
            "cut at {cut}"
        );
    }
    // "Zoë" is the last non-ASCII text: its 'ë' made invalid UTF-8 is refused.
    let at = bytes
        .windows(3)
        .position(|w| w == "Zoë".as_bytes()[1..].as_ref())
        .expect("the name is stored as it is");
    let mut broken = bytes.clone();
    broken[at + 1] = 0xff;
    assert!(Envelope::decode_without_values(&broken).is_err());
    assert!(Envelope::decode(&broken).is_err());
    // A refusal does not leave values skipped for the next reader.
    assert_eq!(Envelope::decode(&bytes).expect("decodes"), original);
}
