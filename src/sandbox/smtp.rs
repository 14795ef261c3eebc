//! An SMTP sink: speaks enough SMTP (RFC 5321) for Loa's mailer, optionally with STARTTLS or
//! implicit TLS and AUTH PLAIN/LOGIN (RFC 4954), and records every message it accepts with how
//! it came (encrypted or not, as whom), so tests and `loa sandbox` users see what would have
//! gone out. The raw message is kept for tests to parse; subject and body are decoded for
//! printing.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

/// One accepted message.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// The message as it arrived after DATA (dot-stuffing undone), headers and all.
    pub raw: String,
    /// Whether the session was encrypted when the message came.
    pub tls: bool,
    /// `MECHANISM username` of a successful AUTH, if any.
    pub auth: Option<String>,
}

/// How the sink protects its sessions.
#[derive(Clone, Default)]
pub enum SinkTls {
    #[default]
    None,
    /// Offers STARTTLS in its EHLO answer.
    StartTls(Arc<ServerConfig>),
    /// TLS from the first byte, as SMTPS.
    Implicit(Arc<ServerConfig>),
}

#[derive(Clone, Default)]
pub struct SinkOptions {
    pub tls: SinkTls,
    /// A login every sender must give before MAIL (username, password).
    pub login: Option<(String, String)>,
    /// The AUTH mechanisms offered; empty means PLAIN and LOGIN.
    pub mechanisms: Vec<&'static str>,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    pub async fn spawn(addr: SocketAddr) -> anyhow::Result<SmtpSink> {
        SmtpSink::spawn_with(addr, SinkOptions::default()).await
    }

    pub async fn spawn_with(addr: SocketAddr, options: SinkOptions) -> anyhow::Result<SmtpSink> {
        let listener = TcpListener::bind(addr).await?;
        let sink = SmtpSink {
            addr: listener.local_addr()?,
            received: Arc::default(),
        };
        let received = sink.received.clone();
        let options = Arc::new(options);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = Session {
                    received: received.clone(),
                    options: options.clone(),
                };
                tokio::spawn(async move {
                    if let Err(e) = session.run(stream).await {
                        tracing::debug!(error = %e, "SMTP sink session ended");
                    }
                });
            }
        });
        Ok(sink)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("sink lock").clone()
    }
}

struct Session {
    received: Arc<Mutex<Vec<Received>>>,
    options: Arc<SinkOptions>,
}

/// What a conversation on one stream ended with.
enum End {
    Closed,
    /// The client asked for STARTTLS and was told to go ahead.
    StartTls,
}

impl Session {
    async fn run(&self, stream: TcpStream) -> anyhow::Result<()> {
        match &self.options.tls {
            SinkTls::Implicit(config) => {
                let tls = TlsAcceptor::from(config.clone()).accept(stream).await?;
                self.talk(BufReader::new(tls), true, true).await?;
            }
            SinkTls::StartTls(config) => {
                let mut plain = BufReader::new(stream);
                if let End::StartTls = self.talk(&mut plain, false, true).await? {
                    // The client waits for "220 go ahead" before its handshake: nothing buffered.
                    let tls = TlsAcceptor::from(config.clone())
                        .accept(plain.into_inner())
                        .await?;
                    self.talk(BufReader::new(tls), true, false).await?;
                }
            }
            SinkTls::None => {
                self.talk(BufReader::new(stream), false, true).await?;
            }
        }
        Ok(())
    }

    fn mechanisms(&self) -> Vec<&'static str> {
        if self.options.mechanisms.is_empty() {
            vec!["PLAIN", "LOGIN"]
        } else {
            self.options.mechanisms.clone()
        }
    }

    /// One SMTP conversation; `greet` is false after STARTTLS, where the client speaks first.
    async fn talk<S>(&self, mut io: S, tls: bool, greet: bool) -> anyhow::Result<End>
    where
        S: AsyncBufReadExt + AsyncWrite + Unpin,
    {
        if greet {
            io.write_all(b"220 loa-sandbox ESMTP\r\n").await?;
        }
        let offers_starttls = !tls && matches!(self.options.tls, SinkTls::StartTls(_));
        let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None::<String>);
        loop {
            let Some(cmd) = line(&mut io).await? else {
                return Ok(End::Closed);
            };
            let upper = cmd.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                let mut lines = vec!["loa-sandbox".to_string(), "8BITMIME".into()];
                if offers_starttls {
                    lines.push("STARTTLS".into());
                }
                lines.push(format!("AUTH {}", self.mechanisms().join(" ")));
                let last = lines.len() - 1;
                lines
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
                    .collect()
            } else if upper == "STARTTLS" && offers_starttls {
                io.write_all(b"220 go ahead\r\n").await?;
                io.flush().await?;
                return Ok(End::StartTls);
            } else if let Some(rest) = upper.strip_prefix("AUTH ") {
                let args: Vec<&str> = cmd[cmd.len() - rest.len()..].split(' ').collect();
                match self.authenticate(&mut io, &args).await? {
                    Some(who) => {
                        auth = Some(who);
                        "235 authenticated\r\n".into()
                    }
                    None => "535 authentication failed\r\n".into(),
                }
            } else if upper.starts_with("MAIL FROM:") {
                if self.options.login.is_some() && auth.is_none() {
                    "530 authentication required\r\n".into()
                } else {
                    from = address(&cmd["MAIL FROM:".len()..]);
                    "250 OK\r\n".into()
                }
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&cmd["RCPT TO:".len()..]));
                "250 OK\r\n".into()
            } else if upper == "DATA" {
                if from.is_empty() || to.is_empty() {
                    "503 need MAIL and RCPT first\r\n".into()
                } else {
                    io.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let Some(raw) = data(&mut io).await? else {
                        return Ok(End::Closed);
                    };
                    let (subject, body) = decode(&raw);
                    self.received.lock().expect("sink lock").push(Received {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        subject,
                        body,
                        raw,
                        tls,
                        auth: auth.clone(),
                    });
                    "250 queued\r\n".into()
                }
            } else if upper == "QUIT" {
                io.write_all(b"221 bye\r\n").await?;
                return Ok(End::Closed);
            } else if upper == "RSET" || upper == "NOOP" {
                "250 OK\r\n".into()
            } else {
                "502 not implemented\r\n".into()
            };
            io.write_all(reply.as_bytes()).await?;
            io.flush().await?;
        }
    }

    /// AUTH PLAIN (initial response or after 334) and AUTH LOGIN; the name of who logged in.
    async fn authenticate<S>(&self, io: &mut S, args: &[&str]) -> anyhow::Result<Option<String>>
    where
        S: AsyncBufReadExt + AsyncWrite + Unpin,
    {
        let mechanism = args[0].to_ascii_uppercase();
        if !self.mechanisms().contains(&mechanism.as_str()) {
            return Ok(None);
        }
        let (user, password) = if mechanism == "PLAIN" {
            let response = match args.get(1) {
                Some(r) => r.to_string(),
                None => ask(io, "").await?,
            };
            // authzid NUL authcid NUL password
            let decoded = unbase64(&response);
            let mut parts = decoded.split('\0').skip(1);
            let user = parts.next().unwrap_or_default().to_string();
            (user, parts.next().unwrap_or_default().to_string())
        } else {
            let user = unbase64(&ask(io, "Username:").await?);
            (user, unbase64(&ask(io, "Password:").await?))
        };
        let ok = match &self.options.login {
            Some((u, p)) => *u == user && *p == password,
            None => true,
        };
        Ok(ok.then(|| format!("{mechanism} {user}")))
    }
}

/// Sends a 334 challenge and reads the client's answer line.
async fn ask<S>(io: &mut S, prompt: &str) -> anyhow::Result<String>
where
    S: AsyncBufReadExt + AsyncWrite + Unpin,
{
    let b64 = base64::engine::general_purpose::STANDARD;
    io.write_all(format!("334 {}\r\n", b64.encode(prompt)).as_bytes())
        .await?;
    io.flush().await?;
    Ok(line(io).await?.unwrap_or_default())
}

fn unbase64(s: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn address(s: &str) -> String {
    // "<a@b.vn> SIZE=123": the address is what stands between the brackets.
    let s = s.trim();
    match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_string(),
        _ => s.split(' ').next().unwrap_or_default().to_string(),
    }
}

async fn line<S: AsyncBufReadExt + Unpin>(io: &mut S) -> anyhow::Result<Option<String>> {
    let mut l = String::new();
    if io.read_line(&mut l).await? == 0 {
        return Ok(None);
    }
    Ok(Some(l.trim_end_matches(['\r', '\n']).to_string()))
}

/// The message after DATA up to the lone dot, with dot-stuffing undone.
async fn data<S: AsyncBufReadExt + Unpin>(io: &mut S) -> anyhow::Result<Option<String>> {
    let mut raw = String::new();
    loop {
        let mut l = String::new();
        if io.read_line(&mut l).await? == 0 {
            return Ok(None);
        }
        if l == ".\r\n" || l == ".\n" {
            return Ok(Some(raw));
        }
        raw.push_str(l.strip_prefix('.').unwrap_or(&l));
    }
}

/// Subject and text body for printing what arrived.
fn decode(raw: &str) -> (String, String) {
    match mail_parser::MessageParser::default().parse(raw.as_bytes()) {
        Some(m) => (
            m.subject().unwrap_or_default().to_string(),
            m.body_text(0).unwrap_or_default().into_owned(),
        ),
        None => (String::new(), raw.to_string()),
    }
}
