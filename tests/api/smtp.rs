//! A real SMTP server for the tests (aiosmtpd, tests/support/smtp_sink.py) and what it
//! received, parsed.

use std::path::{Path, PathBuf};

use mail_parser::MimeHeaders;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An SMTP server on loopback that writes every message it accepts to a directory.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        SmtpSink::start_with(&[])
    }

    /// `args`: e.g. `["--fail-first", "1"]`.
    pub fn start_with(args: &[&str]) -> SmtpSink {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("tempdir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed (with `pip install aiosmtpd`)");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the port");
        let port = line.trim().parse().unwrap_or_else(|_| {
            panic!("the SMTP sink did not start (is aiosmtpd installed? `pip install aiosmtpd`); it said {line:?}")
        });
        SmtpSink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("sink dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
    }

    /// How many messages arrived so far (cheap: no parsing).
    pub fn count(&self) -> usize {
        Self::files(self.dir.path()).len()
    }

    /// Every accepted message, in the order of arrival.
    pub fn received(&self) -> Vec<Mail> {
        Self::files(self.dir.path())
            .iter()
            .map(|p| Mail::parse(&std::fs::read(p).expect("read mail")))
            .collect()
    }

    /// The messages answered with a temporary failure (`--fail-first`).
    pub fn rejected(&self) -> Vec<Mail> {
        Self::files(&self.dir.path().join("rejected"))
            .iter()
            .map(|p| Mail::parse(&std::fs::read(p).expect("read mail")))
            .collect()
    }

    pub fn received_by(&self, address: &str) -> Vec<Mail> {
        self.received()
            .into_iter()
            .filter(|m| m.to.eq_ignore_ascii_case(address))
            .collect()
    }

    /// Waits until at least `n` messages arrived, or `timeout` passed; returns the count.
    pub async fn wait_for_count(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        loop {
            let count = self.count();
            if count >= n || Instant::now() >= deadline {
                return count;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub raw: String,
    pub to: String,
    pub subject: String,
    /// With its angle brackets, as in the header.
    pub message_id: String,
    pub text: String,
    pub html: String,
    pub content_type: String,
}

impl Mail {
    pub fn parse(bytes: &[u8]) -> Mail {
        let message = mail_parser::MessageParser::default()
            .parse(bytes)
            .expect("a MIME message");
        Mail {
            raw: String::from_utf8_lossy(bytes).into_owned(),
            to: message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            subject: message.subject().unwrap_or_default().to_owned(),
            message_id: format!("<{}>", message.message_id().unwrap_or_default()),
            text: message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            content_type: message
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                .unwrap_or_default(),
        }
    }

    /// A header's raw value, trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        let message = mail_parser::MessageParser::default().parse(self.raw.as_bytes())?;
        message.header_raw(name).map(|v| v.trim().to_owned())
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .unwrap_or_else(|| panic!("no link starting with {prefix} in:\n{}", self.text))
            .to_owned()
    }
}
