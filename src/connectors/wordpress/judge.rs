//! Judging an answer: the API's JSON, WordPress's own error, or something that is not the API
//! at all (a proxy's or a maintenance page, a redirect to the front page, a body cut short).
//! Only the first is ever success.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::api::{describe, is_json};
use crate::connectors::Failure;
use crate::connectors::classify::{self, Answer};

/// A successful answer of the API.
#[derive(Debug)]
pub(super) struct Reply {
    pub json: Value,
    pub headers: HeaderMap,
}

#[derive(Debug)]
pub(super) enum Verdict {
    Ok(Reply),
    /// WordPress answered with its error body `{"code","message","data":{"status"}}`.
    Refused {
        status: u16,
        code: String,
        failure: Failure,
    },
    /// Not the API's JSON. `not_api`: not JSON at all, so the root is found again.
    Broken {
        failure: Failure,
        not_api: bool,
    },
}

impl Verdict {
    pub(super) fn into_result(self) -> Result<Reply, (Failure, bool)> {
        match self {
            Verdict::Ok(reply) => Ok(reply),
            Verdict::Refused { failure, .. } => Err((failure, false)),
            Verdict::Broken { failure, not_api } => Err((failure, not_api)),
        }
    }
}

pub(super) fn judge(answer: Answer, idempotent: bool, what: &str) -> Verdict {
    let status = answer.status.as_u16();
    let json = if is_json(&answer.headers) {
        Some(answer.json())
    } else {
        None
    };
    match json {
        Some(Some(json)) if answer.status.is_success() => Verdict::Ok(Reply {
            json,
            headers: answer.headers,
        }),
        Some(Some(body)) => {
            let code = body["code"].as_str().unwrap_or("").to_string();
            Verdict::Refused {
                status,
                failure: failure(&answer, &body, idempotent, what),
                code,
            }
        }
        // A rate limit answered by a WAF's page still says the request was not taken.
        _ if status == 429 => Verdict::Broken {
            failure: Failure::Retryable {
                reason: format!("{what}: HTTP 429 {}", answer.snippet()),
                after: classify::retry_after(&answer.headers),
            },
            not_api: false,
        },
        Some(None) => {
            let reason = format!(
                "{what}: HTTP {status}, the answer was cut off or is not valid JSON ({} bytes)",
                answer.body.len()
            );
            Verdict::Broken {
                failure: unknown(reason, idempotent),
                not_api: false,
            }
        }
        None => {
            let page = describe(status, &answer.headers, &answer.body);
            let reason = format!(
                "{what}: the address answered an HTML page ({page}) instead of the WordPress API"
            );
            Verdict::Broken {
                failure: unknown(reason, idempotent),
                not_api: true,
            }
        }
    }
}

/// An answer that says nothing about what happened: harmless to repeat for a read, unknown
/// for a request that creates something.
fn unknown(reason: String, idempotent: bool) -> Failure {
    if idempotent {
        Failure::Retryable {
            reason,
            after: None,
        }
    } else {
        Failure::Ambiguous {
            reason: format!("{reason}; it may have taken effect"),
        }
    }
}

/// WordPress's error body, classified.
fn failure(answer: &Answer, body: &Value, idempotent: bool, what: &str) -> Failure {
    let code = body["code"].as_str().unwrap_or("");
    let reason = match body["message"].as_str() {
        Some(message) if !code.is_empty() => {
            format!("{what}: {code} ({}): {message}", answer.status.as_u16())
        }
        _ => format!(
            "{what}: HTTP {} {}",
            answer.status.as_u16(),
            answer.snippet()
        ),
    };
    match (answer.status.as_u16(), code) {
        // Refused before the post was saved (WordPress versions or plugins that check the
        // featured image first): the image left the library; the next attempt uploads it.
        (400, "rest_invalid_featured_media") => Failure::Retryable {
            reason,
            after: None,
        },
        // incorrect_password, invalid_username, rest_not_logged_in (the Authorization header
        // was stripped or missing), rest_cannot_create as anonymous.
        (401, _) => Failure::NeedsReauth { reason },
        (429, _) => Failure::Retryable {
            reason,
            after: classify::retry_after(&answer.headers),
        },
        // rest_cannot_create and friends: the user lacks the capability; a person must fix the
        // role, but the credentials themselves are valid.
        (403, _) => Failure::Permanent { reason },
        (408, _) => Failure::Retryable {
            reason,
            after: None,
        },
        (400..=499, _) => Failure::Permanent { reason },
        _ if idempotent => Failure::Retryable {
            reason,
            after: classify::retry_after(&answer.headers),
        },
        _ => Failure::Ambiguous { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{CONTENT_TYPE, HeaderValue};

    fn answer(status: u16, mime: &str, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(mime).unwrap());
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn json_with_a_json_content_type_is_the_only_success() {
        let ok = judge(
            answer(200, "application/json; charset=UTF-8", "[]"),
            true,
            "x",
        );
        assert!(matches!(ok, Verdict::Ok(_)));
        let page = "<html><head><title>Bảo trì</title></head></html>";
        match judge(answer(200, "text/html; charset=UTF-8", page), true, "x") {
            Verdict::Broken {
                failure: Failure::Retryable { reason, .. },
                not_api: true,
            } => assert!(reason.contains("HTTP 200") && reason.contains("«Bảo trì»")),
            other => panic!("{other:?}"),
        }
        // JSON in an HTML envelope is still not the API.
        assert!(matches!(
            judge(answer(200, "text/html", "[]"), false, "x"),
            Verdict::Broken {
                failure: Failure::Ambiguous { .. },
                not_api: true
            }
        ));
    }

    #[test]
    fn a_cut_off_body_is_ambiguous_for_a_create_and_keeps_the_root() {
        match judge(
            answer(201, "application/json", "{\"id\":12,\"li"),
            false,
            "x",
        ) {
            Verdict::Broken {
                failure: Failure::Ambiguous { reason },
                not_api: false,
            } => assert!(reason.contains("cut off"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refused_featured_image_saved_nothing() {
        let body = r#"{"code":"rest_invalid_featured_media","message":"Invalid featured media ID.","data":{"status":400}}"#;
        match judge(answer(400, "application/json", body), false, "x") {
            Verdict::Refused {
                status: 400,
                code,
                failure: Failure::Retryable { .. },
            } => assert_eq!(code, "rest_invalid_featured_media"),
            other => panic!("{other:?}"),
        }
        let waf = answer(429, "text/html", "<title>Slow down</title>");
        assert!(matches!(
            judge(waf, false, "x"),
            Verdict::Broken {
                failure: Failure::Retryable { .. },
                ..
            }
        ));
    }
}
