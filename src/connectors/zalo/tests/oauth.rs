//! The first authorization (OAuth v4 with PKCE) against the simulator: permission page, code
//! exchange, and the refusals of a reused code, a wrong verifier and a bad challenge.

use std::time::Duration;

use crate::connectors::zalo::{self, Zalo, ZaloApp};
use crate::connectors::{Connector, Credentials, Failure, http_client};
use crate::sandbox::{Running, zalo as sim};

const REDIRECT: &str = "https://loa.example.gov.vn/accounts/zalo/callback";

fn app(running: &Running) -> ZaloApp<'_> {
    ZaloApp {
        oauth_base: running.account["oauth_base"].as_str().unwrap(),
        app_id: sim::APP_ID,
        secret_key: sim::SECRET_KEY,
    }
}

/// What the browser meets at the permission page: the redirect's status and location.
async fn consent(url: &str) -> (u16, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(url).send().await.unwrap();
    let location = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (answer.status().as_u16(), location)
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A code issued for `verifier`'s challenge.
async fn code_for(running: &Running, verifier: &str) -> String {
    let url = zalo::permission_url(
        &app(running),
        REDIRECT,
        &zalo::code_challenge(verifier),
        "st-1",
    );
    let (status, location) = consent(&url).await;
    assert_eq!(status, 303, "{location}");
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(param(&location, "state"), "st-1");
    assert_eq!(param(&location, "oa_id"), sim::OA_ID);
    param(&location, "code")
}

#[test]
fn the_challenge_is_s256_of_the_verifier_and_the_url_carries_every_parameter() {
    // RFC 7636, appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_eq!(
        zalo::code_challenge(verifier),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
    assert_eq!(zalo::code_verifier().len(), 43);
    assert_ne!(zalo::code_verifier(), zalo::code_verifier());
    let app = ZaloApp {
        oauth_base: "https://oauth.zaloapp.com/",
        app_id: "123",
        secret_key: "s",
    };
    let url = zalo::permission_url(&app, REDIRECT, "chal", "a b");
    assert!(url.starts_with("https://oauth.zaloapp.com/v4/oa/permission?app_id=123&"));
    assert_eq!(param(&url, "redirect_uri"), REDIRECT);
    assert_eq!(param(&url, "code_challenge"), "chal");
    assert_eq!(param(&url, "state"), "a b");
    assert!(!url.contains("secret"), "the secret never travels in a URL");
}

#[tokio::test]
async fn a_code_and_its_verifier_give_tokens_that_work_once() {
    let running = sim::spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = http_client(Duration::from_secs(2));
    let verifier = zalo::code_verifier();
    let code = code_for(&running, &verifier).await;
    let tokens = zalo::exchange_code(&http, &app(&running), &code, &verifier)
        .await
        .unwrap();
    assert!(tokens.expires_at > crate::clock::now_ms() + 3600 * 1000);
    let mut creds: Credentials = serde_json::from_value(running.account.clone()).unwrap();
    if let Credentials::Zalo {
        access_token,
        refresh_token,
        ..
    } = &mut creds
    {
        *access_token = tokens.access_token.clone();
        *refresh_token = tokens.refresh_token.clone();
    }
    let connector = Zalo::new(http.clone(), creds);
    assert_eq!(connector.test_connection().await.unwrap(), sim::OA_NAME);
    // The new refresh token is a real one: it refreshes.
    assert!(connector.refresh().await.is_ok());
    // The code is spent.
    match zalo::exchange_code(&http, &app(&running), &code, &verifier).await {
        Err(Failure::NeedsReauth { reason }) => {
            assert!(
                reason.contains("-14003") && reason.contains("used"),
                "{reason}"
            )
        }
        other => panic!("a reused code must be refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_verifier_spends_the_code_and_bad_requests_are_refused() {
    let running = sim::spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = http_client(Duration::from_secs(2));
    let verifier = zalo::code_verifier();
    let code = code_for(&running, &verifier).await;
    let wrong = zalo::exchange_code(&http, &app(&running), &code, &zalo::code_verifier()).await;
    match wrong {
        Err(Failure::NeedsReauth { reason }) => {
            assert!(reason.contains("code_verifier"), "{reason}")
        }
        other => panic!("a wrong verifier must be refused: {other:?}"),
    }
    // Tried once, gone: the right verifier comes too late.
    assert!(
        zalo::exchange_code(&http, &app(&running), &code, &verifier)
            .await
            .is_err()
    );
    // A wrong secret key, an unknown code.
    let bad_secret = ZaloApp {
        secret_key: "not-the-secret",
        ..app(&running)
    };
    assert!(
        zalo::exchange_code(&http, &bad_secret, &code, &verifier)
            .await
            .is_err()
    );
    assert!(
        zalo::exchange_code(&http, &app(&running), "no-such-code", &verifier)
            .await
            .is_err()
    );
    // The permission page refuses a challenge that is not S256 and an unknown app.
    let plain = zalo::permission_url(&app(&running), REDIRECT, "plain", "s");
    assert_eq!(consent(&plain).await.0, 400);
    let other_app = ZaloApp {
        app_id: "another-app",
        ..app(&running)
    };
    let url = zalo::permission_url(&other_app, REDIRECT, &zalo::code_challenge("v"), "s");
    assert_eq!(consent(&url).await.0, 400);
}
