//! The e-mail keys (`smtp_tls`, `smtp_username`, `smtp_password`, `smtp_ca_file`), checked
//! together: a password only over a connection that is always encrypted, a login only with
//! both halves, a CA file that really holds a certificate. Messages come from the catalogs in
//! the language of `LOA_LANG` (Vietnamese by default) and name the key and where it was set.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use lettre::transport::smtp::client::Certificate;

use crate::i18n::{I18n, Lang};

/// How the connection to the relay is protected (`smtp_tls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP, never encrypted: only for a relay on the same host or a closed segment.
    None,
    /// STARTTLS when the relay offers it, plain otherwise (the default).
    Opportunistic,
    /// STARTTLS or no mail: a relay that does not offer it is refused.
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl SmtpTls {
    pub fn parse(s: &str) -> Option<SmtpTls> {
        match s.trim() {
            "none" => Some(SmtpTls::None),
            "opportunistic" => Some(SmtpTls::Opportunistic),
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            _ => None,
        }
    }

    /// Whether a password can only ever travel encrypted with this setting.
    pub fn always_encrypted(self) -> bool {
        matches!(self, SmtpTls::StartTls | SmtpTls::Tls)
    }
}

/// The trust anchors in a PEM file (`smtp_ca_file`): a relay with a certificate from the
/// agency's own authority. Checked when the configuration loads.
pub fn read_ca_file(path: &PathBuf) -> anyhow::Result<Certificate> {
    let pem = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        bail!("no PEM certificate in {}", path.display());
    }
    Certificate::from_pem(&pem).with_context(|| format!("{}", path.display()))
}

pub(super) struct MailSettings {
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// 465 for implicit TLS, 25 otherwise, unless `smtp_port` says otherwise.
    pub default_port: u16,
}

/// A catalog message with `{source}` (the variable or file line) and any other arguments.
fn message(env: &BTreeMap<String, String>, key: &str, args: &[(&str, String)]) -> String {
    let lang = env
        .get("LOA_LANG")
        .and_then(|l| Lang::parse(l))
        .unwrap_or_default();
    match I18n::load() {
        Ok(i18n) => i18n.format(lang, key, args),
        // The catalogs are compiled in and tested; this only keeps the key visible.
        Err(_) => format!("{key}: {args:?}"),
    }
}

pub(super) fn settings(
    get: &dyn Fn(&str) -> Option<(String, String)>,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<MailSettings> {
    let tls = match get("smtp_tls") {
        None => SmtpTls::Opportunistic,
        Some((v, source)) => match SmtpTls::parse(&v) {
            Some(t) => t,
            None => bail!(message(
                env,
                "config_err_smtp_tls",
                &[("source", source), ("value", v)]
            )),
        },
    };
    let set = |key: &str| get(key).filter(|(v, _)| !v.trim().is_empty());
    let username = set("smtp_username");
    let password = set("smtp_password");
    match (&username, &password) {
        (Some((_, source)), None) => bail!(message(
            env,
            "config_err_smtp_password_missing",
            &[("source", source.clone())]
        )),
        (None, Some((_, source))) => bail!(message(
            env,
            "config_err_smtp_username_missing",
            &[("source", source.clone())]
        )),
        (Some(_), Some((_, source))) if !tls.always_encrypted() => bail!(message(
            env,
            "config_err_smtp_password_in_clear",
            &[("source", source.clone())]
        )),
        _ => {}
    }
    let ca_file = match set("smtp_ca_file") {
        None => None,
        Some((v, source)) => {
            let path = PathBuf::from(v.trim());
            if let Err(e) = read_ca_file(&path) {
                bail!(message(
                    env,
                    "config_err_smtp_ca_file",
                    &[("source", source), ("detail", format!("{e:#}"))]
                ));
            }
            Some(path)
        }
    };
    Ok(MailSettings {
        tls,
        username: username.map(|(v, _)| v.trim().to_string()),
        // A password is taken as written: spaces may be part of it.
        password: password.map(|(v, _)| v),
        ca_file,
        default_port: if tls == SmtpTls::Tls { 465 } else { 25 },
    })
}

#[cfg(test)]
mod tests {
    use super::SmtpTls;
    use crate::config::Config;
    use std::collections::BTreeMap;

    fn load(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_layers(&BTreeMap::new(), &env)
    }

    #[test]
    fn bad_mail_settings_are_refused_in_vietnamese_naming_the_key() {
        let err = load(&[("LOA_SMTP_TLS", "ssl")]).unwrap_err().to_string();
        assert!(
            err.contains("LOA_SMTP_TLS") && err.contains("phải là"),
            "{err}"
        );
        let err = load(&[("LOA_SMTP_USERNAME", "loa")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("LOA_SMTP_USERNAME") && err.contains("smtp_password"),
            "{err}"
        );
        let err = load(&[("LOA_SMTP_USERNAME", "loa"), ("LOA_SMTP_PASSWORD", "x")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("LOA_SMTP_PASSWORD") && err.contains("mã hoá"),
            "{err}"
        );
        let err = load(&[("LOA_SMTP_CA_FILE", "/nonexistent/ca.pem")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("LOA_SMTP_CA_FILE"), "{err}");
        let err = load(&[("LOA_SMTP_TLS", "ssl"), ("LOA_LANG", "en")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("LOA_SMTP_TLS") && err.contains("must be"),
            "{err}"
        );
    }

    #[test]
    fn a_login_over_tls_is_kept_and_the_password_never_shown() {
        let c = load(&[
            ("LOA_SMTP_TLS", "tls"),
            ("LOA_SMTP_USERNAME", "loa"),
            ("LOA_SMTP_PASSWORD", "mật khẩu bí mật"),
        ])
        .unwrap();
        assert_eq!(c.smtp_tls, SmtpTls::Tls);
        assert_eq!(c.smtp_port, 465, "implicit TLS listens on 465");
        assert_eq!(c.smtp_password.as_deref(), Some("mật khẩu bí mật"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("bí mật") && shown.contains("smtp_password"),
            "{shown}"
        );
        let c = load(&[]).unwrap();
        assert_eq!((c.smtp_tls, c.smtp_port), (SmtpTls::Opportunistic, 25));
    }

    #[test]
    fn tls_settings_parse_and_only_two_always_encrypt() {
        assert_eq!(SmtpTls::parse("starttls"), Some(SmtpTls::StartTls));
        assert_eq!(SmtpTls::parse("ssl"), None);
        assert!(SmtpTls::Tls.always_encrypted() && !SmtpTls::Opportunistic.always_encrypted());
    }
}
