//! Reference data shipped in `refdata/` (see `refdata/ATTRIBUTION.md`): Hanoi's units in three
//! official snapshots, the 2025 ward conversion, PAPI's dimensions and Hanoi's published scores.
//! Each dataset is loaded at start when its checksum differs from the one last loaded, so an
//! upgrade that corrects a name reaches existing databases and an unchanged one costs nothing.
mod shipped;
mod units;

use crate::store::Store;

use shipped::{parse_conversion, parse_papi_dimensions, parse_papi_hanoi};
pub use units::{ImportError, RowError, UNITS_HEADER, import_units, parse_units_csv};

/// (snapshot, file contents) for each shipped snapshot of Hanoi's units.
pub const UNIT_SNAPSHOTS: &[(&str, &str)] = &[
    ("2024", include_str!("../../refdata/hanoi-units-2024.csv")),
    (
        "2025-01",
        include_str!("../../refdata/hanoi-units-2025-01.csv"),
    ),
    (
        "2025-07",
        include_str!("../../refdata/hanoi-units-2025.csv"),
    ),
];
const CONVERSION: &str = include_str!("../../refdata/hanoi-ward-conversion-2025.csv");
const PAPI_DIMENSIONS: &str = include_str!("../../refdata/papi-dimensions.csv");
const PAPI_HANOI: &str = include_str!("../../refdata/papi-hanoi.csv");

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

#[cfg(test)]
mod tests;
