//! Reminder e-mail through `lettre`: SMTP with STARTTLS (opportunistic or required) or implicit
//! TLS, SMTP authentication, and RFC 5322 messages with `Date`, `Message-ID`, UTF-8 subjects
//! as encoded words and bodies in a transfer encoding any relay carries, so Vietnamese text
//! arrives intact.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

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

/// Where and as whom mail is sent, built from the `smtp_*` keys.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

// The transport holds the password; only the relay and sender are shown.
impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.email.to_string())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A syntactically plausible address: one `@`, a dot in the domain, no spaces or angle brackets
/// (which would let a value break out of an SMTP command).
pub fn valid_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ','))
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

impl Mailer {
    /// The mailer the configuration asks for; `None` when `smtp_host` is unset (e-mail off).
    pub fn from_config(config: &crate::config::Config) -> Option<Mailer> {
        let host = config.smtp_host.clone()?;
        match Mailer::build(config, &host) {
            Ok(m) => Some(m),
            Err(e) => {
                // The configuration was checked at start; this is a CA file changed since.
                tracing::error!(error.cause_chain = ?e, "e-mail is off: the SMTP settings cannot be used");
                None
            }
        }
    }

    fn build(config: &crate::config::Config, host: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = Mailbox::new(
            Some("Loa".into()),
            config.smtp_from.parse().context("smtp_from")?,
        );
        let params = || -> anyhow::Result<TlsParameters> {
            let mut b = TlsParameters::builder(host.to_string());
            if let Some(path) = &config.smtp_ca_file {
                b = b.add_root_certificate(read_ca_file(path)?);
            }
            Ok(b.build_rustls()?)
        };
        let tls = match config.smtp_tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Opportunistic => Tls::Opportunistic(params()?),
            SmtpTls::StartTls => Tls::Required(params()?),
            SmtpTls::Tls => Tls::Wrapper(params()?),
        };
        // EHLO names the sender's domain: relays log it, some check it resolves.
        let hello = from.email.domain().to_string();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(config.smtp_port)
            .tls(tls)
            .hello_name(ClientId::Domain(hello))
            .timeout(Some(Duration::from_secs(20)));
        if let Some(user) = &config.smtp_username {
            let password = config.smtp_password.clone().unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one message in one SMTP session.
    pub async fn send(&self, msg: &Message) -> anyhow::Result<()> {
        if !valid_address(&msg.to) {
            bail!("not an e-mail address: {}", msg.to);
        }
        let email = self.message(msg)?;
        self.transport
            .send(email)
            .await
            .context("the SMTP relay did not take the message")?;
        Ok(())
    }

    fn message(&self, msg: &Message) -> anyhow::Result<lettre::Message> {
        let to: Mailbox = msg.to.parse().context("recipient")?;
        // A Message-ID under the sender's domain, so replies and bounces thread.
        let id = format!("<{}@{}>", uuid::Uuid::new_v4(), self.from.email.domain());
        Ok(lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(msg.subject.clone())
            .date_now()
            .message_id(Some(id))
            // A charset in Content-Type means MIME (RFC 2045 asks for the version header).
            .header(MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(msg.body.clone())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_could_break_a_command_are_refused() {
        assert!(valid_address("vanphong@badinh.hanoi.gov.vn"));
        for bad in [
            "",
            "no-at",
            "a@b",
            "a b@c.vn",
            "a@b.vn>\r\nRCPT TO:<x@y.vn",
            "a@@b.vn",
        ] {
            assert!(!valid_address(bad), "{bad}");
        }
    }

    #[test]
    fn tls_settings_parse_and_only_two_always_encrypt() {
        assert_eq!(SmtpTls::parse("starttls"), Some(SmtpTls::StartTls));
        assert_eq!(SmtpTls::parse("ssl"), None);
        assert!(SmtpTls::Tls.always_encrypted() && !SmtpTls::Opportunistic.always_encrypted());
    }
}
