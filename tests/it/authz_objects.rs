//! Authorization against real objects (security review 2026-12). `authz_matrix` checks every
//! route × role with ids that name nothing; here every route that names an object gets the
//! ids of Hoàn Kiếm's (002) own post, image, kit, QR link, proposal and fields, and is probed by
//! every role and by district staff of Ba Đình (001), a second district. Then every list that
//! district staff read must hold only their own unit's things.

use loa::domain::Role;
use loa::web::{Access, route_table};

use crate::both;
use crate::helpers::{Backend, PASSWORD, Page, TestApp, Visitor, id_from_location};
use crate::kits::{approved_city_post, make_kit};
use crate::posts::post_form;

/// Hoàn Kiếm's objects, and a marker text each shows where it is listed.
struct Owned {
    campaign: i64,
    post: i64,
    media: i64,
    kit: i64,
    link: i64,
    proposal: i64,
    staff: i64,
}

const MARK: &str = "riêng Hoàn Kiếm";

async fn hoan_kiem_objects(app: &TestApp, officer: &Visitor) -> (Visitor, Owned) {
    let staff_id = app.create_user("hoankiem", "district", "002").await;
    let staff = &app.visitor();
    staff.login("hoankiem", PASSWORD).await;
    let (campaign, city_post) = approved_city_post(officer, app).await;
    let kit = make_kit(officer, app, city_post, &["002"]).await;
    let post = id_from_location(
        &staff
            .post_pairs(
                &format!("/campaigns/{campaign}/posts/new"),
                &post_form(&format!("Bài {MARK}"), &[]),
            )
            .await,
        "/posts/",
    );
    let png = {
        let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let media = id_from_location(
        &crate::media::upload(staff, "hk.png", png, &format!("Ảnh {MARK}")).await,
        "/media/",
    );
    let page = staff
        .post(
            "/proposals/new",
            &[
                ("title", &format!("Đề xuất {MARK}")),
                ("body", "Nội dung"),
                ("link", ""),
            ],
        )
        .await;
    assert!(page.redirects_to("/proposals"), "{}", page.body);
    let proposal = app.state.store.proposals(None).await.unwrap()[0].proposal_id;
    let ward = app
        .state
        .store
        .campaign_wards(campaign)
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.district_code == "002")
        .unwrap();
    let page = staff
        .post(
            &format!("/campaigns/{campaign}/qr"),
            &[
                ("destination", "https://hanoi.gov.vn/papi"),
                ("ward", &ward.code),
            ],
        )
        .await;
    assert!(page.status == 303, "{}", page.body);
    let link = app.state.store.campaign_qr_codes(campaign).await.unwrap()[0].link_id;
    let owned = Owned {
        campaign,
        post,
        media,
        kit,
        link,
        proposal,
        staff: staff_id,
    };
    (app_visitor_logged_in(app).await, owned)
}

/// Another session of Hoàn Kiếm's staff member.
async fn app_visitor_logged_in(app: &TestApp) -> Visitor {
    let v = app.visitor();
    v.login("hoankiem", PASSWORD).await;
    v
}

/// The route with Hoàn Kiếm's ids, or `None` when it names no object of a unit.
fn owned_url(path: &str, o: &Owned) -> Option<String> {
    let id = if path.starts_with("/posts/{id}") {
        o.post
    } else if path.starts_with("/media/{id}") {
        o.media
    } else if path.starts_with("/kits/{id}") {
        o.kit
    } else if path.starts_with("/proposals/{id}") {
        o.proposal
    } else if path.starts_with("/admin/users/{id}") {
        o.staff
    } else if path.starts_with("/qr/{link}") {
        o.link
    } else if path.contains("{code}") {
        0
    } else {
        return None;
    };
    Some(
        path.replace("{id}", &id.to_string())
            .replace("{link}", &id.to_string())
            .replace("{code}", "002")
            .replace("{kind}", "thumbnail"),
    )
}

/// Whether the rule lets this role through (the rule, not the object).
fn role_allows(access: Access, role: Role, method: &str) -> bool {
    let write = method != "GET";
    match access {
        Access::Public | Access::SelfService => true,
        _ if write && role.is_read_only() => {
            matches!(access, Access::Roles(r) if r.contains(&role))
        }
        Access::SignedIn => true,
        Access::Roles(roles) => roles.contains(&role),
    }
}

async fn probe(v: &Visitor, method: &str, url: &str) -> Page {
    if method == "GET" {
        v.get(url).await
    } else {
        v.post(url, &[]).await
    }
}

async fn another_districts_objects_are_hidden_on_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let (hoan_kiem, o) = hoan_kiem_objects(&app, &officer).await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let before = app.state.store.post(o.post).await.unwrap().version;
    let routes: Vec<_> = route_table()
        .into_iter()
        .filter_map(|(m, p, a)| owned_url(p, &o).map(|url| (m.to_string(), url, a)))
        .collect();
    assert!(routes.len() > 20, "{routes:?}");
    let mut failures = Vec::new();

    // The second district first, before anyone else's probe changes something.
    for (method, url, _) in &routes {
        let page = probe(&ba_dinh, method, url).await;
        if page.status != 403 && page.status != 404 {
            failures.push(format!("Ba Đình {method} {url}: {}", page.status));
        }
    }
    assert_eq!(
        app.state.store.post(o.post).await.unwrap().version,
        before,
        "Ba Đình's probes changed Hoàn Kiếm's post"
    );
    // The owner reaches each of its objects wherever district staff may go.
    for (method, url, access) in &routes {
        let page = probe(&hoan_kiem, method, url).await;
        let allowed = role_allows(*access, Role::District, method);
        let ok = if allowed {
            page.status != 403 && page.status != 404
        } else {
            page.status == 403
        };
        if !ok {
            failures.push(format!(
                "Hoàn Kiếm {method} {url}: {} (allowed: {allowed})",
                page.status
            ));
        }
    }
    // City roles and anonymous visitors, by the rule.
    let anonymous = app.visitor();
    let manager = app.logged_in("manager", "manager", "").await;
    let admin = app.admin().await;
    for (who, role, v) in [
        ("anonymous", None, &anonymous),
        ("manager", Some(Role::Manager), &manager),
        ("officer", Some(Role::Officer), &officer),
        ("admin", Some(Role::Admin), &admin),
    ] {
        for (method, url, access) in &routes {
            let page = probe(v, method, url).await;
            let ok = match role {
                None if *access == Access::Public => page.status != 403,
                None => page.redirects_to("/login"),
                // Kits are made from city posts only: a district's post has none to show.
                Some(r) if url.ends_with("/kit") && role_allows(*access, r, method) => {
                    page.status == 404
                }
                Some(r) if role_allows(*access, r, method) => {
                    page.status != 403 && page.status != 404
                }
                Some(_) => page.status == 403,
            };
            if !ok {
                failures.push(format!("{who} {method} {url}: {}", page.status));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = o.campaign;
}
both!(another_districts_objects_are_hidden_on_every_route);

async fn every_list_holds_only_the_district_staffs_own_unit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let (hoan_kiem, o) = hoan_kiem_objects(&app, &officer).await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let lists = [
        "/".to_string(),
        "/posts".into(),
        "/posts?unit=002".into(),
        "/media".into(),
        "/proposals".into(),
        "/calendar".into(),
        "/publishing".into(),
        "/notifications".into(),
        "/reports".into(),
        "/accounts".into(),
        format!("/campaigns/{}", o.campaign),
        format!("/campaigns/{}/qr", o.campaign),
        "/areas?level=all".into(),
    ];
    for path in &lists {
        let page = ba_dinh.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains(MARK),
            "Ba Đình sees Hoàn Kiếm's on {path}"
        );
    }
    // The marker is on the owner's lists, so the checks above can fail.
    for path in ["/posts", "/media", "/proposals"] {
        let page = hoan_kiem.get(path).await;
        assert!(page.body.contains(MARK), "Hoàn Kiếm's own {path}");
    }
    // City readers see the city's lists; district staff are refused the kits overview and
    // another unit's report.
    assert!(officer.get("/posts").await.body.contains(MARK));
    assert_eq!(ba_dinh.get("/kits").await.status, 403);
    assert_eq!(ba_dinh.get("/reports?district=002").await.status, 404);
    assert_eq!(
        ba_dinh.get(&format!("/kits/{}/share", o.kit)).await.status,
        404
    );
    let qr = ba_dinh.get(&format!("/campaigns/{}/qr", o.campaign)).await;
    assert!(
        !qr.body.contains(&format!("/qr/{}/", o.link)),
        "Hoàn Kiếm's QR link"
    );
}
both!(every_list_holds_only_the_district_staffs_own_unit);
