//! The `loa` binary as an operator uses it: clear messages, non-zero exits, nothing half-done.

use std::process::{Command, Output};

fn loa(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_loa"))
        .args(args)
        .env("LOA_DATA_DIR", data_dir)
        .env("LOA_ADMIN_PASSWORD", "admin-password-1")
        .env("LOA_LANG", "en")
        .env("LOA_LOG", "warn")
        .env_remove("LOA_DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("loa runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn user_add_validates_every_argument_and_binds_units_by_code() {
    let dir = tempfile::tempdir().unwrap();
    let ok = loa(
        dir.path(),
        &[
            "user",
            "add",
            "cb.badinh",
            "--role",
            "district",
            "--unit",
            "001",
        ],
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("one-time password:"));

    let bad = loa(
        dir.path(),
        &["user", "add", "x", "--role", "boss", "--unit", "999"],
        None,
    );
    assert!(!bad.status.success());
    let out = text(&bad);
    assert!(
        out.contains("--username: The username needs 3 to 32 characters."),
        "{out}"
    );
    assert!(out.contains("--role: There is no role “boss”"), "{out}");

    let unit = loa(
        dir.path(),
        &["user", "add", "lan", "--role", "district", "--unit", "999"],
        None,
    );
    assert!(
        text(&unit).contains("There is no unit with code “999” in the 2024 map"),
        "{}",
        text(&unit)
    );
    let dup = loa(
        dir.path(),
        &["user", "add", "CB.BADINH", "--role", "officer"],
        None,
    );
    assert!(text(&dup).contains("already taken"), "{}", text(&dup));

    let piped = loa(
        dir.path(),
        &[
            "user",
            "add",
            "minh",
            "--role",
            "manager",
            "--password-stdin",
        ],
        Some("mot-hai-ba-bon-nam\n"),
    );
    assert!(
        piped.status.success() && !text(&piped).contains("one-time"),
        "{}",
        text(&piped)
    );
}

#[test]
fn areas_import_reports_rows_and_imports_nothing_from_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ha-giang.csv");
    std::fs::write(&file, "code,name,type,parent_code,parent_name,level\n02,Tỉnh Hà Giang,tỉnh,,,province\n24,Sai mã,huyện,02,,district\n").unwrap();
    let bad = loa(
        dir.path(),
        &["areas", "import", file.to_str().unwrap()],
        None,
    );
    assert!(!bad.status.success());
    let out = text(&bad);
    assert!(
        out.contains("nothing was imported")
            && out.contains("row 3, code: The code “24” is not valid"),
        "{out}"
    );
    // Nothing was imported, read from the database itself, not from Loa's message.
    let db = rusqlite::Connection::open(dir.path().join("loa.db")).unwrap();
    let stored: i64 = db
        .query_row(
            "select count(*) from area where code in ('02', '24')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0, "no row of the broken file is in the database");
    drop(db);

    std::fs::write(
        &file,
        "code,name,type,parent_code,parent_name,level\n02,Tỉnh Hà Giang,tỉnh,,,province\n",
    )
    .unwrap();
    let ok = loa(
        dir.path(),
        &[
            "areas",
            "import",
            file.to_str().unwrap(),
            "--snapshot",
            "2024",
        ],
        None,
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let listed = loa(dir.path(), &["areas", "snapshots"], None);
    assert!(
        text(&listed).contains("2024") && text(&listed).contains("(active)"),
        "{}",
        text(&listed)
    );
    let switch = loa(dir.path(), &["areas", "activate", "2025-07"], None);
    assert!(switch.status.success());
    assert!(
        !loa(dir.path(), &["areas", "activate", "1999"], None)
            .status
            .success()
    );
}

#[test]
fn a_bad_configuration_value_stops_the_start_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loa"))
        .arg("migrate")
        .env("LOA_DATA_DIR", dir.path())
        .env("LOA_SESSION_HOURS", "forever")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("LOA_SESSION_HOURS: 'forever' must be a whole number from 1 to 720")
    );
}
