//! What `serve` checks before it answers anything, and the words it uses
//! when a check fails: each error names what failed and what fixes it, since
//! it is the first thing a self-hoster reads after `systemctl start`.

use std::io;
use std::net::SocketAddr;
use std::path::Path;

use crate::store::instance::{self, InstanceLock};

/// Makes the data directory when only its last component is missing (a
/// typo in a parent is refused rather than silently made), then claims it
/// for this server.
pub fn claim_data_dir(data: &Path) -> io::Result<InstanceLock> {
    if !data.exists() {
        let parent = data
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "the data directory {} does not exist, nor does its parent {}; check the path (data = ... or --data), or create it with mkdir -p",
                    data.display(),
                    parent.display()
                ),
            ));
        }
        std::fs::create_dir(data).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create the data directory {}: {e}", data.display()),
            )
        })?;
        tracing::info!("created the data directory {}", data.display());
    }
    instance::acquire(data).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => e,
        _ => io::Error::new(
            e.kind(),
            format!("cannot open the data directory {}: {e}", data.display()),
        ),
    })
}

/// An htpasswd file that cannot be read, with the fix for the usual causes.
pub fn htpasswd_error(path: &Path, e: io::Error) -> io::Error {
    let fix = match e.kind() {
        io::ErrorKind::NotFound => format!(
            "; create it with `davdir user add NAME --htpasswd {}` (or `htpasswd -B -c`)",
            path.display()
        ),
        io::ErrorKind::PermissionDenied => format!(
            "; the server runs as uid {}: make the file readable by it (e.g. chgrp davdir and chmod 0640)",
            // SAFETY: geteuid has no preconditions and cannot fail.
            unsafe { libc::geteuid() }
        ),
        _ => String::new(),
    };
    io::Error::new(
        e.kind(),
        format!("cannot read htpasswd {}: {e}{fix}", path.display()),
    )
}

/// A listen address that cannot be bound, with the fix for the usual causes.
pub fn listen_error(addr: SocketAddr, e: io::Error) -> io::Error {
    let fix = match e.kind() {
        io::ErrorKind::AddrInUse => {
            "; another program (perhaps another davdir) uses that port: stop it, or choose another with --listen or listen = \"...\"".to_string()
        }
        io::ErrorKind::PermissionDenied => {
            "; ports below 1024 need privileges: use a port above 1024 behind a reverse proxy".to_string()
        }
        io::ErrorKind::AddrNotAvailable => {
            "; no network interface has that address: use 127.0.0.1, [::1] or 0.0.0.0".to_string()
        }
        _ => String::new(),
    };
    io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}{fix}"))
}
