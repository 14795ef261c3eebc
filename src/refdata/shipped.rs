//! Parsers of the shipped 2025 ward conversion and PAPI files.

use std::collections::HashSet;

use anyhow::Context;

use crate::store::{ConversionRow, PapiDimension, PapiResult, PapiScore};

pub(super) fn parse_conversion(text: &str) -> anyhow::Result<Vec<ConversionRow>> {
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

pub(super) fn parse_papi_dimensions(text: &str) -> anyhow::Result<Vec<PapiDimension>> {
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

pub(super) fn parse_papi_hanoi(text: &str) -> anyhow::Result<(Vec<PapiResult>, Vec<PapiScore>)> {
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
