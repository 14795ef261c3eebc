//! "Connect with Zalo" over HTTP against the Zalo simulator: the officer starts from the
//! new-account form, the browser goes to Zalo's permission page and comes back to the
//! callback, the account exists with sealed tokens and "Test connection" works. A callback
//! whose `state` this session did not start, or one replayed, is refused with a clear
//! message and creates nothing.

use loa::connectors::{Credentials, Kind};
use loa::sandbox::{self, Running};

use crate::both;
use crate::helpers::{Backend, Page, TestApp, Visitor, id_from_location};

/// The new-account form for a Zalo OA, without tokens, as "Connect with Zalo" submits it.
fn connect_form(zalo: &Running) -> Vec<(String, String)> {
    let mut form = vec![
        ("kind".to_string(), "zalo".to_string()),
        ("name".to_string(), "Zalo OA phường".to_string()),
        ("unit_code".to_string(), String::new()),
        ("sandbox".to_string(), "1".to_string()),
        ("access_token".to_string(), String::new()),
        ("refresh_token".to_string(), String::new()),
    ];
    for key in ["api_base", "oauth_base", "app_id", "secret_key"] {
        let value = zalo.account[key].as_str().unwrap().to_string();
        form.push((key.to_string(), value));
    }
    form
}

/// Starts connecting and follows the browser to Zalo: the callback path (with query) Zalo
/// sends it back to.
async fn start_and_consent(app: &TestApp, officer: &Visitor, zalo: &Running) -> String {
    let page = officer
        .post_pairs("/accounts/zalo/connect", &connect_form(zalo))
        .await;
    let permission = page.location.clone().unwrap_or_default();
    assert!(
        page.status == 303
            && permission.starts_with(&format!("{}/v4/oa/permission?", zalo.base_url())),
        "{} {permission} {}",
        page.status,
        page.body
    );
    let query: Vec<(String, String)> =
        form_urlencoded::parse(permission.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("app_id").as_deref(), Some(sandbox::zalo::APP_ID));
    let callback = format!("{}/accounts/zalo/callback", app.base);
    assert_eq!(get("redirect_uri"), Some(callback.clone()));
    assert_eq!(get("code_challenge").unwrap().len(), 43, "S256, base64url");
    assert!(!get("state").unwrap().is_empty());
    assert!(
        !permission.contains(sandbox::zalo::SECRET_KEY),
        "the secret stays on the server"
    );
    // The browser at Zalo: the simulator approves and sends it back.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(&permission).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let back = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with(&callback), "{back}");
    assert!(back.contains("code=") && back.contains("oa_id="), "{back}");
    back.strip_prefix(&app.base).unwrap().to_string()
}

fn refused(page: &Page) -> bool {
    page.status == 400
        && page.body.contains("không khớp với phiên làm việc")
        && page.body.contains("/accounts/new?kind=zalo")
}

async fn an_officer_connects_a_zalo_oa_through_zalo_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let zalo = sandbox::zalo::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let form = officer.get("/accounts/new?kind=zalo").await;
    assert!(
        form.body.contains("formaction=\"/accounts/zalo/connect\""),
        "{}",
        form.body
    );
    assert!(form.body.contains("Kết nối với Zalo"));

    let back = start_and_consent(&app, &officer, &zalo).await;
    let page = officer.get(&back).await;
    assert!(
        page.redirects_to("/accounts/"),
        "{} {}",
        page.status,
        page.body
    );
    let id = id_from_location(&page, "/accounts/");
    let account = app.state.store.account(id).await.unwrap();
    assert_eq!(account.kind, Kind::Zalo.as_str());
    assert_eq!(account.name, "Zalo OA phường");
    assert!(account.sandbox);
    let plain = app.state.secret.open(&account.sealed_credentials).unwrap();
    let Credentials::Zalo {
        access_token,
        refresh_token,
        expires_at,
        ..
    } = serde_json::from_slice(&plain).unwrap()
    else {
        panic!("not Zalo credentials");
    };
    assert!(access_token.starts_with("zalo-access-"));
    assert!(
        !account.sealed_credentials.contains(&access_token),
        "sealed"
    );
    assert!(!refresh_token.is_empty() && expires_at > loa::clock::now_ms());

    let tested = officer.post(&format!("/accounts/{id}/test"), &[]).await;
    assert_eq!(tested.status, 200);
    assert!(
        tested.body.contains(sandbox::zalo::OA_NAME),
        "test connection names the OA: {}",
        tested.body
    );
    // The same callback again: its state was used up.
    let replay = officer.get(&back).await;
    assert!(refused(&replay), "{} {}", replay.status, replay.body);
    assert_eq!(app.state.store.list_accounts(None).await.unwrap().len(), 1);
}
both!(an_officer_connects_a_zalo_oa_through_zalo_itself);

async fn a_callback_with_a_state_this_session_did_not_start_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let other = app.logged_in("minh", "officer", "").await;
    let zalo = sandbox::zalo::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let back = start_and_consent(&app, &officer, &zalo).await;
    let state = form_urlencoded::parse(back.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // A forged or altered state, a missing one, and the right one in another session.
    let forged = back.replace(&state, "forged-state");
    assert!(refused(&officer.get(&forged).await));
    let without = back.replace(&format!("state={state}"), "");
    assert!(refused(&officer.get(&without).await));
    assert!(refused(&other.get(&back).await));
    assert!(
        app.state
            .store
            .list_accounts(None)
            .await
            .unwrap()
            .is_empty()
    );
    // None of that spent the officer's own request.
    let page = officer.get(&back).await;
    assert!(
        page.redirects_to("/accounts/"),
        "{} {}",
        page.status,
        page.body
    );
    // Without the session's CSRF token the connect form is refused before anything happens.
    let pairs = connect_form(&zalo);
    let raw: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        officer
            .post_raw("/accounts/zalo/connect", &raw)
            .await
            .status,
        403
    );
}
both!(a_callback_with_a_state_this_session_did_not_start_is_refused);
