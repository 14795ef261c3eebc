use super::*;

const NOW: i64 = 1_767_225_600_000; // 01/01/2026 07:00 in Hanoi

#[test]
fn raw_channel_texts_are_read_for_their_cause() {
    for (raw, cause) in [
        (
            "Mastodon status: HTTP 401 The access token is invalid",
            "token",
        ),
        ("Telegram getMe: 401 Unauthorized", "token"),
        ("Zalo article: error -216 access token expired", "token"),
        (
            "Telegram sendMessage: 429 Too Many Requests: retry after 3",
            "rate_limit",
        ),
        (
            "Facebook feed: timed out after sending; it may have taken effect (operation timed out)",
            "timeout",
        ),
        (
            "Telegram sendMessage: could not connect (error sending request: client error (Connect): tcp connect error: Connection refused (os error 111))",
            "connect",
        ),
        (
            "WordPress posts: HTTP 200 <!DOCTYPE html><html><body>Bảo trì</body></html>",
            "html",
        ),
        (
            "Telegram sendMessage: 400 Bad Request: message is too long",
            "too_long",
        ),
        (
            "Telegram sendMessage: 400 Bad Request: chat not found",
            "not_found",
        ),
        ("WordPress posts: HTTP 403 rest_cannot_create", "forbidden"),
        (
            "the channel may have received this message and cannot be asked; check the channel",
            "maybe_received",
        ),
        ("something unheard of", "other"),
    ] {
        assert_eq!(cause_of(raw), cause, "{raw}");
    }
}

#[test]
fn every_delivery_class_gets_a_next_step() {
    let d = |state, class, raw| for_delivery(state, class, raw, NOW + 60_000, 7);
    let next = |state, class, raw| d(state, class, raw).map(|e| e.next);
    assert_eq!(
        next("retry", "retryable", "429 Too Many Requests"),
        Some("retry_at")
    );
    assert_eq!(
        next("unconfirmed", "ambiguous", "timed out"),
        Some("reconcile_at")
    );
    assert_eq!(
        next("failed", "unconfirmed", "timed out"),
        Some("check_channel")
    );
    assert_eq!(next("retry", "token_expired", "-216"), Some("refreshing"));
    assert_eq!(
        next("failed", "exhausted", "connection refused"),
        Some("gave_up")
    );
    assert_eq!(
        next("failed", "permanent", "message is too long"),
        Some("shorten")
    );
    assert_eq!(
        next(
            "failed",
            "permanent",
            "the channel may have received this message and cannot be asked"
        ),
        Some("check_channel")
    );
    assert_eq!(
        next("failed", "permanent", "HTTP 422 bad field"),
        Some("fix_retry")
    );
    let paused = d(
        "paused",
        "needs_reauth",
        "HTTP 401 The access token is invalid",
    )
    .unwrap();
    assert_eq!(
        (paused.cause, paused.next, paused.reconnect),
        ("token", "reconnect", Some(7))
    );
    assert_eq!(
        d("retry", "retryable", "429").unwrap().at,
        Some(NOW + 60_000)
    );
    assert_eq!(d("published", "", ""), None);
    assert_eq!(d("pending", "", ""), None);
}

#[test]
fn shown_in_vietnamese_with_the_time_loa_retries() {
    let i18n = I18n::load().unwrap();
    let e = for_delivery(
        "retry",
        "retryable",
        "429 Too Many Requests",
        NOW + 5 * 60_000,
        1,
    )
    .unwrap();
    let shown = show(&i18n, Lang::Vi, &e, "429 Too Many Requests", NOW);
    assert!(shown.next.contains("07:05"), "{}", shown.next);
    assert!(!shown.cause.contains("problem_cause"), "{}", shown.cause);
    let en = show(&i18n, Lang::En, &e, "x", NOW);
    assert!(en.next.contains("07:05"), "{}", en.next);
    let tomorrow = for_delivery("retry", "retryable", "429", NOW + 86_400_000, 1).unwrap();
    assert!(
        show(&i18n, Lang::Vi, &tomorrow, "", NOW)
            .next
            .contains("07:00 02/01/2026")
    );
    for cause in [
        "none",
        "maybe_received",
        "gone",
        "token",
        "rate_limit",
        "not_found",
        "forbidden",
        "html",
        "timeout",
        "connect",
        "too_long",
        "other",
    ] {
        for lang in [Lang::Vi, Lang::En] {
            let key = format!("problem_cause_{cause}");
            assert_ne!(i18n.text(lang, &key), key, "catalog has {key}");
        }
    }
    for next in [
        "reconnect",
        "refreshing",
        "retry_at",
        "reconcile_at",
        "check_channel",
        "gave_up",
        "shorten",
        "check_account",
        "fix_retry",
        "update_credentials",
        "test_later",
        "check_values",
    ] {
        for lang in [Lang::Vi, Lang::En] {
            let key = format!("problem_next_{next}");
            assert_ne!(i18n.text(lang, &key), key, "catalog has {key}");
        }
    }
}

#[test]
fn a_failed_test_says_what_to_change_on_the_account() {
    assert_eq!(
        for_test("needs_reauth", "Telegram getMe: 401 Unauthorized").next,
        "update_credentials"
    );
    assert_eq!(
        for_test("retryable", "could not connect (Connection refused)").next,
        "check_values"
    );
    assert_eq!(
        for_test("retryable", "429 Too Many Requests").next,
        "test_later"
    );
}
