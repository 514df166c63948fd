//! Unit tests of the filter grammar and evaluation: leaves, nesting, the real error messages,
//! hostile inputs, matching and the `LIKE` matcher.

use super::*;
use crate::config::Profile;
use crate::schema::{ObjectDef, ObjectKind};
use serde_json::json;

fn person() -> ObjectDef {
    ObjectDef::standard(ObjectKind::People, Profile::Legacy2025)
}

fn p(s: &str) -> Result<Filter, String> {
    parse(s, &person(), Profile::Legacy2025)
}

fn leaf(path: &str, op: Op, operand: Operand) -> Filter {
    Filter::Leaf {
        path: path.split('.').map(str::to_string).collect(),
        op,
        operand,
    }
}

#[test]
fn parses_leaf_and_default_conjunction() {
    assert_eq!(
        p("emails.primaryEmail[eq]:\"ada@example.com\"").unwrap(),
        Filter::And(vec![leaf(
            "emails.primaryEmail",
            Op::Eq,
            Operand::Single("ada@example.com".into())
        )])
    );
    assert_eq!(
        p("city[eq]:London,jobTitle[neq]:'x'").unwrap(),
        Filter::And(vec![
            leaf("city", Op::Eq, Operand::Single("London".into())),
            leaf("jobTitle", Op::Neq, Operand::Single("x".into())),
        ])
    );
}

#[test]
fn parses_nesting_in_and_is() {
    let f = p("or(name.firstName[in]:[\"Ada\",\"James, Jr\"],not(companyId[is]:NULL))").unwrap();
    assert_eq!(
        f,
        Filter::Or(vec![
            leaf(
                "name.firstName",
                Op::In,
                Operand::List(vec!["Ada".into(), "James, Jr".into()])
            ),
            Filter::Not(Box::new(leaf("companyId", Op::Is, Operand::Null))),
        ])
    );
    assert!(mentions_field(
        &p("or(deletedAt[is]:NULL,deletedAt[is]:NOT_NULL)").unwrap(),
        "deletedAt"
    ));
    assert!(!mentions_field(&f, "deletedAt"));
}

#[test]
fn real_error_messages() {
    assert_eq!(
        p("foo[eq]:1").unwrap_err(),
        "field 'foo' does not exist in 'person' object"
    );
    assert_eq!(
        p("name[xx]:\"a\"").unwrap_err(),
        "'filter' invalid for 'name[xx]:\"a\"', comparator xx not in eq, neq, in, containsAny, is, gt, gte, lt, lte, startsWith, like, ilike"
    );
    assert_eq!(
        p("name").unwrap_err(),
        "'filter' invalid for 'name'. eg: price[gte]:10"
    );
    assert_eq!(
        p("name[eq]").unwrap_err(),
        "'filter' invalid for 'name[eq]'. eg: price[gte]:10"
    );
    assert_eq!(
        p("and(name[eq]:\"a\"").unwrap_err(),
        "'filter' invalid. 1 close bracket is missing in the query"
    );
    assert_eq!(
        p("city[eq]:a))").unwrap_err(),
        "'filter' invalid. 2 open brackets are missing in the query"
    );
    assert!(p("not(city[eq]:a,city[eq]:b)")
        .unwrap_err()
        .contains("'not' conjunction should contain only 1 condition"));
    assert!(p("city[in]:a,b")
        .unwrap_err()
        .starts_with("'filter' invalid for 'in' operator. Received 'a'"));
    assert_eq!(
        p("emails.nope[eq]:1").unwrap_err(),
        "field 'emails.nope' does not exist in 'person' object"
    );
    // endsWith only exists on newer builds.
    assert!(p("city[endsWith]:x").is_err());
    assert!(parse("city[endsWith]:x", &person(), Profile::Current).is_ok());
}

#[test]
fn hostile_inputs_do_not_panic() {
    for s in [
        "",
        "[",
        "]:",
        "[]:",
        "a[]:",
        "[eq]:x",
        "a[eq]:",
        "and()",
        "or(,)",
        "not()",
        "((((",
        "a[eq]:\"",
        "a[in]:[",
        "a[in]:]",
        "é[eq]:ü",
        "and(and(and(a[eq]:1)))",
        ",,,",
        "a]b[eq]:1",
        "city[eq]:\"unterminated,x[eq]:1",
    ] {
        let _ = p(s);
    }
    let deep = format!("{}city[eq]:1{}", "and(".repeat(200), ")".repeat(200));
    assert!(p(&deep).is_err());
}

#[test]
fn evaluation() {
    let obj = person();
    let rec = json!({
        "name": {"firstName": "Ada", "lastName": "Lovelace"},
        "emails": {"primaryEmail": "ada@example.com", "additionalEmails": ["a@b.c"]},
        "city": "London", "companyId": null, "jobTitle": "",
        "createdAt": "2024-05-01T10:00:00.000Z", "position": 3, "deletedAt": null
    });
    let m = |s: &str| matches(&parse(s, &obj, Profile::Current).unwrap(), &rec, &obj);
    assert!(m("emails.primaryEmail[eq]:ada@example.com"));
    assert!(!m("emails.primaryEmail[eq]:ADA@example.com"));
    assert!(m("name.lastName[ilike]:\"%LOVE%\""));
    assert!(!m("name.lastName[like]:\"%LOVE%\""));
    assert!(m("name.firstName[like]:A_a"));
    assert!(m("city[startsWith]:Lon"));
    assert!(m("city[endsWith]:don"));
    assert!(m("companyId[is]:NULL"));
    assert!(!m("companyId[is]:NOT_NULL"));
    assert!(m("jobTitle[is]:NOT_NULL"));
    assert!(m("createdAt[gte]:\"2024-01-01\""));
    assert!(!m("createdAt[lt]:2024-01-01"));
    assert!(m("position[gt]:2"));
    assert!(!m("position[gte]:abc"));
    assert!(m("or(city[eq]:Paris,city[eq]:London)"));
    assert!(!m("and(city[eq]:Paris,city[eq]:London)"));
    assert!(m("not(city[eq]:Paris)"));
    assert!(!m("companyId[neq]:x"), "NULL never matches neq");
    assert!(m("city[in]:[\"Paris\",'London']"));
    assert!(!m("city[in]:[]"));
    assert!(m("emails.additionalEmails[containsAny]:[\"a@b.c\"]"));
    assert!(m("deletedAt[is]:NULL"));
}

#[test]
fn like_matcher() {
    assert!(like("hello", "h%o", false));
    assert!(like("hello", "%", false));
    assert!(like("", "%", false));
    assert!(!like("hello", "h%x", false));
    assert!(like("50%", "50\\%", false));
    assert!(like("abcabc", "%abc", false));
}
