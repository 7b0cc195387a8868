//! The deployed console's sign-in: Cognito's hosted pages (OAuth 2.0 authorization
//! code with PKCE, [`super::sign_in`]), where the pool asks for the password and the
//! authenticator code. Here: the settings the template gives, the pool's keys (fetched
//! once per process, again when a token names a key not seen yet but no sooner than a
//! minute after the last read, so forged `kid`s cannot make the function hammer
//! Cognito), and the check of an ID token against them.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use sigap::adapters::hosted_sign_in::{HostedSignIn, SignInError};
use sigap::runtime::config::{ConfigError, Settings};
use tokio::sync::Mutex;

use super::ROOT;
use super::session::{Session, SessionError, Verifier, jwks_keys};

/// How soon the pool's keys may be fetched again for a token naming an unknown key.
const REFETCH_AFTER: SignedDuration = SignedDuration::from_secs(60);

/// The hosted sign-in's settings, from the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedConfig {
    /// The pool's domain: `https://<prefix>.auth.<region>.amazoncognito.com`.
    pub domain: String,
    /// The pool's issuer: `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
    pub issuer: String,
    /// Where the pool publishes its keys: the issuer, or an emulator's path for it.
    pub keys_base: String,
    /// The console's app client (a public client: PKCE, no secret).
    pub client_id: String,
    /// Where staff open the console, without a trailing slash (the `ConsoleUrl`
    /// parameter): the callback and sign-out URLs the app client allows start here.
    pub console_url: String,
}

impl HostedConfig {
    /// Reads `CONSOLE_URL`, `CONSOLE_CLIENT_ID`, `CONSOLE_SIGN_IN_DOMAIN` (the domain's
    /// prefix, as the template's `!Ref` gives it, or a whole URL) and
    /// `USER_POOL_PROVIDER_NAME` (`cognito-idp.<region>.amazonaws.com/<pool id>`, or a
    /// whole URL). `None` while `CONSOLE_URL` is empty: a stack deployed without
    /// `ConsoleUrl` has no hosted sign-in for the console. On an emulator
    /// (`AWS_ENDPOINT_URL`, as the AWS clients take it) the pool's pages, tokens and
    /// keys are the emulator's, at its root and under the pool's id, as ministack
    /// serves them; the tokens still name the pool's real issuer.
    pub fn load(settings: &Settings) -> Result<Option<Self>, ConfigError> {
        let Some(console_url) = settings.optional("CONSOLE_URL") else {
            return Ok(None);
        };
        let invalid = |name: &str, value: &str, reason: &str| ConfigError::Invalid {
            name: name.into(),
            value: value.into(),
            reason: reason.into(),
        };
        let loopback = console_url
            .strip_prefix("http://127.0.0.1")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']));
        if !console_url.starts_with("https://") && !loopback {
            return Err(invalid(
                "CONSOLE_URL",
                &console_url,
                "the console is served over https (http only on this machine's loopback, for an emulator)",
            ));
        }
        let provider = settings.required("USER_POOL_PROVIDER_NAME")?;
        let issuer = if provider.contains("://") {
            provider.clone()
        } else {
            format!("https://{provider}")
        };
        let domain = settings.required("CONSOLE_SIGN_IN_DOMAIN")?;
        let domain = if domain.contains("://") {
            domain
        } else {
            let region = provider
                .strip_prefix("cognito-idp.")
                .and_then(|rest| rest.split_once(".amazonaws.com"))
                .map(|(region, _)| region)
                .filter(|region| !region.is_empty())
                .ok_or_else(|| {
                    invalid(
                        "USER_POOL_PROVIDER_NAME",
                        &provider,
                        "expected cognito-idp.<region>.amazonaws.com/<pool id>",
                    )
                })?;
            format!("https://{domain}.auth.{region}.amazoncognito.com")
        };
        let issuer = issuer.trim_end_matches('/').to_string();
        let (domain, keys_base) = match settings.optional("AWS_ENDPOINT_URL") {
            Some(emulator) => {
                let emulator = emulator.trim_end_matches('/').to_string();
                let pool_id = issuer.rsplit('/').next().unwrap_or_default();
                (emulator.clone(), format!("{emulator}/{pool_id}"))
            }
            None => (domain, issuer.clone()),
        };
        Ok(Some(Self {
            domain: domain.trim_end_matches('/').into(),
            keys_base,
            issuer,
            client_id: settings.required("CONSOLE_CLIENT_ID")?,
            console_url: console_url.trim_end_matches('/').into(),
        }))
    }

    /// Where Cognito sends the browser back with a code (an allowed callback URL).
    pub fn callback_url(&self) -> String {
        format!("{}{ROOT}/kembali", self.console_url)
    }

    /// Where Cognito's sign-out sends the browser (an allowed sign-out URL).
    pub fn signed_out_url(&self) -> String {
        format!("{}{ROOT}/keluar", self.console_url)
    }

    /// The domain's origin, which the console's forms may be sent on to (sign-in and
    /// sign-out both answer with a redirect there).
    pub fn origin(&self) -> String {
        sigap::web::origins(std::iter::once(self.domain.as_str()))
            .pop()
            .unwrap_or_default()
    }
}

/// The keys last fetched, and when.
struct FetchedKeys {
    verifier: Arc<Verifier>,
    at: Timestamp,
}

/// The hosted sign-in of one process: its settings, the pool's endpoints, its keys.
pub struct Hosted {
    /// The settings.
    pub config: HostedConfig,
    /// The pool's token, key and revocation endpoints.
    pub cognito: HostedSignIn,
    /// The domain's origin, which every console page's forms may be sent on to.
    pub form_origin: String,
    keys: Mutex<Option<FetchedKeys>>,
}

impl Hosted {
    /// Not yet fetched: the first request that needs the keys fetches them.
    pub fn new(config: HostedConfig) -> Self {
        Self {
            cognito: HostedSignIn::new(&config.domain, &config.keys_base, &config.client_id),
            form_origin: config.origin(),
            config,
            keys: Mutex::new(None),
        }
    }

    /// Checks an ID token at `now`: the session, or why not. `Err(None)` when the
    /// pool's keys could not be had (Cognito unreachable): a 503, not a forgery.
    pub async fn check(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Session, Option<SessionError>> {
        let verifier = self.verifier(now, false).await.map_err(|_| None)?;
        match verifier.check(token, now) {
            // A key this process has not seen: the pool may have rotated its keys.
            Err(SessionError::Signature) => {
                let again = self.verifier(now, true).await.map_err(|_| None)?;
                if Arc::ptr_eq(&again, &verifier) {
                    return Err(Some(SessionError::Signature));
                }
                again.check(token, now).map_err(Some)
            }
            checked => checked.map_err(Some),
        }
    }

    /// The verifier with the pool's keys: those fetched, or fetched now (the first
    /// time, or when `refetch` and the last fetch is [`REFETCH_AFTER`] old).
    async fn verifier(&self, now: Timestamp, refetch: bool) -> Result<Arc<Verifier>, SignInError> {
        let mut keys = self.keys.lock().await;
        if let Some(fetched) = keys.as_ref()
            && (!refetch || now.duration_since(fetched.at) < REFETCH_AFTER)
        {
            return Ok(fetched.verifier.clone());
        }
        let document = self.cognito.keys_document().await?;
        let keys_by_id = jwks_keys(&document).map_err(|_| SignInError::Status(200))?;
        let verifier = Arc::new(Verifier::Pool {
            issuer: self.config.issuer.clone(),
            client_id: self.config.client_id.clone(),
            keys: keys_by_id,
        });
        *keys = Some(FetchedKeys {
            verifier: verifier.clone(),
            at: now,
        });
        Ok(verifier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_pairs(pairs)
    }

    #[test]
    fn the_templates_values_give_the_pools_urls() {
        let config = HostedConfig::load(&settings(&[
            ("CONSOLE_URL", "https://lapor.bandung.example/"),
            ("CONSOLE_CLIENT_ID", "client1"),
            ("CONSOLE_SIGN_IN_DOMAIN", "sigap-prod-123456789012"),
            (
                "USER_POOL_PROVIDER_NAME",
                "cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_Abc",
            ),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            config.domain,
            "https://sigap-prod-123456789012.auth.ap-southeast-3.amazoncognito.com"
        );
        assert_eq!(
            config.issuer,
            "https://cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_Abc"
        );
        assert_eq!(
            config.callback_url(),
            "https://lapor.bandung.example/konsol/kembali"
        );
        assert_eq!(
            config.signed_out_url(),
            "https://lapor.bandung.example/konsol/keluar"
        );
        assert_eq!(
            config.origin(),
            "https://sigap-prod-123456789012.auth.ap-southeast-3.amazoncognito.com"
        );
    }

    #[test]
    fn on_an_emulator_the_pools_endpoints_are_the_emulators() {
        let config = HostedConfig::load(&settings(&[
            ("CONSOLE_URL", "http://127.0.0.1:4566/_aws/execute-api/abc"),
            ("CONSOLE_CLIENT_ID", "client1"),
            ("CONSOLE_SIGN_IN_DOMAIN", "sigap-dev-000000000000"),
            (
                "USER_POOL_PROVIDER_NAME",
                "cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_Abc",
            ),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(config.domain, "http://127.0.0.1:4566");
        assert_eq!(config.keys_base, "http://127.0.0.1:4566/ap-southeast-3_Abc");
        assert_eq!(
            config.issuer,
            "https://cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_Abc"
        );
    }

    #[test]
    fn no_console_url_is_no_hosted_sign_in_and_a_bad_one_is_refused() {
        assert_eq!(
            HostedConfig::load(&settings(&[("CONSOLE_URL", "")])),
            Ok(None)
        );
        for plain in ["http://lapor.example", "http://127.0.0.1.example"] {
            assert!(matches!(
                HostedConfig::load(&settings(&[("CONSOLE_URL", plain)])),
                Err(ConfigError::Invalid { .. })
            ));
        }
        assert!(matches!(
            HostedConfig::load(&settings(&[
                ("CONSOLE_URL", "https://lapor.example"),
                ("CONSOLE_CLIENT_ID", "c"),
                ("CONSOLE_SIGN_IN_DOMAIN", "prefix"),
                ("USER_POOL_PROVIDER_NAME", "somewhere/else"),
            ])),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
