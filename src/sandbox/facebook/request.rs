//! Reading a Graph request: parameters from wherever the client put them, token and proof.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::Options;
use super::errors::{graph_error, invalid_token, param_error};
use crate::connectors::classify::hmac_sha256_hex;

/// A file part of a multipart body.
pub(super) struct Upload {
    pub(super) bytes: Bytes,
    pub(super) mime: String,
}

/// Parameters from the query string and the body (form, JSON or multipart), body winning.
pub(super) async fn params(
    req: Request,
) -> Result<(HashMap<String, String>, Option<Upload>), Response> {
    let mut params: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut upload = None;
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = axum::extract::Multipart::from_request(req, &())
            .await
            .map_err(|_| param_error("(#100) Invalid multipart body"))?;
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().unwrap_or("").to_string();
            let is_file = field.file_name().is_some();
            let mime = field.content_type().unwrap_or("").to_string();
            let data = field
                .bytes()
                .await
                .map_err(|_| param_error("(#100) Invalid multipart body"))?;
            if is_file {
                if name == "source" {
                    upload = Some(Upload { bytes: data, mime });
                }
            } else {
                params.insert(name, String::from_utf8_lossy(&data).into_owned());
            }
        }
        return Ok((params, upload));
    }
    let body = axum::body::to_bytes(req.into_body(), 16 * 1024 * 1024)
        .await
        .map_err(|_| param_error("(#100) Request body too large"))?;
    if content_type.starts_with("application/json") {
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) {
            for (k, v) in map {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                params.insert(k, v);
            }
        }
    } else if !body.is_empty() {
        params.extend(form_urlencoded::parse(&body).into_owned());
    }
    Ok((params, upload))
}

/// Whose token a call carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Who {
    Page,
    User,
}

/// Token and proof, checked as Graph does: whose token it is.
pub(super) fn authorise(opts: &Options, params: &HashMap<String, String>) -> Result<Who, Response> {
    let Some(token) = params.get("access_token").filter(|t| !t.is_empty()) else {
        return Err(graph_error(
            StatusCode::BAD_REQUEST,
            104,
            None,
            "OAuthException",
            "An access token is required to request this resource.",
            false,
        ));
    };
    let who = if *token == opts.page_token {
        Who::Page
    } else if *token == opts.user_token {
        Who::User
    } else {
        return Err(invalid_token(
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ));
    };
    match params.get("appsecret_proof") {
        Some(proof) if *proof != hmac_sha256_hex(opts.app_secret.as_bytes(), token.as_bytes()) => {
            Err(graph_error(
                StatusCode::BAD_REQUEST,
                100,
                None,
                "GraphMethodException",
                "Invalid appsecret_proof provided in the API argument",
                false,
            ))
        }
        None if opts.require_appsecret_proof => Err(graph_error(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "GraphMethodException",
            "API calls from the server require an appsecret_proof argument",
            false,
        )),
        _ => Ok(who),
    }
}
