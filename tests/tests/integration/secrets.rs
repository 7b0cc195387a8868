//! Secrets are fetched from SSM SecureStrings at start-up, by the code every
//! function's `main` runs; a missing one stops the function with its name.

use std::collections::HashMap;

use aws_sdk_ssm::types::ParameterType;
use sigap::adapters::secrets::{SecretsError, resolve_secrets};
use sigap::runtime::config::Settings;
use sigap_tests::clients;

async fn put_secret(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn every_named_secret_is_decrypted_even_past_one_call_of_ten() {
    let clients = clients().await;
    let mut env = HashMap::new();
    // Twelve secrets: more than one GetParameters call takes.
    for i in 0..12 {
        let name = format!("/sigap-test/secrets-{i}");
        put_secret(&clients.ssm, &name, &format!("value {i}")).await;
        env.insert(format!("SECRET_{i}_PARAMETER"), name);
    }
    // A value set directly wins and is not fetched (local runs and tests).
    env.insert("SECRET_0".into(), "local".into());
    env.insert("TABLE_NAME".into(), "t".into());
    let settings = resolve_secrets(Settings::from_map(env), &clients.ssm)
        .await
        .unwrap();
    assert_eq!(settings.required("SECRET_0").unwrap(), "local");
    for i in 1..12 {
        assert_eq!(
            settings.required(&format!("SECRET_{i}")).unwrap(),
            format!("value {i}")
        );
    }
    assert_eq!(settings.required("TABLE_NAME").unwrap(), "t");
}

#[tokio::test]
async fn a_missing_parameter_is_named_and_nothing_starts() {
    let clients = clients().await;
    put_secret(&clients.ssm, "/sigap-test/present", "here").await;
    let env = HashMap::from([
        (
            "PRESENT_PARAMETER".to_string(),
            "/sigap-test/present".to_string(),
        ),
        (
            "ABSENT_PARAMETER".to_string(),
            "/sigap-test/absent".to_string(),
        ),
    ]);
    match resolve_secrets(Settings::from_map(env), &clients.ssm).await {
        Err(SecretsError::Missing(names)) => assert_eq!(names, vec!["/sigap-test/absent"]),
        other => panic!(
            "expected the missing parameter, got {:?}",
            other.map(|_| ())
        ),
    }
}

/// A secret a config holds never shows in its `Debug` (what a log line or a start-up
/// error would print): `secrecy` redacts it.
#[test]
fn configs_print_their_secrets_redacted() {
    const SECRETS: [&str; 6] = [
        "SENDER_HASH_KEY",
        "TWILIO_AUTH_TOKEN",
        "SMS_GATEWAY_SECRET",
        "DEVICE_KEY",
        "X_CONSUMER_SECRET",
        "X_BEARER_TOKEN",
    ];
    let mut env: HashMap<String, String> = [
        "TABLE_NAME",
        "INTAKE_QUEUE_URL",
        "NOTIFY_QUEUE_URL",
        "ESCALATION_QUEUE_URL",
        "PANIC_TOPIC_ARN",
        "STAFF_TOPIC_ARN",
        "SLA_ALERTS_TOPIC_ARN",
        "X_ACCOUNT_ID",
        "MEDIA_BUCKET",
    ]
    .into_iter()
    .map(|name| (name.to_string(), format!("value-of-{name}")))
    .collect();
    for name in SECRETS {
        env.insert(name.into(), format!("s3cr3t-{name}-0123456789abcdef"));
    }
    let settings = Settings::from_map(env);
    let printed = [
        format!("{:?}", sms_intake::Config::load(&settings).unwrap()),
        format!("{:?}", panic::Config::load(&settings).unwrap()),
        format!("{:?}", backoffice::Config::load(&settings).unwrap()),
        format!("{:?}", web_intake::Config::load(&settings).unwrap()),
    ];
    for text in &printed {
        assert!(!text.contains("s3cr3t"), "a secret printed: {text}");
        assert!(text.contains("REDACTED"), "{text}");
        assert!(
            text.contains("value-of-TABLE_NAME"),
            "the rest still shows: {text}"
        );
    }
    assert_eq!(
        printed[0].matches("REDACTED").count(),
        5,
        "sms-intake holds five secrets (X included)"
    );
}
