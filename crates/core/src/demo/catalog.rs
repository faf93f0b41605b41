//! The demo dictionaries in assets/demo: names, towns and clinical content, compiled in.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub struct Catalog {
    pub family_names: Vec<(String, String)>,
    pub female_names: Vec<(String, String)>,
    pub male_names: Vec<(String, String)>,
    pub towns: Vec<(String, String)>,
    pub clinical: Clinical,
}

#[derive(Deserialize)]
pub struct Clinical {
    pub chronic: Vec<Condition>,
    pub acute: Vec<Condition>,
    pub labs: BTreeMap<String, LabSpec>,
    pub allergies: Vec<AllergySpec>,
}

#[derive(Deserialize)]
pub struct Condition {
    pub name: String,
    pub icd10: String,
    pub min_age: u32,
    pub weight: u32,
    pub drugs: Vec<DrugSpec>,
    pub labs: Vec<String>,
    pub s: Vec<String>,
    pub o: Vec<String>,
    pub a: Vec<String>,
    pub p: Vec<String>,
}

#[derive(Deserialize)]
pub struct DrugSpec {
    pub drug: String,
    pub dose: f64,
    pub unit: String,
    pub frequency: String,
}

#[derive(Deserialize)]
pub struct LabSpec {
    pub unit: String,
    pub low: f64,
    pub high: f64,
    pub mean: f64,
    pub sd: f64,
    pub decimals: i32,
}

#[derive(Deserialize)]
pub struct AllergySpec {
    pub substance: String,
    pub reaction: String,
}

/// The catalog, parsed once. The assets are part of the build, so a parse failure is a bug
/// caught by the demo tests, not a runtime condition.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        family_names: pairs(include_str!("../../../../assets/demo/family_names.tsv")),
        female_names: pairs(include_str!("../../../../assets/demo/given_names_female.tsv")),
        male_names: pairs(include_str!("../../../../assets/demo/given_names_male.tsv")),
        towns: pairs(include_str!("../../../../assets/demo/towns.tsv")),
        clinical: serde_json::from_str(include_str!("../../../../assets/demo/clinical.json"))
            .expect("assets/demo/clinical.json is valid (checked by the demo tests)"),
    })
}

fn pairs(tsv: &str) -> Vec<(String, String)> {
    tsv.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .collect()
}
