//! A real WordPress for one test run: Debian's `/usr/share/wordpress` served by `php -S` with
//! several workers, a fresh MariaDB database, this run's `wp-config.php` and `wp-content` in a
//! temporary folder, and an Application Password for the admin. A watchdog shell stops the
//! server, drops the database and removes the folder once the test process has gone.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running test site.
pub struct Site {
    pub url: String,
    pub username: String,
    pub app_password: String,
    /// This run's site folder (its `wp-content` holds uploads and the delay files).
    pub dir: PathBuf,
}

const WORDPRESS: &str = "/usr/share/wordpress";
/// Enough workers that a request held 30 s before saving does not stall the others.
const WORKERS: &str = "6";

static PRETTY: OnceLock<Result<Site, String>> = OnceLock::new();
static PLAIN: OnceLock<Result<Site, String>> = OnceLock::new();

/// The site with "Post name" permalinks, or why WordPress cannot run here.
pub fn pretty() -> Result<&'static Site, String> {
    PRETTY
        .get_or_init(|| start("pretty"))
        .as_ref()
        .map_err(Clone::clone)
}

/// The site with "Plain" permalinks (the API only at `?rest_route=`).
pub fn plain() -> Result<&'static Site, String> {
    PLAIN
        .get_or_init(|| start("plain"))
        .as_ref()
        .map_err(Clone::clone)
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress")
}

/// Runs `cmd`, its standard output on success, or what went wrong.
fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn mysql(sql: &str) -> Result<String, String> {
    run(
        Command::new("mysql").args(["-uroot", "-N", "-s", "-e", sql]),
        "MariaDB (mysql -uroot)",
    )
}

fn start(permalinks: &str) -> Result<Site, String> {
    if !Path::new(WORDPRESS).join("wp-settings.php").exists() {
        return Err(format!(
            "WordPress is not installed in {WORDPRESS} (apt-get install wordpress php-cli php-mysql)"
        ));
    }
    run(Command::new("php").arg("-v"), "php-cli")?;
    let socket = mysql("select @@socket")?.trim().to_string();
    let db = format!("loa_wp_{}_{permalinks}", std::process::id());
    mysql(&format!(
        "drop database if exists {db}; create database {db} character set utf8mb4"
    ))?;
    let dir = tempfile::Builder::new()
        .prefix("loa-wordpress-")
        .tempdir()
        .map_err(|e| format!("temporary folder: {e}"))?
        .keep();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("free port: {e}"))?
        .port();
    let host = format!("127.0.0.1:{port}");
    lay_out(&dir, &db, &socket, &host).map_err(|e| format!("site folder {dir:?}: {e}"))?;
    let installed = run(
        Command::new("php")
            .arg(fixtures().join("install.php"))
            .arg(&dir)
            .arg(&host)
            .arg(permalinks),
        "WordPress install",
    )
    .inspect_err(|_| {
        let _ = mysql(&format!("drop database if exists {db}"));
        let _ = std::fs::remove_dir_all(&dir);
    })?;
    let account: serde_json::Value = installed
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| format!("WordPress install printed no account: {installed}"))?;
    // Served only once installed: the installer's loopback probe for pretty permalinks must
    // find nothing, or it leaves its own permalink rules behind.
    watch(&dir, &db, port)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&host).is_err() {
        if Instant::now() > deadline {
            return Err(format!("php -S did not listen on {host}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Site {
        url: format!("http://{host}"),
        username: account["username"].as_str().unwrap_or("loa").into(),
        app_password: account["app_password"].as_str().unwrap_or_default().into(),
        dir,
    })
}

/// The site folder: every entry of the Debian WordPress linked, except `wp-config.php` (this
/// run's) and `wp-content` (this run's, with the test mu-plugin and room for uploads).
fn lay_out(dir: &Path, db: &str, socket: &str, host: &str) -> std::io::Result<()> {
    use std::os::unix::fs::symlink;
    for entry in std::fs::read_dir(WORDPRESS)? {
        let entry = entry?;
        let name = entry.file_name();
        if name != "wp-config.php" && name != "wp-content" {
            symlink(entry.path(), dir.join(&name))?;
        }
    }
    let content = dir.join("wp-content");
    for sub in ["uploads", "mu-plugins", "loa-delays"] {
        std::fs::create_dir_all(content.join(sub))?;
    }
    for sub in ["themes", "plugins", "languages"] {
        let real = Path::new(WORDPRESS).join("wp-content").join(sub);
        if real.exists() {
            symlink(real, content.join(sub))?;
        }
    }
    std::fs::copy(
        fixtures().join("mu-plugins/loa-test.php"),
        content.join("mu-plugins/loa-test.php"),
    )?;
    let salt = format!("loa-test-{}-", std::process::id());
    let config = std::fs::read_to_string(fixtures().join("wp-config.php"))?
        .replace("@DB_NAME@", db)
        .replace("@DB_SOCKET@", socket)
        .replace("@SALT@", &salt)
        .replace("@HOST@", host)
        .replace("@SITE@", &dir.display().to_string());
    std::fs::write(dir.join("wp-config.php"), config)
}

/// Starts `php -S` under a watchdog in its own session: when this process is gone, the
/// watchdog drops the database, removes the folder and ends the server with its workers.
fn watch(dir: &Path, db: &str, port: u16) -> Result<(), String> {
    const SCRIPT: &str = r#"
        PHP_CLI_SERVER_WORKERS="$WORKERS" LOA_WP_SITE="$SITE" \
            php -S "127.0.0.1:$PORT" -t "$SITE" "$ROUTER" >"$SITE/php.log" 2>&1 &
        while kill -0 "$OWNER" 2>/dev/null; do sleep 1; done
        mysql -uroot -e "drop database if exists $DB" >/dev/null 2>&1
        rm -rf "$SITE"
        kill -TERM 0
    "#;
    Command::new("setsid")
        .args(["sh", "-c", SCRIPT])
        .env("WORKERS", WORKERS)
        .env("SITE", dir)
        .env("PORT", port.to_string())
        .env("ROUTER", fixtures().join("router.php"))
        .env("OWNER", std::process::id().to_string())
        .env("DB", db)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("php -S (through setsid): {e}"))
}
