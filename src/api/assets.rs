//! The web UI (`ui/`), embedded in the binary at build time so `twenty-sync run` serves it from
//! any working directory. `build.rs` makes Cargo rebuild when a file in `ui/` changes.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};

static UI: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/ui");

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

fn file(path: &str) -> Response {
    match UI.get_file(path) {
        Some(file) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(path)),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            file.contents(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `index.html`.
pub(crate) fn index() -> Response {
    file("index.html")
}

/// Any other file of `ui/`; hidden files and paths leaving the folder are not found.
pub(crate) async fn serve(request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    if path.is_empty() {
        return index();
    }
    if path
        .split('/')
        .any(|part| part.is_empty() || part.starts_with('.'))
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    file(path)
}
