//! Report workbooks (XLSX) through `rust_xlsxwriter`: one sheet per table, named for people
//! (Vietnamese by default), a bold header row that stays in view while scrolling, columns as
//! wide as their content, numbers as numbers (`#,##0`, two decimals, percentages) and days as
//! real dates shown dd/mm/yyyy. The spreadsheet shows separators the reader's way (1.234.567 in
//! a Vietnamese Excel) because the formats are Excel's own, not text.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::export::{Cell, Table};

/// Widest a column gets from autofit, in pixels: long post titles and headers wrap instead of
/// pushing the numbers off screen.
const MAX_COLUMN_PX: u32 = 260;

struct Formats {
    header: Format,
    int: Format,
    num: Format,
    pct: Format,
    date: Format,
}

pub fn workbook(tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let formats = Formats {
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Top),
        int: Format::new().set_num_format("#,##0"),
        num: Format::new().set_num_format("#,##0.00"),
        pct: Format::new().set_num_format("0.0%"),
        date: Format::new().set_num_format("dd/mm/yyyy"),
    };
    let mut book = Workbook::new();
    for table in tables {
        let sheet = book.add_worksheet();
        write_sheet(sheet, table, &formats)?;
    }
    Ok(book.save_to_buffer()?)
}

fn write_sheet(sheet: &mut Worksheet, table: &Table, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name(&table.sheet)?;
    for (c, h) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(0, col(c), h, &f.header)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = col(c);
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Int(n) => {
                    sheet.write_number_with_format(r, c, *n as f64, &f.int)?;
                }
                Cell::Num(v) if v.is_finite() => {
                    sheet.write_number_with_format(r, c, *v, &f.num)?;
                }
                // A percentage is kept as "52.4" in the tables; Excel wants the fraction.
                Cell::Pct(v) if v.is_finite() => {
                    sheet.write_number_with_format(r, c, *v / 100.0, &f.pct)?;
                }
                Cell::Date(d) => {
                    let day = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day())?;
                    sheet.write_date_with_format(r, c, &day, &f.date)?;
                }
                Cell::Num(_) | Cell::Pct(_) | Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_autofit_max_width(MAX_COLUMN_PX);
    sheet.autofit();
    Ok(())
}

/// A column index as the writer wants it; report tables have a few dozen columns at most.
fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};

    #[test]
    fn percentages_are_fractions_and_missing_values_empty_cells() {
        let table = Table {
            name: "t",
            sheet: "Thi đua".into(),
            headers: vec!["Đạt KPI".into(), "Điểm".into(), "Ngày".into()],
            rows: vec![vec![
                Cell::Pct(52.4),
                Cell::Num(f64::NAN),
                Cell::Date(time::macros::date!(2026 - 12 - 03)),
            ]],
        };
        let bytes = workbook(&[table]).unwrap();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("Thi đua").unwrap();
        assert_eq!(sheet.get((1, 0)), Some(&Data::Float(0.524)));
        assert!(matches!(sheet.get((1, 1)), None | Some(Data::Empty)));
        match sheet.get((1, 2)) {
            // 3 December 2026 is day 46,359 of Excel's calendar.
            Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), 46_359.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sheet_name_excel_refuses_is_an_error_not_a_broken_file() {
        let table = Table {
            name: "t",
            sheet: "Một tên trang tính dài hơn ba mươi mốt ký tự".into(),
            headers: vec![],
            rows: vec![],
        };
        assert!(workbook(&[table]).is_err());
    }
}
