//! Failures classified by Graph's error codes, proofs and unreachable hosts.

use super::*;
use crate::connectors::classify::Answer;
use crate::connectors::classify::test_support::{client, closed_port_url, outgoing};
use crate::connectors::facebook::errors::failure;
use crate::sandbox::facebook as sim;

#[tokio::test]
async fn error_classes_follow_the_graph_codes() {
    let (running, fb) = setup().await;
    let out = outgoing("e", "Lỗi.");

    running.sim.force_next(Fault::RateLimited);
    match reason_of(fb.publish(&out).await) {
        Failure::Retryable { reason, after } => {
            assert!(reason.contains("32"), "{reason}");
            // estimated_time_to_regain_access is in minutes.
            assert_eq!(after, Some(Duration::from_secs(60)));
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
    running.sim.force_next(Fault::ExpiredToken);
    match reason_of(fb.publish(&out).await) {
        Failure::NeedsReauth { reason } => assert!(reason.contains("190/463"), "{reason}"),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        reason_of(fb.publish(&out).await),
        Failure::Ambiguous { .. }
    ));
    // Code 2 on a read is safe to retry.
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        reason_of(fb.test_connection().await),
        Failure::Retryable { .. }
    ));
    // Validation: a link Graph cannot scrape, a post with nothing in it.
    let bad_link = Outgoing {
        link: Some("not a link".into()),
        ..out.clone()
    };
    match reason_of(fb.publish(&bad_link).await) {
        Failure::Permanent { reason } => assert!(reason.contains("1609005"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    let empty = Outgoing {
        body: String::new(),
        link: None,
        ..out.clone()
    };
    match reason_of(fb.publish(&empty).await) {
        Failure::Permanent { reason } => assert!(reason.contains("100"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(running.sim.stats().created, 0);

    // 506: the same message twice in a row was not posted; sending it again cannot help.
    fb.publish(&out).await.unwrap();
    match reason_of(fb.publish(&out).await) {
        Failure::Permanent { reason } => {
            assert!(
                reason.contains("506") && reason.contains("identical"),
                "{reason}"
            )
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[tokio::test]
async fn a_block_waits_and_a_missing_permission_flags_the_account() {
    let (running, fb) = setup().await;
    // 368, temporarily blocked: Meta advises waiting, so the post waits an hour.
    reqwest::Client::new()
        .post(format!("{}/_sim/block", running.base_url()))
        .json(&serde_json::json!({"posts": 1}))
        .send()
        .await
        .unwrap();
    match reason_of(fb.publish(&outgoing("b", "Bị chặn tạm thời.")).await) {
        Failure::Retryable { reason, after } => {
            assert!(reason.contains("368"), "{reason}");
            assert_eq!(
                after,
                Some(crate::connectors::facebook::errors::BLOCKED_WAIT)
            );
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
    fb.publish(&outgoing("b", "Bị chặn tạm thời."))
        .await
        .unwrap();

    // A person's token reads the Page but cannot publish: test connection says so at once,
    // and a post through it flags the account instead of failing post after post.
    let user = Facebook::new(
        client(),
        Credentials::Facebook {
            base_url: running.account["base_url"].as_str().unwrap().into(),
            page_id: running.account["page_id"].as_str().unwrap().into(),
            page_token: sim::Options::default().user_token,
            app_secret: Some(running.account["app_secret"].as_str().unwrap().into()),
        },
    );
    match reason_of(user.test_connection().await) {
        Failure::NeedsReauth { reason } => {
            assert!(reason.contains("not to Page 1000001"), "{reason}")
        }
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    match reason_of(
        user.publish(&outgoing("u", "Bằng mã của người dùng."))
            .await,
    ) {
        Failure::NeedsReauth { reason } => assert!(reason.contains("Graph error 200"), "{reason}"),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    assert_eq!(running.sim.stats().created, 1);
}

#[test]
fn classification_by_code_not_status() {
    let answer = |status: u16, body: &str, usage: Option<&str>| {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(u) = usage {
            headers.insert("x-business-use-case-usage", u.parse().unwrap());
        }
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    };
    let err = |code: i64| {
        format!(r#"{{"error":{{"message":"m","type":"OAuthException","code":{code}}}}}"#)
    };
    for code in [4, 17, 32, 613, 80001] {
        assert!(matches!(
            failure(&answer(400, &err(code), None), false, "x"),
            Failure::Retryable { after: None, .. }
        ));
    }
    let usage =
        r#"{"1000001":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":5}]}"#;
    assert_eq!(
        failure(&answer(400, &err(80001), Some(usage)), false, "x"),
        Failure::Retryable {
            reason: "x: Graph error 80001: m".into(),
            after: Some(Duration::from_secs(300)),
        }
    );
    // A throttle answered 200 or 500 is still a throttle.
    assert!(matches!(
        failure(&answer(500, &err(613), None), false, "x"),
        Failure::Retryable { .. }
    ));
    for code in [100, 506, 1609005] {
        assert!(matches!(
            failure(&answer(400, &err(code), None), false, "x"),
            Failure::Permanent { .. }
        ));
    }
    for code in [10, 200, 299] {
        assert!(matches!(
            failure(&answer(400, &err(code), None), false, "x"),
            Failure::NeedsReauth { .. }
        ));
    }
    assert!(matches!(
        failure(&answer(400, &err(368), None), false, "x"),
        Failure::Retryable { after: Some(_), .. }
    ));
    assert!(matches!(
        failure(&answer(403, &err(190), None), true, "x"),
        Failure::NeedsReauth { .. }
    ));
    assert!(matches!(
        failure(&answer(400, &err(1), None), false, "x"),
        Failure::Ambiguous { .. }
    ));
    assert!(matches!(
        failure(&answer(400, &err(1), None), true, "x"),
        Failure::Retryable { .. }
    ));
    // No Graph body at all: a 5xx on a POST may have committed.
    assert!(matches!(
        failure(&answer(502, "<html>Bad gateway</html>", None), false, "x"),
        Failure::Ambiguous { .. }
    ));
    assert!(matches!(
        failure(&answer(502, "", None), true, "x"),
        Failure::Retryable { .. }
    ));
}

#[tokio::test]
async fn appsecret_proof_enforcement_on_and_off() {
    // Required: no proof and a wrong proof are refused (code 100), the right one passes.
    let (running, fb) = setup().await;
    fb.test_connection().await.unwrap();
    let without = Facebook::new(client(), creds(&running, None));
    match reason_of(without.publish(&outgoing("np", "x")).await) {
        Failure::Permanent { reason } => {
            assert!(reason.contains("require an appsecret_proof"), "{reason}")
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    let wrong = Facebook::new(client(), creds(&running, Some("not-the-secret")));
    match reason_of(wrong.test_connection().await) {
        Failure::Permanent { reason } => assert!(reason.contains("Invalid appsecret_proof")),
        other => panic!("expected Permanent, got {other:?}"),
    }
    // Not required: a token alone works; a proof that is sent is still checked.
    let relaxed = sim::spawn_with(
        localhost(),
        sim::Options {
            require_appsecret_proof: false,
            ..sim::Options::default()
        },
    )
    .await
    .unwrap();
    let fb = Facebook::new(client(), creds(&relaxed, None));
    fb.publish(&outgoing("nr", "Không cần proof."))
        .await
        .unwrap();
    let wrong = Facebook::new(client(), creds(&relaxed, Some("not-the-secret")));
    assert!(matches!(
        reason_of(wrong.test_connection().await),
        Failure::Permanent { .. }
    ));
}

#[tokio::test]
async fn a_closed_port_is_retryable() {
    let fb = Facebook::new(
        client(),
        Credentials::Facebook {
            base_url: format!("{}/v25.0", closed_port_url().await),
            page_id: "1".into(),
            page_token: "t".into(),
            app_secret: None,
        },
    );
    assert!(matches!(
        reason_of(fb.publish(&outgoing("c", "x")).await),
        Failure::Retryable { .. }
    ));
}
