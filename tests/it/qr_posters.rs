//! QR posters as officers and district staff print them: the ward checklist grouped by
//! district, "print all posters" (one page each, only the reader's wards), and a poster page
//! that is a real page (main landmark, viewport, no inline script) naming the issuer "ỦY BAN".

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn print_all_posters_scoped_and_wards_grouped_by_district(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let cid = officer.new_campaign("Áp phích").await;
    let wards = app.state.store.campaign_wards(cid).await.unwrap();

    let page = officer.get(&format!("/campaigns/{cid}/qr")).await.body;
    for district in ["001", "002", "003"] {
        let at = page
            .find(&format!(
                "class=\"ward-group\" data-district=\"{district}\""
            ))
            .unwrap_or_else(|| panic!("no group for {district}"));
        let group = &page[at..at + page[at..].find("</fieldset>").unwrap()];
        for w in wards.iter().filter(|w| w.district_code == district) {
            assert!(
                group.contains(&format!("value=\"{}\"", w.code)),
                "{} in its district",
                w.name
            );
        }
    }

    let made = officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[("destination", "https://hanoi.gov.vn/papi"), ("all", "1")],
        )
        .await;
    assert!(
        made.redirects_to(&format!("/campaigns/{cid}/qr")),
        "{}",
        made.body
    );
    let page = officer.get(&format!("/campaigns/{cid}/qr")).await.body;
    assert!(page.contains(&format!("href=\"/campaigns/{cid}/qr/posters\"")));

    let all = officer
        .get(&format!("/campaigns/{cid}/qr/posters"))
        .await
        .body;
    assert_eq!(
        all.matches("<article class=\"poster\"").count(),
        wards.len()
    );
    for w in &wards {
        assert!(all.contains(&format!(
            "<strong><span lang=\"vi\">{}</span></strong> · <span lang=\"vi\">{}</span>",
            w.name, w.district_name
        )));
    }
    assert!(all.contains("ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI") && !all.contains("UỶ"));
    assert!(all.contains("<main id=\"main\">") && all.contains("name=\"viewport\""));
    assert!(!all.contains("onclick="), "no inline handler");

    let theirs = ba_dinh
        .get(&format!("/campaigns/{cid}/qr/posters"))
        .await
        .body;
    let own = wards.iter().filter(|w| w.district_code == "001").count();
    assert_eq!(theirs.matches("<article class=\"poster\"").count(), own);
    let other = wards.iter().find(|w| w.district_code == "002").unwrap();
    assert!(
        !theirs.contains(&other.name),
        "another district's wards are not printed"
    );
}
both!(print_all_posters_scoped_and_wards_grouped_by_district);
