//! Unique constraints: the value a record holds for a unique field (empty never collides),
//! clashes with stored rows (soft-deleted included) and pending ones, and the rows an upsert
//! matches.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::errors::ApiError;
use crate::schema::{FieldDef, FieldType, ObjectKind};

use super::World;

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

impl World {
    /// First unique-constraint violation of `candidate` against stored rows (except `skip`)
    /// and `pending` records.
    pub(super) fn find_conflict(
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

    /// [`World::find_conflict`] of every record of a batch (`finals`: one version per id) against
    /// the stored rows (except `skip`) and the rest of the batch, in linear time: the first
    /// violation in batch order, field order.
    pub(super) fn find_batch_conflict(
        &self,
        kind: ObjectKind,
        finals: &[Value],
        skip: &HashSet<String>,
    ) -> Option<ApiError> {
        let table = self.table(kind);
        let fields: Vec<&FieldDef> = table.def.fields.iter().filter(|f| f.is_unique).collect();
        // Per unique field: value → ids holding it, stored rows and batch records apart.
        let index = |rows: &mut dyn Iterator<Item = &Value>| {
            let mut by_field: Vec<HashMap<String, Vec<String>>> =
                vec![HashMap::new(); fields.len()];
            for r in rows {
                let rid = r["id"].as_str().unwrap_or_default();
                for (i, field) in fields.iter().enumerate() {
                    if let Some(val) = unique_value(field, r) {
                        by_field[i]
                            .entry(val.into_owned())
                            .or_default()
                            .push(rid.to_string());
                    }
                }
            }
            by_field
        };
        let stored = index(
            &mut table
                .rows
                .values()
                .filter(|r| !skip.contains(r["id"].as_str().unwrap_or_default())),
        );
        let pending = index(&mut finals.iter());
        let clash = |held: &HashMap<String, Vec<String>>, val: &str, cid: &str| {
            held.get(val)
                .is_some_and(|ids| ids.iter().any(|id| id != cid))
        };
        for r in finals {
            let cid = r["id"].as_str().unwrap_or_default();
            for (i, field) in fields.iter().enumerate() {
                let Some(val) = unique_value(field, r) else {
                    continue;
                };
                if clash(&stored[i], &val, cid) || clash(&pending[i], &val, cid) {
                    return Some(self.duplicate_error(field, &val));
                }
            }
        }
        None
    }

    /// Ids of stored rows (deleted included) matching any upsert key of the input.
    pub(super) fn upsert_matches(
        &self,
        kind: ObjectKind,
        input: &Map<String, Value>,
    ) -> Vec<String> {
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
    pub(super) fn conflicting_values(
        &self,
        kind: ObjectKind,
        input: &Map<String, Value>,
    ) -> String {
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
}
