//! Reference data shipped in `refdata/` (see `refdata/ATTRIBUTION.md`): Hanoi's units in three
//! official snapshots, the 2025 ward conversion, PAPI's dimensions and Hanoi's published scores.
//! Each dataset is loaded at start when its checksum differs from the one last loaded, so an
//! upgrade that corrects a name reaches existing databases and an unchanged one costs nothing.

use std::collections::{HashMap, HashSet};

use anyhow::Context;

use crate::domain::{FieldError, Level, parse_unit_code};
use crate::store::{AreaImportRow, ConversionRow, PapiDimension, PapiResult, PapiScore, Store};

/// (snapshot, file contents) for each shipped snapshot of Hanoi's units.
pub const UNIT_SNAPSHOTS: &[(&str, &str)] = &[
    ("2024", include_str!("../refdata/hanoi-units-2024.csv")),
    (
        "2025-01",
        include_str!("../refdata/hanoi-units-2025-01.csv"),
    ),
    ("2025-07", include_str!("../refdata/hanoi-units-2025.csv")),
];
const CONVERSION: &str = include_str!("../refdata/hanoi-ward-conversion-2025.csv");
const PAPI_DIMENSIONS: &str = include_str!("../refdata/papi-dimensions.csv");
const PAPI_HANOI: &str = include_str!("../refdata/papi-hanoi.csv");

pub const UNITS_HEADER: [&str; 6] = [
    "code",
    "name",
    "type",
    "parent_code",
    "parent_name",
    "level",
];

/// A problem in one row of a CSV file. `row` is the line number a spreadsheet shows (the
/// header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub error: FieldError,
}

/// Loads every shipped dataset whose checksum changed since it was last loaded.
pub async fn load_shipped(store: &Store) -> anyhow::Result<()> {
    for (snapshot, text) in UNIT_SNAPSHOTS {
        let name = format!("units-{snapshot}");
        if needs_load(store, &name, text).await? {
            let existing = store.area_codes(snapshot).await?;
            let rows = parse_units_csv(text.as_bytes(), &existing)
                .map_err(|errs| anyhow::anyhow!("shipped {name} is invalid: {errs:?}"))?;
            store.upsert_areas(snapshot, &rows).await?;
            store.mark_refdata_loaded(&name, &checksum(text)).await?;
            tracing::info!(snapshot, units = rows.len(), "loaded administrative units");
        }
    }
    if needs_load(store, "ward-conversion-2025", CONVERSION).await? {
        store
            .replace_conversion(&parse_conversion(CONVERSION)?)
            .await?;
        store
            .mark_refdata_loaded("ward-conversion-2025", &checksum(CONVERSION))
            .await?;
    }
    let papi_sum = checksum(&format!("{PAPI_DIMENSIONS}{PAPI_HANOI}"));
    if store.refdata_checksum("papi").await?.as_deref() != Some(papi_sum.as_str()) {
        let dims = parse_papi_dimensions(PAPI_DIMENSIONS)?;
        let (results, scores) = parse_papi_hanoi(PAPI_HANOI)?;
        store.replace_papi(&dims, &results, &scores).await?;
        store.mark_refdata_loaded("papi", &papi_sum).await?;
    }
    Ok(())
}

async fn needs_load(store: &Store, name: &str, text: &str) -> anyhow::Result<bool> {
    Ok(store.refdata_checksum(name).await?.as_deref() != Some(checksum(text).as_str()))
}

fn checksum(text: &str) -> String {
    crate::secrets::sha256_hex(text.as_bytes())
}

/// Validates a units CSV (`code,name,type,parent_code,parent_name,level`, UTF-8) completely
/// before anything is stored, and returns every problem found with its row and column.
/// `existing` holds the (code, level) pairs already in the target snapshot, so a province
/// file may hang its districts under a province imported earlier.
pub fn parse_units_csv(
    bytes: &[u8],
    existing: &[(String, String)],
) -> Result<Vec<AreaImportRow>, Vec<RowError>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_start_matches('\u{feff}'),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            return Err(vec![RowError {
                row: line,
                error: FieldError::new("file", "err_csv_not_utf8"),
            }]);
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(_) => {
            return Err(vec![RowError {
                row: 1,
                error: FieldError::new("header", "err_csv_header"),
            }]);
        }
    };
    if header != UNITS_HEADER {
        let expected = UNITS_HEADER.join(",");
        return Err(vec![RowError {
            row: 1,
            error: FieldError::new("header", "err_csv_header").arg("expected", expected),
        }]);
    }

    let mut errors = Vec::new();
    let mut parsed: Vec<(usize, AreaImportRow)> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(RowError {
                    row,
                    error: FieldError::new("row", "err_csv_unreadable"),
                });
                continue;
            }
        };
        if record.len() != UNITS_HEADER.len() {
            errors.push(RowError {
                row,
                error: FieldError::new("row", "err_csv_columns")
                    .arg("expected", 6)
                    .arg("found", record.len()),
            });
            continue;
        }
        match parse_unit_row(&record) {
            Ok(unit) => {
                if let Some(first) = seen.insert(unit.code.clone(), row) {
                    errors.push(RowError {
                        row,
                        error: FieldError::new("code", "err_csv_duplicate_code")
                            .arg("value", &unit.code)
                            .arg("row", first),
                    });
                } else {
                    parsed.push((row, unit));
                }
            }
            Err(e) => errors.extend(e.into_iter().map(|error| RowError { row, error })),
        }
    }

    // Parents must exist, in the file or already in the snapshot, at the level above.
    let mut levels: HashMap<String, String> = existing.iter().cloned().collect();
    for (_, u) in &parsed {
        levels.insert(u.code.clone(), u.level.clone());
    }
    let mut provinces: HashMap<String, String> = HashMap::new();
    for (_, u) in &parsed {
        if u.level == "district" {
            provinces.insert(u.code.clone(), u.parent_code.clone().unwrap_or_default());
        }
    }
    let mut out = Vec::with_capacity(parsed.len());
    for (row, mut u) in parsed {
        if let Some(parent) = &u.parent_code {
            let parent_level = levels.get(parent.as_str()).map(String::as_str);
            let fits = matches!(
                (u.level.as_str(), parent_level),
                ("district", Some("province"))
                    | ("commune", Some("district"))
                    | ("commune", Some("province"))
            );
            if !fits {
                errors.push(RowError {
                    row,
                    error: FieldError::new("parent_code", "err_csv_parent_missing")
                        .arg("value", parent),
                });
                continue;
            }
            // A district's province is its parent; a commune's is its district's, which
            // `import_units` looks up when the district was stored by an earlier import.
            u.province_code = match (u.level.as_str(), parent_level) {
                ("district", _) | (_, Some("province")) => parent.clone(),
                _ => provinces.get(parent).cloned().unwrap_or_default(),
            };
        }
        out.push(u);
    }
    errors.sort_by_key(|e| e.row);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn parse_unit_row(r: &csv::StringRecord) -> Result<AreaImportRow, Vec<FieldError>> {
    let mut errs = Vec::new();
    let level = Level::parse("level", &r[5]).map_err(|e| errs.push(e)).ok();
    let code = level.and_then(|l| {
        parse_unit_code("code", &r[0], l)
            .map_err(|e| errs.push(e))
            .ok()
    });
    let name = r[1].trim();
    if name.is_empty() {
        errs.push(FieldError::new("name", "err_required"));
    } else if name.chars().count() > 200 {
        errs.push(FieldError::new("name", "err_too_long").arg("max", 200));
    }
    let kind = r[2].trim();
    if kind.is_empty() {
        errs.push(FieldError::new("type", "err_required"));
    }
    let parent = r[3].trim();
    let parent_code = match level {
        Some(Level::Province) if !parent.is_empty() => {
            errs.push(FieldError::new("parent_code", "err_csv_province_parent"));
            None
        }
        Some(Level::Province) | None => None,
        Some(_) if parent.is_empty() => {
            errs.push(FieldError::new("parent_code", "err_required"));
            None
        }
        Some(_) => Some(parent.to_string()),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    let code = code.expect("no errors means the code parsed");
    let level = level.expect("no errors means the level parsed");
    let province_code = if level == Level::Province {
        code.clone()
    } else {
        String::new()
    };
    Ok(AreaImportRow {
        code,
        name: name.to_string(),
        kind: kind.to_string(),
        level: level.as_str().to_string(),
        parent_code,
        province_code,
    })
}

/// Imports a units CSV into `snapshot`: validates everything first, then stores all rows in
/// one transaction. Returns the number of units stored.
pub async fn import_units(
    store: &Store,
    snapshot: &str,
    bytes: &[u8],
) -> Result<usize, ImportError> {
    let existing = store
        .area_codes(snapshot)
        .await
        .map_err(|e| ImportError::Store(e.into()))?;
    let mut rows = parse_units_csv(bytes, &existing).map_err(ImportError::Invalid)?;
    // Communes hung under a district stored earlier take the province from that district.
    let mut district_province: HashMap<String, String> = HashMap::new();
    for r in rows.iter().filter(|r| r.province_code.is_empty()) {
        if let Some(parent) = &r.parent_code
            && !district_province.contains_key(parent)
        {
            let area = store
                .area_by_code(snapshot, parent)
                .await
                .map_err(|e| ImportError::Store(e.into()))?;
            district_province.insert(parent.clone(), area.province_code);
        }
    }
    for r in rows.iter_mut().filter(|r| r.province_code.is_empty()) {
        r.province_code = r
            .parent_code
            .as_ref()
            .and_then(|p| district_province.get(p))
            .cloned()
            .unwrap_or_default();
    }
    store
        .upsert_areas(snapshot, &rows)
        .await
        .map_err(|e| ImportError::Store(e.into()))
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file has {} problem(s)", .0.len())]
    Invalid(Vec<RowError>),
    #[error(transparent)]
    Store(anyhow::Error),
}

fn parse_conversion(text: &str) -> anyhow::Result<Vec<ConversionRow>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, rec) in reader.records().enumerate() {
        let r = rec.with_context(|| format!("conversion row {}", i + 2))?;
        let row = ConversionRow {
            old_code: r[0].to_string(),
            old_name: r[1].to_string(),
            old_district_code: r[2].to_string(),
            new_code: r[4].to_string(),
            new_name: r[5].to_string(),
            merge: r[6].to_string(),
        };
        anyhow::ensure!(
            seen.insert((row.old_code.clone(), row.new_code.clone())),
            "duplicate conversion row {}",
            i + 2
        );
        out.push(row);
    }
    Ok(out)
}

fn parse_papi_dimensions(text: &str) -> anyhow::Result<Vec<PapiDimension>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let r = rec?;
        let code = r[0].to_string();
        let parent_code = code.split_once('.').map(|(p, _)| p.to_string());
        out.push(PapiDimension {
            code,
            parent_code,
            level: r[1].to_string(),
            name_vi: r[2].to_string(),
            name_en: r[3].to_string(),
            scale_min: r[4]
                .parse()
                .with_context(|| format!("papi-dimensions row {}", i + 2))?,
            scale_max: r[5]
                .parse()
                .with_context(|| format!("papi-dimensions row {}", i + 2))?,
            since: r[6].parse()?,
            confidence: r[7].to_string(),
            position: i as i64,
        });
    }
    Ok(out)
}

fn parse_papi_hanoi(text: &str) -> anyhow::Result<(Vec<PapiResult>, Vec<PapiScore>)> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let (mut results, mut scores) = (Vec::new(), Vec::new());
    for rec in reader.records() {
        let r = rec?;
        let year: i64 = r[0].parse()?;
        let opt = |s: &str| {
            if s.trim().is_empty() {
                None
            } else {
                Some(s.trim().to_string())
            }
        };
        // "4 (lowest)" → group 4; the label is rebuilt from the catalog in the reader's language.
        let group_no =
            opt(&r[3]).and_then(|g| g.split_whitespace().next().and_then(|n| n.parse().ok()));
        results.push(PapiResult {
            year,
            total: opt(&r[1]).map(|v| v.parse()).transpose()?,
            rank_of_63: opt(&r[2]).map(|v| v.parse()).transpose()?,
            group_no,
            notes: r[12].to_string(),
            sources: r[13].to_string(),
        });
        for (col, name) in header.iter().enumerate().take(12).skip(4) {
            if let Some(v) = opt(&r[col]) {
                scores.push(PapiScore {
                    year,
                    dimension_code: name.clone(),
                    score: v.parse()?,
                });
            }
        }
    }
    Ok((results, scores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_snapshots_have_the_official_counts() {
        let count = |text: &str, level: &str| {
            parse_units_csv(text.as_bytes(), &[])
                .unwrap()
                .iter()
                .filter(|r| r.level == level)
                .count()
        };
        assert_eq!(
            (
                count(UNIT_SNAPSHOTS[0].1, "district"),
                count(UNIT_SNAPSHOTS[0].1, "commune")
            ),
            (30, 579)
        );
        assert_eq!(
            (
                count(UNIT_SNAPSHOTS[1].1, "district"),
                count(UNIT_SNAPSHOTS[1].1, "commune")
            ),
            (30, 526)
        );
        assert_eq!(
            (
                count(UNIT_SNAPSHOTS[2].1, "district"),
                count(UNIT_SNAPSHOTS[2].1, "commune")
            ),
            (0, 126)
        );
        assert_eq!(parse_conversion(CONVERSION).unwrap().len(), 795);
        assert_eq!(parse_papi_dimensions(PAPI_DIMENSIONS).unwrap().len(), 37);
        let (results, scores) = parse_papi_hanoi(PAPI_HANOI).unwrap();
        assert_eq!(results.len(), 6);
        assert!(scores.iter().any(|s| s.year == 2023
            && s.dimension_code == "D6"
            && (s.score - 7.8486).abs() < 1e-9));
    }

    #[test]
    fn communes_take_the_province_of_their_district() {
        let rows = parse_units_csv(UNIT_SNAPSHOTS[0].1.as_bytes(), &[]).unwrap();
        assert!(
            rows.iter().all(|r| r.province_code == "01"),
            "every Hanoi unit belongs to province 01"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_row_and_column() {
        let csv = "code,name,type,parent_code,parent_name,level\n\
                   02,Tỉnh Hà Giang,tỉnh,,,province\n\
                   024,Thành phố Hà Giang,thành phố,02,Tỉnh Hà Giang,district\n\
                   24,Bad code,huyện,02,,district\n\
                   00688,,phường,024,,commune\n\
                   00691,Phường Minh Khai,phường,999,,commune\n\
                   024,Again,huyện,02,,district\n\
                   00700,Xã X,xã,024,,village\n";
        let errs = parse_units_csv(csv.as_bytes(), &[]).unwrap_err();
        let got: Vec<(usize, &str, &str)> = errs
            .iter()
            .map(|e| (e.row, e.error.field.as_str(), e.error.key))
            .collect();
        assert_eq!(
            got,
            vec![
                (4, "code", "err_unit_code_format"),
                (5, "name", "err_required"),
                (6, "parent_code", "err_csv_parent_missing"),
                (7, "code", "err_csv_duplicate_code"),
                (8, "level", "err_level_unknown"),
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_or_has_the_wrong_header_is_refused() {
        let latin1 =
            b"code,name,type,parent_code,parent_name,level\n01,H\xe0 N\xf4i,x,,,province\n";
        assert_eq!(
            parse_units_csv(latin1, &[]).unwrap_err()[0].error.key,
            "err_csv_not_utf8"
        );
        assert_eq!(parse_units_csv(latin1, &[]).unwrap_err()[0].row, 2);
        let errs = parse_units_csv(b"ma,ten\n01,x\n", &[]).unwrap_err();
        assert_eq!((errs[0].row, errs[0].error.key), (1, "err_csv_header"));
    }

    #[test]
    fn parents_may_already_be_stored() {
        let csv =
            "code,name,type,parent_code,parent_name,level\n00001,Phường A,phường,001,,commune\n";
        let existing = vec![("001".to_string(), "district".to_string())];
        assert_eq!(parse_units_csv(csv.as_bytes(), &existing).unwrap().len(), 1);
        assert!(parse_units_csv(csv.as_bytes(), &[]).is_err());
    }
}
