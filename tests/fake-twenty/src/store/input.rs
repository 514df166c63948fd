//! Input processing: validating a create/update body against the object's fields and
//! normalising it the way the real server stores it (composites completed, emails lower-cased,
//! URL origins lower-cased), with the real type and unknown-field errors.

use serde_json::{json, Map, Value};

use crate::config::Profile;
use crate::errors::ApiError;
use crate::schema::{FieldDef, FieldType, ObjectKind};
use crate::util::is_valid_uuid;

use super::checks;

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

    /// A value Twenty's validators refuse: 2.4.0's message and code; the Aug-2025 build's
    /// envelope (see `checks` for which words it is known to use).
    fn args_error(&self, message: String) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::bad_request(message),
            Profile::Current => ApiError::bad_request(message).with_code("INVALID_ARGS_DATA"),
        }
    }

    pub(super) fn normalize_field(
        &self,
        field: &FieldDef,
        value: &Value,
        singular: &str,
    ) -> Result<Value, ApiError> {
        let legacy = self.profile == Profile::Legacy2025;
        // A plain type mismatch: the Aug-2025 build's message, else 2.4.0's validator's.
        let typed = |check: Result<(), String>| -> Result<(), ApiError> {
            check.map_err(|message| match legacy {
                true => type_error(self.profile, singular, &field.name, value),
                false => self.args_error(message),
            })
        };
        // A value outside the field's options: Twenty's validator's message on both builds.
        let choice = |check: Result<(), String>| -> Result<(), ApiError> {
            check.map_err(|message| self.args_error(message))
        };
        let t = field.ftype;
        if t.is_composite() {
            typed(checks::composite(value, field))?;
            let parsed;
            let value = match value {
                Value::String(s) => {
                    parsed = serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
                    &parsed
                }
                other => other,
            };
            let empty = Map::new();
            let obj = match value {
                Value::Object(o) => o,
                _ => &empty,
            };
            for (k, v) in obj {
                if !t.subfields().contains(&k.as_str()) {
                    return Err(self.args_error(checks::unknown_subfield(field, k)));
                }
                typed(checks::subfield(field, k, v))?;
            }
            return self
                .complete_composite(field, obj)
                .ok_or_else(|| type_error(self.profile, singular, &field.name, value));
        }
        let name = field.name.as_str();
        Ok(match t {
            FieldType::Uuid | FieldType::Relation => match value {
                Value::Null => Value::Null,
                Value::String(s) if is_valid_uuid(s) => json!(s.to_lowercase()),
                Value::String(s) => {
                    return Err(ApiError::bad_request(format!(
                        "invalid input syntax for type uuid: \"{s}\""
                    )))
                }
                _ => return Err(type_error(self.profile, singular, name, value)),
            },
            FieldType::Text | FieldType::TsVector => {
                typed(checks::text(value, name))?;
                value.clone()
            }
            FieldType::Number | FieldType::Position => {
                typed(checks::number(value, name))?;
                value.clone()
            }
            FieldType::Numeric => {
                typed(checks::numeric(value, name))?;
                match value {
                    Value::String(s) if s.is_empty() => Value::Null,
                    other => other.clone(),
                }
            }
            FieldType::Boolean => {
                typed(checks::boolean(value, name))?;
                value.clone()
            }
            FieldType::Date => {
                typed(checks::date(value, name))?;
                match value {
                    // A date-time given for a DATE keeps its day.
                    Value::String(s) if s.len() > 10 => json!(s[..10]),
                    other => other.clone(),
                }
            }
            FieldType::DateTime => {
                typed(checks::date_time(value, name))?;
                value.clone()
            }
            FieldType::Select | FieldType::Rating => {
                typed(checks::text(value, name))?;
                choice(checks::select(value, field))?;
                value.clone()
            }
            FieldType::MultiSelect | FieldType::Array => {
                typed(checks::array(value, name))?;
                if t == FieldType::MultiSelect {
                    choice(checks::multi_select(value, field))?;
                }
                match value {
                    Value::String(s) => json!([s]),
                    other => other.clone(),
                }
            }
            FieldType::RawJson => {
                typed(checks::raw_json(value, name))?;
                match value {
                    Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                    other => other.clone(),
                }
            }
            _ => return Err(type_error(self.profile, singular, name, value)),
        })
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
