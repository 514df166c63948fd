//! House rules checked on every test run instead of kept in memory: every Rust file says what
//! lives in it, no file grows past 500 lines without a reason written down here, the front-end
//! adapters build no JSON reply by hand, and no two top-level modules of the core import each
//! other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines a Rust file may have without a line in [`LONG_FILES`].
const MAX_LINES: usize = 500;

/// Files allowed past [`MAX_LINES`], each with the reason.
const LONG_FILES: &[(&str, &str)] = &[];

/// The adapters over `app::ops`: they pass typed replies through and never build one.
const ADAPTERS: &[&str] = &[
    "src/api/routes.rs",
    "src/api/client.rs",
    "src/cli/agent_api.rs",
    "src-tauri/src/commands",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file of the project (not build output, not the fuzzing workspace's target).
fn rust_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | "node_modules" | "gen" | ".git") {
                    walk(&path, out);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in [
        "src",
        "src-tauri",
        "tests",
        "benches",
        "migrations",
        "fuzz",
        "build.rs",
    ] {
        let path = root().join(dir);
        if path.is_file() {
            files.push(path);
        } else {
            walk(&path, &mut files);
        }
    }
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_rust_file_opens_with_a_line_saying_what_lives_there() {
    let missing: Vec<String> = rust_files()
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| relative(path))
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` line: {missing:#?}"
    );
}

#[test]
fn no_file_is_longer_than_the_limit_without_a_reason() {
    let allowed: BTreeMap<&str, &str> = LONG_FILES.iter().copied().collect();
    let mut too_long = Vec::new();
    let mut stale = Vec::new();
    for path in rust_files() {
        let name = relative(&path);
        let lines = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count();
        match (lines > MAX_LINES, allowed.contains_key(name.as_str())) {
            (true, false) => too_long.push(format!("{name}: {lines} lines")),
            (false, true) => stale.push(name),
            _ => {}
        }
    }
    assert!(
        too_long.is_empty(),
        "split these files, or add them to LONG_FILES with the reason: {too_long:#?}"
    );
    assert!(
        stale.is_empty(),
        "these files are short again; remove them from LONG_FILES: {stale:#?}"
    );
}

#[test]
fn the_adapters_build_no_json_reply_by_hand() {
    let mut found = Vec::new();
    for path in rust_files() {
        let name = relative(&path);
        if !ADAPTERS.iter().any(|adapter| name.starts_with(adapter)) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            if line.contains("json!(") {
                found.push(format!("{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "replies are built once, in app::ops; these adapters build their own: {found:#?}"
    );
}

/// Which top-level modules of `src/` each one names through `crate::`.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in rust_files() {
        let Ok(inside) = path.strip_prefix(&src) else {
            continue;
        };
        let Some(first) = inside.components().next() else {
            continue;
        };
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let uses = graph.entry(module.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let named: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !named.is_empty() && named != module {
                uses.insert(named);
            }
        }
    }
    graph
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let graph = module_imports();
    let mut pairs = Vec::new();
    for (module, uses) in &graph {
        for used in uses {
            if module < used && graph.get(used).is_some_and(|back| back.contains(module)) {
                pairs.push(format!("{module} <-> {used}"));
            }
        }
    }
    let shown: Vec<String> = graph
        .iter()
        .map(|(module, uses)| {
            format!(
                "{module} -> {}",
                uses.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    assert!(
        pairs.is_empty(),
        "modules that import each other: {pairs:#?}\nthe whole graph: {shown:#?}"
    );
}

/// `TIDY_REPORT=1 cargo test --test it tidy -- --nocapture` prints the evidence behind the rules:
/// which top-level module imports which, and the longest files.
#[test]
fn report_when_asked() {
    if std::env::var("TIDY_REPORT").is_err() {
        return;
    }
    println!("top-level modules of src/ and the modules each names through crate::");
    for (module, uses) in module_imports() {
        println!(
            "  {module:<10} -> {}",
            uses.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let mut lengths: Vec<(usize, String)> = rust_files()
        .iter()
        .map(|path| {
            let lines = std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .count();
            (lines, relative(path))
        })
        .collect();
    lengths.sort_by(|a, b| b.cmp(a));
    println!(
        "the 25 longest Rust files (limit {MAX_LINES} lines, allowed above: {})",
        LONG_FILES.len()
    );
    for (lines, name) in lengths.iter().take(25) {
        println!("  {lines:>5} {name}");
    }
}
