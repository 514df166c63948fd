//! What reading a file found that the person should know besides its counts: every invalid
//! row's problems (listed up to [`MAX_LISTED_PROBLEMS`]; the error report holds them all), and
//! the people whose company row was invalid, who would be pushed without a company.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::draft::{key_hash, Problem};
use crate::domain::EntityKind;

/// The most problems an outcome lists (the error report beside the file has every one).
pub const MAX_LISTED_PROBLEMS: usize = 1_000;
/// The most companies the "pushed without a company" warnings name one by one.
const MAX_NAMED_COMPANIES: usize = 20;
/// The most rows of people one such warning names.
const MAX_NAMED_ROWS: usize = 5;

/// One problem of an invalid row: the row (from 1, the header not counted), the column as the
/// file names it, the value and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// The problems listed in an outcome, and how many more there were.
#[derive(Debug, Default)]
pub(super) struct ProblemList {
    pub(super) listed: Vec<RowProblem>,
    pub(super) unlisted: u64,
}

impl ProblemList {
    pub(super) fn add(&mut self, row: u64, problem: &Problem) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(RowProblem {
                row,
                column: problem.column.clone(),
                value: problem.value.clone(),
                message: problem.message.clone(),
            });
        } else {
            self.unlisted += 1;
        }
    }
}

/// People who name a company, and companies whose rows were invalid, keyed by the company's
/// dedupe key: memory grows with the companies named, not with the people.
#[derive(Debug, Default)]
pub(super) struct CompanyRefs {
    /// A company row that was invalid: its external id and the first such row.
    invalid: HashMap<[u8; 16], (String, u64)>,
    /// Companies people name without a company name to create them by: people, first rows.
    named: HashMap<[u8; 16], (u64, Vec<u64>)>,
}

impl CompanyRefs {
    pub(super) fn invalid_company(&mut self, external_id: &str, row: u64) {
        self.invalid
            .entry(key_hash(EntityKind::Company, external_id))
            .or_insert_with(|| (external_id.to_string(), row));
    }

    pub(super) fn person_names(&mut self, company_external_id: &str, row: u64) {
        let (people, rows) = self
            .named
            .entry(key_hash(EntityKind::Company, company_external_id))
            .or_default();
        *people += 1;
        if rows.len() < MAX_NAMED_ROWS {
            rows.push(row);
        }
    }

    /// One warning per company whose rows were all invalid while people of the file name it
    /// (and give no company name to create it by), unless a valid row of the file or the store
    /// (`known`) has that company.
    pub(super) fn warnings<E>(
        self,
        valid: &HashMap<[u8; 16], u64>,
        mut known: impl FnMut(&str) -> Result<bool, E>,
    ) -> Result<Vec<String>, E> {
        let mut orphans: Vec<(String, u64, u64, Vec<u64>)> = Vec::new();
        for (key, (people, rows)) in self.named {
            let Some((external_id, bad_row)) = self.invalid.get(&key) else {
                continue;
            };
            if valid.contains_key(&key) || known(external_id)? {
                continue;
            }
            orphans.push((external_id.clone(), *bad_row, people, rows));
        }
        orphans.sort_by_key(|(_, bad_row, _, _)| *bad_row);
        let mut warnings: Vec<String> = orphans
            .iter()
            .take(MAX_NAMED_COMPANIES)
            .map(|(external_id, bad_row, people, rows)| {
                let list = rows
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let more = if *people > rows.len() as u64 { ", …" } else { "" };
                let who = if *people == 1 {
                    format!("1 person names it as their company (row {list})")
                } else {
                    format!("{people} people name it as their company (rows {list}{more})")
                };
                format!(
                    "company {external_id} (row {bad_row}) is invalid and {who}: they will be pushed without a company unless Twenty already has {external_id}; fix row {bad_row} and import the file again"
                )
            })
            .collect();
        if orphans.len() > MAX_NAMED_COMPANIES {
            let rest = &orphans[MAX_NAMED_COMPANIES..];
            let people: u64 = rest.iter().map(|(_, _, people, _)| people).sum();
            warnings.push(format!(
                "{} more invalid companies are named by {people} people, who will be pushed without a company; see the error report",
                rest.len()
            ));
        }
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_of_an_invalid_company_are_named_unless_it_is_known() {
        let mut refs = CompanyRefs::default();
        refs.invalid_company("c-9", 4);
        refs.invalid_company("c-8", 2);
        refs.invalid_company("c-7", 3);
        for row in [7, 9, 12] {
            refs.person_names("c-9", row);
        }
        refs.person_names("c-8", 5);
        refs.person_names("c-7", 6);
        refs.person_names("c-1", 8);
        let mut valid = HashMap::new();
        valid.insert(key_hash(EntityKind::Company, "c-7"), 10);
        let warnings = refs
            .warnings(&valid, |id| Ok::<_, ()>(id == "c-8"))
            .expect("no store error");
        assert_eq!(
            warnings,
            vec!["company c-9 (row 4) is invalid and 3 people name it as their company (rows 7, 9, 12): they will be pushed without a company unless Twenty already has c-9; fix row 4 and import the file again"]
        );
    }

    #[test]
    fn the_list_of_problems_is_capped() {
        let mut list = ProblemList::default();
        let problem = Problem {
            column: "email".into(),
            value: "x".into(),
            message: "bad".into(),
        };
        for row in 0..(MAX_LISTED_PROBLEMS as u64 + 3) {
            list.add(row, &problem);
        }
        assert_eq!((list.listed.len(), list.unlisted), (MAX_LISTED_PROBLEMS, 3));
    }
}
