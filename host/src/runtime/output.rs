//! A component's stdout and stderr, sent line by line to `tracing`.
//!
//! Each invocation gets its own pair of streams tagged with the service. The
//! bytes a component may print are capped per stream; the rest is dropped
//! with one warning, so a chatty or hostile component cannot flood the logs.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::platform::log::truncate;

/// Bytes a component may print per stream and invocation.
pub const MAX_OUTPUT: usize = 64 * 1024;
/// Longest line logged; longer lines are cut.
const MAX_LINE: usize = 1024;

#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One output stream of one invocation.
#[derive(Clone)]
pub struct LogOutput {
    inner: Arc<Mutex<Lines>>,
}

struct Lines {
    service: Arc<str>,
    stream: Stream,
    pending: Vec<u8>,
    total: usize,
    truncated: bool,
}

impl LogOutput {
    pub fn new(service: Arc<str>, stream: Stream) -> LogOutput {
        LogOutput {
            inner: Arc::new(Mutex::new(Lines {
                service,
                stream,
                pending: Vec::new(),
                total: 0,
                truncated: false,
            })),
        }
    }

    fn push(&self, bytes: &[u8]) {
        let mut lines = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        lines.push(bytes);
    }
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_OUTPUT.saturating_sub(self.total);
        if bytes.len() > room && !self.truncated {
            self.truncated = true;
            tracing::warn!(
                target: "officine::component",
                service = &*self.service,
                stream = self.stream.as_str(),
                "output over {MAX_OUTPUT} bytes; the rest is dropped"
            );
        }
        let kept = &bytes[..bytes.len().min(room)];
        self.total += kept.len();
        self.pending.extend_from_slice(kept);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
    }

    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = truncate(&text, MAX_LINE);
        tracing::info!(
            target: "officine::component",
            service = &*self.service,
            stream = self.stream.as_str(),
            "{text}"
        );
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
    }
}

impl IsTerminal for LogOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for LogOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Always ready: writes past the cap are accepted and dropped, so a
        // guest's `println!` never fails (which would make it panic).
        Ok(MAX_LINE * 64)
    }
}

impl AsyncWrite for LogOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
