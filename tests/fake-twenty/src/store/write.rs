//! Writing records: building a new record (defaults, timestamps, `createdBy`, search vector),
//! all-or-nothing creates and upserts, updates, hard and soft deletes, restore, test seeding.

use std::collections::HashSet;

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::config::Profile;
use crate::errors::ApiError;
use crate::schema::ObjectKind;
use crate::util::now_iso;

use super::{is_deleted, World};

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

impl World {
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
        let mut created: HashSet<String> = HashSet::new();
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
                    || (created.contains(id) && !updates.contains(id))
                {
                    return Err(self.duplicate_id_error());
                }
                created.insert(id.to_string());
                rec
            };
            results.push(rec);
        }
        // Collapse repeated updates of one row to its last version for conflict checks.
        let mut finals: Vec<Value> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for r in results.iter().rev() {
            if seen.insert(r["id"].as_str().unwrap_or_default()) {
                finals.push(r.clone());
            }
        }
        if let Some(err) = self.find_batch_conflict(kind, &finals, &updates) {
            return Err(err);
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

    /// A change made by a workspace member in Twenty's UI (the control API's record edit): the
    /// same checks and merge as an API `PATCH`, without going through the request log.
    pub fn edit_as_member(
        &mut self,
        kind: ObjectKind,
        id: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        self.update_one(kind, id, body)
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
}
