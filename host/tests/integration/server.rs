//! A development server on loopback for API tests, and a small HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;

use officine_host::auth::DevIssuer;
use officine_host::auth::dev_issuer::parse_login_hint;
use officine_host::db::Backend;
use officine_host::dev::{DevApp, DevOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A running development server, stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub data: std::path::PathBuf,
    pub db: officine_host::db::Db,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        let data = tempfile::tempdir().unwrap();
        // Bound first: sign-ins come back to the real port.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = DevOptions {
            data_dir: data.path().join("officine-data"),
            listen: addr,
            services: Vec::new(),
            examples: true,
            database: match crate::BACKEND {
                Backend::Sqlite => None,
                Backend::Postgres => Some(officine_test_postgres::cluster().fresh_url()),
            },
        };
        let app = Arc::new(DevApp::prepare(&options).await.unwrap());
        // The server's own handle: on SQLite, the process that owns the
        // audit queue.
        let db = app.db().clone();
        assert_eq!(db.backend(), crate::BACKEND);
        let task = tokio::spawn(async move {
            axum::serve(listener, app.router()).await.unwrap();
        });
        Server {
            addr,
            data: options.data_dir,
            db,
            task,
            _dir: data,
        }
    }

    /// A token from the development issuer, as `officine dev token` mints it.
    pub fn token(&self, hint: &str) -> String {
        let issuer =
            DevIssuer::load_or_create(&self.data, officine_host::dev::dev_issuer_url(self.addr))
                .unwrap();
        let identity = parse_login_hint(hint, None).unwrap();
        issuer.mint(&identity, std::time::Duration::from_secs(600))
    }

    /// A GET as a browser sends it to `host` (a service's site, say), with
    /// extra header lines.
    pub async fn get_at(
        &self,
        host: &str,
        path: &str,
        extra: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, String) {
        let extra: String = extra
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n");
        self.raw(&request).await
    }

    /// One HTTP/1.1 request with a bearer token and a body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/fhir+json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.raw(&request).await
    }

    /// One HTTP/1.1 request; returns the status, the headers (lowercase
    /// names) and the body.
    pub async fn get(&self, path: &str) -> (u16, Vec<(String, String)>, String) {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        self.raw(&request).await
    }

    /// One whole HTTP/1.1 request, as written.
    pub async fn raw_request(&self, request: &str) -> (u16, Vec<(String, String)>, String) {
        self.raw(request).await
    }

    async fn raw(&self, request: &str) -> (u16, Vec<(String, String)>, String) {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        (status, headers, body.to_owned())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
