//! Report tables as data, written out as CSV (UTF-8 with a byte-order mark, so Excel reads
//! Vietnamese correctly) or as one XLSX workbook with a sheet per table (see `xlsx`).
//!
//! The CSV is the interchange file (RFC 4180: comma, dot decimals, ISO days) for other tools;
//! people who open reports in Excel get the XLSX, whose numbers and dates follow their locale.

use time::Date;

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    /// A percentage as the report shows it: 52.4 means 52,4 %.
    Pct(f64),
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
    /// The table's key: `?table=` of the CSV export and the CSV file's name (ASCII).
    pub name: &'static str,
    /// The sheet's name in the workbook, in the reader's language (≤ 31 characters).
    pub sheet: String,
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
                Cell::Text(s) => defused(s),
                Cell::Int(n) => n.to_string(),
                Cell::Num(v) | Cell::Pct(v) => format!("{v:.2}"),
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

/// A text cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) gets a leading apostrophe, as OWASP's CSV-injection guidance
/// says: post titles are written by district staff, and a manager opens the file in Excel.
/// Numbers are `Cell::Int`/`Cell::Num` and never pass through here, so -5 stays a number.
fn defused(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_text_is_defused_and_numbers_are_not() {
        let table = Table {
            name: "t",
            sheet: "t".into(),
            headers: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Cell::Text("=1+1".into()), Cell::Int(-5)],
                vec![Cell::Text("\t=1".into()), Cell::Num(-2.5)],
                vec![Cell::Text("Quận Ba Đình".into()), Cell::Pct(-12.0)],
            ],
        };
        let text = String::from_utf8(csv(&table)[3..].to_vec()).unwrap();
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["'=1+1", "-5"],
                ["'\t=1", "-2.50"],
                ["Quận Ba Đình", "-12.00"]
            ]
        );
    }
}
