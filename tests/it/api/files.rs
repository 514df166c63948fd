//! Uploads (safe names, a size limit, never through a link), error reports (only those the
//! agent wrote) and the drop-folder check before saving.

use std::time::Duration;

use serde_json::{json, Value};

use super::{server, Server, KEY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_get_safe_names_and_a_size_limit() {
    let s = server().await;
    let upload = |name: &str, body: Vec<u8>| {
        s.http
            .post(s.url(&format!("/api/imports/upload?name={name}")))
            .bearer_auth(&s.token)
            .body(body)
            .send()
    };
    let ok = upload(
        "..%2F..%2Fevil%20list.csv",
        b"type,external_id,name\n".to_vec(),
    )
    .await
    .expect("answers");
    assert_eq!(ok.status(), 200);
    let reply: Value = ok.json().await.expect("json");
    assert_eq!(reply["file_name"], json!("evil list.csv"));
    assert!(s.dir.path().join("inbox/evil list.csv").is_file());
    let again = upload("evil%20list.csv", b"x\n".to_vec())
        .await
        .expect("answers");
    let reply: Value = again.json().await.expect("json");
    assert_eq!(reply["file_name"], json!("evil list-2.csv"));
    let bad = upload("run.sh", b"x".to_vec()).await.expect("answers");
    assert_eq!(bad.status(), 400);
    let big = vec![b'a'; (twenty_sync::app::inbox::MAX_UPLOAD_BYTES + 1) as usize];
    let too_big = upload("big.csv", big).await.expect("answers");
    assert_eq!(too_big.status(), 413);
    let leftovers: Vec<_> = std::fs::read_dir(s.dir.path().join("inbox"))
        .expect("inbox")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tmp") || n.starts_with("big"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    s.stop().await;
}

/// Waits (bounded) until the imports history lists a report, and returns its relative path.
async fn first_report(s: &Server) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = s.get("/api/imports").await;
        assert_eq!(status, 200, "{body}");
        let json: Value = serde_json::from_str(&body).expect("json");
        let found = json["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|row| row["report"].as_str().map(str::to_string));
        if let Some(report) = found {
            return report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no report listed: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_endpoint_serves_only_reports_the_agent_wrote_never_through_a_link() {
    let s = server().await;
    let data = s.dir.path();
    std::fs::write(
        data.join("secrets.json"),
        format!("{{\"api_key\": \"{KEY}\"}}"),
    )
    .expect("write");
    let inbox = data.join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    std::fs::write(
        inbox.join("people.csv.tmp"),
        "id,name,email\np1,Ada,ada@x.io\np2,Bob,nope\n",
    )
    .expect("write");
    std::fs::rename(inbox.join("people.csv.tmp"), inbox.join("people.csv")).expect("rename");
    let report = first_report(&s).await;
    assert_eq!(report, "processed/people.csv.errors.csv");
    let (status, body) = s.get(&format!("/api/imports/report?path={report}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("row,column,value,message"), "{body}");

    // Planted in the report folders: links to secrets and system files, a hard link, a file
    // the agent never wrote.
    let processed = inbox.join("processed");
    let failed = inbox.join("failed");
    std::os::unix::fs::symlink(data.join("secrets.json"), processed.join("x.errors.csv"))
        .expect("link");
    std::os::unix::fs::symlink("/etc/passwd", failed.join("passwd.errors.csv")).expect("link");
    std::fs::hard_link(data.join("secrets.json"), processed.join("hard.errors.csv"))
        .expect("hard link");
    std::fs::write(
        failed.join("planted.errors.csv"),
        "row,column,value,message\n,,,planted\n",
    )
    .expect("write");
    for path in [
        "processed/x.errors.csv",
        "failed/passwd.errors.csv",
        "processed/hard.errors.csv",
        "failed/planted.errors.csv",
        "processed/../../secrets.json",
        "processed/%2E%2E%2F%2E%2E%2Fsecrets.json",
        "inbox/people.csv.errors.csv",
    ] {
        let (status, body) = s.get(&format!("/api/imports/report?path={path}")).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            !body.contains(KEY) && !body.contains("root:"),
            "{path}: {body}"
        );
    }
    let (_, history) = s.get("/api/imports").await;
    assert!(
        !history.contains("planted") && !history.contains(KEY),
        "{history}"
    );
    assert!(!history.contains("passwd.errors.csv"), "{history}");

    // The real report swapped for a link to the secrets: not served either.
    let real = inbox.join(&report);
    std::fs::remove_file(&real).expect("remove");
    std::os::unix::fs::symlink(data.join("secrets.json"), &real).expect("link");
    let (status, body) = s.get(&format!("/api/imports/report?path={report}")).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains(KEY), "{body}");
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_never_write_through_a_link_and_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let s = server().await;
    let inbox = s.dir.path().join("inbox");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let target = outside.path().join("target.csv");
    std::fs::write(&target, "precious").expect("write");
    std::os::unix::fs::symlink(&target, inbox.join("companies.csv")).expect("link");
    std::os::unix::fs::symlink(outside.path().join("new.csv"), inbox.join("dangling.csv"))
        .expect("link");
    let upload = |name: &str| {
        s.http
            .post(s.url(&format!("/api/imports/upload?name={name}")))
            .bearer_auth(&s.token)
            .body(b"id,name\nc1,Acme\n".to_vec())
            .send()
    };
    for (name, saved) in [
        ("companies.csv", "companies-2.csv"),
        ("dangling.csv", "dangling-2.csv"),
    ] {
        let reply = upload(name).await.expect("answers");
        assert_eq!(reply.status(), 200);
        let reply: Value = reply.json().await.expect("json");
        assert_eq!(reply["file_name"], json!(saved));
    }
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
    assert!(!outside.path().join("new.csv").exists());
    assert!(inbox
        .join("companies.csv")
        .symlink_metadata()
        .expect("link")
        .file_type()
        .is_symlink());
    let copy = ["companies-2.csv", "processed/companies-2.csv"]
        .iter()
        .map(|p| inbox.join(p))
        .find(|p| p.exists())
        .expect("the copy");
    assert_eq!(
        copy.metadata().expect("stat").permissions().mode() & 0o777,
        0o600
    );
    let refused = upload("notes.txt").await.expect("answers");
    assert_eq!(refused.status(), 400);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_folder_is_checked_before_it_is_saved() {
    let s = server().await;
    let (status, body) = s.get("/api/settings/drop-dir?path=/etc").await;
    assert_eq!(status, 200, "{body}");
    let check: Value = serde_json::from_str(&body).expect("json");
    assert!(
        check["refused"]
            .as_str()
            .is_some_and(|m| m.contains("system folder")),
        "{check}"
    );
    let data = s.dir.path().display().to_string();
    let (_, body) = s.get(&format!("/api/settings/drop-dir?path={data}")).await;
    let check: Value = serde_json::from_str(&body).expect("json");
    assert!(
        check["refused"]
            .as_str()
            .is_some_and(|m| m.contains("data directory")),
        "{check}"
    );
    let folder = tempfile::tempdir().expect("tempdir");
    for name in ["a.pdf", "b.txt", "c", "people.csv"] {
        std::fs::write(folder.path().join(name), "x").expect("write");
    }
    let (_, body) = s
        .get(&format!(
            "/api/settings/drop-dir?path={}",
            folder.path().display()
        ))
        .await;
    let check: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(check["refused"], Value::Null, "{check}");
    assert_eq!(
        (check["imports"].as_u64(), check["left_alone"].as_u64()),
        (Some(1), Some(3))
    );
    let warnings = check["warnings"].to_string();
    assert!(
        warnings.contains("3 entries") && warnings.contains("left alone"),
        "{warnings}"
    );
    assert!(
        warnings.contains("1 import file") && warnings.contains("imported now"),
        "{warnings}"
    );

    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            "/api/settings",
            json!({ "drop_dir": "/" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let reply: Value = serde_json::from_str(&body).expect("json");
    assert!(
        reply["fields"]["drop_dir"]
            .as_str()
            .is_some_and(|m| m.contains("root of the file system")),
        "{reply}"
    );
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            "/api/settings",
            json!({ "drop_dir": data }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = s
        .send(
            reqwest::Method::PUT,
            "/api/settings",
            json!({ "ui_port": 80 }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("below 1024"), "{body}");
    s.stop().await;
}
