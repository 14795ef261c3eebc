//! Units CSV files (`code,name,type,parent_code,parent_name,level`): validated whole, every
//! problem reported with its row and column, stored in one transaction.

use std::collections::HashMap;

use crate::domain::{FieldError, Level, parse_unit_code};
use crate::store::{AreaImportRow, Store};

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
