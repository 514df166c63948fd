//! Input processing: validating a create/update body against the object's fields and
//! normalising it the way the real server stores it (composites completed, emails lower-cased,
//! URL origins lower-cased), with the real type and unknown-field errors.

use serde_json::{json, Map, Value};

use crate::config::Profile;
use crate::errors::ApiError;
use crate::schema::{FieldDef, FieldType, ObjectKind};
use crate::util::{is_valid_uuid, parse_iso_millis};

use super::World;

/// Lower-cases the origin (scheme + host) of a URL and removes trailing slashes.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let (scheme, rest) = match url.find("://") {
        Some(i) => (url[..i + 3].to_lowercase(), &url[i + 3..]),
        None => (String::new(), url),
    };
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let mut out = format!("{scheme}{}{}", rest[..cut].to_lowercase(), &rest[cut..]);
    while out.ends_with('/') {
        out.pop();
    }
    out
}

fn type_error(profile: Profile, singular: &str, field: &str, value: &Value) -> ApiError {
    match profile {
        Profile::Legacy2025 => ApiError::new(
            400,
            "BadRequestException",
            format!("Invalid value '{value}' for field \"{field}\" of object {singular}"),
        ),
        Profile::Current => ApiError::bad_request(format!(
            "Invalid value '{value}' for field \"{field}\" of object {singular}"
        ))
        .with_code("INVALID_ARGS_DATA"),
    }
}

impl World {
    /// Validates and normalises a create/update body. Returns only the provided fields, with
    /// composite values completed (unsent subfields filled as the real server does).
    pub fn prepare_input(
        &self,
        kind: ObjectKind,
        body: &Value,
    ) -> Result<Map<String, Value>, ApiError> {
        let Value::Object(obj) = body else {
            return Err(ApiError::bad_request(format!(
                "Invalid input: a {} object was expected",
                kind.singular()
            )));
        };
        let def = &self.table(kind).def;
        let singular = kind.singular();
        let mut out = Map::new();
        for (name, value) in obj {
            let Some(field) = def.field(name) else {
                return Err(self.unknown_field_error(kind, name));
            };
            if name == "id" {
                match value {
                    Value::String(s) if is_valid_uuid(s) => {
                        out.insert("id".into(), json!(s.to_lowercase()));
                    }
                    Value::Null => {}
                    other => {
                        let shown = other
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or(other.to_string());
                        return Err(ApiError::bad_request(format!(
                            "'{shown}' is not a valid UUID"
                        )));
                    }
                }
                continue;
            }
            if !field.writable {
                // createdBy / searchVector are computed by the server.
                continue;
            }
            let v = self.normalize_field(field, value, singular)?;
            out.insert(name.clone(), v);
        }
        if let Some(Value::String(cid)) = out.get("companyId") {
            if !self.table(ObjectKind::Companies).rows.contains_key(cid) {
                return Err(ApiError::bad_request(format!(
                    "insert or update on table \"person\" violates foreign key constraint \"FK_person_companyId\": Key (companyId)=({cid}) is not present in table \"company\"."
                )));
            }
        }
        Ok(out)
    }

    pub(super) fn normalize_field(
        &self,
        field: &FieldDef,
        value: &Value,
        singular: &str,
    ) -> Result<Value, ApiError> {
        let bad = || type_error(self.profile, singular, &field.name, value);
        let t = field.ftype;
        if t.is_composite() {
            let empty = Map::new();
            let obj = match value {
                Value::Object(o) => o,
                Value::Null => &empty,
                _ => return Err(bad()),
            };
            for k in obj.keys() {
                if !t.subfields().contains(&k.as_str()) {
                    return Err(self.unknown_field_error_sub(field, k));
                }
            }
            return self.complete_composite(field, obj).ok_or_else(bad);
        }
        Ok(match (t, value) {
            (_, Value::Null) => Value::Null,
            (FieldType::Text | FieldType::Select, Value::String(s)) => json!(s),
            (FieldType::Number | FieldType::Position | FieldType::Rating, Value::Number(_)) => {
                value.clone()
            }
            (FieldType::Rating, Value::String(_)) => value.clone(),
            (FieldType::Boolean, Value::Bool(_)) => value.clone(),
            (FieldType::DateTime, Value::String(s)) if parse_iso_millis(s).is_some() => {
                value.clone()
            }
            (FieldType::Uuid | FieldType::Relation, Value::String(s)) if is_valid_uuid(s) => {
                json!(s.to_lowercase())
            }
            (FieldType::Uuid | FieldType::Relation, Value::String(s)) => {
                return Err(ApiError::bad_request(format!(
                    "invalid input syntax for type uuid: \"{s}\""
                )))
            }
            (FieldType::MultiSelect, Value::Array(_)) => value.clone(),
            (FieldType::RawJson, _) => value.clone(),
            _ => return Err(bad()),
        })
    }

    fn unknown_field_error_sub(&self, field: &FieldDef, sub: &str) -> ApiError {
        ApiError::bad_request(format!(
            "Subfield \"{sub}\" does not exist in composite field \"{}\" ({})",
            field.name,
            field.ftype.as_str()
        ))
    }

    /// Fills a sent composite the way the server stores it. `None` on a subfield type error.
    fn complete_composite(&self, field: &FieldDef, o: &Map<String, Value>) -> Option<Value> {
        let text = |k: &str, default: Value| -> Option<Value> {
            match o.get(k) {
                None => Some(default),
                Some(Value::Null) => Some(Value::Null),
                Some(Value::String(s)) => Some(json!(s)),
                Some(_) => None,
            }
        };
        let num = |k: &str| -> Option<Value> {
            match o.get(k) {
                None | Some(Value::Null) => Some(Value::Null),
                Some(v @ Value::Number(_)) => Some(v.clone()),
                Some(Value::String(s)) => s.parse::<f64>().ok().map(|_| json!(s)),
                Some(_) => None,
            }
        };
        let arr = |k: &str, default: Value| -> Option<Value> {
            match o.get(k) {
                None => Some(default),
                Some(Value::Null) => Some(Value::Null),
                Some(Value::Array(a)) => Some(Value::Array(a.clone())),
                Some(_) => None,
            }
        };
        Some(match field.ftype {
            FieldType::FullName => json!({
                "firstName": text("firstName", json!(""))?,
                "lastName": text("lastName", json!(""))?,
            }),
            FieldType::Emails => {
                let empty_primary = match self.profile {
                    Profile::Legacy2025 => json!(""),
                    Profile::Current => Value::Null,
                };
                let primary = match text("primaryEmail", empty_primary.clone())? {
                    Value::String(s) if s.trim().is_empty() => empty_primary,
                    Value::String(s) => json!(s.trim().to_lowercase()),
                    other => other,
                };
                let additional = match arr("additionalEmails", Value::Null)? {
                    Value::Array(a) => Value::Array(
                        a.iter()
                            .map(|e| match e {
                                Value::String(s) => Some(json!(s.trim().to_lowercase())),
                                _ => None,
                            })
                            .collect::<Option<Vec<_>>>()?,
                    ),
                    other => other,
                };
                json!({"primaryEmail": primary, "additionalEmails": additional})
            }
            FieldType::Links => {
                let url = match text("primaryLinkUrl", json!(""))? {
                    Value::String(s) => json!(normalize_url(&s)),
                    other => other,
                };
                let secondary = match arr("secondaryLinks", json!([]))? {
                    Value::Array(a) => Value::Array(
                        a.iter()
                            .map(|l| {
                                let l = l.as_object()?;
                                let url = match l.get("url") {
                                    Some(Value::String(s)) => json!(normalize_url(s)),
                                    None | Some(Value::Null) => Value::Null,
                                    Some(_) => return None,
                                };
                                Some(json!({"url": url, "label": l.get("label").cloned().unwrap_or(json!(""))}))
                            })
                            .collect::<Option<Vec<_>>>()?,
                    ),
                    other => other,
                };
                json!({
                    "primaryLinkLabel": text("primaryLinkLabel", Value::Null)?,
                    "primaryLinkUrl": url,
                    "secondaryLinks": secondary,
                })
            }
            FieldType::Phones => json!({
                "primaryPhoneNumber": text("primaryPhoneNumber", json!(""))?,
                "primaryPhoneCountryCode": text("primaryPhoneCountryCode", json!(""))?,
                "primaryPhoneCallingCode": text("primaryPhoneCallingCode", json!(""))?,
                "additionalPhones": arr("additionalPhones", Value::Null)?,
            }),
            FieldType::Address => json!({
                "addressStreet1": text("addressStreet1", json!(""))?,
                "addressStreet2": text("addressStreet2", json!(""))?,
                "addressCity": text("addressCity", json!(""))?,
                "addressPostcode": text("addressPostcode", json!(""))?,
                "addressState": text("addressState", json!(""))?,
                "addressCountry": text("addressCountry", json!(""))?,
                "addressLat": num("addressLat")?,
                "addressLng": num("addressLng")?,
            }),
            FieldType::Currency => json!({
                "amountMicros": num("amountMicros")?,
                "currencyCode": text("currencyCode", json!(""))?,
            }),
            _ => Value::Object(o.clone()),
        })
    }
}
