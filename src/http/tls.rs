//! Built-in TLS for a server reached without a reverse proxy. certbot and
//! acme.sh renew a certificate by replacing its files, so the certificate is
//! not loaded once: each handshake asks [`Reloading`], which looks at the
//! files again at most every [`CHECK_INTERVAL`] and swaps in renewed ones,
//! keeping the working certificate when the new files do not load.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::TlsFiles;

/// How often the files are looked at again: renewals are rare, and a
/// look is two `stat` calls on a handshake.
const CHECK_INTERVAL: Duration = Duration::from_secs(3);

/// The TLS settings of the listener; fails, naming the file, when the
/// certificate or key cannot be read or parsed or do not match.
pub fn server_config(files: &TlsFiles) -> io::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let resolver = Reloading::load(files.clone(), provider.clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver)))
}

/// Serves the last certificate that loaded, re-reading the files when their
/// identity, size or modification time change.
#[derive(Debug)]
struct Reloading {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: Mutex<Current>,
}

#[derive(Debug)]
struct Current {
    key: Arc<CertifiedKey>,
    /// The files as they were when last loaded (or last failed to load, so
    /// a broken renewal is logged once, not on every handshake).
    stamp: Stamp,
    checked: Instant,
}

/// What tells a replaced file from the one loaded: each file's device,
/// inode, size and mtime (None when it cannot be looked at).
type Stamp = [Option<(u64, u64, u64, i64, i64)>; 2];

impl Reloading {
    fn load(files: TlsFiles, provider: Arc<CryptoProvider>) -> Result<Reloading, String> {
        let stamp = stamp(&files);
        let key = Arc::new(certified_key(&files, &provider)?);
        Ok(Reloading {
            files,
            provider,
            current: Mutex::new(Current {
                key,
                stamp,
                checked: Instant::now(),
            }),
        })
    }

    /// The certificate to present, after swapping in renewed files if due.
    fn key(&self) -> Arc<CertifiedKey> {
        let mut current = self.current.lock();
        if current.checked.elapsed() >= CHECK_INTERVAL {
            current.checked = Instant::now();
            let now = stamp(&self.files);
            if now != current.stamp {
                current.stamp = now;
                match certified_key(&self.files, &self.provider) {
                    Ok(key) => {
                        current.key = Arc::new(key);
                        tracing::info!(
                            "loaded the renewed TLS certificate {}",
                            self.files.cert.display()
                        );
                    }
                    Err(e) => tracing::warn!("{e}; still serving the previous certificate"),
                }
            }
        }
        current.key.clone()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.key())
    }
}

fn stamp(files: &TlsFiles) -> Stamp {
    [&files.cert, &files.key].map(|path| {
        std::fs::metadata(path)
            .ok()
            .map(|m| (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
    })
}

/// The chain and key of `files`, checked to belong together.
fn certified_key(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let cert_pem = read(&files.cert, "certificate")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unparsable(&files.cert, "certificate", e))?;
    if chain.is_empty() {
        return Err(format!(
            "the TLS certificate {} holds no PEM CERTIFICATE",
            files.cert.display()
        ));
    }
    let key_pem = read(&files.key, "key")?;
    let key =
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| unparsable(&files.key, "key", e))?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        format!(
            "the TLS key {} does not fit the certificate {}: {e}",
            files.key.display(),
            files.cert.display()
        )
    })
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the TLS {what} {}: {e}", path.display()))
}

fn unparsable(path: &Path, what: &str, e: rustls::pki_types::pem::Error) -> String {
    format!("cannot parse the TLS {what} {} as PEM: {e}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> (TlsFiles, Vec<u8>) {
        let cert = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, cert.cert.pem()).unwrap();
        std::fs::write(&files.key, cert.key_pair.serialize_pem()).unwrap();
        (files, cert.cert.der().to_vec())
    }

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    #[test]
    fn startup_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = write_pair(dir.path(), "a.example");
        let missing = TlsFiles {
            key: dir.path().join("nope.pem"),
            ..files.clone()
        };
        let e = Reloading::load(missing, provider()).unwrap_err();
        assert!(
            e.contains("cannot read the TLS key") && e.contains("nope.pem"),
            "{e}"
        );
        std::fs::write(&files.cert, "not pem").unwrap();
        let e = Reloading::load(files.clone(), provider()).unwrap_err();
        assert!(
            e.contains("cert.pem") && e.contains("no PEM CERTIFICATE"),
            "{e}"
        );
        let elsewhere = tempfile::tempdir().unwrap();
        let (other, _) = write_pair(elsewhere.path(), "b.example");
        let (files, _) = write_pair(dir.path(), "a.example");
        let mismatched = TlsFiles {
            key: other.key,
            ..files
        };
        let e = Reloading::load(mismatched, provider()).unwrap_err();
        assert!(e.contains("does not fit"), "{e}");
    }

    #[test]
    fn a_broken_renewal_keeps_the_old_certificate_until_fixed() {
        let dir = tempfile::tempdir().unwrap();
        let (files, first) = write_pair(dir.path(), "a.example");
        let reloading = Reloading::load(files.clone(), provider()).unwrap();
        let served = |r: &Reloading| {
            r.current.lock().checked -= CHECK_INTERVAL;
            r.key().cert[0].to_vec()
        };
        assert_eq!(served(&reloading), first);
        std::fs::write(&files.key, "garbage").unwrap();
        assert_eq!(served(&reloading), first);
        let (_, second) = write_pair(dir.path(), "b.example");
        assert_eq!(served(&reloading), second);
    }
}
