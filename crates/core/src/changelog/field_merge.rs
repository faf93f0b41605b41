//! Per-field merging of a record's concurrent heads (patients' demographics): each head wins the
//! fields it changed, and a field two heads changed to different values is a conflict.
//!
//! Pure functions over JSON objects, so a new field in the record needs no code here. A head's
//! *changed* fields are those whose value differs from its parent's (the newest change it
//! replaces); a head with no parent held (it replaces nothing, or a change not in the log yet)
//! changed every field. For each field, the newest head (heads come newest first) among those
//! that changed it gives the value; if none changed it, the newest head does. The result depends
//! only on the heads and parents, never on the order changes arrived in.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Never merged: the record's identity, the same in every head.
const IDENTITY: &str = "id";

/// One head of a record: its JSON, and its parent's (`None`: every field counts as changed).
pub(crate) struct FieldHead {
    pub record: Value,
    pub parent: Option<Value>,
}

/// The merged record and the fields two or more heads changed to different values, sorted.
#[derive(Debug, PartialEq)]
pub(crate) struct FieldMerge {
    pub record: Value,
    pub conflicts: Vec<String>,
}

/// Merges the heads, given newest first, field by field. Heads that are not JSON objects cannot be
/// merged by field: the newest is taken whole.
pub(crate) fn merge_fields(heads: &[FieldHead]) -> FieldMerge {
    let Some(newest) = heads.first() else {
        return FieldMerge { record: Value::Null, conflicts: Vec::new() };
    };
    let (Some(objects), Some(newest_object)) = (
        heads.iter().map(|h| h.record.as_object()).collect::<Option<Vec<&Map<String, Value>>>>(),
        newest.record.as_object(),
    ) else {
        return FieldMerge { record: newest.record.clone(), conflicts: Vec::new() };
    };
    let fields: BTreeSet<&String> = objects.iter().flat_map(|o| o.keys()).filter(|k| *k != IDENTITY).collect();
    let mut record = newest_object.clone();
    let mut conflicts = Vec::new();
    for field in fields {
        let changed: Vec<Option<&Value>> = heads
            .iter()
            .zip(&objects)
            .filter(|(head, object)| changed_field(head.parent.as_ref(), object, field))
            .map(|(_, object)| object.get(field))
            .collect();
        let Some(&taken) = changed.first() else {
            continue; // No head changed it: the newest head's value stands.
        };
        if changed.iter().any(|value| *value != taken) {
            conflicts.push(field.clone());
        }
        match taken {
            Some(value) => record.insert(field.clone(), value.clone()),
            None => record.remove(field.as_str()),
        };
    }
    FieldMerge { record: Value::Object(record), conflicts }
}

/// Whether a head changed `field` from its parent. No parent: every field is a change.
fn changed_field(parent: Option<&Value>, head: &Map<String, Value>, field: &str) -> bool {
    match parent.map(|p| p.as_object()) {
        Some(Some(parent)) => parent.get(field) != head.get(field),
        _ => true,
    }
}

/// Merges the heads into a `T`. If the merged JSON is not a valid `T`, the newest head's record
/// stands, and every field whose merged value it loses is flagged beside the conflicts. Returns
/// the record, the fields to flag (sorted) and whether it fell back; `None` if the newest head's
/// record is not a valid `T` either.
pub(crate) fn merge_as<T: DeserializeOwned>(heads: &[FieldHead]) -> Option<(T, Vec<String>, bool)> {
    let FieldMerge { record, mut conflicts } = merge_fields(heads);
    if let Ok(merged) = T::deserialize(&record) {
        return Some((merged, conflicts, false));
    }
    let newest = &heads.first()?.record;
    if let (Some(merged), Some(newest)) = (record.as_object(), newest.as_object()) {
        let lost = merged.keys().chain(newest.keys()).filter(|field| merged.get(*field) != newest.get(*field));
        conflicts.extend(lost.cloned());
    }
    conflicts.sort();
    conflicts.dedup();
    Some((T::deserialize(newest).ok()?, conflicts, true))
}
