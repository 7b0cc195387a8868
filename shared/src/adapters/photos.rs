//! The photo bucket (S3): where uploads land and processed copies are kept, the
//! presigned POST a phone uploads with, and short-lived links to the copies
//! (docs/decisions/photos.md).
//!
//! Layout: `uploads/<report>/<photo>` holds the original as sent, deleted once it is
//! processed (the bucket's lifecycle removes any left after a day);
//! `photos/<report>/<photo>/display.jpg` and `thumb.jpg` are the only objects anyone
//! is ever linked to.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine;
use jiff::Timestamp;

use super::table::StoreError;
use crate::domain::photo::PhotoId;
use crate::domain::tracking_id::TrackingId;

/// Where an upload for `photo` on `report` lands.
pub fn upload_key(report: &TrackingId, photo: &PhotoId) -> String {
    format!("uploads/{report}/{photo}")
}

/// The report and photo an upload key names, if it is one.
pub fn parse_upload_key(key: &str) -> Option<(TrackingId, PhotoId)> {
    let rest = key.strip_prefix("uploads/")?;
    let (report, photo) = rest.split_once('/')?;
    Some((TrackingId::parse(report).ok()?, PhotoId::parse(photo)?))
}

/// The report and photo of an object-created event's key, which S3 writes
/// URL-encoded (`uploads%2FBDG-…`, a space as `+`).
pub fn parse_event_key(encoded: &str) -> Option<(TrackingId, PhotoId)> {
    // No `&` or `=` in a key of ours: the whole text decodes as one name.
    let (key, value) = form_urlencoded::parse(encoded.as_bytes()).next()?;
    if !value.is_empty() {
        return None;
    }
    parse_upload_key(&key)
}

/// The display copy's key.
pub fn display_key(report: &TrackingId, photo: &PhotoId) -> String {
    format!("photos/{report}/{photo}/display.jpg")
}

/// The thumbnail's key.
pub fn thumbnail_key(report: &TrackingId, photo: &PhotoId) -> String {
    format!("photos/{report}/{photo}/thumb.jpg")
}

/// A presigned POST for one key: where to send the form, and the fields to send with
/// the file (last, as S3 requires), with the limits the policy holds it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSlot {
    /// The form's action.
    pub url: String,
    /// Fields to send as they are, before the `file` field; the client adds
    /// `Content-Type` (an `image/` type).
    pub fields: BTreeMap<String, String>,
    /// Until when S3 accepts it.
    pub expires_at: Timestamp,
    /// Largest file the policy accepts.
    pub max_bytes: u64,
}

/// What is in an upload's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Original {
    /// Nothing (already processed and deleted, or never uploaded).
    Missing,
    /// Bigger than allowed: never downloaded.
    TooLarge(u64),
    /// The bytes.
    Bytes(Vec<u8>),
}

/// The photo bucket.
#[derive(Debug, Clone)]
pub struct PhotoBucket {
    s3: Client,
    credentials: Option<SharedCredentialsProvider>,
    bucket: String,
    region: String,
    post_url: String,
}

impl PhotoBucket {
    /// Over `bucket`, signing POST policies with `credentials` (the clients' own);
    /// `endpoint` is the S3 endpoint when it is not AWS's (moto, ministack), where the
    /// form goes to `<endpoint>/<bucket>`.
    pub fn new(
        s3: Client,
        credentials: Option<SharedCredentialsProvider>,
        bucket: impl Into<String>,
        endpoint: Option<&str>,
    ) -> Self {
        let bucket = bucket.into();
        let region = s3
            .config()
            .region()
            .map_or("ap-southeast-3".to_string(), ToString::to_string);
        let post_url = match endpoint {
            Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        Self {
            s3,
            credentials,
            bucket,
            region,
            post_url,
        }
    }

    /// Over `bucket` with the functions' clients.
    pub fn from_clients(clients: &crate::runtime::aws::AwsClients, bucket: &str) -> Self {
        Self::new(
            clients.s3.clone(),
            clients.credentials.clone(),
            bucket,
            clients.endpoint.as_deref(),
        )
    }

    /// A presigned POST for `key`, valid `for_` from `now`, for one file of at most
    /// `max_bytes` with an `image/` content type. With `redirect_to`, S3 answers a
    /// successful upload with a 303 there (a browser's plain form lands back on the
    /// page); the URL is in the signed policy, so it cannot be changed.
    pub async fn upload_slot(
        &self,
        key: &str,
        max_bytes: u64,
        now: Timestamp,
        for_: Duration,
        redirect_to: Option<&str>,
    ) -> Result<UploadSlot, StoreError> {
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| StoreError::Corrupt("no credentials to sign uploads with".into()))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(StoreError::aws)?;
        let expires_at = now
            .checked_add(jiff::SignedDuration::try_from(for_).unwrap_or_default())
            .unwrap_or(now);
        let signer = PostSigner {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.secret_access_key(),
            session_token: credentials.session_token(),
            region: &self.region,
        };
        Ok(UploadSlot {
            url: self.post_url.clone(),
            fields: signer.fields(&self.bucket, key, max_bytes, now, expires_at, redirect_to),
            expires_at,
            max_bytes,
        })
    }

    /// The upload at `key`, unless it is missing or larger than `max_bytes` (checked
    /// before downloading).
    pub async fn original(&self, key: &str, max_bytes: u64) -> Result<Original, StoreError> {
        let head = self
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let size = match head {
            Ok(head) => u64::try_from(head.content_length().unwrap_or_default()).unwrap_or(0),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Ok(Original::Missing);
            }
            Err(err) => return Err(StoreError::aws(err)),
        };
        if size > max_bytes {
            return Ok(Original::TooLarge(size));
        }
        let object = match self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Ok(Original::Missing);
            }
            Err(err) => return Err(StoreError::aws(err)),
        };
        let bytes = object.body.collect().await.map_err(StoreError::aws)?;
        Ok(Original::Bytes(bytes.to_vec()))
    }

    /// Stores a processed JPEG copy (the same bytes under the same key on a retry).
    pub async fn put_copy(&self, key: &str, jpeg: Vec<u8>) -> Result<(), StoreError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("image/jpeg")
            .cache_control("private, max-age=86400, immutable")
            .body(ByteStream::from(jpeg))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Stores an original that did not come through a presigned POST (a WhatsApp
    /// photo `sms-intake` downloaded), under its upload key: `media` then takes it
    /// exactly as it takes a web upload. The same bytes under the same key on a retry.
    pub async fn put_upload(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Deletes an object (deleting a missing one succeeds).
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// A link to `key` that works for `for_`.
    pub async fn link(&self, key: &str, for_: Duration) -> Result<String, StoreError> {
        let presigning = PresigningConfig::expires_in(for_).map_err(StoreError::aws)?;
        let request = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(StoreError::aws)?;
        Ok(request.uri().to_string())
    }
}

/// Signs POST policies (Signature Version 4) with one set of credentials.
struct PostSigner<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: Option<&'a str>,
    region: &'a str,
}

impl PostSigner<'_> {
    /// The form fields for one upload to `bucket`/`key`: the policy (the exact key, a
    /// size range, an `image/` type, until `expires_at`) and its signature.
    fn fields(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
        now: Timestamp,
        expires_at: Timestamp,
        redirect_to: Option<&str>,
    ) -> BTreeMap<String, String> {
        let day = now.strftime("%Y%m%d").to_string();
        let amz_date = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{day}/{}/s3/aws4_request",
            self.access_key_id, self.region
        );
        let mut fields = BTreeMap::from([
            ("key".to_string(), key.to_string()),
            (
                "x-amz-algorithm".to_string(),
                "AWS4-HMAC-SHA256".to_string(),
            ),
            ("x-amz-credential".to_string(), credential),
            ("x-amz-date".to_string(), amz_date),
        ]);
        if let Some(token) = self.session_token {
            fields.insert("x-amz-security-token".into(), token.into());
        }
        if let Some(url) = redirect_to {
            fields.insert("success_action_redirect".into(), url.into());
        }
        let mut conditions = vec![
            serde_json::json!({ "bucket": bucket }),
            serde_json::json!(["content-length-range", 1, max_bytes]),
            serde_json::json!(["starts-with", "$Content-Type", "image/"]),
        ];
        conditions.extend(
            fields
                .iter()
                .map(|(name, value)| serde_json::json!({ name: value })),
        );
        let policy = serde_json::json!({
            "expiration": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "conditions": conditions,
        });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        fields.insert("x-amz-signature".into(), self.signature(&policy, now));
        fields.insert("policy".into(), policy);
        fields
    }

    /// The policy's signature: HMAC-SHA256 with the day's signing key for S3.
    fn signature(&self, policy: &str, now: Timestamp) -> String {
        let key = aws_sigv4::sign::v4::generate_signing_key(
            self.secret_access_key,
            SystemTime::from(now),
            self.region,
            "s3",
        );
        aws_sigv4::sign::v4::calculate_signature(key, policy.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> PostSigner<'static> {
        PostSigner {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            session_token: Some("token-of-the-role"),
            region: "ap-southeast-3",
        }
    }

    #[test]
    fn upload_keys_name_their_report_and_photo_and_nothing_else_parses() {
        let report = TrackingId::from_random_bytes(&[3, 1, 4, 1, 5, 9]).unwrap();
        let photo = PhotoId::from_random_bytes(&[7; 12]).unwrap();
        let key = upload_key(&report, &photo);
        assert_eq!(
            parse_upload_key(&key),
            Some((report.clone(), photo.clone()))
        );
        let encoded = key.replace('/', "%2F");
        assert_eq!(
            parse_event_key(&encoded),
            Some((report.clone(), photo.clone()))
        );
        assert_eq!(parse_event_key(&key), Some((report.clone(), photo.clone())));
        assert_eq!(parse_event_key(&format!("{encoded}=x")), None);
        for other in [
            display_key(&report, &photo),
            format!("uploads/{report}"),
            format!("uploads/{report}/../x"),
            format!("uploads/BDG-XXXXXXX/{photo}"),
        ] {
            assert_eq!(parse_upload_key(&other), None, "{other}");
        }
    }

    #[test]
    fn the_policy_holds_the_exact_key_a_size_range_an_image_type_and_the_expiry() {
        let now: Timestamp = "2026-12-03T04:05:06Z".parse().unwrap();
        let expires: Timestamp = "2026-12-03T04:20:06Z".parse().unwrap();
        let fields = signer().fields(
            "sigap-media",
            "uploads/BDG-X/P",
            10_485_760,
            now,
            expires,
            None,
        );
        assert!(!fields.contains_key("success_action_redirect"));
        // For a page, the redirect back is a field and an exact condition of its own.
        let for_page = signer().fields(
            "sigap-media",
            "uploads/BDG-X/P",
            10_485_760,
            now,
            expires,
            Some("https://lapor.example/laporan/BDG-X?terkirim=foto"),
        );
        let page_policy: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&for_page["policy"])
                .unwrap(),
        )
        .unwrap();
        assert!(page_policy["conditions"].as_array().unwrap().contains(
            &serde_json::json!({"success_action_redirect": "https://lapor.example/laporan/BDG-X?terkirim=foto"})
        ));
        assert_eq!(fields["key"], "uploads/BDG-X/P");
        assert_eq!(fields["x-amz-date"], "20261203T040506Z");
        assert_eq!(
            fields["x-amz-credential"],
            "AKIAIOSFODNN7EXAMPLE/20261203/ap-southeast-3/s3/aws4_request"
        );
        assert_eq!(fields["x-amz-security-token"], "token-of-the-role");
        let policy: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&fields["policy"])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(policy["expiration"], "2026-12-03T04:20:06Z");
        let conditions = policy["conditions"].as_array().unwrap();
        for wanted in [
            serde_json::json!({"bucket": "sigap-media"}),
            serde_json::json!(["content-length-range", 1, 10_485_760]),
            serde_json::json!(["starts-with", "$Content-Type", "image/"]),
            serde_json::json!({"key": "uploads/BDG-X/P"}),
            serde_json::json!({"x-amz-security-token": "token-of-the-role"}),
        ] {
            assert!(
                conditions.contains(&wanted),
                "{wanted} not in {conditions:?}"
            );
        }
        // The signature is over the base64 policy with the day's S3 key: recomputed
        // by hand from the Signature Version 4 steps.
        use hmac::{Hmac, Mac};
        let hmac = |key: &[u8], data: &str| {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        };
        let mut key = format!("AWS4{}", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").into_bytes();
        for part in ["20261203", "ap-southeast-3", "s3", "aws4_request"] {
            key = hmac(&key, part);
        }
        assert_eq!(
            fields["x-amz-signature"],
            hex::encode(hmac(&key, &fields["policy"]))
        );
    }
}
