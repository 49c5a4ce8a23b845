//! The mailer: one plain-text UTF-8 e-mail at a time over SMTP (lettre on tokio, rustls with ring).
//! It owns the connection settings of `[smtp]` and the message format; what to send and when is
//! the outbox's business (`app::mail_delivery`).
//!
//! Invariants: with `tls = "starttls"` or `"implicit"` the server's certificate is verified (the
//! system trust store, plus `smtp.ca_file`) and a server without TLS is never sent to; a password
//! is only ever sent over TLS; subjects are RFC 2047 encoded and bodies carry `charset=utf-8`;
//! errors carry the server's reply or the connection failure, never the credentials.

use crate::config::{SmtpConfig, SmtpTls};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::{Duration, SystemTime};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp configuration: {0}")]
    Config(String),
    #[error("not a usable mail address: {0}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Message(String),
    /// The server answered the message with a 5xx reply.
    #[error("the mail server refused the message: {0}")]
    Refused(String),
    /// The server answered with a 4xx reply (try again later).
    #[error("the mail server deferred the message: {0}")]
    Deferred(String),
    /// No conversation with the server: connection, TLS or time-out.
    #[error("cannot reach the mail server: {0}")]
    Unreachable(String),
}

/// A configured SMTP client; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer for `[smtp]`; an error names the setting that is wrong.
    pub fn new(cfg: &SmtpConfig) -> Result<Mailer, MailError> {
        if cfg.host.is_empty() {
            return Err(MailError::Config("smtp.host is empty (mail delivery is off)".into()));
        }
        let from: Mailbox =
            cfg.from.parse().map_err(|e| MailError::Config(format!("smtp.from `{}`: {e}", cfg.from)))?;
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            .port(cfg.port)
            .timeout(Some(Duration::from_secs(cfg.timeout_seconds.max(1))));
        b = match cfg.tls {
            SmtpTls::None => b.tls(Tls::None),
            SmtpTls::Starttls => b.tls(Tls::Required(tls_parameters(cfg)?)),
            SmtpTls::Implicit => b.tls(Tls::Wrapper(tls_parameters(cfg)?)),
        };
        if !cfg.username.is_empty() {
            if cfg.tls == SmtpTls::None {
                return Err(MailError::Config(
                    "smtp.username is set but smtp.tls = \"none\": a password is only sent over TLS".into(),
                ));
            }
            b = b.credentials(Credentials::new(cfg.username.clone(), cfg.password.clone()));
        }
        Ok(Mailer { transport: b.build(), from })
    }

    /// A plain-text message from `smtp.from` to `to`, dated `date`. `id` (the notification's) makes
    /// the Message-ID, the same on every try, so a recipient's system can drop a duplicate.
    pub fn message(
        &self,
        id: &str,
        to: &str,
        subject: &str,
        body: &str,
        date: SystemTime,
    ) -> Result<Message, MailError> {
        let to: Mailbox = to.parse().map_err(|e| MailError::Address(format!("`{to}`: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .date(date)
            .message_id(Some(format!("<{id}@{}>", self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailError::Message(e.to_string()))
    }

    /// Sends one message (a connection of its own).
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            let shown = e.to_string();
            if e.is_permanent() {
                MailError::Refused(shown)
            } else if e.is_transient() {
                MailError::Deferred(shown)
            } else {
                MailError::Unreachable(shown)
            }
        })
    }
}

fn tls_parameters(cfg: &SmtpConfig) -> Result<TlsParameters, MailError> {
    let mut p = TlsParameters::builder(cfg.host.clone());
    if !cfg.ca_file.is_empty() {
        let pem =
            std::fs::read(&cfg.ca_file).map_err(|e| MailError::Config(format!("smtp.ca_file {}: {e}", cfg.ca_file)))?;
        p = p.add_root_certificate(
            Certificate::from_pem(&pem).map_err(|e| MailError::Config(format!("smtp.ca_file {}: {e}", cfg.ca_file)))?,
        );
    }
    p.build_rustls().map_err(|e| MailError::Config(format!("smtp TLS: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SmtpConfig {
        let mut c = crate::config::Config::default().smtp;
        c.host = "127.0.0.1".into();
        c.from = "東雲市 情報政策課 <tobira@city.shinonome.lg.jp>".into();
        c
    }

    #[test]
    fn a_password_is_never_configured_without_tls() {
        let mut c = cfg();
        c.tls = SmtpTls::None;
        c.username = "tobira".into();
        c.password = "smtp-secret".into();
        let e = Mailer::new(&c).err().expect("refused");
        assert!(matches!(e, MailError::Config(_)) && !e.to_string().contains("smtp-secret"), "{e}");
        c.tls = SmtpTls::Starttls;
        assert!(Mailer::new(&c).is_ok());
    }

    #[test]
    fn a_missing_or_bad_sender_is_a_configuration_error() {
        let mut c = cfg();
        c.from = String::new();
        assert!(matches!(Mailer::new(&c), Err(MailError::Config(m)) if m.contains("smtp.from")));
        c.host = String::new();
        assert!(matches!(Mailer::new(&c), Err(MailError::Config(m)) if m.contains("smtp.host")));
    }

    #[test]
    fn japanese_subjects_are_encoded_words() {
        let m = Mailer::new(&cfg()).unwrap();
        let msg =
            m.message("0193-abc", "taro@city.shinonome.lg.jp", "特権IDの承認", "本文", SystemTime::UNIX_EPOCH).unwrap();
        let raw = String::from_utf8(msg.formatted()).unwrap();
        assert!(raw.contains("Subject: =?utf-8?b?"), "{raw}");
        assert!(raw.contains("charset=utf-8"), "{raw}");
        assert!(raw.contains("Message-ID: <0193-abc@city.shinonome.lg.jp>"), "{raw}");
        assert!(matches!(m.message("x", "no address", "s", "b", SystemTime::UNIX_EPOCH), Err(MailError::Address(_))));
    }
}
