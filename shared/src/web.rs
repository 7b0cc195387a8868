//! What every server-rendered screen shares, the citizen pages (`web-intake`) and the
//! staff console (`backoffice`) alike: the HTML answer with its security headers, the
//! redirect after a form, cookies, the form body, the same-site check, and static
//! files under content-hashed names.

pub mod chart;
pub mod map;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

use crate::http::{ApiError, body_bytes};
use crate::runtime::ids::sha256_hex;

/// How long a browser may keep a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Public and changing: ask again every time.
    Revalidate,
    /// Someone's own view or a form's answer: never stored.
    Private,
}

/// An HTML page with the screens' security headers: a policy allowing only this
/// origin's scripts and styles, `img_origins` for images from elsewhere (the media
/// bucket's signed links) and `form_origins` as form targets besides this origin.
pub fn html(
    status: StatusCode,
    page: String,
    caching: Caching,
    img_origins: &[String],
    form_origins: &[String],
) -> Response<Body> {
    let mut response = Response::new(Body::Text(page));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let listed = |origins: &[String]| origins.iter().map(|o| format!(" {o}")).collect::<String>();
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{}; \
         connect-src 'self'; form-action 'self'{}; base-uri 'none'; frame-ancestors 'none'",
        listed(img_origins),
        listed(form_origins),
    );
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CACHE_CONTROL,
            match caching {
                Caching::Revalidate => "no-cache",
                Caching::Private => "no-store",
            },
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Lets `response`'s page send its forms on to `origin` too (a form whose answer
/// redirects there: a browser holds the redirect to the policy's form-action).
pub fn allow_form_target(response: &mut Response<Body>, origin: &str) {
    let Some(policy) = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let widened = policy.replacen(
        "form-action 'self'",
        &format!("form-action 'self' {origin}"),
        1,
    );
    if let Ok(value) = HeaderValue::from_str(&widened) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The scheme and host of each link, once (for a page's image policy).
pub fn origins<'a>(urls: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for url in urls {
        let Some((scheme, rest)) = url.split_once("://") else {
            continue;
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let origin = format!("{scheme}://{host}");
        if !host.is_empty() && !found.contains(&origin) {
            found.push(origin);
        }
    }
    found
}

/// 303 to `location` (after a form post), setting `cookies`.
pub fn see_other(location: &str, cookies: &[String]) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The query parameter `name`, trimmed, when given and not empty.
pub fn query<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    use lambda_http::RequestExt;
    request
        .query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

/// Refuses a form posted from another site (`Sec-Fetch-Site`, which every current
/// browser sends); the screens' cookies are `SameSite` as well.
pub fn same_site_post(request: &Request) -> Result<(), ApiError> {
    match request
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
    {
        None | Some("same-origin" | "none") => Ok(()),
        Some(_) => Err(ApiError::forbidden(
            "Formulir ini hanya dapat dikirim dari halaman LAPOR! Sigap sendiri.",
        )),
    }
}

/// A posted form's pairs (`application/x-www-form-urlencoded`), within `max_bytes`.
pub fn form_pairs(request: &Request, max_bytes: usize) -> Result<Vec<(String, String)>, ApiError> {
    let bytes = body_bytes(request, max_bytes)?;
    Ok(form_urlencoded::parse(bytes).into_owned().collect())
}

/// One static file compiled into a function, served under a content-hashed name: a
/// new build gets new names, so browsers (and the edge) may keep each one for a year
/// without ever showing a stale copy.
pub struct Asset {
    content_type: &'static str,
    body: &'static str,
    file_name: String,
    prefix: &'static str,
}

impl Asset {
    /// `stem.<first 12 hex of the body's SHA-256>.extension`, linked under `prefix`
    /// (the route that serves it, such as `/assets/`).
    pub fn new(
        prefix: &'static str,
        stem: &str,
        extension: &str,
        content_type: &'static str,
        body: &'static str,
    ) -> Self {
        Self {
            content_type,
            body,
            file_name: format!("{stem}.{}.{extension}", &sha256_hex(body)[..12]),
            prefix,
        }
    }

    /// Where the pages link it.
    pub fn path(&self) -> String {
        format!("{}{}", self.prefix, self.file_name)
    }
}

/// The asset of `assets` named `name`, cached for a year; any other name is not found
/// (an old name after a deploy, or a guess).
pub fn serve_asset(assets: &[&Asset], name: &str) -> Result<Response<Body>, ApiError> {
    let asset = assets
        .iter()
        .find(|a| a.file_name == name)
        .ok_or_else(|| ApiError::not_found("Berkas tidak ditemukan."))?;
    let mut response = Response::new(Body::Text(asset.body.to_string()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// Where the browser that posted this came from, for S3 to send it back to after an
/// upload: the `Origin` every browser sends with a form post (behind CloudFront the
/// `Host` the function sees is the API's own), else the forwarded host. Only a
/// same-site post gets here, so the origin is this site's.
pub fn page_origin(request: &Request) -> String {
    request
        .headers()
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .filter(|o| {
            let host = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            host.is_some_and(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
        })
        .map_or_else(|| crate::http::forwarded_base_url(request), str::to_string)
}
