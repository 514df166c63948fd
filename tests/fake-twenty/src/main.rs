//! `fake-twenty` binary: serves the fake on a port for browser/e2e tests and benchmarks.
//!
//! ```text
//! fake-twenty [--port N] [--profile legacy|current] [--api-key K] [--with-external-id] [--directory-fields]
//!             [--rate-limit N --rate-window-ms MS [--rate-time-scale F] [--rate-variant legacy|current]]
//!             [--hang-ms MS]
//! ```
//! Prints `FAKE_TWENTY_URL=…`, `FAKE_TWENTY_CONTROL_URL=…` and `FAKE_TWENTY_API_KEY=…` on
//! stdout, then serves until killed.

use std::io::Write;
use std::time::Duration;

use fake_twenty::{FakeConfig, FakeTwenty, Profile, RateLimitConfig, RateLimitVariant};

fn usage(msg: &str) -> ! {
    eprintln!("fake-twenty: {msg}");
    eprintln!(
        "usage: fake-twenty [--port N] [--profile legacy|current] [--api-key K] [--with-external-id] [--directory-fields] \
         [--rate-limit N] [--rate-window-ms MS] [--rate-time-scale F] [--rate-variant legacy|current] [--hang-ms MS]"
    );
    std::process::exit(2)
}

fn parse_args() -> FakeConfig {
    let mut cfg = FakeConfig::default();
    let mut rate_limit: Option<u32> = None;
    let mut window_ms: u64 = 60_000;
    let mut scale = 1.0f64;
    let mut variant: Option<RateLimitVariant> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match a.as_str() {
            "--port" => {
                cfg.port = val("--port")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --port"))
            }
            "--profile" => {
                cfg.profile =
                    Profile::parse(&val("--profile")).unwrap_or_else(|| usage("bad --profile"))
            }
            "--api-key" => cfg.api_key = Some(val("--api-key")),
            "--with-external-id" => cfg.with_external_id = true,
            "--directory-fields" => cfg.with_directory_fields = true,
            "--rate-limit" => {
                rate_limit = Some(
                    val("--rate-limit")
                        .parse()
                        .unwrap_or_else(|_| usage("bad --rate-limit")),
                )
            }
            "--rate-window-ms" => {
                window_ms = val("--rate-window-ms")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --rate-window-ms"))
            }
            "--rate-time-scale" => {
                scale = val("--rate-time-scale")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --rate-time-scale"))
            }
            "--rate-variant" => {
                variant = Some(
                    RateLimitVariant::parse(&val("--rate-variant"))
                        .unwrap_or_else(|| usage("bad --rate-variant")),
                )
            }
            "--hang-ms" => {
                let ms: u64 = val("--hang-ms")
                    .parse()
                    .unwrap_or_else(|_| usage("bad --hang-ms"));
                cfg.hang_duration = Duration::from_millis(ms);
            }
            "-h" | "--help" => usage("help"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if let Some(limit) = rate_limit {
        let mut rl = RateLimitConfig::new(limit, Duration::from_millis(window_ms.max(1)))
            .with_time_scale(scale);
        if let Some(v) = variant {
            rl = rl.with_variant(v);
        }
        cfg.rate_limit = Some(rl);
    }
    cfg
}

#[tokio::main]
async fn main() {
    let cfg = parse_args();
    let fake = match FakeTwenty::try_start(cfg).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-twenty: cannot bind: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "FAKE_TWENTY_URL={}", fake.base_url());
    let _ = writeln!(out, "FAKE_TWENTY_CONTROL_URL={}", fake.control_url());
    let _ = writeln!(out, "FAKE_TWENTY_API_KEY={}", fake.api_key());
    let _ = out.flush();
    drop(out);
    std::future::pending::<()>().await;
}
