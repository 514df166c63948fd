//! Error responses in Twenty's envelopes (`{"statusCode","error","messages"[,"code"]}`) and the
//! few odd shapes (Express JSON parse errors, proxies' HTML 5xx pages).

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// A response that ends request processing: status, JSON (or raw) body, extra headers.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    /// `{"statusCode":s,"error":error,"messages":[msg]}`.
    pub fn new(status: u16, error: &str, msg: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body: json!({"statusCode": status, "error": error, "messages": [msg.into()]}),
            headers: Vec::new(),
        }
    }

    /// 400 `BadRequestException`.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(400, "BadRequestException", msg)
    }

    /// Arbitrary body.
    pub fn raw(status: u16, body: Value) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body,
            headers: Vec::new(),
        }
    }

    /// Adds the typed-exception `code` member.
    pub fn with_code(mut self, code: &str) -> Self {
        if let Some(o) = self.body.as_object_mut() {
            o.insert("code".into(), json!(code));
        }
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// First message, for tests and logs.
    pub fn message(&self) -> String {
        self.body["messages"][0]
            .as_str()
            .or_else(|| self.body["message"].as_str())
            .unwrap_or_default()
            .to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = json_response(self.status, &self.body);
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                resp.headers_mut().insert(k, v);
            }
        }
        resp
    }
}

/// JSON response as Express' `res.json` sends it: its content type and its weak `ETag`.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let text = body.to_string();
    let etag = crate::util::express_etag(text.as_bytes());
    let mut resp = (status, text).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// The 500 of a 2.4.0 batch create that committed its records anyway
/// (real-server-samples.md, "commit and still answer 500").
pub fn data_validation_error() -> ApiError {
    ApiError::new(
        500,
        "InternalServerErrorException",
        "Data validation error.",
    )
}

/// Express/body-parser's error for an unparsable JSON body (note: `message` is a string here).
pub fn json_parse_error(raw: &[u8], err: &serde_json::Error) -> ApiError {
    let msg = if err.is_eof() {
        "Unexpected end of JSON input".to_string()
    } else {
        let text = String::from_utf8_lossy(raw);
        let col = err.column().saturating_sub(1);
        let line = text.lines().nth(err.line().saturating_sub(1)).unwrap_or("");
        let tok = line.chars().nth(col).unwrap_or(' ');
        let snippet: String = text.chars().take(30).collect();
        let ellipsis = if text.chars().count() > 30 { "..." } else { "" };
        format!("Unexpected token '{tok}', \"{snippet}{ellipsis}\" is not valid JSON")
    };
    ApiError::raw(
        400,
        json!({"statusCode": 400, "message": msg, "error": "Bad Request"}),
    )
}

/// 413 as body-parser sends it.
pub fn payload_too_large() -> ApiError {
    ApiError::raw(
        413,
        json!({"statusCode": 413, "message": "request entity too large", "error": "Payload Too Large"}),
    )
}

/// Realistic bodies for injected 5xx failures: Nest's 500, nginx's HTML pages for 502-504.
pub fn server_error(status: u16) -> Response {
    let html = |title: &str| {
        format!(
            "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )
    };
    let page = match status {
        502 => Some(html("502 Bad Gateway")),
        503 => Some(html("503 Service Temporarily Unavailable")),
        504 => Some(html("504 Gateway Time-out")),
        _ => None,
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match page {
        Some(body) => {
            let mut resp = (code, body).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            resp.headers_mut()
                .insert(header::SERVER, HeaderValue::from_static("nginx"));
            resp
        }
        None if status == 500 => json_response(
            code,
            &json!({"statusCode": 500, "message": "Internal server error"}),
        ),
        None => json_response(
            code,
            &json!({"statusCode": status, "message": code.canonical_reason().unwrap_or("Error")}),
        ),
    }
}
