//! Test harness: a real Loa on a free port with a fresh database, and HTTP clients that keep
//! cookies like a browser and fill in CSRF tokens like a form would.

use std::sync::atomic::{AtomicU64, Ordering};

use loa::config::Config;
use loa::startup::Application;
use loa::web::AppState;

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "mat-khau-thu-nghiem";

/// Runs a test function on SQLite, and as a second test on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    super::$name(backend).await
                }
            }
        }
    };
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

/// Skips a suite whose requirement is missing, unless `LOA_REQUIRE_ALL=1` makes that a failure.
pub fn skip(reason: &str) {
    if std::env::var("LOA_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("LOA_REQUIRE_ALL=1 and this test would be skipped: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

impl Backend {
    pub fn postgres() -> Option<Backend> {
        match std::env::var("LOA_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Backend::Postgres(url)),
            _ => {
                skip("LOA_TEST_POSTGRES_URL is not set, PostgreSQL variant not run");
                None
            }
        }
    }
}

/// A fresh database for one test: a file in a temporary folder, or a new PostgreSQL database
/// dropped when the test ends (even when it fails).
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new(backend: &Backend) -> TestDb {
        // Every test with a database passes here: the place to switch on `TEST_LOG`.
        loa::telemetry::init_for_tests();
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}", dir.path().join("loa.db").display()),
                dir,
                pg: None,
            },
            Backend::Postgres(admin_url) => {
                let name = format!(
                    "loa_test_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin_url)
                    .await
                    .expect("connect to LOA_TEST_POSTGRES_URL");
                sqlx::Executor::execute(&mut conn, format!("create database {name}").as_str())
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(admin_url);
                TestDb {
                    url: format!("{base}/{name}"),
                    dir,
                    pg: Some((admin_url.clone(), name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await
                    {
                        let _ = sqlx::Executor::execute(
                            &mut conn,
                            format!("drop database if exists {name} with (force)").as_str(),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    /// Kept alive for the test: dropping it removes the database.
    pub _db: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with the configuration adjusted first (an SMTP relay, say).
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::new(&backend).await;
        let mut config = Config::for_data_dir(db.dir.path(), Some(db.url.clone()));
        config.admin_password = Some(ADMIN_PASSWORD.to_string());
        config.run_worker = false;
        config.db_max_connections = 4;
        adjust(&mut config);
        let app = Application::build(config)
            .await
            .expect("application builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp {
            base,
            state,
            _db: db,
        }
    }

    /// A new visitor with an empty cookie jar.
    pub fn visitor(&self) -> Visitor {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Visitor {
            http,
            base: self.base.clone(),
        }
    }

    /// Creates an account directly (as the CLI would) with `PASSWORD`, already changed.
    pub async fn create_user(&self, username: &str, role: &str, unit: &str) -> i64 {
        let input = loa::accounts::AccountInput {
            username: username.into(),
            display_name: format!("Người dùng {username}"),
            role: role.into(),
            unit_code: unit.into(),
            password: PASSWORD.into(),
        };
        match loa::accounts::create(&self.state.store, None, &input).await {
            Ok(c) => c.user_id,
            Err(e) => panic!("cannot create {username}: {e:?}"),
        }
    }

    /// A visitor logged in as a new account of this role.
    pub async fn logged_in(&self, username: &str, role: &str, unit: &str) -> Visitor {
        self.create_user(username, role, unit).await;
        let v = self.visitor();
        v.login(username, PASSWORD).await;
        v
    }

    pub async fn admin(&self) -> Visitor {
        let v = self.visitor();
        v.login("admin", ADMIN_PASSWORD).await;
        v
    }
}

pub struct Visitor {
    pub http: reqwest::Client,
    pub base: String,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub fn redirects_to(&self, prefix: &str) -> bool {
        (300..400).contains(&self.status)
            && self
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with(prefix))
    }

    /// The value of the first hidden `csrf` input on the page.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        Some(self.body[at..].split('"').next()?.to_string())
    }
}

impl Visitor {
    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Visitor::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Visitor::page(
            self.http
                .post(format!("{}{path}", self.base))
                .form(form)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// The CSRF token this visitor's forms carry, read from a page as a browser would.
    pub async fn csrf(&self) -> String {
        for path in ["/account/password", "/login"] {
            if let Some(t) = self.get(path).await.csrf() {
                return t;
            }
        }
        panic!("no page offered a CSRF token")
    }

    /// Posts a form with this visitor's CSRF token, like submitting a page's form.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.csrf().await;
        let mut fields: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Page {
        let page = self
            .post(
                "/login",
                &[
                    ("username", username),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        assert!(
            page.status == 303,
            "login as {username} failed: {} {}",
            page.status,
            page.body
        );
        page
    }
}

impl Visitor {
    /// Uploads a multipart form the way the pages do: the CSRF token in the action URL.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        let token = self.csrf().await;
        let sep = if path.contains('?') { '&' } else { '?' };
        Visitor::page(
            self.http
                .post(format!("{}{path}{sep}csrf={token}", self.base))
                .multipart(form)
                .send()
                .await
                .expect("POST multipart"),
        )
        .await
    }

    /// Posts a form with repeated keys (checkbox lists) and this visitor's CSRF token.
    pub async fn post_pairs(&self, path: &str, pairs: &[(String, String)]) -> Page {
        let token = self.csrf().await;
        let mut fields: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        fields.extend(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.post_raw(path, &fields).await
    }
}

/// The id in a `Location: /things/{id}…` header.
impl Visitor {
    /// A campaign made through the form (targets 001–003), running from yesterday for 30 days.
    pub async fn new_campaign(&self, title: &str) -> i64 {
        let page = self
            .post_pairs(
                "/campaigns/new",
                &campaign_form(title, &hanoi_day(-1), &hanoi_day(30)),
            )
            .await;
        id_from_location(&page, "/campaigns/")
    }
}

pub fn id_from_location(page: &Page, prefix: &str) -> i64 {
    let loc = page
        .location
        .as_deref()
        .unwrap_or_else(|| panic!("no redirect: {} {}", page.status, page.body));
    loc.trim_start_matches(prefix)
        .split(['?', '/'])
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {loc}"))
}

/// Form pairs of a D2 (Transparency) campaign over `days` targeting Ba Đình, Hoàn Kiếm and
/// Tây Hồ, with a few KPI targets.
pub fn campaign_form(title: &str, starts_on: &str, ends_on: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("title", title),
        ("objective", "Nâng cao nhận thức về công khai, minh bạch"),
        ("owner_code", "so-noi-vu"),
        ("status", "active"),
        ("starts_on", starts_on),
        ("ends_on", ends_on),
        ("dimension", "D2"),
        ("target", "001"),
        ("target", "002"),
        ("target", "003"),
        ("kpi_posts_001", "12"),
        ("kpi_reach_001", "50.000"),
        ("kpi_posts_002", "10"),
        ("kpi_clicks_003", "800"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.shrink_to_fit();
    f
}

/// The Hanoi calendar day `days` from today, as `YYYY-MM-DD`.
pub fn hanoi_day(days: i64) -> String {
    let now = loa::clock::to_hanoi(loa::clock::now_ms()).date();
    (now + time::Duration::days(days)).to_string()
}

/// Text as Tera writes it into a page (its HTML escaping turns `/` into `&#x2F;`).
pub fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('/', "&#x2F;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
