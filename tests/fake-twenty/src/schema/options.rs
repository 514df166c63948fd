//! Options of SELECT / MULTI_SELECT / RATING fields, the metadata `defaultValue` of each type,
//! and the custom fields of a directory owner's workspace (issue 15).

use serde_json::{json, Value};
use uuid::Uuid;

use super::{FieldDef, FieldType, ObjectDef, ObjectKind};
use crate::config::Profile;

/// One option of a SELECT, MULTI_SELECT or RATING field, as the metadata serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldOption {
    pub id: String,
    pub value: String,
    pub label: String,
    /// `None` for RATING options (Twenty generates them without a color).
    pub color: Option<String>,
    pub position: u32,
}

impl FieldOption {
    pub fn new(value: &str, label: &str, color: Option<&str>, position: u32) -> FieldOption {
        FieldOption {
            id: Uuid::new_v4().to_string(),
            value: value.into(),
            label: label.into(),
            color: color.map(str::to_string),
            position,
        }
    }

    /// `SELECT`/`MULTI_SELECT` options from `(value, label)` pairs, colored in turn.
    pub fn list(pairs: &[(&str, &str)]) -> Vec<FieldOption> {
        const COLORS: [&str; 8] = [
            "green",
            "turquoise",
            "sky",
            "blue",
            "purple",
            "pink",
            "red",
            "orange",
        ];
        pairs
            .iter()
            .enumerate()
            .map(|(i, (value, label))| {
                FieldOption::new(value, label, Some(COLORS[i % COLORS.len()]), i as u32)
            })
            .collect()
    }

    /// The five options Twenty gives a RATING field: `RATING_1` … `RATING_5`, labelled 1 … 5.
    pub fn rating() -> Vec<FieldOption> {
        (1..=5)
            .map(|n| FieldOption::new(&format!("RATING_{n}"), &n.to_string(), None, n - 1))
            .collect()
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "value": self.value, "label": self.label, "position": self.position,
        });
        if let Some(color) = &self.color {
            v["color"] = json!(color);
        }
        v
    }
}

/// The metadata `defaultValue` Twenty gives a field of this type (`generateDefaultValue` in
/// `packages/twenty-server/src/engine/metadata-modules/field-metadata/utils/`): text parts as
/// the SQL literal `''`, the rest null.
pub fn meta_default(t: FieldType) -> Value {
    let q = json!("''");
    match t {
        FieldType::Text => q,
        FieldType::Boolean => json!(false),
        FieldType::Uuid => json!("uuid"),
        FieldType::Position => json!(0),
        FieldType::FullName => json!({"firstName": q, "lastName": q}),
        FieldType::Emails => json!({"primaryEmail": q, "additionalEmails": null}),
        FieldType::Links => {
            json!({"primaryLinkUrl": q, "primaryLinkLabel": q, "secondaryLinks": null})
        }
        FieldType::Phones => json!({
            "primaryPhoneNumber": q, "primaryPhoneCountryCode": q,
            "primaryPhoneCallingCode": q, "additionalPhones": null
        }),
        FieldType::Address => json!({
            "addressStreet1": q, "addressStreet2": q, "addressCity": q, "addressPostcode": q,
            "addressState": q, "addressCountry": q, "addressLat": null, "addressLng": null
        }),
        FieldType::Currency => json!({"amountMicros": null, "currencyCode": q}),
        FieldType::Actor => {
            json!({"source": "'MANUAL'", "name": "'System'", "workspaceMemberId": null})
        }
        _ => Value::Null,
    }
}

/// The options of the directory model's `category` select (and `tags` multi-select), the same
/// values and labels as the field module's test workspace (`src/domain/fields/tests`).
pub const CATEGORY_OPTIONS: &[(&str, &str)] = &[
    ("AGENCY", "Agency"),
    ("FINTECH", "Fintech"),
    ("IN_PROGRESS", "In progress"),
    ("CAFE", "Café"),
    ("A_B", "A, B"),
];

/// The options of the person `seniority` select of the directory model.
pub const SENIORITY_OPTIONS: &[(&str, &str)] =
    &[("JUNIOR", "Junior"), ("SENIOR", "Senior"), ("LEAD", "Lead")];

/// The dev seed's work-policy options (`workPolicy`, `workPreference`).
pub(super) const WORK_POLICY_OPTIONS: &[(&str, &str)] = &[
    ("ON_SITE", "On-Site"),
    ("HYBRID", "Hybrid"),
    ("REMOTE_WORK", "Remote Work"),
];

/// Default record value for a standard field of this type (before profile tweaks).
pub fn standard_default(t: FieldType) -> Value {
    match t {
        FieldType::Text => json!(""),
        FieldType::Boolean => json!(false),
        FieldType::FullName => json!({"firstName": "", "lastName": ""}),
        FieldType::Emails => json!({"primaryEmail": "", "additionalEmails": null}),
        FieldType::Links => {
            json!({"primaryLinkLabel": "", "primaryLinkUrl": "", "secondaryLinks": null})
        }
        FieldType::Phones => json!({
            "primaryPhoneNumber": "", "primaryPhoneCountryCode": "",
            "primaryPhoneCallingCode": "", "additionalPhones": null
        }),
        FieldType::Address => json!({
            "addressStreet1": "", "addressStreet2": "", "addressCity": "", "addressPostcode": "",
            "addressState": "", "addressCountry": "", "addressLat": null, "addressLng": null
        }),
        FieldType::Currency => json!({"amountMicros": null, "currencyCode": ""}),
        _ => Value::Null,
    }
}

impl ObjectDef {
    /// The custom fields a directory owner made (issue 15): on company one of every type
    /// Twenty Sync writes, on person a select and a text.
    pub fn directory_fields(kind: ObjectKind, profile: Profile) -> Vec<FieldDef> {
        use FieldType as T;
        let c = |name: &str, label: &str, t: FieldType| {
            Self::custom_field(profile, name, label, t, false, Some(true), None)
        };
        let with = |mut f: FieldDef, pairs: &[(&str, &str)]| {
            f.options = FieldOption::list(pairs);
            f
        };
        match kind {
            ObjectKind::Companies => vec![
                with(c("category", "Category", T::Select), CATEGORY_OPTIONS),
                with(c("tags", "Tags", T::MultiSelect), CATEGORY_OPTIONS),
                c("listingUrl", "Listing URL", T::Links),
                c("rating", "Rating", T::Rating),
                c("foundedOn", "Founded on", T::Date),
                c("lastReviewedAt", "Last reviewed at", T::DateTime),
                c("score", "Score", T::Numeric),
                c("aliases", "Aliases", T::Array),
                c("extra", "Extra", T::RawJson),
                c("verified", "Verified", T::Boolean),
            ],
            ObjectKind::People => vec![
                with(c("seniority", "Seniority", T::Select), SENIORITY_OPTIONS),
                c("nickname", "Nickname", T::Text),
            ],
        }
    }
}
