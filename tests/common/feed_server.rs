//! A feed server on loopback for tests: serves one document at any path, answers conditional
//! GETs with 304 (ETag), and counts what it answered.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

#[derive(Clone, Default)]
struct Shared {
    body: Arc<Mutex<String>>,
    not_modified: Arc<AtomicUsize>,
}

pub struct FeedServer {
    addr: SocketAddr,
    shared: Shared,
}

#[allow(dead_code)]
impl FeedServer {
    pub async fn start(body: &str) -> FeedServer {
        let shared = Shared::default();
        *shared.body.lock().unwrap() = body.to_string();
        let app = Router::new().fallback(serve).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FeedServer { addr, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set_body(&self, body: &str) {
        *self.shared.body.lock().unwrap() = body.to_string();
    }

    pub fn hits_not_modified(&self) -> usize {
        self.shared.not_modified.load(Ordering::SeqCst)
    }
}

async fn serve(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let body = s.body.lock().unwrap().clone();
    let etag = format!(
        "\"{:x}-{}\"",
        body.len(),
        body.bytes().map(u64::from).sum::<u64>()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        s.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                "application/rss+xml; charset=utf-8".to_string(),
            ),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}
