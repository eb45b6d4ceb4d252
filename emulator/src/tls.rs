//! HTTPS for the emulator (`--tls`): a certificate authority made at start, a server
//! certificate it issues for `127.0.0.1`, `::1` and `localhost`, and a listener that completes
//! TLS handshakes before axum sees a connection.
//!
//! Why a CA rather than one self-signed certificate: real clients (the provider's
//! `ca_bundle_file`, Duo's Python client's `ca_certs`, curl's `--cacert`) trust a CA file and
//! verify the host name against the leaf, exactly as they do against Duo; nothing has to turn
//! verification off. The CA's key never leaves the process, so the CA is good for this run only.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::server::TlsStream;

/// A CA and the server configuration whose certificate it issued.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    ca_pem: String,
}

impl Tls {
    /// Makes a new CA and a server certificate for the loopback names.
    pub fn generate() -> Result<Tls, String> {
        let e = |e: rcgen::Error| format!("making the TLS certificates: {e}");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(e)?;
        let now = time::OffsetDateTime::now_utc();
        ca.not_before = now - time::Duration::hours(1);
        ca.not_after = now + time::Duration::days(397);
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "duo-emulator local CA");
        let ca_key = rcgen::KeyPair::generate().map_err(e)?;
        let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
        let issuer = rcgen::Issuer::new(ca, ca_key);

        let names = ["127.0.0.1", "::1", "localhost"]
            .map(str::to_owned)
            .to_vec();
        let mut leaf = rcgen::CertificateParams::new(names).map_err(e)?;
        leaf.distinguished_name
            .push(rcgen::DnType::CommonName, "duo-emulator");
        leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = rcgen::KeyPair::generate().map_err(e)?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(e)?;

        let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(crypto)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth().with_single_cert(
                    vec![leaf_cert.der().clone(), ca_cert.der().clone()],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
                )
            })
            .map_err(|e| format!("configuring TLS: {e}"))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem: pem_certificate(ca_cert.der()),
        })
    }

    /// The CA certificate, PEM-encoded: what clients are given to trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Accepts TCP connections and hands on those whose handshake completed. Handshakes run
    /// concurrently, so a client that connects and stalls holds up nobody else; one that fails
    /// (plain HTTP to an HTTPS port, an untrusted CA) is dropped after the handshake timeout.
    pub(crate) fn listen(&self, listener: TcpListener) -> TlsListener {
        let local = listener.local_addr();
        let (tx, rx) = mpsc::channel(64);
        let acceptor = self.acceptor.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    // Out of file descriptors and the like: try again shortly, as axum does.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        TlsListener {
            rx,
            local,
            _accepting: AbortOnDrop(task),
        }
    }
}

const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connections whose TLS handshake is done, for `axum::serve`.
pub(crate) struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: std::io::Result<SocketAddr>,
    _accepting: AbortOnDrop,
}

/// Stops accepting when the server stops, so the port is released.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(accepted) => accepted,
            // The accepting task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match &self.local {
            Ok(addr) => Ok(*addr),
            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        }
    }
}

/// A DER certificate as PEM, in 64-column lines.
fn pem_certificate(der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_pem_and_issues_a_loopback_certificate() {
        let tls = match Tls::generate() {
            Ok(tls) => tls,
            Err(e) => panic!("{e}"),
        };
        let pem = tls.ca_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"), "{pem}");
        assert!(pem.lines().all(|l| l.len() <= 64), "{pem}");
        // Two makes give two CAs: a CA file is good for one run only.
        let again = Tls::generate().map(|t| t.ca_pem().to_owned());
        assert_ne!(again.as_deref(), Ok(pem));
    }
}
