//! The record store: tables of people and companies, input validation and normalisation, unique
//! constraints (including soft-deleted rows), all-or-nothing creates, upsert, update, delete.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::config::{MetadataListShape, Profile};
use crate::errors::ApiError;
use crate::schema::{FieldDef, FieldType, ObjectDef, ObjectKind};
use crate::util::{is_valid_uuid, now_iso, parse_iso_millis};

/// State of the one API key.
#[derive(Debug, Clone)]
pub struct KeyState {
    pub key: String,
    pub name: String,
    pub revoked: bool,
    /// Keys that were replaced or revoked earlier (answered as revoked).
    pub old_keys: Vec<String>,
    pub read_only: bool,
    pub can_edit_data_model: bool,
}

/// One object's metadata and rows (keyed by id, so iteration is the default `id` order).
#[derive(Debug, Clone)]
pub struct Table {
    pub def: ObjectDef,
    pub rows: BTreeMap<String, Value>,
}

/// Everything mutable about the fake workspace; lives behind one `std::sync::Mutex`.
#[derive(Debug)]
pub struct World {
    pub profile: Profile,
    pub tables: [Table; 2],
    pub keys: KeyState,
    pub metadata_list_shape: MetadataListShape,
    pub batch_cap_override: Option<usize>,
    /// The objects besides companies and people, and how metadata answers are shaped.
    pub model: crate::metadata::MetadataModel,
}

fn is_deleted(rec: &Value) -> bool {
    !rec["deletedAt"].is_null()
}

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

/// Simplified Postgres `tsvector` text like `'ada':1 'lovelace':2`.
fn search_vector(kind: ObjectKind, rec: &Value) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut push_words = |s: &str| {
        for w in s.split_whitespace() {
            let w = w.to_lowercase();
            if !w.is_empty() {
                words.push(w);
            }
        }
    };
    match kind {
        ObjectKind::People => {
            push_words(rec["name"]["firstName"].as_str().unwrap_or(""));
            push_words(rec["name"]["lastName"].as_str().unwrap_or(""));
            if let Some(e) = rec["emails"]["primaryEmail"]
                .as_str()
                .filter(|e| !e.is_empty())
            {
                push_words(e);
                if let Some((_, d)) = e.split_once('@') {
                    push_words(d);
                }
            }
            push_words(rec["jobTitle"].as_str().unwrap_or(""));
        }
        ObjectKind::Companies => {
            push_words(rec["name"].as_str().unwrap_or(""));
            // Postgres' parser drops a URL's scheme: `https://a.com` gives `'a.com'`.
            let url = rec["domainName"]["primaryLinkUrl"].as_str().unwrap_or("");
            push_words(url.split_once("://").map_or(url, |(_, rest)| rest));
        }
    }
    let mut pairs: Vec<(String, usize)> = words
        .into_iter()
        .enumerate()
        .map(|(i, w)| (w.replace('\'', "''"), i + 1))
        .collect();
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0);
    pairs
        .iter()
        .map(|(w, i)| format!("'{w}':{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Value of a unique constraint for a record, `None` when empty/null (never collides).
fn unique_value<'a>(field: &FieldDef, rec: &'a Value) -> Option<std::borrow::Cow<'a, str>> {
    let v = match field.ftype {
        FieldType::Emails => &rec[&field.name]["primaryEmail"],
        FieldType::Links => &rec[&field.name]["primaryLinkUrl"],
        _ => &rec[&field.name],
    };
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        other => Some(std::borrow::Cow::Owned(other.to_string())),
    }
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
    pub fn new(profile: Profile, keys: KeyState) -> Self {
        World {
            profile,
            tables: [
                Table {
                    def: ObjectDef::standard(ObjectKind::Companies, profile),
                    rows: BTreeMap::new(),
                },
                Table {
                    def: ObjectDef::standard(ObjectKind::People, profile),
                    rows: BTreeMap::new(),
                },
            ],
            keys,
            metadata_list_shape: MetadataListShape::Flat,
            batch_cap_override: None,
            model: crate::metadata::MetadataModel::default(),
        }
    }

    pub fn table(&self, kind: ObjectKind) -> &Table {
        &self.tables[kind.index()]
    }

    pub fn table_mut(&mut self, kind: ObjectKind) -> &mut Table {
        &mut self.tables[kind.index()]
    }

    /// Effective batch-create cap.
    pub fn batch_cap(&self) -> Option<usize> {
        self.batch_cap_override.or(match self.profile {
            Profile::Legacy2025 => None,
            Profile::Current => Some(200),
        })
    }

    // ----- errors whose shape depends on the profile -------------------------------------

    pub fn unknown_field_error(&self, kind: ObjectKind, field: &str) -> ApiError {
        let singular = kind.singular();
        match self.profile {
            Profile::Legacy2025 => ApiError::new(
                400,
                "Error",
                format!(
                    "Field metadata for field \"{field}\" is missing in object metadata {singular}"
                ),
            ),
            Profile::Current => ApiError::bad_request(format!(
                "Object {singular} doesn't have any \"{field}\" field."
            ))
            .with_code("INVALID_ARGS_DATA"),
        }
    }

    pub fn duplicate_error(&self, field: &FieldDef, value: &str) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::new(
                400,
                "UserInputError",
                format!(
                    "Duplicate {} with value {value}. Please set a unique one.",
                    field.label
                ),
            ),
            // 2.4.0's literal body: no field, no value, no `code`.
            Profile::Current => ApiError::bad_request("A duplicate entry was detected"),
        }
    }

    fn duplicate_id_error(&self) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::bad_request("Record already exists"),
            Profile::Current => ApiError::bad_request("A duplicate entry was detected"),
        }
    }

    /// Not found on GET (both profiles say `Record not found`; legacy with 400).
    pub fn not_found_read(&self) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::bad_request("Record not found"),
            // 2.4.0's literal body, without `code`.
            Profile::Current => ApiError::new(404, "NotFoundException", "Record not found"),
        }
    }

    /// Not found on PATCH/DELETE (legacy leaks TypeORM's `EntityNotFoundError`).
    pub fn not_found_write(&self, kind: ObjectKind, id: &str) -> ApiError {
        match self.profile {
            Profile::Legacy2025 => ApiError::new(
                400,
                "EntityNotFoundError",
                format!(
                    "Could not find any entity of type \"{}\" matching: {{\n    \"id\": \"{id}\"\n}}",
                    kind.singular()
                ),
            ),
            Profile::Current => self.not_found_read(),
        }
    }

    // ----- input processing -------------------------------------------------------------

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

    fn normalize_field(
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

    /// A complete new record from prepared input.
    fn build_record(&self, kind: ObjectKind, input: &Map<String, Value>) -> Value {
        let def = &self.table(kind).def;
        let now = now_iso();
        let mut rec = Map::new();
        for f in &def.fields {
            rec.insert(f.name.clone(), f.default_record.clone());
        }
        rec.insert("id".into(), json!(Uuid::new_v4().to_string()));
        rec.insert("createdAt".into(), json!(now));
        rec.insert("updatedAt".into(), json!(now));
        rec.insert("deletedAt".into(), Value::Null);
        rec.insert(
            "createdBy".into(),
            json!({"source": "API", "workspaceMemberId": null, "name": self.keys.name, "context": {}}),
        );
        for (k, v) in input {
            rec.insert(k.clone(), v.clone());
        }
        let mut rec = Value::Object(rec);
        rec["searchVector"] = json!(search_vector(kind, &rec));
        rec
    }

    fn apply_update(kind: ObjectKind, rec: &mut Value, input: &Map<String, Value>) {
        for (k, v) in input {
            if k != "id" {
                rec[k] = v.clone();
            }
        }
        if !input.contains_key("updatedAt") {
            rec["updatedAt"] = json!(now_iso());
        }
        rec["searchVector"] = json!(search_vector(kind, rec));
    }

    /// First unique-constraint violation of `candidate` against stored rows (except `skip`)
    /// and `pending` records.
    fn find_conflict(
        &self,
        kind: ObjectKind,
        candidate: &Value,
        skip: &HashSet<String>,
        pending: &[Value],
    ) -> Option<ApiError> {
        let table = self.table(kind);
        let cid = candidate["id"].as_str().unwrap_or_default();
        for field in table.def.fields.iter().filter(|f| f.is_unique) {
            let Some(val) = unique_value(field, candidate) else {
                continue;
            };
            let clash_stored = table.rows.values().any(|r| {
                let rid = r["id"].as_str().unwrap_or_default();
                rid != cid
                    && !skip.contains(rid)
                    && unique_value(field, r).as_deref() == Some(val.as_ref())
            });
            let clash_pending = pending.iter().any(|r| {
                r["id"].as_str().unwrap_or_default() != cid
                    && unique_value(field, r).as_deref() == Some(val.as_ref())
            });
            if clash_stored || clash_pending {
                return Some(self.duplicate_error(field, &val));
            }
        }
        None
    }

    /// Ids of stored rows (deleted included) matching any upsert key of the input.
    fn upsert_matches(&self, kind: ObjectKind, input: &Map<String, Value>) -> Vec<String> {
        let table = self.table(kind);
        let mut ids: Vec<String> = Vec::new();
        if let Some(Value::String(id)) = input.get("id") {
            if table.rows.contains_key(id) {
                ids.push(id.clone());
            }
        }
        let probe = Value::Object(input.clone());
        for field in table.def.fields.iter().filter(|f| f.is_unique) {
            if !input.contains_key(&field.name) {
                continue;
            }
            let Some(val) = unique_value(field, &probe) else {
                continue;
            };
            for r in table.rows.values() {
                if unique_value(field, r).as_deref() == Some(val.as_ref()) {
                    let rid = r["id"].as_str().unwrap_or_default().to_string();
                    if !ids.contains(&rid) {
                        ids.push(rid);
                    }
                }
            }
        }
        ids
    }

    /// `domainName.primaryLinkUrl: https://a.example, externalId: ext-1`: the upsert keys the
    /// input holds (id first, then the unique fields in field order), as 2.4.0 names them.
    fn conflicting_values(&self, kind: ObjectKind, input: &Map<String, Value>) -> String {
        let probe = Value::Object(input.clone());
        let mut parts: Vec<String> = Vec::new();
        if let Some(Value::String(id)) = input.get("id") {
            parts.push(format!("id: {id}"));
        }
        for field in self.table(kind).def.fields.iter().filter(|f| f.is_unique) {
            if !input.contains_key(&field.name) {
                continue;
            }
            let path = match field.ftype {
                FieldType::Emails => format!("{}.primaryEmail", field.name),
                FieldType::Links => format!("{}.primaryLinkUrl", field.name),
                _ => field.name.clone(),
            };
            if let Some(val) = unique_value(field, &probe) {
                parts.push(format!("{path}: {val}"));
            }
        }
        parts.join(", ")
    }

    /// Creates (or, with `upsert`, creates-or-updates) records, all or nothing.
    pub fn create_many(
        &mut self,
        kind: ObjectKind,
        items: &[Value],
        upsert: bool,
    ) -> Result<Vec<Value>, ApiError> {
        let upsert = upsert && self.profile == Profile::Current;
        let inputs = items
            .iter()
            .map(|b| self.prepare_input(kind, b))
            .collect::<Result<Vec<_>, _>>()?;
        // Final records in input order; `updates` = ids of stored rows being replaced.
        let mut results: Vec<Value> = Vec::with_capacity(inputs.len());
        let mut updates: HashSet<String> = HashSet::new();
        for input in &inputs {
            let matched = if upsert {
                self.upsert_matches(kind, input)
            } else {
                Vec::new()
            };
            if matched.len() > 1 {
                return Err(ApiError::bad_request(format!(
                    "Multiple records found with the same unique field values for {}. Cannot determine which record to update.",
                    self.conflicting_values(kind, input)
                )));
            }
            let rec = if let Some(id) = matched.first() {
                // Layer onto an earlier update of the same row in this batch, if any.
                let base = results
                    .iter()
                    .rev()
                    .find(|r| r["id"] == json!(id))
                    .cloned()
                    .or_else(|| self.table(kind).rows.get(id).cloned())
                    .unwrap_or(Value::Null);
                let mut rec = base;
                Self::apply_update(kind, &mut rec, input);
                rec["deletedAt"] = Value::Null;
                updates.insert(id.clone());
                rec
            } else {
                let rec = self.build_record(kind, input);
                let id = rec["id"].as_str().unwrap_or_default();
                if self.table(kind).rows.contains_key(id)
                    || results
                        .iter()
                        .any(|r| r["id"] == rec["id"] && !updates.contains(id))
                {
                    return Err(self.duplicate_id_error());
                }
                rec
            };
            results.push(rec);
        }
        // Collapse repeated updates of one row to its last version for conflict checks.
        let mut finals: Vec<Value> = Vec::new();
        for r in results.iter().rev() {
            if !finals.iter().any(|f| f["id"] == r["id"]) {
                finals.push(r.clone());
            }
        }
        for r in &finals {
            if let Some(err) = self.find_conflict(kind, r, &updates, &finals) {
                return Err(err);
            }
        }
        let table = self.table_mut(kind);
        for r in finals {
            let id = r["id"].as_str().unwrap_or_default().to_string();
            table.rows.insert(id, r);
        }
        Ok(results
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap_or_default();
                self.table(kind)
                    .rows
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| r.clone())
            })
            .collect())
    }

    /// Live (not soft-deleted) record by id.
    pub fn get_live(&self, kind: ObjectKind, id: &str) -> Option<&Value> {
        self.table(kind).rows.get(id).filter(|r| !is_deleted(r))
    }

    pub fn update_one(
        &mut self,
        kind: ObjectKind,
        id: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        if self.get_live(kind, id).is_none() {
            return Err(self.not_found_write(kind, id));
        }
        let input = self.prepare_input(kind, body)?;
        let mut rec = self
            .table(kind)
            .rows
            .get(id)
            .cloned()
            .unwrap_or(Value::Null);
        Self::apply_update(kind, &mut rec, &input);
        if let Some(err) = self.find_conflict(kind, &rec, &HashSet::new(), &[]) {
            return Err(err);
        }
        self.table_mut(kind)
            .rows
            .insert(id.to_string(), rec.clone());
        Ok(rec)
    }

    /// DELETE: hard unless `soft` (soft only honoured by the `Current` profile).
    pub fn delete_one(&mut self, kind: ObjectKind, id: &str, soft: bool) -> Result<(), ApiError> {
        let soft = soft && self.profile == Profile::Current;
        let exists = match soft {
            true => self.get_live(kind, id).is_some(),
            false => self.table(kind).rows.contains_key(id),
        };
        if !exists {
            return Err(self.not_found_write(kind, id));
        }
        if soft {
            self.soft_delete(kind, id);
        } else {
            self.hard_delete(kind, id);
        }
        Ok(())
    }

    pub fn hard_delete(&mut self, kind: ObjectKind, id: &str) -> bool {
        let removed = self.table_mut(kind).rows.remove(id).is_some();
        if removed && kind == ObjectKind::Companies {
            // ON DELETE SET NULL
            for r in self.table_mut(ObjectKind::People).rows.values_mut() {
                if r["companyId"] == json!(id) {
                    r["companyId"] = Value::Null;
                }
            }
        }
        removed
    }

    pub fn soft_delete(&mut self, kind: ObjectKind, id: &str) -> bool {
        match self.table_mut(kind).rows.get_mut(id) {
            Some(r) if !is_deleted(r) => {
                let now = now_iso();
                r["deletedAt"] = json!(now);
                r["updatedAt"] = json!(now);
                true
            }
            _ => false,
        }
    }

    pub fn restore(&mut self, kind: ObjectKind, id: &str) -> Result<Value, ApiError> {
        match self.table_mut(kind).rows.get_mut(id) {
            Some(r) if is_deleted(r) => {
                r["deletedAt"] = Value::Null;
                r["updatedAt"] = json!(now_iso());
                Ok(r.clone())
            }
            _ => Err(self.not_found_write(kind, id)),
        }
    }

    /// Inserts a record for test seeding: fills defaults, normalises known fields, no
    /// uniqueness check. Unknown fields are kept as given.
    pub fn insert_raw(&mut self, kind: ObjectKind, value: &Value) -> Value {
        let mut input = Map::new();
        let mut extra = Map::new();
        if let Value::Object(o) = value {
            for (k, v) in o {
                let normalized = self
                    .table(kind)
                    .def
                    .field(k)
                    .filter(|f| f.writable && k != "id")
                    .and_then(|f| self.normalize_field(f, v, kind.singular()).ok());
                match normalized {
                    Some(n) => {
                        input.insert(k.clone(), n);
                    }
                    None => {
                        extra.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut rec = self.build_record(kind, &input);
        for (k, v) in extra {
            rec[&k] = v;
        }
        rec["searchVector"] = json!(search_vector(kind, &rec));
        let id = rec["id"].as_str().unwrap_or_default().to_string();
        self.table_mut(kind).rows.insert(id, rec.clone());
        rec
    }

    /// Adds a custom field, backfilling existing rows with its default.
    pub fn add_field(
        &mut self,
        kind: ObjectKind,
        mut field: FieldDef,
    ) -> Result<FieldDef, ApiError> {
        if self.table(kind).def.field(&field.name).is_some() {
            // The literal answers of the real servers (real-server-samples.md).
            return Err(match self.profile {
                Profile::Legacy2025 => ApiError::raw(
                    400,
                    json!({"statusCode": 400, "messages": [format!("Name '{}' is not available, check that it is not duplicating another field's name.", field.name)], "error": "Bad Request"}),
                ),
                Profile::Current => ApiError::bad_request(
                    "Multiple validation errors occurred while creating fields",
                ),
            });
        }
        field.id = self.model.new_field_id();
        let table = self.table_mut(kind);
        for r in table.rows.values_mut() {
            r[&field.name] = field.default_record.clone();
        }
        table.def.fields.push(field.clone());
        Ok(field)
    }

    /// Removes a field and its values.
    pub fn drop_field(&mut self, kind: ObjectKind, name: &str) -> bool {
        let table = self.table_mut(kind);
        let before = table.def.fields.len();
        table.def.fields.retain(|f| f.name != name || !f.is_custom);
        for r in table.rows.values_mut() {
            if let Value::Object(o) = r {
                o.remove(name);
            }
        }
        before != table.def.fields.len()
    }

    /// The custom unique `externalId` TEXT field, as the sync agent creates it.
    pub fn ensure_external_id(&mut self, kind: ObjectKind) {
        if self.table(kind).def.field("externalId").is_none() {
            let f = ObjectDef::custom_field(
                self.profile,
                "externalId",
                "External ID",
                FieldType::Text,
                true,
                Some(true),
                None,
            );
            let _ = self.add_field(kind, f);
        }
    }

    /// Object kind by metadata id.
    pub fn kind_by_object_id(&self, id: &str) -> Option<ObjectKind> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| self.table(*k).def.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(profile: Profile) -> World {
        World::new(
            profile,
            KeyState {
                key: "k".into(),
                name: "My api key".into(),
                revoked: false,
                old_keys: vec![],
                read_only: false,
                can_edit_data_model: true,
            },
        )
    }

    #[test]
    fn url_normalisation() {
        assert_eq!(
            normalize_url("HTTPS://Acme.COM/Path/"),
            "https://acme.com/Path"
        );
        assert_eq!(normalize_url("ACME.com"), "acme.com");
        assert_eq!(normalize_url("acme.com//"), "acme.com");
        assert_eq!(normalize_url(""), "");
    }

    #[test]
    fn batch_is_all_or_nothing() {
        let mut w = world(Profile::Legacy2025);
        w.create_many(
            ObjectKind::Companies,
            &[json!({"domainName": {"primaryLinkUrl": "a.com"}})],
            false,
        )
        .unwrap();
        let err = w
            .create_many(
                ObjectKind::Companies,
                &[
                    json!({"name": "new"}),
                    json!({"domainName": {"primaryLinkUrl": "A.com/"}}),
                ],
                false,
            )
            .unwrap_err();
        assert_eq!(
            err.message(),
            "Duplicate Domain Name with value a.com. Please set a unique one."
        );
        assert_eq!(w.table(ObjectKind::Companies).rows.len(), 1);
    }

    #[test]
    fn upsert_restores_and_updates() {
        let mut w = world(Profile::Current);
        w.ensure_external_id(ObjectKind::People);
        let created = w
            .create_many(
                ObjectKind::People,
                &[json!({"externalId": "e1", "city": "Paris"})],
                false,
            )
            .unwrap();
        let id = created[0]["id"].as_str().unwrap().to_string();
        w.soft_delete(ObjectKind::People, &id);
        let up = w
            .create_many(
                ObjectKind::People,
                &[json!({"externalId": "e1", "jobTitle": "CTO"})],
                true,
            )
            .unwrap();
        assert_eq!(up[0]["id"], json!(id));
        assert_eq!(up[0]["city"], json!("Paris"));
        assert_eq!(up[0]["jobTitle"], json!("CTO"));
        assert!(up[0]["deletedAt"].is_null());
        assert_eq!(w.table(ObjectKind::People).rows.len(), 1);
    }
}
