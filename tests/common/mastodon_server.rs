//! A Mastodon instance on loopback for tests: one account's statuses endpoint with the API's
//! paging rules (`max_id`, `since_id`, `min_id`, `limit` capped at 40, newest first, a `Link`
//! header), statuses added while the test runs, and a log of the query strings it answered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

#[derive(Clone, Default)]
struct Shared {
    /// Statuses oldest first.
    statuses: Arc<Mutex<Vec<Value>>>,
    queries: Arc<Mutex<Vec<String>>>,
}

pub struct MastodonServer {
    addr: SocketAddr,
    shared: Shared,
}

pub const STATUSES_PATH: &str = "/api/v1/accounts/109302/statuses";

/// A status as the API serves it (`id` must grow with time, as snowflake ids do).
pub fn status(id: u64, minute: u32, html: &str, in_reply_to: Option<u64>) -> Value {
    json!({
        "id": id.to_string(),
        "created_at": format!("2026-11-24T{:02}:{:02}:00.000Z", 9 + minute / 60, minute % 60),
        "in_reply_to_id": in_reply_to.map(|i| i.to_string()),
        "in_reply_to_account_id": in_reply_to.map(|_| "109302"),
        "sensitive": false,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": format!("https://social.example/users/examplestatus/statuses/{id}"),
        "url": format!("https://social.example/@examplestatus/{id}"),
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": null,
        "content": html,
        "reblog": null,
        "application": {"name": "Web", "website": null},
        "account": {"id": "109302", "username": "examplestatus", "acct": "examplestatus"},
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": null,
        "poll": null
    })
}

/// A reblog of someone else's status by the account.
pub fn reblog(id: u64, minute: u32) -> Value {
    let mut s = status(id, minute, "", None);
    let mut inner = status(1, minute, "<p>Not ours: a post by someone else.</p>", None);
    inner["account"] = json!({"id": "1", "username": "other", "acct": "other@elsewhere.example"});
    s["reblog"] = inner;
    s
}

#[allow(dead_code)]
impl MastodonServer {
    pub async fn start() -> MastodonServer {
        let shared = Shared::default();
        let app = Router::new()
            .route(STATUSES_PATH, get(statuses))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        MastodonServer { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, STATUSES_PATH)
    }

    pub fn post(&self, status: Value) {
        self.shared.statuses.lock().unwrap().push(status);
    }

    /// Query strings answered so far, and forgets them.
    pub fn take_queries(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.queries.lock().unwrap())
    }
}

fn id_of(s: &Value) -> u64 {
    s["id"].as_str().unwrap().parse().unwrap()
}

async fn statuses(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
) -> Response {
    s.queries
        .lock()
        .unwrap()
        .push(uri.query().unwrap_or("").to_string());
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
    let limit = num("limit").unwrap_or(20).clamp(1, 40) as usize;
    let all = s.statuses.lock().unwrap().clone();
    let mut selected: Vec<Value> = all
        .into_iter()
        .filter(|st| num("max_id").is_none_or(|m| id_of(st) < m))
        .filter(|st| num("since_id").is_none_or(|m| id_of(st) > m))
        .filter(|st| num("min_id").is_none_or(|m| id_of(st) > m))
        .collect();
    if num("min_id").is_some() {
        // The page immediately after min_id: the oldest ones, served newest first.
        selected.truncate(limit);
        selected.reverse();
    } else {
        // The newest ones, newest first.
        selected.reverse();
        selected.truncate(limit);
    }
    let mut headers = vec![(
        header::CONTENT_TYPE,
        "application/json; charset=utf-8".to_string(),
    )];
    if let (Some(first), Some(last)) = (selected.first(), selected.last()) {
        let base = format!("https://social.example{STATUSES_PATH}");
        headers.push((
            header::LINK,
            format!(
                "<{base}?max_id={}>; rel=\"next\", <{base}?min_id={}>; rel=\"prev\"",
                id_of(last),
                id_of(first)
            ),
        ));
    }
    let mut resp = Value::Array(selected).to_string().into_response();
    for (k, v) in headers {
        resp.headers_mut().insert(k, v.parse().unwrap());
    }
    resp
}
