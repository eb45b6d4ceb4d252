//! Starting as a Terraform plugin: the go-plugin handshake, AutoMTLS, and the services
//! Terraform expects beside the provider (controller, stdio, health).
//!
//! Terraform trusts exactly the certificate we print on the handshake line, and we trust
//! exactly the client certificate it passed in `PLUGIN_CLIENT_CERT`. Its certificate is a
//! P-521 CA certificate, which rustls' standard verifier rejects as an end entity, so the
//! verifier here pins the DER instead of building a chain (see
//! `terraform-plugin-protocol.md` §5).

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixListener;
use tokio::sync::Notify;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::{ReceiverStream, UnixListenerStream};
use tonic::transport::Server;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use super::framework::Provider;
use super::proto::goplugin;
use super::proto::tfplugin6::provider_server::ProviderServer;
use super::server::{ProviderService, Stopper};

/// go-plugin's magic cookie for Terraform providers; documented as never changing.
pub(crate) const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub(crate) const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Terraform's own limit (`grpcMaxMessageSize`); tonic's 4 MiB default breaks large states.
pub(crate) const MAX_MESSAGE: usize = 256 << 20;

/// Why the plugin could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin for Terraform and is not meant to be run directly.\n\
         Use it through Terraform: see the README for a provider_installation block that points \
         Terraform at it. (For debugging, run it with --debug and follow the instructions it prints.)"
    )]
    NotUnderTerraform,
    #[error(
        "Terraform offered plugin protocol versions {0:?}; this provider needs protocol 6 (Terraform 0.15.4 or later)."
    )]
    NoProtocol6(String),
    #[error("cannot create the plugin socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` to the Terraform process that started us, until it calls Shutdown.
pub async fn serve<P: Provider>(provider: P) -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotUnderTerraform);
    }
    let versions = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    if !versions.split(',').any(|v| v.trim() == "6") {
        return Err(ServeError::NoProtocol6(versions));
    }
    let client_cert = std::env::var("PLUGIN_CLIENT_CERT")
        .ok()
        .filter(|c| !c.trim().is_empty());
    let dir = socket_dir()?;
    let socket = dir.join("plugin.sock");
    let listener = UnixListener::bind(&socket)?;

    let shutdown = Arc::new(Notify::new());
    let service = ProviderService::new(provider);
    let stopper = service.stopper();
    let presence = Presence::default();
    let router = routes(service, shutdown.clone(), presence.clone());
    let stopped = {
        let shutdown = shutdown.clone();
        async move { shutdown.notified().await }
    };
    ignore_sigint();

    let result = match client_cert {
        Some(pem) => {
            let (config, cert_der) = tls_config(&pem)?;
            handshake(
                &socket,
                &base64::engine::general_purpose::STANDARD_NO_PAD.encode(cert_der),
            )?;
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
            let (tx, rx) = tokio::sync::mpsc::channel(16);
            let tracked = presence.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (acceptor, tx, tracked) = (acceptor.clone(), tx.clone(), tracked.clone());
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(tls) => {
                                let _ = tx.send(Ok::<_, std::io::Error>(tracked.track(tls))).await;
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "TLS handshake with Terraform failed")
                            }
                        }
                    });
                }
            });
            let incoming = ReceiverStream::new(rx);
            until_terraform_is_gone(
                router.serve_with_incoming_shutdown(incoming, stopped),
                &presence,
                &stopper,
            )
            .await
        }
        None => {
            handshake(&socket, "")?;
            let tracked = presence.clone();
            let incoming =
                UnixListenerStream::new(listener).map(move |s| s.map(|s| tracked.track(s)));
            until_terraform_is_gone(
                router.serve_with_incoming_shutdown(incoming, stopped),
                &presence,
                &stopper,
            )
            .await
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    result.map_err(ServeError::from)
}

/// Serves without Terraform starting us: plaintext, printing the `TF_REATTACH_PROVIDERS` value
/// that makes Terraform use this process (for debuggers and harnesses).
pub async fn serve_debug<P: Provider>(provider: P, address: &str) -> Result<(), ServeError> {
    let dir = socket_dir()?;
    let socket = dir.join("plugin.sock");
    let listener = UnixListener::bind(&socket)?;
    let shutdown = Arc::new(Notify::new());
    // A debugger's Terraform attaches and detaches at will: nothing here watches for it.
    let router = routes(
        ProviderService::new(provider),
        shutdown.clone(),
        Presence::default(),
    );
    let reattach = serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "unix", "String": socket.to_string_lossy()},
        }
    });
    println!("Provider started. To attach Terraform, set in another shell:\n");
    println!("\texport TF_REATTACH_PROVIDERS='{reattach}'\n");
    let _ = std::io::stdout().flush();
    let result = router
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async move {
            tokio::select! {
                _ = shutdown.notified() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await;
    let _ = std::fs::remove_dir_all(&dir);
    result.map_err(ServeError::from)
}

/// How often the plugin checks that Terraform is still there.
const WATCH_EVERY: Duration = Duration::from_millis(200);
/// How long requests already sent may take to finish once Terraform is gone.
const GRACE: Duration = Duration::from_secs(3);

/// Serves until `serving` ends (Terraform called Shutdown) or Terraform is gone without it:
/// its process exited (ours has a new parent) or its last connection closed. A CI runner's
/// SIGKILL of `terraform` does that mid-apply; left alone, the plugin would keep running with
/// no one to answer, still sending the requests it was told to. Once Terraform is gone, nothing
/// new is sent and what is running gets [`GRACE`] to finish and be logged.
async fn until_terraform_is_gone<P: Provider>(
    serving: impl Future<Output = Result<(), tonic::transport::Error>>,
    presence: &Presence,
    stopper: &Stopper<P>,
) -> Result<(), tonic::transport::Error> {
    let parent = std::os::unix::process::parent_id();
    let gone = async {
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            if std::os::unix::process::parent_id() != parent {
                return "its process exited";
            }
            if presence.abandoned() {
                return "its connection closed";
            }
        }
    };
    tokio::select! {
        served = serving => served,
        why = gone => {
            tracing::warn!(
                running = stopper.running(),
                "Terraform is gone without stopping the provider ({why}): sending nothing new, \
                 letting what was sent finish, then exiting"
            );
            stopper.stop();
            // Whatever still holds the process after the grace (a blocking task the runtime
            // would wait for on its way out) does not keep it alive past a second more.
            std::thread::spawn(|| {
                std::thread::sleep(GRACE + Duration::from_secs(1));
                std::process::exit(0);
            });
            if tokio::time::timeout(GRACE, stopper.idle()).await.is_err() {
                tracing::warn!(
                    running = stopper.running(),
                    "requests still running after {GRACE:?}; exiting without their answers"
                );
            }
            Ok(())
        }
    }
}

/// What the plugin knows of Terraform's presence: the connections it opened and closed, and
/// whether it asked us to shut down. go-plugin keeps a stdio stream open on its connection for
/// as long as it uses the plugin, so the connection never goes idle; one that closes without
/// Shutdown means Terraform is gone.
#[derive(Clone, Default)]
struct Presence(Arc<std::sync::Mutex<Seen>>);

#[derive(Default)]
struct Seen {
    opened: u64,
    closed: u64,
    shutdown_asked: bool,
}

impl Presence {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn track<S>(&self, stream: S) -> Tracked<S> {
        self.seen().opened += 1;
        Tracked {
            stream,
            presence: self.clone(),
        }
    }

    fn shutdown_asked(&self) {
        self.seen().shutdown_asked = true;
    }

    /// Terraform connected, then closed every connection without asking us to shut down.
    fn abandoned(&self) -> bool {
        let seen = self.seen();
        seen.opened > 0 && seen.opened == seen.closed && !seen.shutdown_asked
    }
}

/// A connection, counted as closed when the server drops it.
struct Tracked<S> {
    stream: S,
    presence: Presence,
}

impl<S> Drop for Tracked<S> {
    fn drop(&mut self) {
        self.presence.seen().closed += 1;
    }
}

impl<S: Connected> Connected for Tracked<S> {
    type ConnectInfo = S::ConnectInfo;
    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

fn routes<P: Provider>(
    provider: ProviderService<P>,
    shutdown: Arc<Notify>,
    presence: Presence,
) -> tonic::transport::server::Router {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    // go-plugin's client pings service "plugin".
    tokio::spawn(async move {
        health_reporter
            .set_service_status("plugin", tonic_health::ServingStatus::Serving)
            .await;
    });
    let provider = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    Server::builder()
        .add_service(provider)
        .add_service(goplugin::grpc_controller_server::GrpcControllerServer::new(
            Controller { shutdown, presence },
        ))
        .add_service(goplugin::grpc_stdio_server::GrpcStdioServer::new(Stdio))
        .add_service(health)
}

/// A fresh 0700 directory for the socket, so only our user can connect.
fn socket_dir() -> Result<PathBuf, ServeError> {
    use std::os::unix::fs::DirBuilderExt;
    let base =
        std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = base.join(format!(
        "terraform-provider-duo-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .recursive(true)
        .create(&dir)?;
    Ok(dir)
}

/// The one line Terraform reads from stdout: `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`.
fn handshake(socket: &Path, cert_b64: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "1|6|unix|{}|grpc|{cert_b64}", socket.display())?;
    out.flush()
}

/// A terminal Ctrl-C reaches the whole process group. Terraform owns it and tells us through
/// StopProvider and Shutdown; dying here would abandon requests Duo may already have acted on.
fn ignore_sigint() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("ignoring SIGINT; waiting for Terraform to stop us");
        }
    });
}

fn tls_config(client_pem: &str) -> Result<(rustls::ServerConfig, Vec<u8>), ServeError> {
    let tls = |e: &dyn std::fmt::Display| ServeError::Tls(e.to_string());
    let expected = CertificateDer::from_pem_slice(client_pem.as_bytes()).map_err(|e| tls(&e))?;
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).map_err(|e| tls(&e))?;
    let cert_der = generated.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Pinned::new(expected, "the certificate Terraform announced", &crypto);
    let mut config = rustls::ServerConfig::builder_with_provider(crypto)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key)
        .map_err(|e| tls(&e))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((config, cert_der))
}

/// Accepts exactly one certificate (the peer's, announced out of band), verifying the
/// handshake signature with aws-lc-rs (which, unlike ring, has P-521). The plugin pins
/// Terraform's client certificate with it, and the protocol harness (`client.rs`) the
/// plugin's server certificate, as go-plugin does.
#[derive(Debug)]
pub(crate) struct Pinned {
    expected: CertificateDer<'static>,
    /// Named in the refusal.
    what: &'static str,
    algs: WebPkiSupportedAlgorithms,
}

impl Pinned {
    pub(crate) fn new(
        expected: CertificateDer<'static>,
        what: &'static str,
        crypto: &rustls::crypto::CryptoProvider,
    ) -> Pinned {
        Pinned {
            expected,
            what,
            algs: crypto.signature_verification_algorithms,
        }
    }

    pub(crate) fn check(&self, presented: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        if presented.as_ref() == self.expected.as_ref() {
            Ok(())
        } else {
            Err(rustls::Error::General(format!("not {}", self.what)))
        }
    }

    pub(crate) fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    pub(crate) fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    pub(crate) fn schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }
}

/// `plugin.GRPCController`: Terraform's "you may exit now". Without it every provider process
/// costs Terraform a 2 s wait before it kills us.
struct Controller {
    shutdown: Arc<Notify>,
    presence: Presence,
}

#[tonic::async_trait]
impl goplugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: Request<goplugin::Empty>,
    ) -> Result<Response<goplugin::Empty>, Status> {
        self.presence.shutdown_asked();
        self.shutdown.notify_one();
        Ok(Response::new(goplugin::Empty {}))
    }
}

/// `plugin.GRPCStdio`: we never write to stdout after the handshake and log to stderr, which
/// go-plugin reads directly, so the stream stays open and empty.
struct Stdio;

type StdioStream =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<goplugin::StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl goplugin::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(&self, _: Request<()>) -> Result<Response<StdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}
