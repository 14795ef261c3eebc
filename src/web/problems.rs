//! Channel errors in words a communications officer can act on. A delivery's (or a connection
//! test's) failure class and the channel's raw text become two sentences from the catalog: what
//! went wrong (`problem_cause_*`) and what happens or what to do next (`problem_next_*`: Loa
//! retries by itself at a time, reconnect the account, shorten the text, check the channel and
//! mark it published…). The raw text stays available to the page, folded away.

use serde::Serialize;

use crate::i18n::{I18n, Lang};

/// A failure explained: catalog keys of its cause and next step, and what they mention.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub cause: &'static str,
    pub next: &'static str,
    /// When Loa tries again by itself (UTC ms), for `retry_at` and `reconcile_at`.
    pub at: Option<i64>,
    /// The account to reconnect, when that is the next step.
    pub reconnect: Option<i64>,
}

/// What the channel's own text says happened, whatever class the dispatcher gave it.
pub fn cause_of(raw: &str) -> &'static str {
    let t = raw.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
    if t.is_empty() {
        "none"
    } else if has(&["may have received", "cannot be asked"]) {
        "maybe_received"
    } else if has(&["no longer exists"]) {
        "gone"
    } else if has(&[
        "401",
        "unauthorized",
        "access token",
        "token is invalid",
        "token expired",
        "invalid_token",
        "oauthexception",
        "incorrect_password",
        "-216",
        "-220",
        "cannot open the stored credentials",
    ]) {
        "token"
    } else if has(&[
        "429",
        "too many requests",
        "rate limit",
        "retry after",
        "flood",
    ]) {
        "rate_limit"
    } else if has(&["chat not found", "page not found", "unknown page"]) {
        "not_found"
    } else if has(&[
        "403",
        "forbidden",
        "permission",
        "not enough rights",
        "not a member",
    ]) {
        "forbidden"
    } else if has(&[
        "<html",
        "<!doctype",
        "expected value",
        "not json",
        "invalid json",
    ]) {
        "html"
    } else if has(&["timed out", "timeout", "deadline has elapsed"]) {
        "timeout"
    } else if has(&[
        "could not connect",
        "connection refused",
        "error trying to connect",
        "dns error",
        "failed to lookup",
        "connection reset",
    ]) {
        "connect"
    } else if has(&[
        "too long",
        "too_long",
        "character limit",
        "exceeds",
        "caption is too",
    ]) {
        "too_long"
    } else {
        "other"
    }
}

/// A delivery's problem: its state, the class the dispatcher recorded, the raw text, when it
/// is next due and through which account. `None` when there is nothing to explain.
pub fn for_delivery(
    state: &str,
    class: &str,
    raw: &str,
    due_at: i64,
    account_id: i64,
) -> Option<Explanation> {
    let cause = cause_of(raw);
    if raw.is_empty() && class.is_empty() && state != "paused" {
        return None;
    }
    if state == "published" || state == "cancelled" || state == "pending" {
        return None;
    }
    let reconnect = Some(account_id);
    let plain = |next, at| {
        Some(Explanation {
            cause,
            next,
            at,
            reconnect: None,
        })
    };
    match (state, class) {
        ("paused", _) | (_, "needs_reauth") => Some(Explanation {
            cause: if cause == "other" || cause == "none" {
                "token"
            } else {
                cause
            },
            next: "reconnect",
            at: None,
            reconnect,
        }),
        (_, "token_expired") => plain("refreshing", Some(due_at)),
        ("retry" | "sending", _) => plain("retry_at", Some(due_at)),
        ("unconfirmed", _) => plain("reconcile_at", Some(due_at)),
        (_, "unconfirmed") => plain("check_channel", None),
        (_, "exhausted") => plain("gave_up", None),
        _ => match cause {
            "maybe_received" => plain("check_channel", None),
            "too_long" => plain("shorten", None),
            "token" | "forbidden" => Some(Explanation {
                cause,
                next: "reconnect",
                at: None,
                reconnect,
            }),
            "html" | "connect" | "not_found" => plain("check_account", None),
            _ => plain("fix_retry", None),
        },
    }
}

/// A failed connection test: the fix is always on the account page itself.
pub fn for_test(class: &str, raw: &str) -> Explanation {
    let cause = match cause_of(raw) {
        "other" | "none" if class == "needs_reauth" || class == "token_expired" => "token",
        c => c,
    };
    let next = match cause {
        "token" | "forbidden" => "update_credentials",
        "rate_limit" | "timeout" => "test_later",
        _ => "check_values",
    };
    Explanation {
        cause,
        next,
        at: None,
        reconnect: None,
    }
}

/// The explanation as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Shown {
    pub cause: String,
    pub next: String,
    pub reconnect: Option<i64>,
    pub raw: String,
}

/// "HH:MM" today, "HH:MM dd/mm/yyyy" another day (Hanoi time).
fn when(at: i64, now: i64) -> String {
    let full = crate::clock::format_hanoi(at);
    let (date, time) = full.split_once(' ').unwrap_or((&full, ""));
    let same_day = crate::clock::to_hanoi(at).date() == crate::clock::to_hanoi(now).date();
    if same_day {
        time.to_string()
    } else {
        format!("{time} {date}")
    }
}

pub fn show(i18n: &I18n, lang: Lang, e: &Explanation, raw: &str, now: i64) -> Shown {
    let at = e.at.map(|a| when(a.max(now), now)).unwrap_or_default();
    Shown {
        cause: i18n
            .text(lang, &format!("problem_cause_{}", e.cause))
            .to_string(),
        next: i18n.format(lang, &format!("problem_next_{}", e.next), &[("at", at)]),
        reconnect: e.reconnect,
        raw: raw.to_string(),
    }
}

#[cfg(test)]
mod tests;
