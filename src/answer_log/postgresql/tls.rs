//! How the PostgreSQL answer log connects: `sslmode` and `sslrootcert` in
//! `CAIRN_DATABASE_URL` mean what they mean to libpq (psql, psycopg, every managed
//! PostgreSQL's connection string), over rustls.
//!
//! | `sslmode`          | encrypted           | certificate checked                            |
//! |--------------------|---------------------|------------------------------------------------|
//! | `disable`          | never               | –                                              |
//! | `prefer` (default) | when the server can | no                                             |
//! | `require`          | always              | no; as `verify-ca` when `sslrootcert` is given |
//! | `verify-ca`        | always              | signed by a trusted CA                         |
//! | `verify-full`      | always              | signed by a trusted CA, names the host         |
//!
//! Trusted CAs: the PEM file `sslrootcert` names, or the system's store when it is absent or
//! `system` (libpq 16's spelling). tokio-postgres knows only the first three modes and no
//! `sslrootcert`, so both are taken out of the URL here and the check is done by the rustls
//! configuration handed to it.

use std::path::PathBuf;
use std::sync::Arc;

use postgres::{Client, NoTls};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Every mode by its name in a URL: one list for parsing, naming and the error message.
const MODES: [(&str, Mode); 5] = [
    ("disable", Mode::Disable),
    ("prefer", Mode::Prefer),
    ("require", Mode::Require),
    ("verify-ca", Mode::VerifyCa),
    ("verify-full", Mode::VerifyFull),
];

impl Mode {
    fn parse(value: &str) -> Result<Self, String> {
        // libpq's `allow` tries plain text first; either way both are accepted.
        let value = if value == "allow" { "prefer" } else { value };
        match MODES.iter().find(|(name, _)| *name == value) {
            Some(&(_, mode)) => Ok(mode),
            None => {
                let names: Vec<&str> = MODES.iter().map(|(name, _)| *name).collect();
                Err(format!(
                    "sslmode={value} is not a mode: use one of {}",
                    names.join(", ")
                ))
            }
        }
    }

    fn name(self) -> &'static str {
        MODES
            .iter()
            .find(|(_, mode)| *mode == self)
            .map_or("?", |(name, _)| name)
    }

    /// The nearest mode tokio-postgres itself knows: whether TLS is tried, and required.
    fn for_tokio_postgres(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require | Self::VerifyCa | Self::VerifyFull => "require",
        }
    }
}

/// A connection target: the URL as tokio-postgres takes it, and the TLS it asks for.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    url: String,
    mode: Mode,
    /// `sslrootcert`: `None` for the system's store.
    root_cert: Option<PathBuf>,
}

impl Target {
    /// Splits `sslmode` and `sslrootcert` off `url`, in either form libpq takes:
    /// `postgres://…?sslmode=…` or `host=… sslmode=…`.
    fn parse(url: &str) -> Result<Self, String> {
        let uri = url.contains("://");
        let (base, params) = if uri {
            url.split_once('?').unwrap_or((url, ""))
        } else {
            ("", url)
        };
        let separator = if uri { '&' } else { ' ' };
        let (mut mode, mut root_cert) = (Mode::Prefer, None);
        let mut kept = Vec::new();
        for param in params.split(separator).filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            let value = if uri {
                percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .map_err(|_| format!("{key} in the URL is not UTF-8 once decoded"))?
                    .into_owned()
            } else {
                value.to_owned()
            };
            match key {
                "sslmode" => mode = Mode::parse(&value)?,
                "sslrootcert" if value == "system" || value.is_empty() => root_cert = None,
                "sslrootcert" => root_cert = Some(PathBuf::from(value)),
                _ => kept.push(param),
            }
        }
        let sslmode = format!("sslmode={}", mode.for_tokio_postgres());
        kept.push(&sslmode);
        let url = if uri {
            format!("{base}?{}", kept.join("&"))
        } else {
            kept.join(" ")
        };
        // libpq: "if a root CA file exists, sslmode=require behaves as verify-ca".
        if mode == Mode::Require && root_cert.is_some() {
            mode = Mode::VerifyCa;
        }
        Ok(Self {
            url,
            mode,
            root_cert,
        })
    }

    /// The rustls configuration for this target; `None` when TLS is off.
    fn tls(&self) -> Result<Option<ClientConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = match self.mode {
            Mode::Disable => return Ok(None),
            Mode::Prefer | Mode::Require => None,
            Mode::VerifyCa | Mode::VerifyFull => Some(
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(self.roots()?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| format!("cannot check server certificates: {e}"))?,
            ),
        };
        let verifier = Arc::new(Check {
            chain,
            names: self.mode == Mode::VerifyFull,
            algorithms: provider.signature_verification_algorithms,
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Some(config))
    }

    fn roots(&self) -> Result<RootCertStore, String> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            Some(path) => {
                let shown = path.display();
                let certs = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("cannot read sslrootcert={shown}: {e}"))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    return Err(format!(
                        "sslrootcert={shown} holds no usable CA certificate (expected PEM \
                         \"BEGIN CERTIFICATE\" blocks)"
                    ));
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(
                        "the system has no CA certificates to check the server's with: set \
                         sslrootcert to the CA file (or install ca-certificates)"
                            .into(),
                    );
                }
            }
        }
        Ok(roots)
    }
}

/// Opens a connection to `url` with the TLS its `sslmode` asks for.
pub fn connect(url: &str) -> Result<Client, String> {
    let target = Target::parse(url)?;
    let config: postgres::Config = target.url.parse().map_err(|e| format!("{e}"))?;
    let connected = match target.tls()? {
        None => config.connect(NoTls),
        Some(tls) => config.connect(MakeRustlsConnect::new(tls)),
    };
    connected.map_err(|e| explain(&e, target.mode))
}

/// The client's error with its causes (tokio-postgres shows only the outermost), and what to
/// change when the server's certificate was refused.
fn explain(e: &postgres::Error, mode: Mode) -> String {
    let mut message = e.to_string();
    let mut hint = None;
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        // An io::Error names the error it wraps through get_ref, not through source.
        let wrapped = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        for refused in [Some(cause), wrapped].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(refused)) = refused.downcast_ref() {
                hint = Some(certificate_hint(refused));
            }
        }
        source = cause.source();
    }
    match hint {
        Some(hint) => format!("{message} (sslmode={}: {hint})", mode.name()),
        None => message,
    }
}

fn certificate_hint(refused: &CertificateError) -> &'static str {
    match refused {
        CertificateError::UnknownIssuer => {
            "point sslrootcert at the CA that signed the server's certificate"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "connect by a name the certificate lists, or use sslmode=verify-ca to check only \
             who signed it"
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired: renew it (or check this machine's clock)"
        }
        _ => "the server's certificate was refused: check it with openssl s_client",
    }
}

/// The check of the server's certificate a mode asks for: against the trusted CAs when
/// there is a `chain` (verify-ca, verify-full), and of the host name too when `names` is set
/// (verify-full); `prefer` and `require` accept any certificate, as libpq does. Handshake
/// signatures are always checked, so the peer holds the key of the certificate it showed.
#[derive(Debug)]
struct Check {
    chain: Option<Arc<WebPkiServerVerifier>>,
    names: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Check {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            checked => checked,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url).unwrap()
    }

    #[test]
    fn the_tls_parameters_leave_the_url_and_the_rest_stays() {
        let t = target("postgres://u:p@db:5432/cairn?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x");
        assert_eq!(
            t.url,
            "postgres://u:p@db:5432/cairn?application_name=x&sslmode=require"
        );
        assert_eq!(t.mode, Mode::VerifyFull);
        assert_eq!(t.root_cert, Some(PathBuf::from("/etc/ca.pem")));

        let t = target("host=db user=u sslmode=verify-ca sslrootcert=/etc/ca.pem");
        assert_eq!(t.url, "host=db user=u sslmode=require");
        assert_eq!(t.mode, Mode::VerifyCa);
    }

    #[test]
    fn the_defaults_are_libpqs() {
        let t = target("postgres://u@db/cairn");
        assert_eq!(
            (t.mode, t.url.as_str()),
            (Mode::Prefer, "postgres://u@db/cairn?sslmode=prefer")
        );
        // require with a CA file checks the CA, as libpq does
        assert_eq!(
            target("postgres://db/x?sslmode=require&sslrootcert=ca.pem").mode,
            Mode::VerifyCa
        );
        assert_eq!(
            target("postgres://db/x?sslmode=verify-full&sslrootcert=system").root_cert,
            None
        );
    }

    #[test]
    fn an_unknown_mode_is_refused_with_the_ones_there_are() {
        let e = Target::parse("postgres://db/x?sslmode=verify").unwrap_err();
        assert!(
            e.contains("sslmode=verify is not a mode") && e.contains("verify-full"),
            "{e}"
        );
    }

    #[test]
    fn an_unreadable_ca_file_says_which() {
        let t = target("postgres://db/x?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
        let e = t.tls().unwrap_err();
        assert!(e.contains("sslrootcert=/nonexistent/ca.pem"), "{e}");
    }
}
