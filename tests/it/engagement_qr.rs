//! QR posters per ward: officers make them for a campaign's wards, each scan counts for its
//! ward and that ward's district, district staff handle only their own wards, and the poster
//! register records where each one was put up.

use crate::both;
use crate::engagement::follow;
use crate::helpers::{Backend, TestApp, hanoi_day};

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; SM-S918B) Mobile Safari/537.36";

async fn qr_scans_count_for_ward_and_district(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = officer.new_campaign("Bảng tin").await;
    let wards = app.state.store.campaign_wards(cid).await.unwrap();
    let in_001: Vec<_> = wards
        .iter()
        .filter(|w| w.district_code == "001")
        .take(2)
        .collect();
    let in_002 = wards.iter().find(|w| w.district_code == "002").unwrap();
    assert_eq!(in_001.len(), 2);

    // Bad input first: no destination, no ward.
    let page = officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[
                ("destination", "javascript:alert(1)"),
                ("ward", &in_002.code),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("http hoặc https"), "{}", page.body);
    let page = officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[("destination", "https://hanoi.gov.vn/papi")],
        )
        .await;
    assert_eq!(page.status, 400);

    let form = [
        ("destination", "https://hanoi.gov.vn/papi"),
        ("ward", in_001[0].code.as_str()),
        ("ward", in_001[1].code.as_str()),
        ("ward", in_002.code.as_str()),
    ];
    let page = officer.post(&format!("/campaigns/{cid}/qr"), &form).await;
    assert!(
        page.redirects_to(&format!("/campaigns/{cid}/qr?made=3")),
        "{} {}",
        page.status,
        page.body
    );
    let codes = app.state.store.campaign_qr_codes(cid).await.unwrap();
    assert_eq!(codes.len(), 3);
    // Asking again makes nothing new: one code per ward and destination.
    officer.post(&format!("/campaigns/{cid}/qr"), &form).await;
    assert_eq!(
        app.state.store.campaign_qr_codes(cid).await.unwrap().len(),
        3
    );

    let png = officer
        .http
        .get(format!("{}/qr/{}/code.png", app.base, codes[0].link_id))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let img = image::load_from_memory(&png.bytes().await.unwrap()).unwrap();
    assert!(img.width() >= 200);
    let svg = officer
        .get(&format!("/qr/{}/code.svg", codes[0].link_id))
        .await;
    assert!(svg.body.starts_with("<svg"));
    let poster = officer
        .get(&format!("/qr/{}/poster", codes[0].link_id))
        .await;
    assert!(
        poster.body.contains(&codes[0].slug)
            && poster.body.contains(codes[0].unit_name.as_deref().unwrap())
    );

    // Scans: two in the first ward of 001, one in the second, one in 002's ward.
    for (code, times) in [(&codes[0], 2), (&codes[1], 1), (&codes[2], 1)] {
        for n in 0..times {
            let r = follow(&app, &code.slug, &format!("{ANDROID} {n}")).await;
            assert_eq!(r.status(), 302);
            let to = r.headers()["location"].to_str().unwrap().to_string();
            assert!(to.contains("utm_source=qr&utm_medium=offline"), "{to}");
        }
    }
    let codes = app.state.store.campaign_qr_codes(cid).await.unwrap();
    let scans: Vec<(String, i64)> = codes
        .iter()
        .map(|c| (c.unit_code.clone().unwrap(), c.scans))
        .collect();
    assert!(scans.contains(&(in_001[0].code.clone(), 2)), "{scans:?}");
    assert!(scans.contains(&(in_001[1].code.clone(), 1)), "{scans:?}");
    assert!(scans.contains(&(in_002.code.clone(), 1)), "{scans:?}");
    let by_district = app.state.store.campaign_engagement(cid).await.unwrap();
    let scans_of = |d: &str| {
        by_district
            .iter()
            .find(|r| r.unit_code.as_deref() == Some(d))
            .map(|r| r.qr_scans)
    };
    assert_eq!((scans_of("001"), scans_of("002")), (Some(3), Some(1)));

    // District 002's staff: their ward only; 001's poster does not exist for them.
    let district = app.logged_in("tuan", "district", "002").await;
    let page = district.get(&format!("/campaigns/{cid}/qr")).await;
    assert!(page.body.contains(&in_002.name) && !page.body.contains(&codes[0].slug));
    let theirs = codes
        .iter()
        .find(|c| c.unit_code.as_deref() == Some(&in_001[0].code))
        .unwrap();
    assert_eq!(
        district
            .get(&format!("/qr/{}/poster", theirs.link_id))
            .await
            .status,
        404
    );
    let page = district
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[
                ("destination", "https://hanoi.gov.vn/"),
                ("ward", &in_001[1].code),
            ],
        )
        .await;
    assert_eq!(page.status, 403);

    // The register: where a poster went up, checked.
    let own = codes
        .iter()
        .find(|c| c.unit_code.as_deref() == Some(&in_002.code))
        .unwrap();
    let link = own.link_id.to_string();
    let bad = district
        .post(
            &format!("/campaigns/{cid}/placements"),
            &[
                ("link", &link),
                ("place", "Nhà văn hoá tổ 3"),
                ("placed_on", "25/11/2026"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("năm-tháng-ngày"), "{}", bad.body);
    let ok = district
        .post(
            &format!("/campaigns/{cid}/placements"),
            &[
                ("link", &link),
                ("place", "Nhà văn hoá tổ 3"),
                ("placed_on", &hanoi_day(0)),
            ],
        )
        .await;
    assert!(
        ok.redirects_to(&format!("/campaigns/{cid}/qr?placed=1")),
        "{} {}",
        ok.status,
        ok.body
    );
    let page = officer.get(&format!("/campaigns/{cid}/qr")).await;
    assert!(page.body.contains("Nhà văn hoá tổ 3"));
    let other = theirs.link_id.to_string();
    let refused = district
        .post(
            &format!("/campaigns/{cid}/placements"),
            &[
                ("link", &other),
                ("place", "x"),
                ("placed_on", &hanoi_day(0)),
            ],
        )
        .await;
    assert_eq!(refused.status, 404);
}
both!(qr_scans_count_for_ward_and_district);
