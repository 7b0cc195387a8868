//! The HTTP API's JWT authorizer and the functions' role checks, with the stack's own
//! Cognito pool.

use crate::target::target;

#[tokio::test]
async fn a_staff_route_refuses_a_missing_a_forged_and_a_wrong_role_token() {
    let t = target();
    let missing = t.call("GET", "/staff/queue", &[], None).await;
    assert_eq!(missing.status, 401, "{}", missing.text);
    // A real token with one character of its signature changed (not the last, whose
    // low bits are padding).
    let mut forged = t.token("ADMIN").into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let bearer = format!("Bearer {}", String::from_utf8(forged).unwrap());
    let forged = t
        .call("GET", "/staff/queue", &[("authorization", &bearer)], None)
        .await;
    assert_eq!(forged.status, 401, "{}", forged.text);
    // Signed by the pool, but an agency officer's: the function refuses the role.
    let wrong_role = t.staff("DSDABM", "GET", "/staff/queue", None).await;
    assert_eq!(wrong_role.status, 403, "{}", wrong_role.text);
    let right = t.staff("ADMIN", "GET", "/staff/queue", None).await;
    assert_eq!(right.status, 200, "{}", right.text);
}
