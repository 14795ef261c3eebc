//! Report exports read back (CSV with BOM; XLSX unzipped, its shared strings and cells
//! checked) and the population form's validation (all rows or nothing).

use crate::both;
use crate::helpers::{Backend, TestApp, hanoi_day};
use crate::reports::{known_dataset, period};

/// The stored entries of a zip archive, read by their local headers.
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| {
        u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize
    };
    while at + 30 <= bytes.len() && u32_at(at) == 0x0403_4b50 {
        assert_eq!(u16_at(at + 8), 0, "stored entries");
        let size = u32_at(at + 18);
        let (name_len, extra) = (u16_at(at + 26), u16_at(at + 28));
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_len].to_vec()).unwrap();
        let start = at + 30 + name_len + extra;
        out.push((
            name,
            String::from_utf8(bytes[start..start + size].to_vec()).unwrap(),
        ));
        at = start + size;
    }
    assert_eq!(
        u32_at(at),
        0x0201_4b50,
        "central directory follows the entries"
    );
    out
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
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("loa-don_vi.csv")
    );
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(
        &bytes[..3],
        &[0xEF, 0xBB, 0xBF],
        "UTF-8 byte-order mark for Excel"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(
        "Mã,Đơn vị,Từ ngày,Đến ngày,Bài của TP cho đơn vị,Bài đơn vị tự đăng,Lượt xem"
    ));
    let line = text.lines().find(|l| l.starts_with("001,")).unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    assert_eq!(
        (cells[1], cells[2], cells[6], cells[11], cells[14]),
        ("Quận Ba Đình", hanoi_day(-1).as_str(), "250", "3", "15")
    );
    let weeks = manager
        .get(&format!("/reports/export.csv?{}&table=tuan", period()))
        .await;
    assert!(weeks.body.contains("Tuần (thứ Hai)"));
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
    let files = unzip(&resp.bytes().await.unwrap());
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f.0 == name)
            .map(|f| f.1.clone())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let strings = file("xl/sharedStrings.xml");
    for h in [
        "Bài của TP cho đơn vị",
        "Tương tác / 1.000 dân",
        "Quận Ba Đình",
        "Kênh chung của Thành phố",
    ] {
        assert!(strings.contains(h), "{h} not in sharedStrings");
    }
    let book = file("xl/workbook.xml");
    assert!(book.contains("name=\"don_vi\"") && book.contains("name=\"thi_dua\""));
    let sheet = file("xl/worksheets/sheet1.xml");
    // Row 2 is the city's row, row 3 Ba Đình: link clicks (L) 3 as a number, the day (C) a date serial.
    assert!(
        sheet.contains("<c r=\"L3\" s=\"3\"><v>3</v></c>"),
        "{sheet}"
    );
    let serial = (time::Date::parse(
        &hanoi_day(-1),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap()
        - time::macros::date!(1899 - 12 - 30))
    .whole_days();
    assert!(sheet.contains(&format!("<c r=\"C3\" s=\"1\"><v>{serial}</v></c>")));
    assert!(file("xl/styles.xml").contains("dd/mm/yyyy"));
}
both!(csv_and_xlsx_exports);

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
