//! Every route × every role, including district staff of another unit. The expectations are
//! written out here by hand, so changing a route's rule means changing this table too, and a
//! new route without an expectation fails the test.

use loa::web::{Access, route_table};

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor};

const ROLES: [&str; 5] = ["anonymous", "admin", "officer", "district", "manager"];

/// Who may use each route (method, path). "all" = every signed-in role; "public" = anyone.
fn expected(method: &str, path: &str) -> Option<&'static [&'static str]> {
    const ALL: &[&str] = &["admin", "officer", "district", "manager"];
    const PUBLIC: &[&str] = &["anonymous", "admin", "officer", "district", "manager"];
    const ADMIN: &[&str] = &["admin"];
    const PLANNERS: &[&str] = &["admin", "officer"];
    const AUTHORS: &[&str] = &["admin", "officer", "district"];
    const CITY_READERS: &[&str] = &["admin", "officer", "manager"];
    const UNIT_STAFF: &[&str] = &["district"];
    Some(match (method, path) {
        ("GET", "/campaigns") | ("GET", "/campaigns/{id}") | ("GET", "/calendar") => ALL,
        ("GET", "/campaigns/new") | ("POST", "/campaigns/new") => PLANNERS,
        ("GET", "/campaigns/{id}/edit") | ("POST", "/campaigns/{id}/edit") => PLANNERS,
        ("GET", "/campaigns/{id}/import") | ("POST", "/campaigns/{id}/import") => PLANNERS,
        ("GET", "/campaigns/{id}/import/mau-nhap-bai.csv") => PLANNERS,
        ("GET", "/campaigns/{id}/imports/{import_id}") => PLANNERS,
        ("GET", "/campaigns/{id}/posts/new") | ("POST", "/campaigns/{id}/posts/new") => AUTHORS,
        ("GET", "/posts") | ("GET", "/posts/{id}") => ALL,
        ("GET", "/posts/{id}/edit") | ("POST", "/posts/{id}/edit") => AUTHORS,
        ("POST", "/posts/{id}/transition") => AUTHORS,
        ("POST", "/posts/{id}/reschedule") => PLANNERS,
        ("GET", "/media") | ("GET", "/media/{id}") | ("GET", "/media/{id}/file/{kind}") => ALL,
        ("POST", "/media") | ("POST", "/media/{id}") => AUTHORS,
        ("GET", "/accounts") | ("GET", "/accounts/{id}") => ALL,
        ("GET", "/accounts/new") | ("POST", "/accounts/new") => PLANNERS,
        ("POST", "/accounts/{id}/credentials") | ("POST", "/accounts/{id}/test") => PLANNERS,
        ("POST", "/accounts/{id}/status") => PLANNERS,
        ("POST", "/accounts/zalo/connect") | ("GET", "/accounts/zalo/callback") => PLANNERS,
        ("POST", "/deliveries/{id}") => PLANNERS,
        ("GET", "/publishing") => ALL,
        ("POST", "/posts/{id}/metrics") => PLANNERS,
        ("GET", "/campaigns/{id}/qr") | ("GET", "/qr/{link}/poster") => ALL,
        ("GET", "/campaigns/{id}/qr/posters") => ALL,
        ("GET", "/qr/{link}/code.png") | ("GET", "/qr/{link}/code.svg") => ALL,
        ("POST", "/campaigns/{id}/qr") | ("POST", "/campaigns/{id}/placements") => AUTHORS,
        ("GET", "/kits") | ("GET", "/kits/{id}") => CITY_READERS,
        ("POST", "/kits/trusted") | ("GET", "/posts/{id}/kit") | ("POST", "/posts/{id}/kit") => {
            PLANNERS
        }
        ("POST", "/kits/{id}/withdraw") | ("POST", "/kits/{id}/remind") => PLANNERS,
        ("GET", "/kits/{id}/share") | ("POST", "/kits/{id}/share") => UNIT_STAFF,
        ("POST", "/kits/{id}/decline") => UNIT_STAFF,
        ("GET", "/units/{code}/fields") => ALL,
        ("POST", "/units/{code}/fields") => AUTHORS,
        ("GET", "/notifications") | ("POST", "/notifications/read") => ALL,
        ("GET", "/proposals") => ALL,
        ("GET", "/proposals/new") | ("POST", "/proposals/new") => UNIT_STAFF,
        ("POST", "/proposals/{id}/adopt") | ("POST", "/proposals/{id}/decline") => PLANNERS,
        ("GET", "/login") | ("POST", "/login") | ("POST", "/lang") | ("GET", "/m/{file}") => PUBLIC,
        ("GET", "/") | ("GET", "/areas") | ("GET", "/areas/{code}") | ("GET", "/papi") => ALL,
        ("POST", "/logout") | ("GET", "/account/password") | ("POST", "/account/password") => ALL,
        ("GET", "/admin/users") | ("GET", "/admin/users/new") | ("POST", "/admin/users/new") => {
            ADMIN
        }
        ("GET", "/admin/users/{id}") | ("POST", "/admin/users/{id}") => ADMIN,
        ("POST", "/admin/users/{id}/disable") | ("POST", "/admin/users/{id}/enable") => ADMIN,
        ("POST", "/admin/users/{id}/reset-password") => ADMIN,
        ("GET", "/admin/settings") | ("POST", "/admin/settings") | ("GET", "/admin/audit") => ADMIN,
        ("GET", "/reports") | ("GET", "/reports/export.csv") | ("GET", "/reports/export.xlsx") => {
            ALL
        }
        ("GET", "/reports/population") | ("POST", "/reports/population") => PLANNERS,
        ("GET", "/reports/shares") | ("POST", "/reports/shares") => CITY_READERS,
        ("POST", "/reports/shares/{id}/revoke") => CITY_READERS,
        ("GET", "/shared/{token}") => PUBLIC,
        _ => return None,
    })
}

async fn visitor_for(app: &TestApp, role: &str, n: usize) -> Visitor {
    match role {
        "anonymous" => app.visitor(),
        "admin" => app.admin().await,
        // District staff of Quận Ba Đình (001); the probes below use Ba Đình's own code.
        "district" => {
            app.logged_in(&format!("district{n}"), "district", "001")
                .await
        }
        other => app.logged_in(&format!("{other}{n}"), other, "").await,
    }
}

async fn every_route_answers_every_role_as_declared(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A target account for the /admin/users/{id} routes, distinct from every actor.
    let target = app.create_user("target", "officer", "").await.to_string();
    let routes = route_table();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(m, p, _)| expected(m.as_str(), p).is_none())
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an expectation in the matrix: {missing:?}"
    );

    let mut failures = Vec::new();
    let mut n = 0;
    for (method, path, access) in &routes {
        let allowed = expected(method.as_str(), path).unwrap();
        // Declared rule and written expectation must agree, whatever the answers below.
        if let Access::Roles(roles) = access {
            let declared: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            assert_eq!(
                declared,
                allowed.to_vec(),
                "{method} {path}: declared roles differ from the matrix"
            );
        }
        let url = path
            .replace("{id}", &target)
            .replace("{import_id}", &target)
            .replace("{code}", "001")
            .replace("{kind}", "thumbnail");
        for role in ROLES {
            n += 1;
            // A fresh session per probe: some of these posts log out or change the target.
            let v = visitor_for(&app, role, n).await;
            let page = if method == "GET" {
                v.get(&url).await
            } else {
                v.post(&url, &[]).await
            };
            let denied = page.status == 403
                || page.status == 401 && role == "anonymous"
                || (role == "anonymous" && page.redirects_to("/login"));
            let should_allow = allowed.contains(&role);
            // Managers change nothing, whatever a rule says, except their own account.
            if should_allow == denied {
                failures.push(format!(
                    "{method} {url} as {role}: status {} ({:?}), expected {}",
                    page.status,
                    page.location,
                    if should_allow { "allowed" } else { "denied" }
                ));
            }
            if !should_allow && role != "anonymous" && page.status != 403 {
                failures.push(format!(
                    "{method} {url} as {role}: denied but answered {} instead of 403",
                    page.status
                ));
            }
        }
        // The target may have been disabled by the probe; put it back for the next route.
        app.state
            .store
            .set_user_disabled(target.parse().unwrap(), false)
            .await
            .unwrap();
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
}
both!(every_route_answers_every_role_as_declared);

async fn district_staff_never_see_another_districts_units(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    // Quận Ba Đình and its wards are visible.
    assert_eq!(ba_dinh.get("/areas/001").await.status, 200);
    assert_eq!(ba_dinh.get("/areas/00001").await.status, 200);
    // Quận Hoàn Kiếm (002) and its wards answer as if they did not exist.
    for code in ["002", "00037", "00040", "01", "003"] {
        let page = ba_dinh.get(&format!("/areas/{code}")).await;
        assert_eq!(
            page.status, 404,
            "{code} must be invisible to Ba Đình staff"
        );
    }
    let list = ba_dinh.get("/areas?level=all").await;
    assert!(
        list.body.contains("Quận Ba Đình") && !list.body.contains("Hoàn Kiếm"),
        "the list holds only Ba Đình"
    );
    let search = ba_dinh.get("/areas?q=Hàng").await;
    assert!(
        !search.body.contains("Hàng Bạc"),
        "searching does not reach Hoàn Kiếm's wards"
    );
    // A manager reads everything but changes nothing.
    let manager = app.logged_in("manager", "manager", "").await;
    assert_eq!(manager.get("/areas/002").await.status, 200);
    assert_eq!(
        manager
            .post("/admin/settings", &[("active_snapshot", "2025-07")])
            .await
            .status,
        403
    );
}
both!(district_staff_never_see_another_districts_units);
