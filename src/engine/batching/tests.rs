//! Batch sizes as case tables: the size in force, what a refusal says of the largest batch, and
//! lookups grouped within one URL.

use super::*;
use crate::config::Secret;
use crate::twenty::error::{classify_status, Redactor};

fn answer(status: u16, body: &str) -> TwentyError {
    let redactor = Redactor::new(Secret::new("key-0123456789"));
    classify_status(status, body.as_bytes(), None, &redactor)
}

const CAP_200: &str = r#"{"statusCode":400,"error":"BadRequestException","messages":["Maximum number of records to upsert is 200."]}"#;

#[test]
fn the_size_in_force_is_the_setting_within_what_the_server_takes() {
    // (setting, learned largest batch) → records per request
    let cases = [
        (BatchSize::Auto, None, 200),
        (BatchSize::Auto, Some(60), 60),
        (BatchSize::Auto, Some(1_000), 200),
        (BatchSize::Fixed(60), None, 60),
        (BatchSize::Fixed(150), Some(100), 100),
        (BatchSize::Fixed(1), None, 1),
        (BatchSize::Auto, Some(0), 1),
    ];
    for (setting, learned, expected) in cases {
        assert_eq!(
            BatchLimit::new(setting, learned).size(),
            expected,
            "{setting} {learned:?}"
        );
    }
    let mut limit = BatchLimit::new(BatchSize::Auto, None);
    limit.learn(120);
    assert_eq!((limit.size(), limit.learned()), (120, Some(120)));
    limit.learn(150);
    assert_eq!(limit.size(), 120, "a larger refusal never raises it");
    limit.learn(0);
    assert_eq!(limit.size(), 1, "never below 1");
}

#[test]
fn a_refusal_names_the_largest_batch_or_is_halved() {
    assert_eq!(
        named_maximum("Maximum number of records to upsert is 200."),
        Some(200)
    );
    assert_eq!(
        named_maximum("maximum number of records to create is 60"),
        Some(60)
    );
    assert_eq!(named_maximum("A duplicate entry was detected"), None);
    assert_eq!(named_maximum("Maximum number of records is 0."), None);
    // (answer, records sent) → the size to use instead
    let cases = [
        (answer(400, CAP_200), 201, Some(200)),
        (answer(400, CAP_200), 3_000, Some(200)),
        (answer(400, CAP_200), 200, None),
        (answer(413, "request entity too large"), 200, Some(100)),
        (answer(413, ""), 1, None),
        (
            answer(
                400,
                r#"{"statusCode":400,"messages":["name must be a string"]}"#,
            ),
            200,
            None,
        ),
        (answer(500, ""), 200, None),
    ];
    for (error, sent, expected) in cases {
        assert_eq!(accepted_size(&error, sent), expected, "{error} ({sent})");
    }
}

#[test]
fn lookups_are_grouped_within_one_url_and_one_batch() {
    let items: Vec<usize> = (0..10).collect();
    // At most 4 per group.
    let groups = within_url(items.clone(), 4, 0, |_| 1);
    assert_eq!(groups, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    // Each item a quarter of the URL budget: three per group once the base is counted.
    let quarter = wire::MAX_LOOKUP_URL_BYTES / 4;
    let groups = within_url(items, 200, 100, |_| quarter);
    assert!(
        groups.iter().all(|g| g.len() == 3 || g == &vec![9]),
        "{groups:?}"
    );
    // An item larger than the budget still goes, alone.
    let groups = within_url(vec![1, 2], 200, 0, |_| wire::MAX_LOOKUP_URL_BYTES * 2);
    assert_eq!(groups, vec![vec![1], vec![2]]);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Groups keep every item in order; none holds more than asked, and none goes over the
        /// URL budget unless it is one item alone.
        #[test]
        fn lookups_fit_their_url(
            costs in prop::collection::vec(1usize..3_000, 0..120),
            max_items in 1usize..250,
            base in 0usize..500,
        ) {
            let items: Vec<(usize, usize)> = costs.into_iter().enumerate().collect();
            let groups = within_url(items.clone(), max_items, base, |(_, cost)| *cost);
            let flat: Vec<(usize, usize)> = groups.iter().flatten().copied().collect();
            prop_assert_eq!(flat, items);
            for group in &groups {
                prop_assert!(!group.is_empty() && group.len() <= max_items);
                let length = base + group.iter().map(|(_, c)| c).sum::<usize>();
                prop_assert!(group.len() == 1 || length <= wire::MAX_LOOKUP_URL_BYTES);
            }
        }
    }
}
