//! The headers each field of one object answers to, built once per mapping: the field's name
//! and label, `field part` pairs for composite parts, today's aliases, and a part's own words
//! when the object has a single field of its type. Lookups go level by level; a header that
//! names two fields on the first level it matches is ambiguous.

use std::collections::{BTreeMap, HashMap};

use super::known_columns::KnownColumn;
use super::model::{FieldDef, FieldType, ObjectFields};
use super::text::compact_header;
use super::wire::FieldTarget;

/// How a column found its destination, strongest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum MatchedBy {
    /// An override set by a person.
    Override,
    /// A record column of today's import (`external_id`, `type`, `company`, …).
    RecordColumn,
    /// The field's name or label (`jobTitle`, `Job Title`, `Linkedin`).
    FieldName,
    /// The field's name or label with one of its parts (`Address City`, `linkedin url`).
    FieldPart,
    /// One of today's aliases (`e-mail`, `website`, `title`, …).
    Alias,
    /// A part's own word, the object having one field of that type (`zip`, `amount`).
    PartName,
}

/// What a header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(FieldTarget, MatchedBy),
    /// The first level the header matched names several destinations.
    Ambiguous(Vec<FieldTarget>),
    NotFound,
}

/// The levels of one object's headers, strongest first: field names, field parts, part names.
/// Aliases sit between field parts and part names and are looked up directly.
pub struct HeaderIndex<'a> {
    fields: &'a ObjectFields,
    names: HashMap<String, Vec<FieldTarget>>,
    parts: HashMap<String, Vec<FieldTarget>>,
    part_names: HashMap<String, Vec<FieldTarget>>,
}

fn add(level: &mut HashMap<String, Vec<FieldTarget>>, key: String, target: FieldTarget) {
    if key.is_empty() {
        return;
    }
    let targets = level.entry(key).or_default();
    if !targets.contains(&target) {
        targets.push(target);
    }
}

/// The name keys of a field: its name and label compacted, and for a LINKS field the same
/// without a final `link`, `links` or `url` (`linkedinLink` → `linkedin`).
fn name_keys(field: &FieldDef) -> Vec<String> {
    let mut keys = vec![compact_header(&field.name), compact_header(&field.label)];
    if field.field_type == FieldType::Links {
        for key in keys.clone() {
            for suffix in ["links", "link", "url"] {
                if let Some(stem) = key.strip_suffix(suffix).filter(|stem| !stem.is_empty()) {
                    keys.push(stem.to_string());
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

impl<'a> HeaderIndex<'a> {
    pub fn new(fields: &'a ObjectFields) -> HeaderIndex<'a> {
        let mut index = HeaderIndex {
            fields,
            names: HashMap::new(),
            parts: HashMap::new(),
            part_names: HashMap::new(),
        };
        let mut by_type: BTreeMap<&FieldType, Vec<&FieldDef>> = BTreeMap::new();
        for field in fields.mappable() {
            let whole = FieldTarget::new(field.name.clone(), field.field_type.default_part());
            let names = name_keys(field);
            for key in &names {
                add(&mut index.names, key.clone(), whole.clone());
            }
            if !field.field_type.is_composite() {
                continue;
            }
            by_type.entry(&field.field_type).or_default().push(field);
            let mut field_keys = names.clone();
            field_keys.extend(index.alias_keys(field));
            // Singular and plural both: `email additional`, `additional websites`.
            for key in field_keys.clone() {
                match key.strip_suffix('s') {
                    Some(singular) => field_keys.push(singular.to_string()),
                    None => field_keys.push(format!("{key}s")),
                }
            }
            for part in field.field_type.parts() {
                let target = FieldTarget::new(field.name.clone(), Some(*part));
                for part_key in part.keys_with_field() {
                    for field_key in &field_keys {
                        add(
                            &mut index.parts,
                            format!("{field_key}{part_key}"),
                            target.clone(),
                        );
                        add(
                            &mut index.parts,
                            format!("{part_key}{field_key}"),
                            target.clone(),
                        );
                    }
                }
            }
        }
        for (_, only) in by_type.into_iter().filter(|(_, list)| list.len() == 1) {
            let field = only[0];
            for part in field.field_type.parts() {
                let target = FieldTarget::new(field.name.clone(), Some(*part));
                for key in part.keys_alone() {
                    add(&mut index.part_names, key, target.clone());
                }
            }
        }
        index
    }

    /// Today's aliases that stand for the whole field (or its primary part): `email` and `mail`
    /// for a person's `emails`, `website` and `url` for a company's `domainName`, …
    fn alias_keys(&self, field: &FieldDef) -> Vec<String> {
        KnownColumn::ALL
            .into_iter()
            .filter(|column| {
                column
                    .standard_target(self.fields.kind)
                    .is_some_and(|(name, part)| {
                        name == field.name
                            && (part.is_none() || part == field.field_type.default_part())
                    })
            })
            .flat_map(|column| column.aliases().map(str::to_string))
            .collect()
    }

    /// What a compacted header names, level by level.
    pub fn lookup(&self, key: &str) -> Lookup {
        let levels = [
            (&self.names, MatchedBy::FieldName),
            (&self.parts, MatchedBy::FieldPart),
        ];
        for (level, matched_by) in levels {
            if let Some(found) = found(level.get(key), matched_by) {
                return found;
            }
        }
        if let Some(target) = self.alias_target(key) {
            return Lookup::Found(target, MatchedBy::Alias);
        }
        found(self.part_names.get(key), MatchedBy::PartName).unwrap_or(Lookup::NotFound)
    }

    /// The standard field an alias fills, when the object has it and it can be filled.
    fn alias_target(&self, key: &str) -> Option<FieldTarget> {
        let (name, part) = KnownColumn::from_compact(key)?.standard_target(self.fields.kind)?;
        let field = self.fields.get(name).filter(|field| field.is_mappable())?;
        let part = match part {
            Some(part) if !field.field_type.parts().contains(&part) => return None,
            Some(part) => Some(part),
            None => field.field_type.default_part(),
        };
        Some(FieldTarget::new(name, part))
    }
}

fn found(targets: Option<&Vec<FieldTarget>>, matched_by: MatchedBy) -> Option<Lookup> {
    match targets.map(Vec::as_slice) {
        None | Some([]) => None,
        Some([one]) => Some(Lookup::Found(one.clone(), matched_by)),
        Some(several) => Some(Lookup::Ambiguous(several.to_vec())),
    }
}
