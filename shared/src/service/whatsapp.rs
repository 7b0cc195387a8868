//! WhatsApp's settings, read once by the two functions that speak it: `sms-intake`
//! (the webhook, photo downloads) and `notify` (messages out).

use secrecy::{ExposeSecret, SecretString};

use crate::adapters::whatsapp::WhatsAppClient;
use crate::runtime::config::{ConfigError, Settings};

/// Where the Graph API is and which number Sigap speaks from.
#[derive(Debug, Clone)]
pub struct WhatsAppConfig {
    /// The business phone number's id (the send URL's path).
    pub phone_number_id: String,
    /// The system user's access token.
    pub access_token: SecretString,
    /// `https://graph.facebook.com`, or a local fake.
    pub graph_url: String,
    /// The Graph API version (`v25.0`).
    pub graph_version: String,
}

impl WhatsAppConfig {
    /// Reads `WHATSAPP_PHONE_NUMBER_ID` (unset or empty: WhatsApp is off), then
    /// `WHATSAPP_ACCESS_TOKEN`, `WHATSAPP_GRAPH_URL` (https://graph.facebook.com) and
    /// `WHATSAPP_GRAPH_VERSION` (v25.0).
    pub fn load(settings: &Settings) -> Result<Option<Self>, ConfigError> {
        let Some(phone_number_id) = settings.optional("WHATSAPP_PHONE_NUMBER_ID") else {
            return Ok(None);
        };
        Ok(Some(Self {
            phone_number_id,
            access_token: settings.required("WHATSAPP_ACCESS_TOKEN")?.into(),
            graph_url: settings
                .optional("WHATSAPP_GRAPH_URL")
                .unwrap_or_else(|| "https://graph.facebook.com".into()),
            graph_version: settings
                .optional("WHATSAPP_GRAPH_VERSION")
                .unwrap_or_else(|| "v25.0".into()),
        }))
    }

    /// The Graph API client these settings describe.
    pub fn client(&self) -> WhatsAppClient {
        WhatsAppClient::new(
            &self.graph_url,
            &self.graph_version,
            &self.phone_number_id,
            self.access_token.expose_secret(),
        )
    }
}
