//! WhatsApp's Cloud API, as Sigap reads and writes it: the webhook handshake, what a
//! notification says (messages in, delivery statuses), the bodies Sigap sends, and
//! what an error code means for the citizen's message. Pure: no HTTP, no clock.
//!
//! The shapes follow Meta's webhook and send-message references (facts gathered in
//! `docs/decisions/whatsapp.md`); anything Sigap does not use is ignored, so a field
//! Meta adds later never breaks the webhook.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::domain::contact::PhoneNumber;
use crate::domain::notification::NotificationKind;

/// WhatsApp's name as a gateway on inbound messages (`SMS#whatsapp#<wamid>`) and as
/// the channel on delivery records.
pub const CHANNEL: &str = "whatsapp";
/// Longest text body WhatsApp accepts in one message.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Most reply buttons one message may carry.
pub const MAX_BUTTONS: usize = 3;
/// Longest title of a reply button.
pub const MAX_BUTTON_TITLE: usize = 20;
/// Most rows one list may carry.
pub const MAX_LIST_ROWS: usize = 10;
/// Longest title of a list row.
pub const MAX_ROW_TITLE: usize = 24;
/// Longest description of a list row.
pub const MAX_ROW_DESCRIPTION: usize = 72;
/// Largest photo WhatsApp lets a user send (JPEG/PNG), so the largest Sigap downloads.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;

/// The answer to Meta's verification GET: the challenge, when the mode is `subscribe`
/// and the token is the one configured (compared in constant time); `None` otherwise.
pub fn handshake<'a>(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
    expected_token: &str,
) -> Option<&'a str> {
    let token_ok = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected_token.as_bytes())));
    let challenge = challenge.filter(|c| !c.is_empty() && c.len() <= 256)?;
    (mode == Some("subscribe") && token_ok && !expected_token.is_empty()).then_some(challenge)
}

/// What one webhook notification carried that Sigap acts on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Notification {
    /// Messages from citizens, in the order Meta listed them.
    pub messages: Vec<IncomingMessage>,
    /// Delivery statuses of messages Sigap sent.
    pub statuses: Vec<DeliveryStatus>,
}

/// A message a citizen sent to the city's WhatsApp number.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingMessage {
    /// Meta's message id (`wamid.…`): retries repeat it.
    pub id: String,
    /// The sender's WhatsApp number as Meta gives it (digits, no `+`), when given.
    pub from: Option<String>,
    /// What it says.
    pub content: Content,
}

/// What a citizen's message holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Typed text.
    Text(String),
    /// A photo, fetched through the media API by its id.
    Image {
        /// The media id (lives 7 days).
        media_id: String,
        /// Its type as the sender's app declared it.
        mime_type: String,
        /// The caption typed with it.
        caption: Option<String>,
    },
    /// A shared location.
    Location {
        /// Latitude, degrees.
        latitude: f64,
        /// Longitude, degrees.
        longitude: f64,
        /// The place's name and address, when a named place was shared.
        label: Option<String>,
    },
    /// A tap on a reply button, a list row or a template's quick reply: the id Sigap
    /// gave it (its payload).
    Choice {
        /// The id (for example `INFO BDG-K7M2QXZ`).
        id: String,
        /// The title the citizen saw.
        title: String,
    },
    /// Anything else (audio, video, sticker, reaction, document, …): its type.
    Unsupported(String),
}

/// Where a sent message got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryState {
    /// Accepted by WhatsApp's servers.
    Sent,
    /// On the citizen's phone.
    Delivered,
    /// Opened.
    Read,
    /// Not delivered (the error says why).
    Failed,
}

impl DeliveryState {
    /// Its name in webhooks and in delivery records.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Sent => "sent",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Read => "read",
            DeliveryState::Failed => "failed",
        }
    }

    /// Its order: a later state replaces an earlier one on the record, never the
    /// reverse (statuses arrive out of order, and "delivered" may be skipped).
    pub fn rank(self) -> i64 {
        match self {
            DeliveryState::Sent => 1,
            DeliveryState::Delivered => 2,
            DeliveryState::Read => 3,
            DeliveryState::Failed => 4,
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "sent" => Some(DeliveryState::Sent),
            "delivered" => Some(DeliveryState::Delivered),
            "read" => Some(DeliveryState::Read),
            "failed" => Some(DeliveryState::Failed),
            _ => None,
        }
    }
}

/// A status update on a message Sigap sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The id WhatsApp gave the sent message.
    pub message_id: String,
    /// Where it got to.
    pub state: DeliveryState,
    /// Meta's error code, when it failed.
    pub error_code: Option<i64>,
    /// What Sigap attached when sending (`biz_opaque_callback_data`): which delivery
    /// record the message belongs to.
    pub callback: Option<String>,
}

/// Why a notification body was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// Not JSON, or not a WhatsApp Business Account notification.
    #[error("not a whatsapp_business_account notification")]
    NotWhatsApp,
}

#[derive(Deserialize)]
struct Envelope {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<ChangeItem>,
}

#[derive(Deserialize)]
struct ChangeItem {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: ChangeValue,
}

#[derive(Deserialize, Default)]
struct ChangeValue {
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    statuses: Vec<Value>,
}

/// Reads a notification body (the raw bytes whose signature was checked). Elements
/// Sigap cannot read (no id, an unknown status) are skipped, never an error: one odd
/// element must not make Meta retry the whole batch for a week.
pub fn parse_notification(body: &[u8]) -> Result<Notification, NotificationError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|_| NotificationError::NotWhatsApp)?;
    if envelope.object != "whatsapp_business_account" {
        return Err(NotificationError::NotWhatsApp);
    }
    let mut notification = Notification::default();
    for change in envelope.entry.iter().flat_map(|e| &e.changes) {
        if change.field != "messages" {
            continue;
        }
        notification
            .messages
            .extend(change.value.messages.iter().filter_map(message));
        notification
            .statuses
            .extend(change.value.statuses.iter().filter_map(status));
    }
    Ok(notification)
}

fn text_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

fn message(raw: &Value) -> Option<IncomingMessage> {
    let id = text_at(raw, &["id"]).filter(|id| !id.is_empty() && id.len() <= 256)?;
    let kind = text_at(raw, &["type"]).unwrap_or_default();
    let owned = |s: Option<&str>| s.map(str::to_string);
    let content = match kind {
        "text" => Content::Text(text_at(raw, &["text", "body"]).unwrap_or_default().into()),
        "image" => match text_at(raw, &["image", "id"]) {
            Some(media_id) => Content::Image {
                media_id: media_id.into(),
                mime_type: text_at(raw, &["image", "mime_type"])
                    .unwrap_or_default()
                    .into(),
                caption: owned(text_at(raw, &["image", "caption"]))
                    .filter(|c| !c.trim().is_empty()),
            },
            None => Content::Unsupported("image".into()),
        },
        "location" => {
            let place = &raw["location"];
            match (place["latitude"].as_f64(), place["longitude"].as_f64()) {
                (Some(latitude), Some(longitude)) => {
                    let label = [place["name"].as_str(), place["address"].as_str()]
                        .into_iter()
                        .flatten()
                        .filter(|s| !s.trim().is_empty())
                        .collect::<Vec<_>>()
                        .join(", ");
                    Content::Location {
                        latitude,
                        longitude,
                        label: (!label.is_empty()).then_some(label),
                    }
                }
                _ => Content::Unsupported("location".into()),
            }
        }
        "interactive" => {
            let interactive = &raw["interactive"];
            let reply = match interactive["type"].as_str() {
                Some("button_reply") => &interactive["button_reply"],
                Some("list_reply") => &interactive["list_reply"],
                _ => &Value::Null,
            };
            match reply["id"].as_str() {
                Some(id) => Content::Choice {
                    id: id.into(),
                    title: reply["title"].as_str().unwrap_or_default().into(),
                },
                None => Content::Unsupported("interactive".into()),
            }
        }
        // A template's quick-reply button: its payload is the id Sigap gave it.
        "button" => match text_at(raw, &["button", "payload"]) {
            Some(payload) => Content::Choice {
                id: payload.into(),
                title: text_at(raw, &["button", "text"]).unwrap_or_default().into(),
            },
            None => Content::Unsupported("button".into()),
        },
        other => Content::Unsupported(other.chars().take(32).collect()),
    };
    Some(IncomingMessage {
        id: id.into(),
        from: owned(text_at(raw, &["from"])),
        content,
    })
}

fn status(raw: &Value) -> Option<DeliveryStatus> {
    Some(DeliveryStatus {
        message_id: text_at(raw, &["id"]).filter(|id| !id.is_empty())?.into(),
        state: DeliveryState::parse(text_at(raw, &["status"])?)?,
        error_code: raw["errors"][0]["code"].as_i64(),
        callback: text_at(raw, &["biz_opaque_callback_data"]).map(Into::into),
    })
}

/// A message Sigap sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Free text: only inside the 24-hour window after the citizen's last message.
    Text(String),
    /// Text with up to three reply buttons (`id`, `title`): inside the window too.
    Buttons {
        /// The text above the buttons.
        body: String,
        /// Each button's id (what its tap sends back) and title.
        buttons: Vec<(String, String)>,
    },
    /// Text with a list of up to ten rows (`id`, `title`, `description`) behind a
    /// button: inside the window too.
    List {
        /// The text above the list's button.
        body: String,
        /// The button that opens the list.
        button: String,
        /// Each row's id (what its tap sends back), title and description.
        rows: Vec<(String, String, String)>,
    },
    /// An approved template, the only thing allowed outside the window.
    Template {
        /// Its name as approved.
        name: String,
        /// Its language code (`id`).
        language: String,
        /// The body's parameters, in order.
        parameters: Vec<String>,
    },
}

impl Outgoing {
    /// The text a delivery record keeps of it.
    pub fn summary(&self) -> String {
        match self {
            Outgoing::Text(text)
            | Outgoing::Buttons { body: text, .. }
            | Outgoing::List { body: text, .. } => text.clone(),
            Outgoing::Template {
                name, parameters, ..
            } => format!("template {name}({})", parameters.join(", ")),
        }
    }
}

/// The JSON body of `POST /<phone number id>/messages` sending `message` to `to`,
/// with `callback` echoed in its statuses.
pub fn send_body(to: &PhoneNumber, message: &Outgoing, callback: &str) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.as_e164(),
        "biz_opaque_callback_data": callback,
    });
    let clip = |text: &str, max: usize| text.chars().take(max).collect::<String>();
    match message {
        Outgoing::Text(text) => {
            body["type"] = json!("text");
            body["text"] = json!({ "preview_url": false, "body": clip(text, MAX_TEXT_CHARS) });
        }
        Outgoing::Buttons {
            body: text,
            buttons,
        } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .take(MAX_BUTTONS)
                .map(|(id, title)| {
                    json!({ "type": "reply", "reply": { "id": id, "title": clip(title, MAX_BUTTON_TITLE) } })
                })
                .collect();
            body["type"] = json!("interactive");
            body["interactive"] = json!({
                "type": "button",
                "body": { "text": clip(text, 1024) },
                "action": { "buttons": buttons },
            });
        }
        Outgoing::List {
            body: text,
            button,
            rows,
        } => {
            let rows: Vec<Value> = rows
                .iter()
                .take(MAX_LIST_ROWS)
                .map(|(id, title, description)| {
                    json!({
                        "id": id,
                        "title": clip(title, MAX_ROW_TITLE),
                        "description": clip(description, MAX_ROW_DESCRIPTION),
                    })
                })
                .collect();
            body["type"] = json!("interactive");
            body["interactive"] = json!({
                "type": "list",
                "body": { "text": clip(text, 1024) },
                "action": {
                    "button": clip(button, MAX_BUTTON_TITLE),
                    "sections": [{ "title": clip(button, MAX_ROW_TITLE), "rows": rows }],
                },
            });
        }
        Outgoing::Template {
            name,
            language,
            parameters,
        } => {
            let parameters: Vec<Value> = parameters
                .iter()
                .map(|p| json!({ "type": "text", "text": p }))
                .collect();
            body["type"] = json!("template");
            body["template"] = json!({
                "name": name,
                "language": { "code": language },
                "components": [{ "type": "body", "parameters": parameters }],
            });
        }
    }
    body
}

/// Why WhatsApp refused a message, from Meta's error code: each is recorded on the
/// delivery record, and the message goes by SMS instead where there is a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// More than 24 hours since the citizen's last message (131047).
    OutsideWindow,
    /// Not on WhatsApp, or an app too old (131026).
    NotOnWhatsApp,
    /// A throughput, pair-rate, spam or API limit (130429, 131056, 131048, 131049, 4,
    /// 80007).
    RateLimited,
    /// The access token expired or was revoked (190).
    TokenExpired,
    /// A template missing, unapproved or given the wrong parameters (132000, 132001).
    Template,
    /// Any other code.
    Other(i64),
}

impl Refusal {
    /// The refusal an error code means.
    pub fn from_code(code: i64) -> Self {
        match code {
            131047 => Refusal::OutsideWindow,
            131026 => Refusal::NotOnWhatsApp,
            130429 | 131056 | 131048 | 131049 | 4 | 80007 => Refusal::RateLimited,
            190 => Refusal::TokenExpired,
            132000 | 132001 => Refusal::Template,
            other => Refusal::Other(other),
        }
    }

    /// Its name on the delivery record.
    pub fn reason(self) -> String {
        match self {
            Refusal::OutsideWindow => "outside_window".into(),
            Refusal::NotOnWhatsApp => "not_on_whatsapp".into(),
            Refusal::RateLimited => "rate_limited".into(),
            Refusal::TokenExpired => "token_expired".into(),
            Refusal::Template => "template_refused".into(),
            Refusal::Other(code) => format!("error_{code}"),
        }
    }
}

/// The error code in a Graph API error body (`{"error":{"code":…}}`), if any.
pub fn error_code(body: &[u8]) -> Option<i64> {
    serde_json::from_slice::<Value>(body).ok()?["error"]["code"].as_i64()
}

/// The id WhatsApp gave a sent message, from the send answer.
pub fn sent_id(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body).ok()?["messages"][0]["id"]
        .as_str()
        .map(Into::into)
}

/// How long after a citizen's last message free text may be sent.
pub const WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// A value a template's body takes, in the order the approved template numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateParameter {
    /// The tracking id (`BDG-K7M2QXZ`).
    Id,
    /// The deadline the notification names (`9 Desember 2026`), or `-`.
    Due,
    /// The note it carries (the admin's question, the archive reason), or `-`.
    Note,
}

/// An approved template for one kind of notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Its name as approved in WhatsApp Manager.
    pub name: String,
    /// Its body's parameters, in order.
    pub parameters: Vec<TemplateParameter>,
}

/// The approved templates, by notification kind, and their language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Templates {
    /// The language code they were approved in (`id`).
    pub language: String,
    by_kind: Vec<(NotificationKind, Template)>,
}

/// Why the templates setting was refused (a deployment defect, caught at start-up).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("WHATSAPP_TEMPLATES: {0}")]
pub struct TemplatesError(String);

impl Templates {
    /// Reads `kind=name:param,param;…` (for example
    /// `received=sigap_laporan_diterima:id,due;closed=sigap_laporan_selesai:id`),
    /// kinds as notify names them, parameters `id`, `due`, `note`.
    pub fn parse(setting: &str, language: &str) -> Result<Self, TemplatesError> {
        let mut by_kind = Vec::new();
        for entry in setting.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (kind, rest) = entry
                .split_once('=')
                .ok_or_else(|| TemplatesError(format!("{entry:?} has no '='")))?;
            let kind: NotificationKind = serde_json::from_value(json!(kind.trim()))
                .map_err(|_| TemplatesError(format!("unknown notification kind {kind:?}")))?;
            if !kind.tells_reporter() {
                return Err(TemplatesError(format!(
                    "{kind:?} is never sent to a citizen"
                )));
            }
            let (name, parameters) = rest.split_once(':').unwrap_or((rest, ""));
            let name = name.trim();
            let named = !name.is_empty()
                && name.len() <= 512
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !named {
                return Err(TemplatesError(format!(
                    "template name {name:?} (lowercase, digits, _)"
                )));
            }
            let parameters = parameters
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| match p {
                    "id" => Ok(TemplateParameter::Id),
                    "due" => Ok(TemplateParameter::Due),
                    "note" => Ok(TemplateParameter::Note),
                    other => Err(TemplatesError(format!("unknown parameter {other:?}"))),
                })
                .collect::<Result<Vec<_>, _>>()?;
            by_kind.push((
                kind,
                Template {
                    name: name.to_string(),
                    parameters,
                },
            ));
        }
        Ok(Self {
            language: language.to_string(),
            by_kind,
        })
    }

    /// The template message for `kind`, filled in, if one is approved for it.
    pub fn message(
        &self,
        kind: NotificationKind,
        id: &str,
        due: Option<&str>,
        note: Option<&str>,
    ) -> Option<Outgoing> {
        let (_, template) = self.by_kind.iter().find(|(k, _)| *k == kind)?;
        // WhatsApp refuses an empty parameter: a missing value is a dash.
        let or_dash = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .unwrap_or("-")
                .to_string()
        };
        Some(Outgoing::Template {
            name: template.name.clone(),
            language: self.language.clone(),
            parameters: template
                .parameters
                .iter()
                .map(|p| match p {
                    TemplateParameter::Id => id.to_string(),
                    TemplateParameter::Due => or_dash(due),
                    TemplateParameter::Note => or_dash(note),
                })
                .collect(),
        })
    }
}

/// What a notification to a citizen who writes on WhatsApp goes as, given when they
/// last wrote: inside the 24-hour window `inside` (free text, buttons); outside it
/// the approved `template`; with neither, `None`: by SMS.
pub fn choose(
    last_in: Timestamp,
    now: Timestamp,
    inside: Outgoing,
    template: Option<Outgoing>,
) -> Option<Outgoing> {
    if now.duration_since(last_in) < WINDOW {
        Some(inside)
    } else {
        template
    }
}

/// A reply offering `choices` (`id`, `title`, and a description for a list row):
/// buttons for up to three, a list behind `list_button` for more, plain text for none.
pub fn offering(text: &str, choices: &[(String, String, String)], list_button: &str) -> Outgoing {
    match choices.len() {
        0 => Outgoing::Text(text.to_string()),
        1..=MAX_BUTTONS => Outgoing::Buttons {
            body: text.to_string(),
            buttons: choices
                .iter()
                .map(|(id, title, _)| (id.clone(), title.clone()))
                .collect(),
        },
        _ => Outgoing::List {
            body: text.to_string(),
            button: list_button.to_string(),
            rows: choices.to_vec(),
        },
    }
}

/// The buttons a notification of `kind` about report `id` offers inside the window:
/// the citizen taps instead of typing a command (each button's id is the command).
pub fn buttons_for(kind: NotificationKind, id: &str) -> Vec<(String, String)> {
    match kind {
        NotificationKind::FollowUpPublished => vec![
            (format!("PUAS {id}"), "Puas".into()),
            // A tap, then the reason as the next text (see `sms::Awaiting`).
            (
                crate::domain::sms::Menu::Dispute(id.to_string()).choice_id(),
                "Tidak puas".into(),
            ),
        ],
        NotificationKind::Received | NotificationKind::Dispatched => {
            vec![(format!("INFO {id}"), "Cek status".into())]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(value: Value) -> Vec<u8> {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "WABA", "changes": [{ "field": "messages", "value": value }] }]
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn the_handshake_answers_only_a_subscribe_with_the_right_token() {
        let ok = handshake(
            Some("subscribe"),
            Some("rahasia"),
            Some("1158201444"),
            "rahasia",
        );
        assert_eq!(ok, Some("1158201444"));
        for (mode, token, challenge) in [
            (Some("subscribe"), Some("salah"), Some("1")),
            (Some("unsubscribe"), Some("rahasia"), Some("1")),
            (None, Some("rahasia"), Some("1")),
            (Some("subscribe"), None, Some("1")),
            (Some("subscribe"), Some("rahasia"), None),
            (Some("subscribe"), Some("rahasia"), Some("")),
        ] {
            assert_eq!(handshake(mode, token, challenge, "rahasia"), None);
        }
        // An unset token never matches an empty one.
        assert_eq!(handshake(Some("subscribe"), Some(""), Some("1"), ""), None);
    }

    #[test]
    fn every_message_type_is_read_and_the_rest_is_unsupported() {
        let body = envelope(json!({
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6222", "phone_number_id": "PNID" },
            "messages": [
                { "from": "6281234567890", "id": "wamid.1", "timestamp": "1", "type": "text",
                  "text": { "body": "BDG jalan rusak 🙏" } },
                { "from": "6281234567890", "id": "wamid.2", "type": "image",
                  "image": { "id": "MEDIA1", "mime_type": "image/jpeg", "caption": "lubang" } },
                { "from": "6281234567890", "id": "wamid.3", "type": "location",
                  "location": { "latitude": -6.9147, "longitude": 107.6098, "name": "Alun-alun" } },
                { "from": "6281234567890", "id": "wamid.4", "type": "interactive",
                  "interactive": { "type": "button_reply", "button_reply": { "id": "PUAS BDG-1", "title": "Puas" } } },
                { "from": "6281234567890", "id": "wamid.5", "type": "button",
                  "button": { "payload": "INFO BDG-1", "text": "Cek status" } },
                { "from": "6281234567890", "id": "wamid.6", "type": "sticker", "sticker": {} },
                { "from": "6281234567890", "type": "text", "text": { "body": "no id" } }
            ]
        }));
        let n = parse_notification(&body).unwrap();
        let contents: Vec<&Content> = n.messages.iter().map(|m| &m.content).collect();
        assert_eq!(n.messages.len(), 6);
        assert_eq!(contents[0], &Content::Text("BDG jalan rusak 🙏".into()));
        assert!(
            matches!(contents[1], Content::Image { media_id, caption: Some(c), .. } if media_id == "MEDIA1" && c == "lubang")
        );
        assert!(
            matches!(contents[2], Content::Location { label: Some(l), .. } if l == "Alun-alun")
        );
        assert_eq!(
            contents[3],
            &Content::Choice {
                id: "PUAS BDG-1".into(),
                title: "Puas".into()
            }
        );
        assert!(matches!(contents[4], Content::Choice { id, .. } if id == "INFO BDG-1"));
        assert_eq!(contents[5], &Content::Unsupported("sticker".into()));
        assert_eq!(n.messages[0].from.as_deref(), Some("6281234567890"));
    }

    #[test]
    fn statuses_carry_their_state_error_and_callback() {
        let body = envelope(json!({
            "statuses": [
                { "id": "wamid.A", "status": "delivered", "timestamp": "2", "recipient_id": "62812",
                  "biz_opaque_callback_data": "R#BDG-1|received|reporter" },
                { "id": "wamid.B", "status": "failed", "errors": [{ "code": 131047, "title": "Re-engagement message" }] },
                { "id": "wamid.C", "status": "deleted" }
            ]
        }));
        let n = parse_notification(&body).unwrap();
        assert_eq!(n.statuses.len(), 2);
        assert_eq!(n.statuses[0].state, DeliveryState::Delivered);
        assert_eq!(
            n.statuses[0].callback.as_deref(),
            Some("R#BDG-1|received|reporter")
        );
        assert_eq!(n.statuses[1].error_code, Some(131047));
        assert_eq!(
            Refusal::from_code(n.statuses[1].error_code.unwrap()),
            Refusal::OutsideWindow
        );
    }

    #[test]
    fn other_objects_and_garbage_are_refused() {
        assert!(parse_notification(b"not json").is_err());
        assert!(parse_notification(br#"{"object":"page","entry":[]}"#).is_err());
        let empty = parse_notification(br#"{"object":"whatsapp_business_account"}"#).unwrap();
        assert_eq!(empty, Notification::default());
    }

    #[test]
    fn send_bodies_follow_the_documented_shapes() {
        let to = PhoneNumber::parse("081234567890").unwrap();
        let text = send_body(&to, &Outgoing::Text("Halo".into()), "cb");
        assert_eq!(text["to"], "+6281234567890");
        assert_eq!(text["text"]["body"], "Halo");
        assert_eq!(text["biz_opaque_callback_data"], "cb");
        let buttons = Outgoing::Buttons {
            body: "Puas?".into(),
            buttons: vec![
                ("PUAS".into(), "Puas".into()),
                ("TIDAK".into(), "Tidak puas dengan tindak lanjutnya".into()),
            ],
        };
        let body = send_body(&to, &buttons, "cb");
        let sent = &body["interactive"]["action"]["buttons"];
        assert_eq!(sent.as_array().unwrap().len(), 2);
        assert_eq!(
            sent[1]["reply"]["title"].as_str().unwrap().chars().count(),
            MAX_BUTTON_TITLE
        );
        let template = Outgoing::Template {
            name: "sigap_diterima".into(),
            language: "id".into(),
            parameters: vec!["BDG-K7M2QXZ".into()],
        };
        let body = send_body(&to, &template, "cb");
        assert_eq!(body["template"]["name"], "sigap_diterima");
        assert_eq!(body["template"]["language"]["code"], "id");
        assert_eq!(
            body["template"]["components"][0]["parameters"][0]["text"],
            "BDG-K7M2QXZ"
        );
    }

    #[test]
    fn templates_are_named_per_kind_and_filled_in_order() {
        let templates = Templates::parse(
            "received=sigap_laporan_diterima:id,due; info_requested=sigap_perlu_info:id,note",
            "id",
        )
        .unwrap();
        let received = templates.message(
            NotificationKind::Received,
            "BDG-1",
            Some("9 Desember 2026"),
            None,
        );
        assert_eq!(
            received,
            Some(Outgoing::Template {
                name: "sigap_laporan_diterima".into(),
                language: "id".into(),
                parameters: vec!["BDG-1".into(), "9 Desember 2026".into()],
            })
        );
        let asked = templates.message(NotificationKind::InfoRequested, "BDG-1", None, Some(" "));
        assert!(
            matches!(asked, Some(Outgoing::Template { parameters, .. }) if parameters[1] == "-")
        );
        assert_eq!(
            templates.message(NotificationKind::Closed, "BDG-1", None, None),
            None
        );
        for bad in [
            "received",
            "nonsense=sigap_x:id",
            "breached=sigap_x:id",
            "received=Sigap Diterima:id",
            "received=sigap_x:id,when",
        ] {
            assert!(Templates::parse(bad, "id").is_err(), "{bad}");
        }
        assert_eq!(
            Templates::parse("", "id").unwrap().message(
                NotificationKind::Received,
                "B",
                None,
                None
            ),
            None
        );
    }

    #[test]
    fn inside_the_window_free_text_outside_a_template_or_nothing() {
        let last: Timestamp = "2026-12-07T01:00:00Z".parse().unwrap();
        let text = Outgoing::Text("halo".into());
        let template = Outgoing::Template {
            name: "t".into(),
            language: "id".into(),
            parameters: vec![],
        };
        let hour = |h: i64| last.checked_add(SignedDuration::from_hours(h)).unwrap();
        assert_eq!(
            choose(last, hour(23), text.clone(), Some(template.clone())),
            Some(text.clone())
        );
        assert_eq!(
            choose(last, hour(24), text.clone(), Some(template.clone())),
            Some(template)
        );
        assert_eq!(choose(last, hour(25), text, None), None);
        assert_eq!(
            buttons_for(NotificationKind::FollowUpPublished, "B").len(),
            2
        );
        assert!(buttons_for(NotificationKind::Closed, "B").is_empty());
    }

    #[test]
    fn a_reply_offers_buttons_up_to_three_and_a_list_beyond() {
        let choice = |n: usize| {
            (
                format!("menu:{n}"),
                format!("Pilihan nomor {n} yang panjang sekali"),
                "keterangan".to_string(),
            )
        };
        assert_eq!(
            offering("Halo", &[], "Pilih"),
            Outgoing::Text("Halo".into())
        );
        assert!(
            matches!(offering("Halo", &[choice(1), choice(2)], "Pilih"), Outgoing::Buttons { buttons, .. } if buttons.len() == 2)
        );
        let to = PhoneNumber::parse("081234567890").unwrap();
        let list = offering(
            "Pilih kategori",
            &(0..12).map(choice).collect::<Vec<_>>(),
            "Pilih kategori",
        );
        let body = send_body(&to, &list, "cb");
        assert_eq!(body["interactive"]["type"], "list");
        let rows = body["interactive"]["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap();
        assert_eq!(rows.len(), MAX_LIST_ROWS);
        assert_eq!(
            rows[0]["title"].as_str().unwrap().chars().count(),
            MAX_ROW_TITLE
        );
        assert_eq!(rows[0]["id"], "menu:0");
    }

    #[test]
    fn error_codes_say_why() {
        let body = br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}}"#;
        assert_eq!(
            Refusal::from_code(error_code(body).unwrap()),
            Refusal::RateLimited
        );
        assert_eq!(Refusal::from_code(190).reason(), "token_expired");
        assert_eq!(Refusal::from_code(131026).reason(), "not_on_whatsapp");
        assert_eq!(Refusal::from_code(7).reason(), "error_7");
        assert_eq!(error_code(b"<html>"), None);
        assert_eq!(
            sent_id(br#"{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}"#),
            Some("wamid.X".into())
        );
    }
}
