//! A TCP proxy in front of the test site that can lose answers: the request reaches WordPress
//! whole and WordPress does its work, but the client's connection is closed without a byte
//! of the answer (a connection cut on the way back). `php -S` closes every connection after
//! one answer, so "the answer" is everything the server sends before it closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    pub url: String,
    /// How many more post creations lose their answer.
    drops: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free port and forwards to `upstream` (`127.0.0.1:port`).
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let drops = Arc::new(AtomicUsize::new(0));
        let (upstream, counter) = (upstream.to_string(), drops.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, upstream.clone(), counter.clone()));
            }
        });
        Proxy { url, drops, task }
    }

    /// The next `n` requests that create a post lose their answer.
    pub fn drop_next_creates(&self, n: usize) {
        self.drops.store(n, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A request that creates a post, by its request line.
fn creates_a_post(head: &[u8]) -> bool {
    let line = String::from_utf8_lossy(head);
    let line = line.lines().next().unwrap_or("");
    line.starts_with("POST ")
        && (line.contains("/wp/v2/posts ") || line.contains("%2Fwp%2Fv2%2Fposts "))
}

async fn forward(mut client: TcpStream, upstream: String, drops: Arc<AtomicUsize>) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let mut head = [0u8; 512];
    let n = client.peek(&mut head).await.unwrap_or(0);
    let lose = creates_a_post(&head[..n])
        && drops
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1))
            .is_ok();
    if !lose {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }
    let (mut from_client, _) = client.split();
    let (mut from_server, mut to_server) = server.split();
    let send = async {
        let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
    };
    // The answer is read to its end (WordPress has finished) and thrown away.
    let answer = async {
        let _ = tokio::io::copy(&mut from_server, &mut tokio::io::sink()).await;
    };
    tokio::select! {
        _ = answer => {}
        _ = async { send.await; std::future::pending::<()>().await } => {}
    }
    let _ = client.shutdown().await;
}
