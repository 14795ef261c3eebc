//! Reminder e-mail against the in-repo SMTP sink with STARTTLS or implicit TLS and a login:
//! the message that arrives is parsed by `mail-parser` (not Loa's writer, lettre) and its
//! From, To, Vietnamese Subject, Date, Message-ID and body checked; relays that cannot be
//! trusted, or that would see the password in clear, get nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use loa::config::Config;
use loa::mail::{Mailer, Message};
use loa::sandbox::smtp::{SinkOptions, SinkTls, SmtpSink};
use tokio_rustls::rustls::{self, ServerConfig};

const USER: &str = "loa-mailer";
const PASSWORD: &str = "mật khẩu 2026";

/// A certificate for `localhost` made for this test: the sink serves it, Loa trusts it only
/// through `smtp_ca_file`.
struct TestCa {
    server: Arc<ServerConfig>,
    dir: tempfile::TempDir,
}

impl TestCa {
    fn new() -> TestCa {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), made.cert.pem()).unwrap();
        TestCa {
            server: Arc::new(server),
            dir,
        }
    }

    fn file(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }
}

async fn sink(tls: SinkTls, mechanisms: Vec<&'static str>) -> SmtpSink {
    let options = SinkOptions {
        tls,
        login: Some((USER.into(), PASSWORD.into())),
        mechanisms,
    };
    SmtpSink::spawn_with("127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap()
}

fn mailer(pairs: &[(&str, &str)]) -> Mailer {
    let env: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Mailer::from_config(&Config::from_layers(&BTreeMap::new(), &env).unwrap()).unwrap()
}

fn reminder() -> Message {
    Message {
        to: "vanphong@badinh.hanoi.gov.vn".into(),
        subject: "Nhắc việc: bộ chia sẻ quá hạn — Quận Ba Đình".into(),
        body:
            ".Dòng đầu bắt đầu bằng dấu chấm\nHạn chót 03/12/2026 đã qua, xin đơn vị chia sẻ bài.\n"
                .into(),
    }
}

/// Checks the message as an independent parser reads it.
fn assert_is_the_reminder(raw: &str) {
    let head = raw.split("\r\n\r\n").next().unwrap();
    assert!(
        head.is_ascii(),
        "headers are 7-bit, Vietnamese as encoded words: {head}"
    );
    assert!(head.contains("\r\nMIME-Version: 1.0\r\n"), "{head}");
    let m = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a parsable message");
    let from = m.from().and_then(|a| a.first()).unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Loa"), Some("loa@hanoi.gov.vn"))
    );
    let to = m.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some("vanphong@badinh.hanoi.gov.vn"));
    assert_eq!(m.subject(), Some(reminder().subject.as_str()));
    let sent = m.date().expect("a Date header").to_timestamp();
    let now = loa::clock::now_ms() / 1000;
    assert!(
        (now - 300..=now + 5).contains(&sent),
        "Date {sent}, now {now}"
    );
    let id = m.message_id().expect("a Message-ID header");
    assert!(id.ends_with("@hanoi.gov.vn") && id.len() > 20, "{id}");
    let body = m.body_text(0).unwrap().replace("\r\n", "\n");
    assert_eq!(body, reminder().body);
}

#[tokio::test]
async fn a_reminder_goes_over_starttls_after_login_with_every_header() {
    let ca = TestCa::new();
    let sink = sink(SinkTls::StartTls(ca.server.clone()), vec![]).await;
    let port = sink.addr.port().to_string();
    let base = [
        ("LOA_SMTP_HOST", "localhost"),
        ("LOA_SMTP_PORT", port.as_str()),
        ("LOA_SMTP_FROM", "loa@hanoi.gov.vn"),
        ("LOA_SMTP_TLS", "starttls"),
        ("LOA_SMTP_USERNAME", USER),
    ];
    let ca_file = ca.file();
    let mut good = base.to_vec();
    good.extend([
        ("LOA_SMTP_PASSWORD", PASSWORD),
        ("LOA_SMTP_CA_FILE", &ca_file),
    ]);
    mailer(&good).send(&reminder()).await.unwrap();
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls, "sent after STARTTLS");
    assert_eq!(got[0].auth.as_deref(), Some("PLAIN loa-mailer"));
    assert_eq!(got[0].to, ["vanphong@badinh.hanoi.gov.vn"]);
    assert_is_the_reminder(&got[0].raw);

    // A wrong password, or a relay certificate nobody vouches for: nothing is accepted.
    let mut wrong = base.to_vec();
    wrong.extend([("LOA_SMTP_PASSWORD", "sai"), ("LOA_SMTP_CA_FILE", &ca_file)]);
    assert!(mailer(&wrong).send(&reminder()).await.is_err());
    let mut untrusted = base.to_vec();
    untrusted.push(("LOA_SMTP_PASSWORD", PASSWORD));
    assert!(mailer(&untrusted).send(&reminder()).await.is_err());
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn implicit_tls_logs_in_with_auth_login() {
    let ca = TestCa::new();
    let sink = sink(SinkTls::Implicit(ca.server.clone()), vec!["LOGIN"]).await;
    let port = sink.addr.port().to_string();
    let ca_file = ca.file();
    mailer(&[
        ("LOA_SMTP_HOST", "localhost"),
        ("LOA_SMTP_PORT", &port),
        ("LOA_SMTP_FROM", "loa@hanoi.gov.vn"),
        ("LOA_SMTP_TLS", "tls"),
        ("LOA_SMTP_USERNAME", USER),
        ("LOA_SMTP_PASSWORD", PASSWORD),
        ("LOA_SMTP_CA_FILE", &ca_file),
    ])
    .send(&reminder())
    .await
    .unwrap();
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls);
    assert_eq!(got[0].auth.as_deref(), Some("LOGIN loa-mailer"));
    assert_is_the_reminder(&got[0].raw);
}

#[tokio::test]
async fn required_starttls_sends_nothing_to_a_relay_without_it() {
    let plain = sink(SinkTls::None, vec![]).await;
    let port = plain.addr.port().to_string();
    let ca = TestCa::new();
    let ca_file = ca.file();
    let result = mailer(&[
        ("LOA_SMTP_HOST", "localhost"),
        ("LOA_SMTP_PORT", &port),
        ("LOA_SMTP_TLS", "starttls"),
        ("LOA_SMTP_USERNAME", USER),
        ("LOA_SMTP_PASSWORD", PASSWORD),
        ("LOA_SMTP_CA_FILE", &ca_file),
    ])
    .send(&reminder())
    .await;
    assert!(result.is_err());
    assert!(plain.messages().is_empty());

    // Opportunistic (the default, no login): the same relay takes it in plain SMTP.
    let open = SmtpSink::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = open.addr.port().to_string();
    mailer(&[
        ("LOA_SMTP_HOST", "localhost"),
        ("LOA_SMTP_PORT", &port),
        ("LOA_SMTP_FROM", "loa@hanoi.gov.vn"),
    ])
    .send(&reminder())
    .await
    .unwrap();
    let got = open.messages();
    assert_eq!(
        (got.len(), got[0].tls, got[0].auth.clone()),
        (1, false, None)
    );
    assert_is_the_reminder(&got[0].raw);
}
