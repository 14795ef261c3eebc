//! Reminder e-mail through `lettre`: SMTP with STARTTLS (opportunistic or required) or implicit
//! TLS, SMTP authentication, and RFC 5322 messages with `Date`, `Message-ID`, UTF-8 subjects
//! as encoded words and bodies in a transfer encoding any relay carries, so Vietnamese text
//! arrives intact.

use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, MIME_VERSION_1_0};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::read_ca_file;
// Configuration values and a validation rule, named here too where mail code looks for them.
pub use crate::config::SmtpTls;
pub use crate::domain::valid_address;

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
