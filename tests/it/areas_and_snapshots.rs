//! Hanoi's units: shipped snapshots, switching to the 2025 map end to end, importing another
//! province all-or-nothing.

use crate::both;
use crate::helpers::{Backend, PASSWORD, TestApp};

async fn the_2024_map_lists_30_districts_and_579_communes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let snapshots = app.state.store.snapshots().await.unwrap();
    assert_eq!(
        snapshots,
        vec![
            ("2024".into(), 30, 579),
            ("2025-01".into(), 30, 526),
            ("2025-07".into(), 0, 126)
        ]
    );
    let officer = app.logged_in("officer", "officer", "").await;
    let page = officer.get("/areas").await;
    assert!(page.body.contains("/ 30</p>"), "30 districts by default");
    let hk = officer.get("/areas/002").await;
    assert!(hk.body.contains("Quận Hoàn Kiếm") && hk.body.contains("Phường Hàng Bạc"));
    assert!(
        hk.body.contains("Phường Hoàn Kiếm"),
        "the 2025 conversion shows where its wards went"
    );
    let papi = officer.get("/papi").await;
    assert!(
        papi.body.contains("Trung bình cao")
            && papi.body.contains("43,77")
            && papi.body.contains("29/63*")
    );
}
both!(the_2024_map_lists_30_districts_and_579_communes);

async fn switching_to_the_2025_map_works_end_to_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;

    let bad = admin
        .post("/admin/settings", &[("active_snapshot", "2030")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Không có bản đồ “2030”"));
    assert!(
        admin
            .post("/admin/settings", &[("active_snapshot", "2025-07")])
            .await
            .redirects_to("/admin/settings")
    );
    let settings = admin.get("/admin/settings").await;
    assert!(
        settings
            .body
            .contains("1 cán bộ đang được gán đơn vị không thuộc bản đồ này")
    );

    let list = admin.get("/areas").await;
    assert!(
        list.body.contains("/ 126</p>"),
        "126 wards and communes, no district level"
    );
    // Staff bound to a 2024 district now see nothing and are told why.
    assert!(
        ba_dinh
            .get("/")
            .await
            .body
            .contains("không thuộc bản đồ hành chính đang dùng")
    );
    assert_eq!(ba_dinh.get("/areas/001").await.status, 404);
    assert_eq!(ba_dinh.get("/areas/00004").await.status, 404);

    // Under the 2025 map staff are bound to a commune; a district code is refused.
    let refused = admin
        .post(
            "/admin/users/new",
            &[
                ("username", "phuong"),
                ("display_name", "P"),
                ("role", "district"),
                ("unit_code", "001"),
            ],
        )
        .await;
    assert!(
        refused
            .body
            .contains("Không có đơn vị mã “001” trong bản đồ 2025-07")
    );
    app.create_user("phuong.badinh", "district", "00004").await;
    let ward = app.visitor();
    ward.login("phuong.badinh", PASSWORD).await;
    let own = ward.get("/areas/00004").await;
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains("Phường Ba Đình") && own.body.contains("Phường Trúc Bạch"),
        "its pre-2025 wards are listed"
    );
    assert_eq!(
        ward.get("/areas/00008").await.status,
        404,
        "Phường Ngọc Hà is another unit"
    );
}
both!(switching_to_the_2025_map_works_end_to_end);

async fn another_province_imports_all_or_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.state.store;
    let good = "code,name,type,parent_code,parent_name,level\n\
                02,Tỉnh Hà Giang,tỉnh,,,province\n\
                024,Thành phố Hà Giang,thành phố,02,Tỉnh Hà Giang,district\n\
                00688,Phường Quang Trung,phường,024,Thành phố Hà Giang,commune\n";
    let broken = format!("{good}00691,Phường Trần Phú,phường,999,,commune\n");
    let before = store.snapshots().await.unwrap();
    match loa::refdata::import_units(store, "2024", broken.as_bytes()).await {
        Err(loa::refdata::ImportError::Invalid(errors)) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(
                (errors[0].row, errors[0].error.field.as_str()),
                (5, "parent_code")
            );
        }
        other => panic!("expected row errors, got {other:?}"),
    }
    assert_eq!(
        store.snapshots().await.unwrap(),
        before,
        "nothing was imported"
    );
    assert_eq!(
        loa::refdata::import_units(store, "2024", good.as_bytes())
            .await
            .unwrap(),
        3
    );
    let ward = store.area_by_code("2024", "00688").await.unwrap();
    assert_eq!(
        (ward.province_code.as_str(), ward.parent_code.as_deref()),
        ("02", Some("024"))
    );
    // Importing the same file again changes nothing and duplicates nothing.
    loa::refdata::import_units(store, "2024", good.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        store.snapshots().await.unwrap()[0],
        ("2024".to_string(), 31, 580)
    );
    // A later file may hang communes under a district stored before.
    let later = "code,name,type,parent_code,parent_name,level\n00692,Phường Minh Khai,phường,024,,commune\n";
    loa::refdata::import_units(store, "2024", later.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        store
            .area_by_code("2024", "00692")
            .await
            .unwrap()
            .province_code,
        "02"
    );
}
both!(another_province_imports_all_or_nothing);
