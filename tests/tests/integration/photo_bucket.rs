//! The photo bucket against moto's S3: a presigned POST a phone could send, the
//! bucket's object-created event on a queue, the original read with its size checked
//! first, a copy stored and linked, the original deleted.

use std::time::Duration;

use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use sigap::adapters::photos::{Original, PhotoBucket, parse_event_key, upload_key};
use sigap::domain::photo::PhotoId;
use sigap::domain::tracking_id::TrackingId;
use sigap_tests::{clients, http, http_bytes, moto_endpoint, unique_prefix, upload_form};

#[tokio::test]
async fn an_upload_by_presigned_post_lands_announces_itself_and_is_read_linked_and_removed() {
    let clients = clients().await;
    let bucket = unique_prefix("photos").to_lowercase();
    let s3 = &clients.s3;
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    "ap-southeast-3",
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let queue_url = clients
        .sqs
        .create_queue()
        .queue_name(format!("{bucket}-media"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = format!("arn:aws:sqs:ap-southeast-3:123456789012:{bucket}-media");
    let uploads_only = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("uploads/")
                        .build(),
                )
                .build(),
        )
        .build();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(&queue_arn)
                        .events(Event::S3ObjectCreated)
                        .filter(uploads_only)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let photos = PhotoBucket::new(
        s3.clone(),
        clients.credentials.clone(),
        &bucket,
        Some(moto_endpoint()),
    );
    let report = TrackingId::from_random_bytes(&[2, 7, 1, 8, 2, 8]).unwrap();
    let photo = PhotoId::from_random_bytes(&[9; 12]).unwrap();
    let key = upload_key(&report, &photo);
    let slot = photos
        .upload_slot(
            &key,
            1024,
            jiff::Timestamp::now(),
            Duration::from_secs(900),
            None,
        )
        .await
        .unwrap();
    assert_eq!(slot.url, format!("{}/{bucket}", moto_endpoint()));
    let mut fields: Vec<(String, String)> = slot.fields.clone().into_iter().collect();
    fields.push(("Content-Type".into(), "image/jpeg".into()));
    let bytes = b"\xFF\xD8\xFF\xE0 not really a photo, but bytes to carry".to_vec();
    let (content_type, body) = upload_form(&fields, &bytes, "image/jpeg");
    let posted = http_bytes("POST", &slot.url, &[("content-type", &content_type)], &body).await;
    assert!(
        posted.status == 204 || posted.status == 201 || posted.status == 200,
        "{} {}",
        posted.status,
        posted.text
    );

    // The bucket announced it on the queue, with the key that names the photo (after
    // the test event S3 sends when notifications are configured, which names none).
    let mut announced_key = None;
    for _ in 0..25 {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for message in received.messages() {
            let event: serde_json::Value =
                serde_json::from_str(message.body().unwrap_or_default()).unwrap();
            if let Some(key) = event["Records"][0]["s3"]["object"]["key"].as_str() {
                announced_key = Some(key.to_string());
            } else {
                assert_eq!(event["Event"], "s3:TestEvent", "{event}");
            }
        }
        if announced_key.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let announced_key = announced_key.expect("no object-created event");
    assert_eq!(
        parse_event_key(&announced_key),
        Some((report.clone(), photo.clone()))
    );

    // Read with its size checked first.
    assert_eq!(
        photos.original(&key, 1024).await.unwrap(),
        Original::Bytes(bytes.clone())
    );
    assert_eq!(
        photos.original(&key, 10).await.unwrap(),
        Original::TooLarge(u64::try_from(bytes.len()).unwrap())
    );
    // A copy stored and reachable only through its link.
    let copy_key = sigap::adapters::photos::display_key(&report, &photo);
    photos
        .put_copy(&copy_key, b"jpeg copy".to_vec())
        .await
        .unwrap();
    let link = photos
        .link(&copy_key, Duration::from_secs(300))
        .await
        .unwrap();
    let fetched = http("GET", &link, &[], None).await;
    assert_eq!((fetched.status, fetched.text.as_str()), (200, "jpeg copy"));
    // The original removed; reading it again finds nothing.
    photos.delete(&key).await.unwrap();
    assert_eq!(
        photos.original(&key, 1024).await.unwrap(),
        Original::Missing
    );
}
