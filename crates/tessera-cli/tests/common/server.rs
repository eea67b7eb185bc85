//! A running `tessera serve` and hand-written HTTP/1.1 requests to it, so
//! tests can check every header the server sends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A running `tessera serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `127.0.0.1:PORT`, from the first line of standard output.
    pub addr: String,
    pub first_line: String,
    stderr: Arc<Mutex<Vec<u8>>>,
    _stdout: BufReader<ChildStdout>,
}

impl Server {
    /// Starts `tessera serve DIR --port 0 ARGS` and waits for its first line.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("serve")
            .arg(dir)
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tessera runs");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n @ 1..) = err_pipe.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        thread::spawn(move || {
            let mut out = BufReader::new(out);
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let _ = tx.send((line, out));
        });
        let Ok((first_line, stdout)) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("tessera serve printed nothing within 30 s");
        };
        let mut server = Server {
            child,
            addr: String::new(),
            first_line: first_line.trim_end().to_owned(),
            stderr,
            _stdout: stdout,
        };
        let Some(addr) = server
            .first_line
            .rsplit(" at http://")
            .next()
            .and_then(|rest| rest.strip_suffix('/'))
            .filter(|_| server.first_line.starts_with("Serving "))
        else {
            thread::sleep(Duration::from_millis(200));
            panic!(
                "unexpected first line {:?}; stderr: {}",
                server.first_line,
                server.stderr()
            );
        };
        server.addr = addr.to_owned();
        server
    }

    pub fn port(&self) -> &str {
        self.addr.rsplit(':').next().unwrap()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Sends `METHOD TARGET` with these headers and reads the whole answer.
    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> HttpResponse {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read response");
        HttpResponse::parse(&raw)
    }

    pub fn get(&self, target: &str, headers: &[(&str, &str)]) -> HttpResponse {
        self.request("GET", target, headers)
    }

    /// Waits at most `limit` for the server to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn parse(raw: &[u8]) -> HttpResponse {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
        let head = std::str::from_utf8(&raw[..end]).expect("ASCII headers");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header line");
                (name.to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let response = HttpResponse {
            status,
            headers,
            body: raw[end + 4..].to_vec(),
        };
        assert!(
            response.header("transfer-encoding").is_none(),
            "chunked bodies are not expected here"
        );
        response
    }

    /// The value of a header sent once (panics if sent several times).
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        assert!(values.next().is_none(), "{name} sent twice: {self:?}");
        first
    }

    /// All values of a header, comma-separated lists split, lower-cased.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .collect()
    }

    pub fn expect(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
    }

    pub fn cors_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| n.starts_with("access-control-"))
            .collect()
    }
}
