//! Pages. Templates are compiled into the binary (read from disk in debug builds, so editing a
//! template needs no rebuild) and every page gets the same base context: the catalog `t`, the
//! visitor, the navigation their role may see and the CSRF token for forms.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
mod filters;

use rust_embed::RustEmbed;
use serde::Serialize;
use tera::{Context, Tera};

use super::AppState;
use super::session::Visitor;
use crate::domain::Role;
use crate::error::{AppError, AppResult, ErrorPage};
use crate::i18n::Lang;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

/// One template set per language: the same templates, with number and date filters bound to
/// that language (`filters`), chosen by the context's `lang`.
pub struct Templates {
    vi: Tera,
    en: Tera,
}

impl Templates {
    pub fn load() -> anyhow::Result<Templates> {
        let mut tera = Tera::default();
        let mut files = Vec::new();
        for name in TemplateFiles::iter() {
            let file = TemplateFiles::get(&name).expect("listed template exists");
            let text = String::from_utf8(file.data.into_owned())?;
            files.push((name.to_string(), text));
        }
        // Filters first: Tera checks at add time that every filter a template uses exists.
        filters::register(&mut tera, Lang::Vi);
        tera.register_filter(
            "urlencode",
            |v: &tera::Value, _: &std::collections::HashMap<String, tera::Value>| {
                Ok(tera::Value::String(urlencode(
                    v.as_str().unwrap_or_default(),
                )))
            },
        );
        tera.add_raw_templates(files)?;
        let mut en = tera.clone();
        filters::register(&mut en, Lang::En);
        Ok(Templates { vi: tera, en })
    }

    pub fn render(&self, name: &str, ctx: &Context) -> anyhow::Result<String> {
        let tera = match ctx.get("lang").and_then(|l| l.as_str()) {
            Some("en") => &self.en,
            _ => &self.vi,
        };
        tera.render(name, ctx)
            .map_err(|e| anyhow::anyhow!("rendering {name}: {e:?}"))
    }
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    /// Catalog key of the link text.
    label: &'static str,
}

#[derive(Serialize)]
struct NavLink<'a> {
    href: &'static str,
    text: &'a str,
    current: bool,
}

/// The navigation a role sees. It mirrors the route table's rules; the access layer still
/// decides, this only avoids showing links that would answer 403.
fn nav_for(role: Option<Role>) -> Vec<NavItem> {
    let Some(role) = role else { return Vec::new() };
    let mut nav = vec![
        NavItem {
            href: "/",
            label: "nav_home",
        },
        NavItem {
            href: "/campaigns",
            label: "nav_campaigns",
        },
        NavItem {
            href: "/posts",
            label: "nav_posts",
        },
        NavItem {
            href: "/calendar",
            label: "nav_calendar",
        },
        NavItem {
            href: "/media",
            label: "nav_media",
        },
        NavItem {
            href: "/accounts",
            label: "nav_accounts",
        },
        NavItem {
            href: "/proposals",
            label: "nav_proposals",
        },
        NavItem {
            href: "/areas",
            label: "nav_areas",
        },
        NavItem {
            href: "/reports",
            label: "nav_reports",
        },
        NavItem {
            href: "/papi",
            label: "nav_papi",
        },
    ];
    if role != Role::District {
        nav.insert(
            3,
            NavItem {
                href: "/kits",
                label: "nav_kits",
            },
        );
    }
    if role == Role::Admin {
        nav.push(NavItem {
            href: "/admin/users",
            label: "nav_users",
        });
        nav.push(NavItem {
            href: "/admin/settings",
            label: "nav_settings",
        });
        nav.push(NavItem {
            href: "/admin/audit",
            label: "nav_audit",
        });
    }
    nav
}

/// Catalog keys of the role names, in `Role` declaration order.
const ROLE_KEYS: [&str; 4] = [
    "role_admin",
    "role_officer",
    "role_district",
    "role_manager",
];

impl AppState {
    /// The base context every page starts from.
    pub fn context(&self, v: &Visitor) -> Context {
        let mut ctx = Context::new();
        ctx.insert("t", self.i18n.table(v.lang));
        ctx.insert("lang", v.lang.as_str());
        ctx.insert("csrf", &v.csrf);
        // A fresh one-time key for any creating form on the page (see `app::Once`).
        ctx.insert("once", &crate::secrets::random_token());
        let user = v.session.as_ref().map(|s| &s.user);
        ctx.insert("user", &user);
        let nav: Vec<NavLink> = nav_for(user.map(|u| u.role))
            .into_iter()
            .map(|n| NavLink {
                href: n.href,
                text: self.i18n.text(v.lang, n.label),
                current: if n.href == "/" {
                    v.path == "/"
                } else {
                    v.path.starts_with(n.href)
                },
            })
            .collect();
        ctx.insert("nav", &nav);
        ctx.insert("path", &v.path);
        ctx.insert("unread", &v.unread);
        let role_labels: std::collections::BTreeMap<&str, &str> = Role::ALL
            .iter()
            .map(|r| (r.as_str(), self.i18n.text(v.lang, ROLE_KEYS[*r as usize])))
            .collect();
        ctx.insert("role_labels", &role_labels);
        if let Some(u) = user {
            ctx.insert(
                "role_label",
                self.i18n.text(v.lang, ROLE_KEYS[u.role as usize]),
            );
        }
        ctx.insert("assets", super::assets::urls());
        ctx
    }

    pub fn page(&self, name: &str, ctx: &Context) -> AppResult<Html<String>> {
        Ok(Html(self.templates.render(name, ctx)?))
    }

    /// A page with a status other than 200 (a form shown again with its errors: 422).
    pub fn page_with_status(
        &self,
        status: StatusCode,
        name: &str,
        ctx: &Context,
    ) -> AppResult<Response> {
        Ok((status, self.page(name, ctx)?).into_response())
    }
}

/// Turns every `AppError` response into a full page in the visitor's language (or a redirect
/// to the login or password page where that is the answer).
pub async fn error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let visitor = req.extensions().get::<Visitor>().cloned();
    let is_get = req.method() == axum::http::Method::GET;
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let response = next.run(req).await;
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    if let Some(expired) = page.sign_in {
        let next = if is_get {
            path_and_query
        } else {
            "/".to_string()
        };
        let mut url = format!("/login?next={}", urlencode(&next));
        if expired {
            url.push_str("&expired=1");
        }
        return carry_cookies(response, Redirect::to(&url).into_response());
    }
    if page.change_password {
        return Redirect::to("/account/password").into_response();
    }
    let Some(visitor) = visitor else {
        return response;
    };
    let mut ctx = state.context(&visitor);
    ctx.insert("title_key", page.title);
    ctx.insert(
        "message",
        &state.i18n.format(visitor.lang, page.message, &page.args),
    );
    ctx.insert("status", &page.status.as_u16());
    match state.templates.render("error.html", &ctx) {
        Ok(html) => {
            let mut out = (page.status, Html(html)).into_response();
            if page.status == StatusCode::TOO_MANY_REQUESTS {
                // The wait the page states, so a script retrying does not come back early.
                let wait = |name: &str| {
                    page.args
                        .iter()
                        .find(|(n, _)| *n == name)
                        .and_then(|(_, v)| v.parse::<i64>().ok())
                };
                let seconds = wait("seconds")
                    .or_else(|| wait("minutes").map(|m| m * 60))
                    .unwrap_or(60);
                out.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            }
            carry_cookies(response, out)
        }
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            response
        }
    }
}

/// Keeps the cookies an inner layer set on the response being replaced.
fn carry_cookies(from: Response, mut to: Response) -> Response {
    for v in from.headers().get_all(header::SET_COOKIE) {
        to.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    to
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> AppError {
        AppError::Internal(anyhow::anyhow!("template: {e:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{I18n, Lang};

    #[test]
    fn every_template_parses_and_every_catalog_key_it_uses_exists() {
        Templates::load().expect("templates parse");
        let i18n = I18n::load().unwrap();
        let keys: Vec<&String> = i18n.keys(Lang::Vi).collect();
        let mut missing = Vec::new();
        for name in TemplateFiles::iter() {
            let text =
                String::from_utf8(TemplateFiles::get(&name).unwrap().data.into_owned()).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find("t.") {
                let before = rest[..at].chars().last();
                rest = &rest[at + 2..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let key: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !key.is_empty() && !keys.iter().any(|k| **k == key) {
                    missing.push(format!("{name}: t.{key}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "catalog keys used by templates but not defined: {missing:?}"
        );
    }
}
