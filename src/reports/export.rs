//! Report tables as data, written out as CSV (UTF-8 with a byte-order mark, so Excel reads
//! Vietnamese correctly) or as one XLSX workbook with a sheet per table (see `xlsx`).

use time::Date;

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    Date(Date),
    Empty,
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Cell {
        v.map(Cell::Num).unwrap_or(Cell::Empty)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        v.map(Cell::Int).unwrap_or(Cell::Empty)
    }
}

/// One report table: a sheet in the workbook, a CSV file on its own.
#[derive(Clone, Debug)]
pub struct Table {
    /// File and sheet name (ASCII, ≤ 31 characters).
    pub name: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut w = ::csv::Writer::from_writer(&mut out);
    let _ = w.write_record(&table.headers);
    for row in &table.rows {
        let fields: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Int(n) => n.to_string(),
                Cell::Num(v) => format!("{v:.2}"),
                Cell::Date(d) => d.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        let _ = w.write_record(&fields);
    }
    let _ = w.flush();
    drop(w);
    out
}
