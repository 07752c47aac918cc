//! Starting, watching and stopping the servers under test (davdir and the
//! peers), and reading their peak RSS, so the phases only see a base URL.

use super::*;

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Flavor {
    Davdir,
    Radicale,
    /// Stores in SQLite: loaded over HTTP, has no files the bench can touch.
    Rustical,
}

/// The password sent with every request: empty means "bench" (davdir and
/// Radicale run without auth); RustiCal's app token while it is measured.
/// Global so that `send` and the client threads keep their signatures.
pub(crate) static PASSWORD: RwLock<String> = RwLock::new(String::new());

pub(crate) fn set_password(p: &str) {
    *PASSWORD.write().unwrap() = p.to_string();
}

pub(crate) struct Server {
    pub(crate) flavor: Flavor,
    pub(crate) bin: PathBuf,
    /// davdir: the data dir; Radicale: the storage folder (holds
    /// collection-root); RustiCal: the dir of its config and SQLite file.
    pub(crate) root: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) child: Option<Child>,
    pub(crate) _stdout: Option<BufReader<ChildStdout>>,
    pub(crate) base: String,
}

impl Server {
    pub(crate) fn name(&self) -> &'static str {
        match self.flavor {
            Flavor::Davdir => "davdir",
            Flavor::Radicale => "Radicale",
            Flavor::Rustical => "RustiCal",
        }
    }

    /// The calendar's directory (file-backed servers; RustiCal has none).
    pub(crate) fn cal_dir(&self) -> Option<PathBuf> {
        match self.flavor {
            Flavor::Davdir => Some(self.root.join(USER).join(CAL)),
            Flavor::Radicale => Some(self.root.join("collection-root").join(USER).join(CAL)),
            Flavor::Rustical => None,
        }
    }

    /// Whether the bench can write into the calendar's directory itself.
    pub(crate) fn file_backed(&self) -> bool {
        self.cal_dir().is_some()
    }

    /// The calendar's URL path (each server lays out its URLs its own way).
    pub(crate) fn cal_path(&self) -> String {
        match self.flavor {
            Flavor::Davdir | Flavor::Radicale => format!("/{USER}/{CAL}/"),
            Flavor::Rustical => rustical::cal_path(),
        }
    }

    pub(crate) fn cal_url(&self) -> String {
        format!("{}{}", self.base, self.cal_path())
    }

    /// The current text of object `idx`: read from disk for file-backed
    /// servers (earlier phases may have edited it), else as generated.
    pub(crate) fn object_source(&self, idx: usize) -> Res<String> {
        match self.cal_dir() {
            None => Ok(object_text(idx).2),
            Some(dir) => fs::read_to_string(dir.join(object_name(idx))).map_err(|e| e.to_string()),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub(crate) fn log_file(&self) -> Res<fs::File> {
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| e.to_string())
    }

    pub(crate) fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Spawns the server; returns once it has an address (davdir) or was
    /// started (Radicale: its port is reserved here, readiness is polled).
    pub(crate) fn start(&mut self) -> Res<()> {
        self.start_with(&[], &[])
    }

    /// `start`, davdir given these extra arguments and environment
    /// variables (peers ignore both).
    pub(crate) fn start_with(&mut self, args: &[&str], env: &[(&str, &str)]) -> Res<()> {
        assert!(self.child.is_none());
        match self.flavor {
            Flavor::Davdir => {
                let mut child = Command::new(&self.bin)
                    .arg("serve")
                    .arg("--data")
                    .arg(&self.root)
                    .args(["--listen", "127.0.0.1:0", "--no-auth"])
                    .args(args)
                    .envs(env.iter().copied())
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(self.log_file()?)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
                let mut out = BufReader::new(child.stdout.take().unwrap());
                let mut line = String::new();
                let _ = out.read_line(&mut line);
                let Some(url) = line.trim().strip_prefix("listening on ") else {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "davdir did not report its address (got {line:?}); log:\n{}",
                        self.log_tail()
                    ));
                };
                self.base = url.trim_end_matches('/').to_string();
                self.child = Some(child);
                self._stdout = Some(out);
            }
            Flavor::Radicale => {
                let port = TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| e.to_string())?
                    .port();
                let child = Command::new(&self.bin)
                    .arg("--config") // no config files at all
                    .arg("--storage-filesystem-folder")
                    .arg(&self.root)
                    .args(["--auth-type", "none"])
                    // Its anti-DoS limits would refuse the 10k expand query;
                    // raise them so both servers do the same work.
                    .args(["--reporting-max-expand-occurrence", "10000000"])
                    .args(["--reporting-max-freebusy-occurrence", "10000000"])
                    .args(["--server-hosts", &format!("127.0.0.1:{port}")])
                    // Its default of 8 parallel connections would reset the
                    // 64-connection GET figure's clients.
                    .args([
                        "--server-max-connections",
                        &figures::GET_CONNECTIONS.to_string(),
                    ])
                    .stdin(Stdio::null())
                    .stdout(self.log_file()?)
                    .stderr(self.log_file()?)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
                self.base = format!("http://127.0.0.1:{port}");
                self.child = Some(child);
            }
            Flavor::Rustical => {
                let port = TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map_err(|e| e.to_string())?
                    .port();
                let config = rustical::write_config(&self.root, port)?;
                let child = Command::new(&self.bin)
                    .arg("--config-file")
                    .arg(config)
                    .arg("serve")
                    .stdin(Stdio::null())
                    .stdout(self.log_file()?)
                    .stderr(self.log_file()?)
                    .spawn()
                    .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
                self.base = format!("http://127.0.0.1:{port}");
                self.child = Some(child);
            }
        }
        Ok(())
    }

    /// SIGTERM (a graceful stop: davdir saves its index), then SIGKILL after 15 s.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self._stdout = None;
    }

    /// Removes the server's derived state (davdir: the cache dir; Radicale:
    /// its `.Radicale.cache` directories).
    pub(crate) fn clear_cache(&self) {
        match self.flavor {
            Flavor::Davdir => {
                let _ = fs::remove_dir_all(self.root.join(".davdir-cache"));
            }
            Flavor::Radicale => remove_named_dirs(&self.root, ".Radicale.cache"),
            Flavor::Rustical => {} // no cache beside its database
        }
    }

    pub(crate) fn exited(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => true,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn remove_named_dirs(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            if e.file_name() == name {
                let _ = fs::remove_dir_all(e.path());
            } else {
                remove_named_dirs(&e.path(), name);
            }
        }
    }
}

pub(crate) fn vm_hwm_mb(pid: u32) -> Option<f64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(kb_field(&status, "VmHWM:")? as f64 / 1024.0)
}

/// The number of a `Name:   123 kB` line of a /proc file such as `status`
/// or `meminfo`.
fn kb_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until the kernel has written back what earlier steps left dirty
/// (generated data, the last server's writes, a previous run's deletions),
/// so the server measured next does not pay for it while the one measured
/// after it does not. Bounded: gives up after 60 s.
pub(crate) fn settle_disk() {
    let t = Instant::now();
    let _ = Command::new("sync").status();
    while t.elapsed() < Duration::from_secs(60) {
        if dirty_kb().is_none_or(|kb| kb < 4096) {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Journal commits after the writeback settle within a moment more.
    std::thread::sleep(Duration::from_secs(1));
    eprintln!("disk settled in {:.1} s", t.elapsed().as_secs_f64());
}

/// Dirty plus under-writeback memory, in KiB (`/proc/meminfo`).
fn dirty_kb() -> Option<u64> {
    let info = fs::read_to_string("/proc/meminfo").ok()?;
    Some(kb_field(&info, "Dirty:")? + kb_field(&info, "Writeback:")?)
}
