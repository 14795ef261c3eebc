//! Facebook connector (placeholder until implemented; see channel-apis.md).

use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

pub struct Facebook {
    #[allow(dead_code)]
    http: reqwest::Client,
    #[allow(dead_code)]
    creds: Credentials,
}

impl Facebook {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Facebook {
        Facebook { http, creds }
    }
}

fn todo<T>() -> Outcome<T> {
    Err(Failure::Permanent {
        reason: "not implemented".into(),
    })
}

impl Connector for Facebook {
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async { todo() })
    }
    fn publish<'a>(&'a self, _out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async { todo() })
    }
    fn find<'a>(
        &'a self,
        _out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Option<Published>>> {
        Box::pin(async { todo() })
    }
    fn delete<'a>(&'a self, _remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async { todo() })
    }
    fn metrics<'a>(&'a self, _remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async { todo() })
    }
}
