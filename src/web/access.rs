//! Who may use a route. The rule is declared beside the route and checked here, before the
//! handler runs; unit scoping (a district sees only its own) is checked again by the handler
//! against the record it loads, because only the handler knows which unit a record belongs to.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::pin::Pin;

use super::session::Visitor;
use crate::domain::Role;
use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (the login page, language switch).
    Public,
    /// Any signed-in person, to read.
    SignedIn,
    /// Any signed-in person, to act on their own account only (password, logout). The one
    /// kind of change a manager may make, and the only pages open before a one-time password
    /// is replaced.
    SelfService,
    /// Signed in with one of these roles.
    Roles(&'static [Role]),
}

pub const ADMIN: Access = Access::Roles(&[Role::Admin]);
/// Plan, approve and schedule: the city's communications officers (and admins).
pub const PLANNERS: Access = Access::Roles(&[Role::Admin, Role::Officer]);
/// Write and submit posts: planners and district staff (for their own unit).
pub const AUTHORS: Access = Access::Roles(&[Role::Admin, Role::Officer, Role::District]);

/// The middleware function for one access rule.
pub fn enforce(
    access: Access,
) -> impl Fn(Request, Next) -> Pin<Box<dyn Future<Output = Response> + Send>>
+ Clone
+ Send
+ Sync
+ 'static {
    move |req: Request, next: Next| {
        Box::pin(async move {
            match check(access, &req) {
                Ok(()) => next.run(req).await,
                Err(e) => e.into_response(),
            }
        })
    }
}

fn check(access: Access, req: &Request) -> Result<(), AppError> {
    if access == Access::Public {
        return Ok(());
    }
    let visitor = req
        .extensions()
        .get::<Visitor>()
        .ok_or(AppError::SignInRequired { expired: false })?;
    let user = visitor.user()?;
    // Until a one-time password is replaced, the only pages are the password form and logout.
    if user.must_change_password && access != Access::SelfService {
        return Err(AppError::PasswordChangeRequired);
    }
    // Defence in depth: a manager changes nothing but their own account, whatever a route
    // table says.
    let unsafe_method = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    // A route that names a read-only role itself (a manager making a read-only report link)
    // is the one deliberate exception.
    let names_reader =
        matches!(access, Access::Roles(roles) if roles.iter().any(|r| r.is_read_only()));
    if unsafe_method && user.role.is_read_only() && access != Access::SelfService && !names_reader {
        return Err(AppError::Forbidden);
    }
    match access {
        Access::Public | Access::SignedIn | Access::SelfService => Ok(()),
        Access::Roles(roles) if roles.contains(&user.role) => Ok(()),
        Access::Roles(_) => Err(AppError::Forbidden),
    }
}
