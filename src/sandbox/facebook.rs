//! Facebook simulator: the Graph API for one Page (channel-apis.md, section A).
//!
//! - `access_token` and `appsecret_proof` from the query string, a form body, a JSON body or a
//!   multipart body; code 104 without a token, 190 with a wrong one (plus `WWW-Authenticate`),
//!   190/463 for an expired one, code 100 for a missing (when required) or wrong proof;
//! - `POST /{v}/{page}/feed` (`message`, `link`, read-after-write `fields=`), code 506 for a
//!   message identical to the Page's latest post; `POST /{v}/{page}/photos` (multipart `source`
//!   or `url=`, `caption`, `published`) answering `{id, post_id}`;
//! - `GET /{v}/{page}` (`fields=id,name`), `GET /{v}/{page}/published_posts?since=&until=&limit=`;
//! - `GET /{v}/{post}?fields=…` with `shares` omitted when 0 and reaction/comment summaries;
//!   `GET /{v}/{post}/insights?metric=…` failing whole (code 100) on any invalid metric and with
//!   code 3001 without one; `DELETE /{v}/{post}` → `{"success":true}`;
//! - `X-Business-Use-Case-Usage` once enough calls have been made, and on throttling (code 32).
//!
//! Sim-only: `POST /_sim/engagement` `{"post_id":…,"shares":N,"reactions":N,"comments":N,
//! "views":N}`. Duplicates are counted by message text (`message:{text}`).

// Helpers return the channel's error answer as `Err(Response)` so handlers can `?`-style
// bail out; a simulator does not care about the size of that variant.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Fault, Running, Sim};
use crate::connectors::Kind;
use crate::connectors::classify::hmac_sha256_hex;

/// The Page and app the sandbox account belongs to.
#[derive(Clone, Debug)]
pub struct Options {
    pub page_id: String,
    pub page_name: String,
    pub page_token: String,
    pub app_secret: String,
    /// The app's "Require App Secret" setting. A proof that is sent is always checked.
    pub require_appsecret_proof: bool,
    /// Graph refuses a message identical to the Page's latest post (code 506).
    pub reject_duplicate_message: bool,
    /// Metrics this app sees rejected although others report them valid (channel-apis.md
    /// A.6 notes projects disagree on `post_media_view`).
    pub invalid_metrics: Vec<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            page_id: "1000001".into(),
            page_name: "UBND Phường Điện Biên".into(),
            page_token: "EAAGsandboxPageToken1000001".into(),
            app_secret: "sandbox-app-secret".into(),
            require_appsecret_proof: true,
            reject_duplicate_message: true,
            invalid_metrics: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
struct FbPost {
    id: String,
    message: String,
    link: Option<String>,
    created: i64,
    photo: Option<String>,
    shares: i64,
    reactions: i64,
    comments: i64,
    views: i64,
}

#[derive(Default)]
struct PageState {
    next: u64,
    posts: Vec<FbPost>,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    opts: Arc<Options>,
    page: Arc<Mutex<PageState>>,
}

impl App {
    fn page(&self) -> std::sync::MutexGuard<'_, PageState> {
        self.page.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts the Facebook simulator on `addr` (port 0: any free port).
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the simulator with a given Page and app settings.
pub async fn spawn_with(addr: SocketAddr, opts: Options) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let app = App {
        sim: sim.clone(),
        opts: Arc::new(opts.clone()),
        page: Arc::new(Mutex::new(PageState {
            next: 1_000_000_000_000,
            ..PageState::default()
        })),
    };
    let router = Router::new()
        .route("/_sim/engagement", post(set_engagement))
        .route("/{version}/{node}", any(graph))
        .route("/{version}/{node}/{edge}", any(graph))
        .with_state(app)
        .merge(sim.control_routes())
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024));
    let account = json!({
        "page_id": opts.page_id,
        "page_token": opts.page_token,
        "app_secret": opts.app_secret,
        "require_appsecret_proof": opts.require_appsecret_proof,
    });
    let mut running = super::serve(Kind::Facebook, addr, router, sim, account).await?;
    running.account["base_url"] = json!(format!("{}/v25.0", running.base_url()));
    Ok(running)
}

fn trace_id() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..23)
        .map(|_| {
            let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
            chars[rng.gen_range(0..chars.len())] as char
        })
        .collect()
}

/// A Graph error answer.
fn graph_error(
    status: StatusCode,
    code: i64,
    subcode: Option<i64>,
    kind: &str,
    message: &str,
    transient: bool,
) -> Response {
    let mut error = json!({
        "message": message,
        "type": kind,
        "code": code,
        "is_transient": transient,
        "fbtrace_id": trace_id(),
    });
    if let Some(sub) = subcode {
        error["error_subcode"] = json!(sub);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

fn invalid_token(subcode: Option<i64>, message: &str) -> Response {
    let mut r = graph_error(
        StatusCode::BAD_REQUEST,
        190,
        subcode,
        "OAuthException",
        message,
        false,
    );
    let www = format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{message}\"");
    if let Ok(v) = HeaderValue::from_str(&www) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn param_error(message: &str) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        100,
        None,
        "OAuthException",
        message,
        false,
    )
}

fn unsupported(node: &str, method: &Method) -> Response {
    let verb = if method == Method::GET {
        "get"
    } else if method == Method::DELETE {
        "delete"
    } else {
        "post"
    };
    graph_error(
        StatusCode::BAD_REQUEST,
        100,
        Some(33),
        "GraphMethodException",
        &format!(
            "Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be \
             loaded due to missing permissions, or does not support this operation."
        ),
        false,
    )
}

fn usage_header(page_id: &str, pct: u64, regain_minutes: u64) -> HeaderValue {
    let usage = json!({ page_id: [{
        "type": "pages", "call_count": pct, "total_cputime": pct / 4, "total_time": pct / 3,
        "estimated_time_to_regain_access": regain_minutes,
    }]});
    HeaderValue::from_str(&usage.to_string()).unwrap_or(HeaderValue::from_static("{}"))
}

/// The answer for an injected fault that happens before anything is done.
fn rejecter(opts: Arc<Options>) -> impl FnOnce(Fault) -> Response {
    move |fault| match fault {
        Fault::RateLimited => {
            let mut r = graph_error(
                StatusCode::BAD_REQUEST,
                32,
                None,
                "OAuthException",
                "(#32) Page request limit reached",
                true,
            );
            r.headers_mut().insert(
                "x-business-use-case-usage",
                usage_header(&opts.page_id, 100, 1),
            );
            r
        }
        Fault::ExpiredToken => invalid_token(
            Some(463),
            "Error validating access token: Session has expired on Thursday, 01-May-25 \
             03:00:00 PDT. The current time is Thursday, 01-May-25 04:00:00 PDT.",
        ),
        _ => graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            None,
            "OAuthException",
            "An unexpected error has occurred. Please retry your request later.",
            true,
        ),
    }
}

/// A file part of a multipart body.
struct Upload {
    bytes: Bytes,
    mime: String,
}

/// Parameters from the query string and the body (form, JSON or multipart), body winning.
async fn params(req: Request) -> Result<(HashMap<String, String>, Option<Upload>), Response> {
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

/// Token and proof, checked as Graph does.
fn authorise(opts: &Options, params: &HashMap<String, String>) -> Result<(), Response> {
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
    if *token != opts.page_token {
        return Err(invalid_token(
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ));
    }
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
        _ => Ok(()),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn graph_time(unix: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Top-level names of a `fields=` list: `reactions.summary(total_count).limit(0)` → `reactions`.
fn field_names(fields: &str) -> Vec<String> {
    let mut names = Vec::new();
    let (mut depth, mut current) = (0i32, String::new());
    for c in fields.chars() {
        match c {
            '(' | '{' => depth += 1,
            ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    names.push(current);
    names
        .into_iter()
        .map(|f| {
            f.split(['.', '{', '('])
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|f| !f.is_empty())
        .collect()
}

fn post_fields(opts: &Options, p: &FbPost, fields: Option<&str>) -> Result<Value, Response> {
    let names = match fields {
        Some(f) => field_names(f),
        None => vec!["id".into(), "message".into(), "created_time".into()],
    };
    let mut out = Map::new();
    for name in names {
        let value = match name.as_str() {
            "id" => json!(p.id),
            "message" if p.message.is_empty() => continue,
            "message" => json!(p.message),
            "created_time" => json!(graph_time(p.created)),
            "permalink_url" => json!(permalink(opts, &p.id)),
            "shares" if p.shares == 0 => continue,
            "shares" => json!({"count": p.shares}),
            "reactions" => json!({"data": [], "summary": {
                "total_count": p.reactions, "viewer_reaction": "NONE"}}),
            "comments" => json!({"data": [], "summary": {
                "order": "ranked", "total_count": p.comments, "can_comment": true}}),
            "full_picture" => match &p.photo {
                Some(url) => json!(url),
                None => continue,
            },
            "is_published" => json!(true),
            "status_type" => json!(if p.photo.is_some() {
                "added_photos"
            } else if p.link.is_some() {
                "shared_story"
            } else {
                "mobile_status_update"
            }),
            other => {
                return Err(param_error(&format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type (PagePost)"
                )));
            }
        };
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}

fn permalink(opts: &Options, post_id: &str) -> String {
    let n = post_id.split('_').nth(1).unwrap_or(post_id);
    format!("https://www.facebook.com/{}/posts/{n}", opts.page_id)
}

/// Every Graph call: `/{version}/{node}` and `/{version}/{node}/{edge}`.
async fn graph(
    State(app): State<App>,
    Path(path): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let method = req.method().clone();
    let version = path.get("version").cloned().unwrap_or_default();
    let node = path.get("node").cloned().unwrap_or_default();
    let edge = path.get("edge").cloned();
    let valid_version = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok());
    if !valid_version {
        return graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            None,
            "OAuthException",
            &format!("Unknown path components: /{version}"),
            false,
        );
    }
    let headers = req.headers().clone();
    let (params, upload) = match params(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let sim = app.sim.clone();
    let reject = rejecter(app.opts.clone());
    let opts = app.opts.clone();
    let mut response = sim
        .run(reject, async move {
            if let Err(r) = authorise(&app.opts, &params) {
                return r;
            }
            route(
                &app,
                &method,
                &node,
                edge.as_deref(),
                &params,
                upload,
                &headers,
            )
        })
        .await;
    // Graph sends usage headers only once enough calls have been made.
    let calls = app_calls(&sim);
    if calls >= 5 && !response.headers().contains_key("x-business-use-case-usage") {
        let pct = calls.min(99);
        response.headers_mut().insert(
            "x-business-use-case-usage",
            usage_header(&opts.page_id, pct, 0),
        );
        let app_usage = json!({"call_count": pct, "total_time": pct / 3, "total_cputime": pct / 4});
        if let Ok(v) = HeaderValue::from_str(&app_usage.to_string()) {
            response.headers_mut().insert("x-app-usage", v);
        }
    }
    response
}

fn app_calls(sim: &Sim) -> u64 {
    sim.stats().calls
}

fn route(
    app: &App,
    method: &Method,
    node: &str,
    edge: Option<&str>,
    params: &HashMap<String, String>,
    upload: Option<Upload>,
    headers: &HeaderMap,
) -> Response {
    let opts = &app.opts;
    let is_page = node == opts.page_id;
    let fields = params.get("fields").map(String::as_str);
    match (method.clone(), is_page, edge) {
        (Method::GET, true, None) => {
            let mut out = Map::new();
            for name in field_names(fields.unwrap_or("id,name")) {
                let value = match name.as_str() {
                    "id" => json!(opts.page_id),
                    "name" => json!(opts.page_name),
                    "link" => json!(format!("https://www.facebook.com/{}", opts.page_id)),
                    "fan_count" | "followers_count" => json!(1234),
                    other => {
                        return param_error(&format!(
                            "(#100) Tried accessing nonexisting field ({other}) on node type (Page)"
                        ));
                    }
                };
                out.insert(name, value);
            }
            Json(Value::Object(out)).into_response()
        }
        (Method::POST, true, Some("feed")) => create_feed_post(app, params),
        (Method::POST, true, Some("photos")) => create_photo(app, params, upload, headers),
        (Method::GET, true, Some("published_posts" | "feed" | "posts")) => list_posts(app, params),
        (_, true, Some(edge)) => graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            None,
            "OAuthException",
            &format!("Unknown path components: /{edge}"),
            false,
        ),
        (Method::GET, false, None) => {
            let page = app.page();
            match page.posts.iter().find(|p| p.id == node) {
                Some(p) => match post_fields(opts, p, fields) {
                    Ok(v) => Json(v).into_response(),
                    Err(r) => r,
                },
                None => unsupported(node, method),
            }
        }
        (Method::DELETE, false, None) => {
            let mut page = app.page();
            match page.posts.iter().position(|p| p.id == node) {
                Some(i) => {
                    page.posts.remove(i);
                    Json(json!({"success": true})).into_response()
                }
                None => unsupported(node, method),
            }
        }
        (Method::GET, false, Some("insights")) => insights(app, node, params),
        _ => unsupported(node, method),
    }
}

fn new_post_id(page: &mut PageState, page_id: &str) -> String {
    page.next += 1;
    format!("{page_id}_{}", page.next)
}

fn duplicate(app: &App, page: &PageState, message: &str) -> Option<Response> {
    let latest = page.posts.last()?;
    (app.opts.reject_duplicate_message && !message.is_empty() && latest.message == message).then(
        || {
            graph_error(
                StatusCode::BAD_REQUEST,
                506,
                None,
                "OAuthException",
                "(#506) Duplicate status message",
                false,
            )
        },
    )
}

fn create_feed_post(app: &App, params: &HashMap<String, String>) -> Response {
    let message = params.get("message").cloned().unwrap_or_default();
    let link = params.get("link").filter(|l| !l.is_empty()).cloned();
    if message.trim().is_empty() && link.is_none() && !params.contains_key("attached_media") {
        return param_error("(#100) Missing message or attachment");
    }
    if let Some(l) = &link
        && !(l.starts_with("http://") || l.starts_with("https://"))
    {
        return graph_error(
            StatusCode::BAD_REQUEST,
            1609005,
            None,
            "OAuthException",
            "Error scraping the link",
            false,
        );
    }
    let mut page = app.page();
    if let Some(r) = duplicate(app, &page, &message) {
        return r;
    }
    let id = new_post_id(&mut page, &app.opts.page_id);
    let post = FbPost {
        id: id.clone(),
        message: message.clone(),
        link,
        created: now(),
        photo: None,
        shares: 0,
        reactions: 0,
        comments: 0,
        views: 0,
    };
    let answer = match params.get("fields") {
        Some(f) => match post_fields(&app.opts, &post, Some(f)) {
            Ok(v) => v,
            Err(r) => return r,
        },
        None => json!({"id": id}),
    };
    page.posts.push(post);
    drop(page);
    app.sim.created(&format!("message:{message}"));
    Json(answer).into_response()
}

fn create_photo(
    app: &App,
    params: &HashMap<String, String>,
    upload: Option<Upload>,
    headers: &HeaderMap,
) -> Response {
    let caption = params
        .get("caption")
        .or(params.get("message"))
        .cloned()
        .unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    let photo_url = match (&upload, params.get("url")) {
        (Some(u), _) => {
            let png = u.bytes.starts_with(b"\x89PNG\r\n\x1a\n");
            let jpeg = u.bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
            if !(png || jpeg) || u.bytes.len() > 4 * 1024 * 1024 {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    324,
                    Some(1366046),
                    "OAuthException",
                    &format!(
                        "(#324) Requires upload file: photos must be JPG or PNG under 4 MB (got {:?}, {} bytes)",
                        u.mime,
                        u.bytes.len()
                    ),
                    false,
                );
            }
            None
        }
        (None, Some(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(url.clone())
        }
        (None, Some(_)) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                100,
                Some(2061006),
                "OAuthException",
                "(#100) url should represent a valid URL",
                false,
            );
        }
        (None, None) => return param_error("(#324) Requires upload file"),
    };
    let published = params.get("published").map(String::as_str) != Some("false");
    let mut page = app.page();
    page.next += 1;
    let photo_id = page.next.to_string();
    if !published {
        return Json(json!({"id": photo_id})).into_response();
    }
    if let Some(r) = duplicate(app, &page, &caption) {
        return r;
    }
    let post_id = new_post_id(&mut page, &app.opts.page_id);
    page.posts.push(FbPost {
        id: post_id.clone(),
        message: caption.clone(),
        link: None,
        created: now(),
        photo: Some(photo_url.unwrap_or_else(|| format!("http://{host}/photos/{photo_id}.jpg"))),
        shares: 0,
        reactions: 0,
        comments: 0,
        views: 0,
    });
    drop(page);
    app.sim.created(&format!("message:{caption}"));
    Json(json!({"id": photo_id, "post_id": post_id})).into_response()
}

fn list_posts(app: &App, params: &HashMap<String, String>) -> Response {
    let bound = |name: &str| -> Result<Option<i64>, Response> {
        match params.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                param_error(&format!(
                    "(#100) The parameter {name} must be a unix timestamp"
                ))
            }),
        }
    };
    let (since, until) = match (bound("since"), bound("until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return param_error("(#100) limit must be between 1 and 100"),
    };
    let fields = params.get("fields").map(String::as_str);
    // Cursor paging as Graph does it: `after` is opaque to clients; here, an offset.
    let skip: usize = params
        .get("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let page = app.page();
    let mut data = Vec::new();
    let mut matched = 0;
    let mut more = false;
    for p in page.posts.iter().rev() {
        if since.is_some_and(|s| p.created < s) || until.is_some_and(|u| p.created > u) {
            continue;
        }
        matched += 1;
        if matched <= skip {
            continue;
        }
        if data.len() == limit {
            more = true;
            break;
        }
        match post_fields(&app.opts, p, fields) {
            Ok(v) => data.push(v),
            Err(r) => return r,
        }
    }
    let mut body = json!({ "data": data });
    if more {
        let after = (skip + limit).to_string();
        body["paging"] =
            json!({"cursors": {"after": after}, "next": format!("published_posts?after={after}")});
    }
    Json(body).into_response()
}

const VALID_POST_METRICS: [&str; 8] = [
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_clicks_by_type",
    "post_reactions_by_type_total",
    "post_activity_by_action_type",
    "post_video_views",
    "post_reactions_like_total",
];

fn insights(app: &App, node: &str, params: &HashMap<String, String>) -> Response {
    let page = app.page();
    let Some(post) = page.posts.iter().find(|p| p.id == node) else {
        return unsupported(node, &Method::GET);
    };
    let metrics: Vec<&str> = params
        .get("metric")
        .map(|m| {
            m.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if metrics.is_empty() {
        return graph_error(
            StatusCode::BAD_REQUEST,
            3001,
            Some(1504028),
            "OAuthException",
            "Invalid query",
            false,
        );
    }
    // One invalid metric fails the whole request.
    let invalid = |m: &&str| {
        !VALID_POST_METRICS.contains(m) || app.opts.invalid_metrics.iter().any(|i| i == m)
    };
    if metrics.iter().any(invalid) {
        return param_error("(#100) The value must be a valid insights metric");
    }
    let data: Vec<Value> = metrics
        .iter()
        .map(|m| {
            let value = match *m {
                "post_media_view" => json!(post.views),
                "post_total_media_view_unique" => json!(post.views * 4 / 5),
                "post_reactions_by_type_total" => json!({"like": post.reactions}),
                "post_reactions_like_total" => json!(post.reactions),
                "post_clicks_by_type" | "post_activity_by_action_type" => json!({}),
                _ => json!(0),
            };
            json!({
                "name": m, "period": "lifetime", "values": [{"value": value}],
                "title": m, "description": "Lifetime",
                "id": format!("{}/insights/{m}/lifetime", post.id),
            })
        })
        .collect();
    Json(json!({ "data": data })).into_response()
}

#[derive(Deserialize)]
struct Engagement {
    post_id: String,
    #[serde(default)]
    shares: i64,
    #[serde(default)]
    reactions: i64,
    #[serde(default)]
    comments: i64,
    #[serde(default)]
    views: i64,
}

async fn set_engagement(State(app): State<App>, Json(e): Json<Engagement>) -> Response {
    let mut page = app.page();
    match page.posts.iter_mut().find(|p| p.id == e.post_id) {
        Some(p) => {
            p.shares = e.shares.max(0);
            p.reactions = e.reactions.max(0);
            p.comments = e.comments.max(0);
            p.views = e.views.max(0);
            Json(json!({"ok": true})).into_response()
        }
        None => unsupported(&e.post_id, &Method::GET),
    }
}
