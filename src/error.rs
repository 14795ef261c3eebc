//! One error type for every handler. It turns into a response carrying an `ErrorPage` marker;
//! `web::render::error_pages` then renders that as a full page in the reader's language with
//! the navigation they are allowed to see. Unexpected errors are logged with their cause chain
//! and shown only as "something went wrong" plus the request id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// No session, or one that ended; `expired` tells which, so the login page can say so.
    #[error("sign-in required")]
    SignInRequired { expired: bool },
    #[error("password change required")]
    PasswordChangeRequired,
    /// A state-changing request without a valid CSRF token.
    #[error("CSRF token missing or wrong")]
    Csrf { missing: bool },
    /// Too many failed logins; the wait before the next attempt, in seconds.
    #[error("too many attempts")]
    TooManyAttempts { seconds: i64 },
    /// A form field or query parameter holding a control character (NUL and the like), which
    /// no text in Loa contains and PostgreSQL cannot store; names the field.
    #[error("control character in {field}")]
    BadInput { field: String },
    /// The database cannot be reached; nothing was changed.
    #[error("database unavailable: {0}")]
    Unavailable(anyhow::Error),
    /// The disk (or the database's) is full; nothing was changed.
    #[error("storage full: {0}")]
    StorageFull(anyhow::Error),
    /// A known path asked with a method it does not answer (a GET on a form's target).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request that cannot be served as sent; the key names the catalog message.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The record changed meanwhile, or a uniqueness rule refused it; the key names the message.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// Unexpected errors are sorted by their cause: a full disk and a lost database each get their
/// own answer (507, 503), because the person can do something about them (wait, tell the
/// administrator) and no data was changed.
impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> AppError {
        match cause_of(&e) {
            Cause::StorageFull => AppError::StorageFull(e),
            Cause::Unavailable => AppError::Unavailable(e),
            Cause::Other => AppError::Internal(e),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Cause {
    StorageFull,
    Unavailable,
    Other,
}

/// What an error chain says about the storage under Loa.
pub fn cause_of(e: &anyhow::Error) -> Cause {
    for c in e.chain() {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io_is_full(io)
        {
            return Cause::StorageFull;
        }
        if let Some(db) = c.downcast_ref::<sqlx::Error>() {
            return sqlx_cause(db);
        }
    }
    Cause::Other
}

/// ENOSPC (28) and EDQUOT (122 on Linux): no space, or the user's quota is used up.
fn io_is_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || matches!(e.raw_os_error(), Some(28 | 122))
}

fn sqlx_cause(e: &sqlx::Error) -> Cause {
    match e {
        sqlx::Error::Io(io) if io_is_full(io) => Cause::StorageFull,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            Cause::Unavailable
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // SQLITE_FULL (13); PostgreSQL disk_full, out_of_memory-class storage (53xxx).
            Some("13") | Some("53100") => Cause::StorageFull,
            // PostgreSQL connection exceptions (08xxx) and "shutting down / starting up".
            Some(c) if c.starts_with("08") || c == "57P01" || c == "57P03" => Cause::Unavailable,
            _ => Cause::Other,
        },
        _ => Cause::Other,
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Stale => AppError::Conflict("err_stale"),
            StoreError::Conflict(detail) => {
                AppError::Internal(anyhow::anyhow!("unexpected constraint violation: {detail}"))
            }
            StoreError::Other(e) => AppError::from(e),
        }
    }
}

/// What the error page shows: a status, a title key and a message key with its arguments.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// For `SignInRequired`: send the browser to the login page instead of showing a page.
    pub sign_in: Option<bool>,
    pub change_password: bool,
}

impl AppError {
    pub fn page(&self) -> ErrorPage {
        let page = |status, title, message| ErrorPage {
            status,
            title,
            message,
            args: Vec::new(),
            sign_in: None,
            change_password: false,
        };
        match self {
            AppError::NotFound => page(
                StatusCode::NOT_FOUND,
                "err_not_found_title",
                "err_not_found",
            ),
            AppError::Forbidden => page(
                StatusCode::FORBIDDEN,
                "err_forbidden_title",
                "err_forbidden",
            ),
            AppError::SignInRequired { expired } => ErrorPage {
                sign_in: Some(*expired),
                ..page(
                    StatusCode::UNAUTHORIZED,
                    "err_sign_in_title",
                    if *expired {
                        "err_session_expired"
                    } else {
                        "err_sign_in"
                    },
                )
            },
            AppError::PasswordChangeRequired => ErrorPage {
                change_password: true,
                ..page(
                    StatusCode::FORBIDDEN,
                    "err_forbidden_title",
                    "err_password_change_required",
                )
            },
            AppError::Csrf { missing } => page(
                StatusCode::FORBIDDEN,
                "err_csrf_title",
                if *missing {
                    "err_csrf_missing"
                } else {
                    "err_csrf_mismatch"
                },
            ),
            // Short waits in seconds, long ones in whole minutes (rounded up).
            AppError::TooManyAttempts { seconds } if *seconds < 120 => ErrorPage {
                args: vec![("seconds", seconds.max(&1).to_string())],
                ..page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "err_too_many_title",
                    "err_login_wait_seconds",
                )
            },
            AppError::TooManyAttempts { seconds } => ErrorPage {
                args: vec![("minutes", ((seconds + 59) / 60).to_string())],
                ..page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "err_too_many_title",
                    "err_login_locked",
                )
            },
            AppError::BadInput { field } => ErrorPage {
                args: vec![("field", crate::i18n::shorten(field, 40))],
                ..page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "err_bad_input_title",
                    "err_control_character",
                )
            },
            AppError::Unavailable(_) => page(
                StatusCode::SERVICE_UNAVAILABLE,
                "err_unavailable_title",
                "err_unavailable",
            ),
            AppError::StorageFull(_) => page(
                StatusCode::INSUFFICIENT_STORAGE,
                "err_storage_full_title",
                "err_storage_full",
            ),
            AppError::MethodNotAllowed => page(
                StatusCode::METHOD_NOT_ALLOWED,
                "err_method_title",
                "err_method",
            ),
            AppError::BadRequest(key) => {
                page(StatusCode::BAD_REQUEST, "err_bad_request_title", key)
            }
            AppError::Conflict(key) => page(StatusCode::CONFLICT, "err_conflict_title", key),
            AppError::Internal(_) => page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "err_internal_title",
                "err_internal",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "request failed");
            }
            AppError::Unavailable(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "database unavailable");
            }
            AppError::StorageFull(e) => {
                tracing::error!(error.cause_chain = ?e, error.message = %e, "storage full");
            }
            _ => {}
        }
        let page = self.page();
        // A bare body for callers outside the page pipeline; `error_pages` replaces it.
        let mut response = (page.status, page.message).into_response();
        response.extensions_mut().insert(page);
        response
    }
}
