//! `tessera serve` as a user runs it: the real binary, over real HTTP. The
//! requests are written by hand on a `TcpStream`, so that every header the
//! server sends (and only those) can be checked, and paths like `/../x` go
//! out exactly as written.

mod common;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::server::Server;
use common::{fixture, tessera};

/// The bytes of the test GeoTIFF stand-in: 1000 bytes, all positions
/// telling apart.
fn tif_bytes() -> Vec<u8> {
    (0..1000u32).map(|i| (i * 7 % 251) as u8).collect()
}

const WASM: &[u8] = b"\0asm\x01\0\0\0";
const INDEX: &str = "<!doctype html><title>Tessera</title>\n";
const SECRET: &str = "do not serve me\n";

/// A temporary folder `root/` to serve, with `secret.txt` beside it.
fn site() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("tiles/N36W121")).unwrap();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(tmp.path().join("secret.txt"), SECRET).unwrap();
    std::fs::write(
        root.join("tiles/N36W121/N36W121_winter_vv_COH12.tif"),
        tif_bytes(),
    )
    .unwrap();
    std::fs::write(root.join("refs.json"), b"{\"version\": 1}\n").unwrap();
    std::fs::write(root.join("app.wasm"), WASM).unwrap();
    std::fs::write(root.join("index.html"), INDEX).unwrap();
    std::fs::write(root.join("sub/index.html"), "sub\n").unwrap();
    std::fs::write(root.join("empty.bin"), b"").unwrap();
    (tmp, root)
}

const TIF: &str = "/tiles/N36W121/N36W121_winter_vv_COH12.tif";

#[test]
fn prints_the_url_on_the_first_line() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    assert_eq!(
        server.first_line,
        format!(
            "Serving {} at http://127.0.0.1:{}/",
            root.display(),
            server.port()
        )
    );
    assert_ne!(server.port(), "0");
}

#[test]
fn serves_files_with_content_type_and_length() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    let cases: [(&str, &str, &[u8]); 5] = [
        (TIF, "image/tiff", &tif_bytes()),
        ("/refs.json", "application/json", b"{\"version\": 1}\n"),
        ("/app.wasm", "application/wasm", WASM),
        ("/index.html", "text/html", INDEX.as_bytes()),
        ("/", "text/html", INDEX.as_bytes()),
    ];
    for (path, mime, bytes) in cases {
        let r = server.get(path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.expect("content-type"), mime, "{path}");
        assert_eq!(
            r.expect("content-length"),
            bytes.len().to_string(),
            "{path}"
        );
        assert_eq!(r.expect("accept-ranges"), "bytes", "{path}");
        assert!(r.header("last-modified").is_some(), "{path}");
        assert_eq!(r.body, bytes, "{path}");
    }
    let sub = server.get("/sub/", &[]);
    assert_eq!((sub.status, sub.body.as_slice()), (200, &b"sub\n"[..]));
    // A folder without its slash is redirected, so relative links work.
    let redirect = server.get("/sub", &[]);
    assert_eq!(redirect.status, 307);
    assert_eq!(redirect.expect("location"), "/sub/");
    let empty = server.get("/empty.bin", &[]);
    assert_eq!((empty.status, empty.expect("content-length")), (200, "0"));
    // Percent-encoded names are decoded.
    let encoded = server.get("/tiles/N36W121/N36W121%5Fwinter_vv_COH12.tif", &[]);
    assert_eq!(encoded.status, 200);
}

#[test]
fn serves_the_seeds_references_byte_for_byte() {
    let server = Server::start(&fixture(""), &["-q"]);
    let r = server.get("/small_refs.json", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.expect("content-type"), "application/json");
    assert_eq!(r.body, std::fs::read(fixture("small_refs.json")).unwrap());
}

#[test]
fn range_requests() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    let all = tif_bytes();
    for (range, from, to) in [
        ("bytes=10-19", 10, 19),
        ("bytes=-5", 995, 999),
        ("bytes=100-", 100, 999),
        ("bytes=990-5000", 990, 999),
        ("bytes=0-0", 0, 0),
    ] {
        let r = server.get(TIF, &[("Range", range)]);
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(
            r.expect("content-range"),
            format!("bytes {from}-{to}/1000"),
            "{range}"
        );
        assert_eq!(
            r.expect("content-length"),
            (to - from + 1).to_string(),
            "{range}"
        );
        assert_eq!(r.body, &all[from..=to], "{range}");
        assert_eq!(r.expect("content-type"), "image/tiff");
        assert_eq!(r.expect("accept-ranges"), "bytes");
        assert!(r.header("etag").is_some());
    }
    for range in ["bytes=1000-", "bytes=2000-2010"] {
        let r = server.get(TIF, &[("Range", range)]);
        assert_eq!(r.status, 416, "{range}");
        assert_eq!(r.expect("content-range"), "bytes */1000", "{range}");
    }
    // Ranges of a precompressed sibling would be bytes of the gzip stream:
    // Range requests always get the file itself.
    std::fs::write(root.join("refs.json.gz"), b"not really gzip").unwrap();
    let r = server.get(
        "/refs.json",
        &[("Range", "bytes=0-3"), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body, b"{\"ve");
}

#[test]
fn head_requests() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    let get = server.get(TIF, &[]);
    let head = server.request("HEAD", TIF, &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.expect("content-length"), "1000");
    assert_eq!(head.expect("content-type"), "image/tiff");
    assert_eq!(head.expect("accept-ranges"), "bytes");
    assert_eq!(head.expect("etag"), get.expect("etag"));
    assert_eq!(head.expect("last-modified"), get.expect("last-modified"));
    assert!(head.body.is_empty());
    let ranged = server.request("HEAD", TIF, &[("Range", "bytes=10-19")]);
    assert_eq!(ranged.status, 206);
    assert_eq!(ranged.expect("content-range"), "bytes 10-19/1000");
    assert!(ranged.body.is_empty());
    assert_eq!(server.request("HEAD", "/nothing.tif", &[]).status, 404);
}

#[test]
fn etags_are_stable_and_follow_the_file() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    let first = server.get(TIF, &[]);
    let etag = first.expect("etag").to_owned();
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    assert_eq!(server.get(TIF, &[]).expect("etag"), etag);
    assert_eq!(
        server.get(TIF, &[("Range", "bytes=1-2")]).expect("etag"),
        etag
    );
    assert_ne!(server.get("/refs.json", &[]).expect("etag"), etag);

    // If-None-Match: 304 without a body, for GET, HEAD and Range alike.
    for (method, extra) in [
        ("GET", None),
        ("HEAD", None),
        ("GET", Some(("Range", "bytes=0-9"))),
    ] {
        let mut headers = vec![("If-None-Match", etag.as_str())];
        headers.extend(extra);
        let r = server.request(method, TIF, &headers);
        assert_eq!(r.status, 304, "{method} {extra:?}");
        assert_eq!(r.expect("etag"), etag);
        assert!(r.body.is_empty());
    }
    let weak = format!("\"other\", W/{etag}");
    assert_eq!(server.get(TIF, &[("If-None-Match", &weak)]).status, 304);
    assert_eq!(server.get(TIF, &[("If-None-Match", "*")]).status, 304);
    let changed = server.get(TIF, &[("If-None-Match", "\"other\"")]);
    assert_eq!((changed.status, changed.body.len()), (200, 1000));
    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    let r = server.get(
        TIF,
        &[
            ("If-None-Match", "\"other\""),
            ("If-Modified-Since", first.expect("last-modified")),
        ],
    );
    assert_eq!(r.status, 200);
    let r = server.get(TIF, &[("If-Modified-Since", first.expect("last-modified"))]);
    assert_eq!(r.status, 304);
    assert_eq!(r.expect("etag"), etag);

    // If-Range: the range only while the ETag still matches.
    let r = server.get(TIF, &[("Range", "bytes=0-9"), ("If-Range", &etag)]);
    assert_eq!((r.status, r.body.len()), (206, 10));
    let r = server.get(TIF, &[("Range", "bytes=0-9"), ("If-Range", "\"old\"")]);
    assert_eq!((r.status, r.body.len()), (200, 1000));

    // A rewritten file gets a new ETag.
    thread::sleep(Duration::from_millis(20));
    std::fs::write(root.join(&TIF[1..]), b"new contents").unwrap();
    let r = server.get(TIF, &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 200);
    assert_ne!(r.expect("etag"), etag);
    assert_eq!(r.body, b"new contents");
}

#[test]
fn precompressed_siblings_for_gzip_clients() {
    let (_tmp, root) = site();
    std::fs::write(root.join("app.wasm.gz"), b"pretend gzip").unwrap();
    let server = Server::start(&root, &[]);
    let plain = server.get("/app.wasm", &[]);
    assert_eq!(plain.body, WASM);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.list("vary").contains(&"accept-encoding".to_owned()));
    let gz = server.get("/app.wasm", &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(gz.status, 200);
    assert_eq!(gz.expect("content-encoding"), "gzip");
    assert_eq!(gz.expect("content-type"), "application/wasm");
    assert_eq!(gz.body, b"pretend gzip");
    assert!(gz.list("vary").contains(&"accept-encoding".to_owned()));
    assert_ne!(gz.expect("etag"), plain.expect("etag"));
    let again = server.get(
        "/app.wasm",
        &[
            ("Accept-Encoding", "gzip"),
            ("If-None-Match", gz.expect("etag")),
        ],
    );
    assert_eq!(again.status, 304);
    // No Vary: Accept-Encoding where there is nothing to choose from.
    let tif = server.get(TIF, &[("Accept-Encoding", "gzip")]);
    assert_eq!(tif.header("content-encoding"), None);
    assert!(tif.header("vary").is_none());
}

#[test]
fn missing_files_are_404() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    for path in [
        "/nothing.tif",
        "/tiles/N00E000/x.tif",
        "/refs.json/x",
        "/sub/x/",
    ] {
        let r = server.get(path, &[]);
        assert_eq!(r.status, 404, "{path}");
        assert!(r.header("etag").is_none());
    }
    // Only GET and HEAD.
    let post = server.request("POST", "/refs.json", &[("Content-Length", "0")]);
    assert_eq!(post.status, 405);
}

#[test]
fn nothing_outside_the_folder_is_served() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/sub/../../secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%2fsecret.txt",
        "//secret.txt",
        "/tiles/../../secret.txt",
    ] {
        let r = server.get(path, &[]);
        assert!(
            (400..500).contains(&r.status),
            "{path}: {} {:?}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains(SECRET.trim()),
            "{path}"
        );
    }
    let r = server.get("/%2e%2e/secret.txt", &[]);
    assert_eq!(r.status, 404);
}

#[test]
fn cors_for_any_origin() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &["--cors", "*"]);
    let r = server.get(
        TIF,
        &[("Origin", "https://example.org"), ("Range", "bytes=10-19")],
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.expect("access-control-allow-origin"), "*");
    let exposed = r.list("access-control-expose-headers");
    for name in ["content-range", "content-length", "etag", "accept-ranges"] {
        assert!(exposed.contains(&name.to_owned()), "{name} in {exposed:?}");
    }
    assert_eq!(r.header("access-control-allow-credentials"), None);

    let preflight = server.request(
        "OPTIONS",
        TIF,
        &[
            ("Origin", "https://example.org"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "range"),
        ],
    );
    assert!(
        matches!(preflight.status, 200 | 204),
        "{}",
        preflight.status
    );
    assert_eq!(preflight.expect("access-control-allow-origin"), "*");
    let methods = preflight.list("access-control-allow-methods");
    assert!(methods.contains(&"get".to_owned()) && methods.contains(&"head".to_owned()));
    let headers = preflight.list("access-control-allow-headers");
    assert!(headers.contains(&"range".to_owned()), "{headers:?}");
    assert!(headers.contains(&"if-none-match".to_owned()), "{headers:?}");
    assert_eq!(preflight.expect("access-control-max-age"), "3000");
    assert!(preflight.body.is_empty());
}

#[test]
fn cors_for_one_origin() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &["--cors", "http://localhost:9000"]);
    let r = server.get(TIF, &[("Origin", "http://localhost:9000")]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.expect("access-control-allow-origin"),
        "http://localhost:9000"
    );
    assert!(r.list("vary").contains(&"origin".to_owned()));
    assert!(r
        .list("access-control-expose-headers")
        .contains(&"content-range".to_owned()));

    // Another origin, or none: no CORS header at all, as from S3; the
    // response still varies by Origin for caches.
    for origin in [Some("http://localhost:9001"), Some("null"), None] {
        let headers: Vec<_> = origin.iter().map(|o| ("Origin", *o)).collect();
        let r = server.get(TIF, &headers);
        assert_eq!(r.status, 200);
        assert_eq!(r.cors_headers(), Vec::<&str>::new(), "{origin:?}");
        assert!(r.list("vary").contains(&"origin".to_owned()));
    }

    let preflight = |origin| {
        server.request(
            "OPTIONS",
            TIF,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "range"),
            ],
        )
    };
    let ok = preflight("http://localhost:9000");
    assert!(matches!(ok.status, 200 | 204));
    assert_eq!(
        ok.expect("access-control-allow-origin"),
        "http://localhost:9000"
    );
    assert!(ok
        .list("access-control-allow-headers")
        .contains(&"range".to_owned()));
    let refused = preflight("http://evil.example");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.cors_headers(), Vec::<&str>::new());
}

#[test]
fn cors_for_several_origins() {
    let (_tmp, root) = site();
    let server = Server::start(
        &root,
        &[
            "--cors",
            "http://localhost:9000",
            "--cors",
            "HTTPS://Example.org:443",
        ],
    );
    for origin in ["http://localhost:9000", "https://example.org"] {
        let r = server.get(TIF, &[("Origin", origin)]);
        assert_eq!(r.expect("access-control-allow-origin"), origin);
    }
}

#[test]
fn no_cors_headers_without_the_flag() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    let r = server.get(TIF, &[("Origin", "http://localhost:9000")]);
    assert_eq!(r.status, 200);
    assert_eq!(r.cors_headers(), Vec::<&str>::new());
    let preflight = server.request(
        "OPTIONS",
        TIF,
        &[
            ("Origin", "http://localhost:9000"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "range"),
        ],
    );
    assert!(!matches!(preflight.status, 200 | 204));
    assert_eq!(preflight.cors_headers(), Vec::<&str>::new());
}

#[test]
fn logs_requests_on_stderr_unless_quiet() {
    let (_tmp, root) = site();
    let mut server = Server::start(&root, &[]);
    server.get(TIF, &[("Range", "bytes=10-19")]);
    server.get("/nothing", &[]);
    server.request("HEAD", "/refs.json", &[]);
    // The log line is written as the response goes out.
    let start = Instant::now();
    while !server.stderr().contains("HEAD /refs.json 200 0\n")
        && start.elapsed() < Duration::from_secs(10)
    {
        thread::sleep(Duration::from_millis(20));
    }
    let log = server.stderr();
    assert!(log.contains(&format!("GET {TIF} 206 10\n")), "{log}");
    assert!(log.contains("GET /nothing 404 0\n"), "{log}");
    assert!(log.contains("HEAD /refs.json 200 0\n"), "{log}");
    let _ = server.child.kill();
    let _ = server.wait_exit(Duration::from_secs(10));

    let mut quiet = Server::start(&root, &["-q"]);
    quiet.get(TIF, &[]);
    quiet.get("/nothing", &[]);
    #[cfg(unix)]
    {
        signal(&quiet, "TERM");
        assert!(quiet.wait_exit(Duration::from_secs(10)).is_some());
    }
    assert_eq!(quiet.stderr(), "");
}

#[cfg(unix)]
fn signal(server: &Server, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(server.child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn stops_cleanly_on_sigterm_and_ctrl_c() {
    let (_tmp, root) = site();
    for name in ["TERM", "INT"] {
        let mut server = Server::start(&root, &[]);
        assert_eq!(server.get("/refs.json", &[]).status, 200);
        // An idle keep-alive connection must not hold the shutdown up.
        let idle = TcpStream::connect(&server.addr).unwrap();
        signal(&server, name);
        let status = server
            .wait_exit(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("still running 10 s after SIG{name}"));
        assert!(status.success(), "SIG{name}: {status:?}");
        assert!(server.stderr().contains("shutting down"));
        drop(idle);
    }
}

#[test]
fn refuses_a_missing_folder_or_a_file() {
    let (tmp, root) = site();
    let missing = tmp.path().join("no such folder");
    let out = tessera(&["serve", missing.to_str().unwrap(), "--port", "0"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(out.stdout.is_empty());

    let file = root.join("refs.json");
    let out = tessera(&["serve", file.to_str().unwrap(), "--port", "0"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert!(stderr.contains("not a directory"), "{stderr}");
}

#[test]
fn refuses_bad_cors_origins() {
    let (_tmp, root) = site();
    let dir = root.to_str().unwrap();
    for bad in [
        "localhost:9000",
        "http://localhost:9000/",
        "http://localhost:9000/app",
        "http://",
        "http://host:port",
        "",
    ] {
        let out = tessera(&["serve", dir, "--port", "0", "--cors", bad], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(stderr.contains("--cors"), "{bad:?}: {stderr}");
        assert!(stderr.contains("scheme://host[:port]"), "{bad:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = tessera(
        &[
            "serve",
            dir,
            "--port",
            "0",
            "--cors",
            "*",
            "--cors",
            "http://a.b",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be combined"));
}

#[test]
fn refuses_a_port_in_use() {
    let (_tmp, root) = site();
    let server = Server::start(&root, &[]);
    let dir = root.to_str().unwrap();
    let out = tessera(&["serve", dir, "--port", server.port()], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("cannot listen on {}", server.addr)),
        "{stderr}"
    );
    assert!(stderr.contains("in use"), "{stderr}");
    // The first server is unharmed.
    assert_eq!(server.get("/refs.json", &[]).status, 200);
}

#[test]
fn binds_where_asked() {
    let (_tmp, root) = site();
    let out = tessera(
        &["serve", root.to_str().unwrap(), "--bind", "localhost"],
        None,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bind"));
    // ::1 may be missing on a machine without IPv6; 127.0.0.1 is not.
    let server = Server::start(&root, &["--bind", "127.0.0.1"]);
    assert!(server.addr.starts_with("127.0.0.1:"));
}
