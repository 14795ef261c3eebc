//! E-mail over plain SMTP (RFC 5321) on a tokio TCP stream: enough for reminders to units on a
//! government network's relay, without a mail library. Subjects are RFC 2047 encoded and bodies
//! base64, so Vietnamese text arrives intact through any relay.

use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where and as whom mail is sent. Built from `smtp_host`, `smtp_port`, `smtp_from`.
#[derive(Clone, Debug)]
pub struct Mailer {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub timeout: Duration,
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

impl Mailer {
    pub fn from_config(config: &crate::config::Config) -> Option<Mailer> {
        let host = config.smtp_host.clone()?;
        Some(Mailer {
            host,
            port: config.smtp_port,
            from: config.smtp_from.clone(),
            timeout: Duration::from_secs(20),
        })
    }

    /// Sends one message in one SMTP session.
    pub async fn send(&self, msg: &Message) -> anyhow::Result<()> {
        if !valid_address(&msg.to) {
            bail!("not an e-mail address: {}", msg.to);
        }
        tokio::time::timeout(self.timeout, self.session(msg))
            .await
            .context("SMTP server did not answer in time")?
    }

    async fn session(&self, msg: &Message) -> anyhow::Result<()> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("cannot connect to SMTP {}:{}", self.host, self.port))?;
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        expect(&mut read, 220).await?;
        let steps = [
            ("EHLO loa.local".to_string(), 250),
            (format!("MAIL FROM:<{}>", self.from), 250),
            (format!("RCPT TO:<{}>", msg.to), 250),
            ("DATA".to_string(), 354),
        ];
        for (cmd, code) in steps {
            write.write_all(format!("{cmd}\r\n").as_bytes()).await?;
            expect(&mut read, code)
                .await
                .with_context(|| format!("after {}", cmd.split(':').next().unwrap_or("")))?;
        }
        write.write_all(render(&self.from, msg).as_bytes()).await?;
        write.write_all(b"\r\n.\r\n").await?;
        expect(&mut read, 250).await.context("after the message")?;
        write.write_all(b"QUIT\r\n").await?;
        let _ = expect(&mut read, 221).await;
        Ok(())
    }
}

/// Reads one (possibly multi-line) reply and checks its code.
async fn expect<R: AsyncBufReadExt + Unpin>(read: &mut R, code: u16) -> anyhow::Result<()> {
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
            bail!("SMTP server closed the connection");
        }
        let got: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if got != code {
            bail!("SMTP server answered {}", line.trim_end());
        }
        // "250-..." continues; "250 ..." ends the reply.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

/// Headers and a base64 body: base64 lines never start with a dot, so no dot-stuffing is needed.
fn render(from: &str, msg: &Message) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let subject = format!("=?UTF-8?B?{}?=", b64.encode(msg.subject.as_bytes()));
    let body = b64.encode(msg.body.as_bytes());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "From: Loa <{from}>\r\nTo: <{}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        msg.to,
        lines.join("\r\n")
    )
}

/// Decodes what `render` wrote (the SMTP sink uses it to show what arrived).
pub fn decode(data: &str) -> (String, String) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let raw_subject = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or_default();
    // Loa's own subjects are RFC 2047 base64; anything else is shown as sent.
    let subject = match raw_subject
        .strip_prefix("=?UTF-8?B?")
        .and_then(|s| s.strip_suffix("?="))
    {
        Some(encoded) => b64
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default(),
        None => raw_subject.to_string(),
    };
    let compact: String = body.split_whitespace().collect();
    let body = b64
        .decode(compact)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    (subject, body)
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
    fn a_rendered_message_decodes_back() {
        let msg = Message {
            to: "a@b.vn".into(),
            subject: "Nhắc việc: chia sẻ bài".into(),
            body: ".dòng đầu\nHạn chót đã qua".into(),
        };
        let (s, b) = decode(&render("loa@x.vn", &msg));
        assert_eq!(
            (s.as_str(), b.as_str()),
            (msg.subject.as_str(), msg.body.as_str())
        );
    }
}
