//! Built-in TLS (`tls_cert`, `tls_key`): the server answers HTTPS with the
//! configured certificate, its web cookie is `Secure`, and a renewal that
//! replaces the files (as certbot and acme.sh do) is served without a restart.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::blocking::Client;

/// A self-signed certificate for the loopback address, as PEM and DER.
struct Cert {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn self_signed(name: &str) -> Cert {
    let mut params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Cert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        der: cert.der().to_vec(),
    }
}

/// Writes over the files in place, the way `acme.sh --install-cert` copies.
fn install(cert: &Cert, dir: &Path) -> (PathBuf, PathBuf) {
    let (c, k) = (dir.join("fullchain.pem"), dir.join("privkey.pem"));
    std::fs::write(&c, &cert.cert_pem).unwrap();
    std::fs::write(&k, &cert.key_pem).unwrap();
    (c, k)
}

/// A fresh client (no pooled connection, no session to resume) that trusts
/// only the given certificates and reports the one the server presented.
fn client(trusted: &[&Cert]) -> Client {
    let mut builder = Client::builder()
        .tls_built_in_root_certs(false)
        .tls_info(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30));
    for cert in trusted {
        builder = builder.add_root_certificate(
            reqwest::Certificate::from_pem(cert.cert_pem.as_bytes()).unwrap(),
        );
    }
    builder.build().unwrap()
}

/// The DER of the certificate the server presents on a new connection.
fn presented(base: &str, trusted: &[&Cert]) -> Vec<u8> {
    let resp = client(trusted).get(format!("{base}/.web/")).send().unwrap();
    resp.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("a TLS connection")
        .to_vec()
}

#[test]
fn serves_https_and_picks_up_a_renewed_certificate_without_a_restart() {
    let certs = tempfile::tempdir().unwrap();
    let first = self_signed("davdir first");
    let second = self_signed("davdir renewed");
    let (cert_path, key_path) = install(&first, certs.path());
    let srv = Server::start(Options {
        config: Some(format!(
            "tls_cert = {:?}\ntls_key = {:?}\n",
            cert_path.display().to_string(),
            key_path.display().to_string()
        )),
        ..Options::default()
    });
    assert!(srv.base.starts_with("https://127.0.0.1:"), "{}", srv.base);

    // DAV over TLS, trusting only the configured certificate.
    let resp = client(&[&first])
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
            format!("{}/demo/", srv.base),
        )
        .basic_auth("demo", Some("demo"))
        .header("Depth", "0")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 207);
    assert_eq!(presented(&srv.base, &[&first]), first.der);

    // The web page knows the connection is TLS: its cookie is Secure.
    let login = client(&[&first])
        .post(format!("{}/.web/login", srv.base))
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 303);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");

    // Renewal: new files in place; the running server serves them.
    install(&second, certs.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = presented(&srv.base, &[&first, &second]);
        if now == second.der {
            break;
        }
        assert_eq!(now, first.der, "only the old or the new certificate");
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was not served within 60 s; log:\n{}",
            srv.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(srv.log().contains("loaded the renewed TLS certificate"));
}

#[test]
fn a_missing_key_is_a_startup_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, _) = install(&self_signed("davdir"), dir.path());
    let data = dir.path().join("data");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["serve", "--no-auth", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(dir.path().join("missing-key.pem"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read the TLS key") && err.contains("missing-key.pem"),
        "{err}"
    );
    let half = std::process::Command::new(env!("CARGO_BIN_EXE_davdir"))
        .args(["serve", "--no-auth", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert_path)
        .output()
        .unwrap();
    assert!(!half.status.success());
    let err = String::from_utf8_lossy(&half.stderr);
    assert!(err.contains("tls_cert and tls_key go together"), "{err}");
}
