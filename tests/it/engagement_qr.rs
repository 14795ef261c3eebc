//! QR posters per ward: officers make them for a campaign's wards, the codes (PNG, and SVG
//! rasterised by resvg) decode with an independent reader (rqrr) to the ward's short link,
//! following that link counts a scan for the ward and its district, district staff handle only
//! their own wards, and the poster register records where each one was put up.

use crate::both;
use crate::helpers::{Backend, TestApp, hanoi_day};

const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; SM-S918B) Mobile Safari/537.36";

/// The short-link domain in front of Loa, as `link_base_url` names it in production.
const LINK_BASE: &str = "http://qr.loa.test";

/// What a phone's camera reads from a QR image: exactly one code, and its text.
fn decode(img: &image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32).0[0],
    );
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the code decodes").1
}

/// The SVG drawn by an independent renderer at twice its size, on white.
fn rasterise(svg: &str) -> image::GrayImage {
    use resvg::tiny_skia::{Color, Pixmap, Transform};
    let tree =
        resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).expect("a valid SVG");
    let size = tree.size().to_int_size();
    let (w, h) = (size.width() * 2, size.height() * 2);
    let mut pixmap = Pixmap::new(w, h).unwrap();
    pixmap.fill(Color::WHITE);
    resvg::render(&tree, Transform::from_scale(2.0, 2.0), &mut pixmap.as_mut());
    image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([pixmap.pixel(x, y).map(|p| p.red()).unwrap_or(255)])
    })
}

/// A phone following a scanned address: the short-link domain reaches Loa (here through Loa
/// itself as the HTTP proxy, standing for the public front), redirects are not followed.
fn phone(app: &TestApp) -> reqwest::Client {
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::http(&app.base).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn qr_scans_count_for_ward_and_district(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.link_base_url = LINK_BASE.into()).await;
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

    // Each ward's PNG decodes to that ward's short link, and so does its SVG.
    let mut scanned = Vec::new();
    for code in &codes {
        let png = officer
            .http
            .get(format!("{}/qr/{}/code.png", app.base, code.link_id))
            .send()
            .await
            .unwrap();
        assert_eq!(png.headers()["content-type"], "image/png");
        let img = image::load_from_memory(&png.bytes().await.unwrap())
            .unwrap()
            .to_luma8();
        let url = decode(&img);
        assert_eq!(url, format!("{LINK_BASE}/{}", code.slug));
        scanned.push(url);
    }
    let svg = officer
        .get(&format!("/qr/{}/code.svg", codes[0].link_id))
        .await;
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert_eq!(decode(&rasterise(&svg.body)), scanned[0]);
    // Its accessible name says where it leads (accessibility review, svg-img-alt).
    let name = format!("Mã QR dẫn tới {}", scanned[0]);
    assert!(
        svg.body
            .contains(&format!("role=\"img\" aria-label=\"{name}\""))
            && svg.body.contains(&format!("<title>{name}</title>")),
        "{}",
        svg.body
    );
    let poster = officer
        .get(&format!("/qr/{}/poster", codes[0].link_id))
        .await;
    assert!(
        poster.body.contains(&codes[0].slug)
            && poster.body.contains(codes[0].unit_name.as_deref().unwrap())
    );
    assert!(
        poster.body.contains(&format!("aria-label=\"{name}\"")),
        "the poster's code is named"
    );

    // Scans, by following the decoded addresses: two in the first ward of 001, one in the
    // second, one in 002's ward.
    for (url, times) in [(&scanned[0], 2), (&scanned[1], 1), (&scanned[2], 1)] {
        for n in 0..times {
            let r = phone(&app)
                .get(url.as_str())
                .header("user-agent", format!("{ANDROID} {n}"))
                .send()
                .await
                .unwrap();
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
