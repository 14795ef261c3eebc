//! The shipped files and the units CSV checks.

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
    assert!(
        scores
            .iter()
            .any(|s| s.year == 2023 && s.dimension_code == "D6" && (s.score - 7.8486).abs() < 1e-9)
    );
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
    let latin1 = b"code,name,type,parent_code,parent_name,level\n01,H\xe0 N\xf4i,x,,,province\n";
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
    let csv = "code,name,type,parent_code,parent_name,level\n00001,Phường A,phường,001,,commune\n";
    let existing = vec![("001".to_string(), "district".to_string())];
    assert_eq!(parse_units_csv(csv.as_bytes(), &existing).unwrap().len(), 1);
    assert!(parse_units_csv(csv.as_bytes(), &[]).is_err());
}
