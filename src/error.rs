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
    #[error("too many attempts")]
    TooManyAttempts { minutes: i64 },
    /// A request that cannot be served as sent; the key names the catalog message.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// The record changed meanwhile, or a uniqueness rule refused it; the key names the message.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
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
            StoreError::Other(e) => AppError::Internal(e),
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
            AppError::TooManyAttempts { minutes } => ErrorPage {
                args: vec![("minutes", minutes.to_string())],
                ..page(
                    StatusCode::TOO_MANY_REQUESTS,
                    "err_too_many_title",
                    "err_login_locked",
                )
            },
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
        if let AppError::Internal(e) = &self {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "request failed");
        }
        let page = self.page();
        // A bare body for callers outside the page pipeline; `error_pages` replaces it.
        let mut response = (page.status, page.message).into_response();
        response.extensions_mut().insert(page);
        response
    }
}
