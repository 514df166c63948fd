//! Shared helpers of the samples tests: a client that authenticates one of three ways, the
//! response with its headers, encoders, the literal records of the samples file, and the auth
//! answers both builds give.

use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, Profile};
use reqwest::header::HeaderMap;
use reqwest::Client;
use serde_json::{json, Value};

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    Key,
    Bare,
    Token(&'a str),
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn message(&self) -> &str {
        self.body["messages"][0].as_str().unwrap_or_default()
    }
}

pub(crate) struct T {
    pub(crate) fake: FakeTwenty,
    pub(crate) http: Client,
}

impl T {
    pub(crate) async fn new(cfg: FakeConfig) -> T {
        T {
            fake: FakeTwenty::start(cfg).await,
            http: Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    pub(crate) async fn legacy() -> T {
        T::new(FakeConfig::legacy()).await
    }

    pub(crate) async fn current() -> T {
        T::new(FakeConfig::current()).await
    }

    pub(crate) async fn with_external_id(profile: Profile) -> T {
        T::new(FakeConfig {
            with_external_id: true,
            ..FakeConfig::with_profile(profile)
        })
        .await
    }

    pub(crate) fn url(&self, p: &str) -> String {
        format!("{}{}", self.fake.base_url(), p)
    }

    pub(crate) async fn request(
        &self,
        method: &str,
        p: &str,
        body: Option<Value>,
        auth: Auth<'_>,
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(m, self.url(p));
        rb = match auth {
            Auth::Key => rb.bearer_auth(self.fake.api_key()),
            Auth::Token(t) => rb.bearer_auth(t),
            Auth::Bare => rb,
        };
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Resp {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    pub(crate) async fn get(&self, p: &str) -> Resp {
        self.request("GET", p, None, Auth::Key).await
    }

    pub(crate) async fn post(&self, p: &str, b: Value) -> Resp {
        self.request("POST", p, Some(b), Auth::Key).await
    }

    pub(crate) async fn patch(&self, p: &str, b: Value) -> Resp {
        self.request("PATCH", p, Some(b), Auth::Key).await
    }

    pub(crate) async fn delete(&self, p: &str) -> Resp {
        self.request("DELETE", p, None, Auth::Key).await
    }

    /// `POST /metadata` (GraphQL).
    pub(crate) async fn graphql(&self, query: &str) -> Value {
        let r = self.post("/metadata", json!({ "query": query })).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }
}

/// Percent-encodes a query value as a whole.
pub(crate) fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A literal JSON document from the samples file.
pub(crate) fn lit(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("bad literal {s}: {e}"))
}

/// Standard base64 with padding (cursors).
pub(crate) fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// The sample with the run-specific members (`id`, timestamps) taken from the fake's answer.
pub(crate) fn pinned(sample: &Value, actual: &Value, keys: &[&str]) -> Value {
    let mut out = sample.clone();
    for k in keys {
        out[*k] = actual[*k].clone();
    }
    out
}

pub(crate) fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) fn is_iso_millis(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.'
}

/// The id-ordered company ids the seeds below use (all sort after `20202020-a000-…`).
pub(crate) fn seeded_id(i: usize) -> String {
    format!("20202020-b{:03x}-4000-8000-{:012x}", i % 4096, i)
}

pub(crate) const HOUSECALL: &str = r#"{"name":"Housecall Pro","domainName":{"primaryLinkLabel":"","primaryLinkUrl":"housecallpro.com","secondaryLinks":null},"employees":894,"linkedinLink":{"primaryLinkLabel":"","primaryLinkUrl":"https://linkedin.com/company/housecallpro","secondaryLinks":null},"xLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"annualRecurringRevenue":{"amountMicros":null,"currencyCode":""},"address":{"addressStreet1":"","addressStreet2":"","addressCity":"Denver","addressPostcode":"","addressState":"","addressCountry":"","addressLat":null,"addressLng":null},"idealCustomerProfile":false,"position":442,"createdBy":{"source":"MANUAL","workspaceMemberId":"20202020-0687-4c41-b707-ed1bfca972a7","name":"Tim A","context":null},"searchVector":"'housecall':1 'housecallpro.com':3 'pro':2","id":"20202020-a000-4485-94de-70c2a98daef2","createdAt":"2026-11-27T11:51:26.526Z","updatedAt":"2026-11-27T11:51:26.526Z","deletedAt":null,"accountOwnerId":"20202020-1553-45c6-a028-5a9064cce07f","tagline":"","introVideo":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"workPolicy":null,"visaSponsorship":false}"#;

pub(crate) const ADA_REQUEST: &str = r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"emails":{"primaryEmail":"ada.real@example.com"},"jobTitle":"Engineer","city":"London"}"#;

pub(crate) const ADA: &str = r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"emails":{"primaryEmail":"ada.real@example.com","additionalEmails":null},"linkedinLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"xLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"jobTitle":"Engineer","phones":{"primaryPhoneNumber":"","primaryPhoneCountryCode":"","primaryPhoneCallingCode":"","additionalPhones":null},"city":"London","avatarUrl":"","position":0,"createdBy":{"source":"API","workspaceMemberId":null,"name":"My api key","context":{}},"searchVector":"'ada':1 'ada.real@example.com':3 'engineer':5 'example.com':4 'lovelace':2","id":"af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a","createdAt":"2026-11-27T11:52:12.897Z","updatedAt":"2026-11-27T11:52:12.897Z","deletedAt":null,"companyId":null,"intro":"","whatsapp":{"primaryPhoneNumber":"","primaryPhoneCountryCode":"FR","primaryPhoneCallingCode":"+33","additionalPhones":null},"workPreference":null,"performanceRating":null}"#;

pub(crate) const SAMPLE_CO_REQUEST: &str = r#"{"name":"Sample Co Real","domainName":{"primaryLinkUrl":"https://sampleco-real.example.com"},"employees":42,"address":{"addressCity":"Paris","addressCountry":"France"}}"#;

pub(crate) const SAMPLE_CO: &str = r#"{"name":"Sample Co Real","domainName":{"primaryLinkLabel":null,"primaryLinkUrl":"https://sampleco-real.example.com","secondaryLinks":[]},"employees":42,"linkedinLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"xLink":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"annualRecurringRevenue":{"amountMicros":null,"currencyCode":""},"address":{"addressStreet1":"","addressStreet2":"","addressCity":"Paris","addressPostcode":"","addressState":"","addressCountry":"France","addressLat":null,"addressLng":null},"idealCustomerProfile":false,"position":0,"createdBy":{"source":"API","workspaceMemberId":null,"name":"My api key","context":{}},"searchVector":"'co':2 'real':3 'sample':1 'sampleco-real.example.com':4","id":"384d064f-5395-4032-90c0-1a0e9fb891fc","createdAt":"2026-11-27T11:52:12.843Z","updatedAt":"2026-11-27T11:52:12.843Z","deletedAt":null,"accountOwnerId":null,"tagline":"","introVideo":{"primaryLinkLabel":"","primaryLinkUrl":"","secondaryLinks":null},"workPolicy":null,"visaSponsorship":false}"#;

pub(crate) const SAMPLE_CO_ID: &str = "384d064f-5395-4032-90c0-1a0e9fb891fc";
pub(crate) const ADA_ID: &str = "af4dfae7-33f2-42bc-9e4f-1a53c7ee8c4a";

/// `POST /rest/people` of the sample with the sample's id, so cursors come out literally.
pub(crate) async fn create_ada(t: &T) -> Value {
    let mut req = lit(ADA_REQUEST);
    req["id"] = json!(ADA_ID);
    let r = t.post("/rest/people", req).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["data"]["createPerson"].clone()
}

/// The fake's key with another signature: a well-formed JWT the server did not sign.
fn forged(key: &str) -> String {
    let (signed, _) = key.rsplit_once('.').unwrap();
    format!("{signed}.c2lnbmF0dXJlLW9mLXNvbWVvbmUtZWxzZQ")
}

pub(crate) async fn assert_auth_answers(t: &T) {
    let r = t
        .request(
            "GET",
            "/rest/companies",
            None,
            Auth::Token("invalid.token.here"),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-powered-by"), Some("Express"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(r.header("content-length").is_none() && r.header("etag").is_none());
    assert_eq!(
        r.body,
        lit(r#"{"statusCode":401,"messages":["No payload"],"error":"UNAUTHENTICATED"}"#)
    );
    let token = forged(&t.fake.api_key());
    let r = t
        .request("GET", "/rest/companies", None, Auth::Token(&token))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        lit(r#"{"statusCode":401,"messages":["Token invalid."],"error":"UNAUTHENTICATED"}"#)
    );
    let r = t.request("GET", "/rest/companies", None, Auth::Bare).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        lit(
            r#"{"statusCode":403,"messages":["Missing authentication token"],"error":"FORBIDDEN_EXCEPTION"}"#
        )
    );
}
