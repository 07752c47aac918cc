//! Starting, restarting and stopping the `davdir` binary over a temporary
//! data directory, and reading that directory back.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;

/// How long a server may take to print its `listening on` line.
const STARTUP: Duration = Duration::from_secs(20);
/// Bound on any single HTTP request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The sample data shipped with the repository.
pub fn sample_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data-sample")
}

/// How a server is started.
#[derive(Clone, Debug)]
pub struct Options {
    /// Copy data-sample into the data directory first.
    pub sample: bool,
    /// `--htpasswd <data>/htpasswd` (else `--no-auth`).
    pub auth: bool,
    /// Contents of a `--config` file, if any.
    pub config: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sample: true,
            auth: true,
            config: None,
        }
    }
}

/// A running server over its own temporary data directory; killed on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    /// The data directory (`--data`).
    pub data: PathBuf,
    /// Default Basic credentials for requests.
    pub creds: Option<(String, String)>,
    pub(super) client: Client,
    options: Options,
    pub(super) tmp: tempfile::TempDir,
}

impl Server {
    /// A server over a copy of data-sample, logged in as demo/demo.
    pub fn sample() -> Server {
        Server::start(Options::default())
    }

    pub fn start(options: Options) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        if options.sample {
            // Only the pristine sample: a demo run's derived state is never copied.
            davdir::demo::copy_sample(&sample_dir(), &data).unwrap();
        } else {
            std::fs::create_dir_all(&data).unwrap();
        }
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        let mut server = Server {
            child: None,
            base: String::new(),
            data,
            creds: options
                .auth
                .then(|| ("demo".to_string(), "demo".to_string())),
            client,
            options,
            tmp,
        };
        server.spawn();
        server
    }

    /// The command line the server is started with.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "serve".to_string(),
            "--data".to_string(),
            self.data.display().to_string(),
            "--listen".to_string(),
            "127.0.0.1:0".to_string(),
        ];
        if self.options.auth {
            args.push("--htpasswd".into());
            args.push(self.htpasswd_path().display().to_string());
        } else {
            args.push("--no-auth".into());
        }
        if let Some(text) = &self.options.config {
            let path = self.tmp.path().join("davdir.toml");
            std::fs::write(&path, text).unwrap();
            args.push("--config".into());
            args.push(path.display().to_string());
        }
        args
    }

    /// Where the htpasswd file is (inside the data directory, like data-sample).
    pub fn htpasswd_path(&self) -> PathBuf {
        self.data.join("htpasswd")
    }

    fn spawn(&mut self) {
        if self.options.auth && !self.htpasswd_path().exists() {
            std::fs::write(self.htpasswd_path(), "").unwrap();
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.tmp.path().join("server.log"))
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_davdir"))
            .args(self.args())
            .env("DAVDIR_LOG", "davdir=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start davdir");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining stdout so the server never blocks on it.
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + STARTUP;
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("listening on ") {
                        break rest.trim().trim_end_matches('/').to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "davdir did not print its listening line within {STARTUP:?}; log:\n{}",
                        self.log()
                    );
                }
            }
        };
        self.base = base;
        self.child = Some(child);
    }

    /// Stops the server (SIGKILL) and starts it again over the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Starts a stopped server again over the same data (new port).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "server still running");
        self.spawn();
    }

    /// Kills the server process; the data directory stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The server's process id while it runs (for /proc measurements).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The server's stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.tmp.path().join("server.log")).unwrap_or_default()
    }

    /// A file below the data directory, e.g. `demo/work/x.ics`.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.data.join(rel)
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.file(rel))
            .unwrap_or_else(|e| panic!("read {}: {e}", self.file(rel).display()))
    }

    /// The entry names of a directory below the data directory, sorted.
    pub fn dir_names(&self, rel: &str) -> BTreeSet<String> {
        std::fs::read_dir(self.file(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Fails the test if a calendar directory holds hidden files other than
    /// `.calendar.toml` (left-over temp files of atomic writes).
    pub fn assert_no_temp_files(&self, rel: &str) {
        let stray: Vec<String> = self
            .dir_names(rel)
            .into_iter()
            .filter(|n| n.starts_with('.') && n != ".calendar.toml")
            .collect();
        assert!(stray.is_empty(), "temp files left in {rel}: {stray:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
