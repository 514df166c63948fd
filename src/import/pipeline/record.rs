//! The pipeline's second pass: the chosen intents, recorded in appends of `chunk_rows` with
//! their checkpoints (after the resume point of an interrupted import) and the file's
//! `ImportNoted` in the first append, then the `ImportCompleted` that closes the import; in a
//! dry run, compared with the mappings instead.

use std::collections::HashMap;

use super::{summary, Chosen, FileImport};
use crate::domain::event::{ImportCheckpoint, ImportNotes};
use crate::domain::projection::{import_notes_key, import_resume_key};
use crate::domain::{fields_hash, EntityKind, Event, Intent, IntentSource, RecordKey};
use crate::import::draft::{draft_from_cells, key_hash};
use crate::import::mapping::FileMapping;
use crate::import::parse::Row;
use crate::import::progress::ImportStep;
use crate::import::{DryRunPlan, ImportError, ImportOutcome};

impl FileImport<'_> {
    /// Where an interrupted import of the same content stopped: (last row, intents recorded).
    fn resume_point(&self, outcome: &mut ImportOutcome) -> Result<(u64, u64), ImportError> {
        let Some(seq) =
            self.store_result(self.store.import_seq(&import_resume_key(&self.scan.hash)))?
        else {
            return Ok((0, 0));
        };
        let Some(Event::ImportProgress(checkpoint)) =
            self.store_result(self.store.event(seq))?.map(|e| e.event)
        else {
            return Ok((0, 0));
        };
        let (resume_after, recorded) = (checkpoint.through_row, checkpoint.recorded);
        outcome.resumed_after_row = Some(resume_after);
        outcome.warnings.push(format!(
            "an earlier import of this file stopped after row {resume_after} ({recorded} rows recorded); it was resumed there"
        ));
        Ok((resume_after, recorded))
    }

    /// The `ImportNoted` of this import: its warnings, and when it began (for a resumed
    /// import, when its first part began, as that part's own notes say).
    fn notes(
        &self,
        warnings: Vec<String>,
        resumed_after_row: Option<u64>,
    ) -> Result<Event, ImportError> {
        let mut started_at_ms = self.started_at_ms;
        if resumed_after_row.is_some() {
            let key = import_notes_key(&self.scan.hash);
            if let Some(seq) = self.store_result(self.store.import_seq(&key))? {
                if let Some(Event::ImportNoted(earlier)) =
                    self.store_result(self.store.event(seq))?.map(|e| e.event)
                {
                    started_at_ms = started_at_ms.min(earlier.started_at_ms);
                }
            }
        }
        Ok(Event::ImportNoted(ImportNotes {
            file_name: self.file.to_string(),
            content_hash: self.scan.hash.clone(),
            started_at_ms,
            resumed_after_row,
            warnings,
        }))
    }

    /// Pass 2: builds the chosen intents (after the resume point) and records them in appends of
    /// `chunk_rows`, each with its checkpoint, the first one with the file's notes; in a dry run
    /// compares them with the mappings. The intents of the last, partial chunk stay in
    /// `chosen.batch`.
    pub(super) fn record(
        &self,
        chosen: &mut Chosen,
        outcome: &mut ImportOutcome,
    ) -> Result<(), ImportError> {
        let dry_run = self.options.dry_run;
        let warnings = outcome.warnings.clone();
        let (resume_after, mut recorded) = if dry_run {
            (0, 0)
        } else {
            self.resume_point(outcome)?
        };
        let mut notes = if dry_run {
            None
        } else {
            let resumed = outcome.resumed_after_row;
            Some(self.notes(warnings, resumed)?)
        };
        let now_ms = self.store.clock().now_ms();
        let mut plan = DryRunPlan::default();
        let mut batch: Vec<Event> = Vec::new();
        let mut in_batch = 0usize;
        let chunk = self.options.chunk_rows.max(1);
        let step = if dry_run {
            ImportStep::Comparing
        } else {
            ImportStep::Recording
        };
        let end = self.pass(step, |row, mapping| {
            let Some((kind, intent)) = self.chosen_intent(&row, mapping, &chosen.rows, now_ms)
            else {
                return Ok(());
            };
            if row.number <= resume_after {
                return Ok(());
            }
            if dry_run {
                let key = RecordKey::new(kind, intent.external_id.clone());
                match self.store_result(self.store.mapping(&key))? {
                    None => plan.create += 1,
                    Some(mapping)
                        if mapping.fields_hash
                            == fields_hash(kind, &intent.fields, &intent.values) =>
                    {
                        plan.unchanged += 1
                    }
                    Some(_) => plan.update += 1,
                }
                return Ok(());
            }
            if batch.is_empty() {
                batch.extend(notes.take());
            }
            batch.push(Event::IntentRecorded(intent));
            in_batch += 1;
            if in_batch >= chunk {
                if !self.unchanged()? {
                    return Err(self.changed());
                }
                recorded += in_batch as u64;
                in_batch = 0;
                batch.push(Event::ImportProgress(ImportCheckpoint {
                    file_name: self.file.to_string(),
                    content_hash: self.scan.hash.clone(),
                    through_row: row.number,
                    recorded,
                }));
                self.store_result(self.store.append(std::mem::take(&mut batch)))?;
            }
            Ok(())
        })?;
        if end.hash != self.scan.hash || !self.unchanged()? {
            return Err(self.changed());
        }
        if dry_run {
            outcome.dry_run = Some(plan);
        }
        // Notes still unsent go with the last append, when there is something to note.
        if let Some(Event::ImportNoted(unsent)) = notes {
            if !unsent.warnings.is_empty() || unsent.resumed_after_row.is_some() {
                batch.insert(0, Event::ImportNoted(unsent));
            }
        }
        chosen.batch = batch;
        chosen.batch_intents = in_batch as u64;
        chosen.recorded = recorded;
        Ok(())
    }

    /// The intent a row builds, when it is the chosen row of its id.
    fn chosen_intent(
        &self,
        row: &Row,
        mapping: &FileMapping,
        chosen: &HashMap<[u8; 16], u64>,
        now_ms: i64,
    ) -> Option<(EntityKind, Intent)> {
        let cells = row.cells.as_ref().ok()?;
        let (kind, draft, problems) = draft_from_cells(cells, self.file_kind, mapping).ok()?;
        if !problems.is_empty() {
            return None;
        }
        let source = IntentSource::Import {
            file: self.file.to_string(),
            row: row.number,
        };
        let intent = draft
            .into_intent(kind, uuid::Uuid::now_v7(), source, now_ms)
            .ok()?;
        (chosen.get(&key_hash(kind, &intent.external_id)) == Some(&row.number))
            .then_some((kind, intent))
    }

    /// Records the last intents with the `ImportCompleted` that closes the import.
    pub(super) fn complete(
        &self,
        outcome: &mut ImportOutcome,
        chosen: Chosen,
    ) -> Result<(), ImportError> {
        let mut batch = chosen.batch;
        outcome.recorded = chosen.recorded + chosen.batch_intents;
        batch.push(Event::ImportCompleted(summary(outcome, false)));
        let envelopes = self.store_result(self.store.append(batch))?;
        outcome.import_seq = envelopes.last().map(|e| e.seq);
        Ok(())
    }
}
