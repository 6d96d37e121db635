//! Token service, JWKS and bearer authentication.

mod common;

use common::*;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use panops_scm_sim::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TSG_ID, TokenClaims};
use serde_json::Value;

#[tokio::test]
async fn token_verifies_against_published_jwks() {
    let sim = start(false).await;
    let http = client(&sim);
    let resp = http
        .post(sim.token_url())
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", &format!("tsg_id:{DEFAULT_TSG_ID}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], format!("tsg_id:{DEFAULT_TSG_ID}"));
    let token = body["access_token"].as_str().unwrap();

    // pan-scm-sdk derives the JWKS URL from the token URL: <dir>/connect/jwk_uri.
    let jwks_url = format!("{}/oauth2/connect/jwk_uri", sim.base_url());
    let jwks: JwkSet = http
        .get(jwks_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in JWKS");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[DEFAULT_CLIENT_ID]);
    let data = jsonwebtoken::decode::<TokenClaims>(token, &key, &validation).unwrap();
    assert_eq!(data.claims.tsg_id, DEFAULT_TSG_ID);
    assert_eq!(data.claims.exp - data.claims.iat, 900);

    // Wrong audience is refused by the same check.
    let mut wrong = Validation::new(Algorithm::RS256);
    wrong.set_audience(&["someone-else"]);
    assert!(jsonwebtoken::decode::<TokenClaims>(token, &key, &wrong).is_err());
    assert_eq!(sim.handle().token_requests(), 1);
}

#[tokio::test]
async fn token_paths_and_form_credentials() {
    let sim = start(false).await;
    let http = client(&sim);
    for path in ["/auth/v1/oauth2/access_token", "/am/oauth2/access_token"] {
        let resp = http
            .post(format!("{}{path}", sim.base_url()))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", &format!("tsg_id:{DEFAULT_TSG_ID}")),
                ("client_id", DEFAULT_CLIENT_ID),
                ("client_secret", DEFAULT_CLIENT_SECRET),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let jwks = http
            .get(format!(
                "{}{}",
                sim.base_url(),
                path.replace("access_token", "connect/jwk_uri")
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(jwks.status(), 200);
    }
    assert_eq!(sim.handle().token_requests(), 2);
}

#[tokio::test]
async fn wrong_credentials_scope_and_grant_are_refused() {
    let sim = start(false).await;
    let http = client(&sim);
    let send = |user: &'static str, pass: &'static str, scope: String, grant: &'static str| {
        http.post(sim.token_url())
            .basic_auth(user, Some(pass))
            .form(&[("grant_type", grant.to_string()), ("scope", scope)])
            .send()
    };
    let resp = send(
        DEFAULT_CLIENT_ID,
        "wrong",
        format!("tsg_id:{DEFAULT_TSG_ID}"),
        "client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(!body.to_string().contains("wrong"));

    let resp = send(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        "tsg_id:999".into(),
        "client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope");

    let resp = send(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        format!("tsg_id:{DEFAULT_TSG_ID}"),
        "password",
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(sim.handle().token_requests(), 0);
    assert_eq!(sim.handle().token_requests_refused(), 3);
}

#[tokio::test]
async fn api_requires_a_valid_bearer_token() {
    let sim = start(false).await;
    let http = client(&sim);
    let url = format!(
        "{}/config/objects/v1/addresses?folder=Shared",
        sim.base_url()
    );
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(error_code(&body), ("E016", "Not Authenticated"));
    assert!(body["_request_id"].is_string());

    let resp = http
        .get(&url)
        .bearer_auth("not.a.jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let token = token(&sim, &http).await;
    let resp = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 200);

    // The recorded requests name the client, never the token.
    let recorded = sim.handle().requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[2].client_id.as_deref(), Some(DEFAULT_CLIENT_ID));
    assert_eq!(recorded[2].operation.as_deref(), Some("address.list"));
    assert!(!format!("{recorded:?}").contains(&token));
}

#[tokio::test]
async fn https_with_self_signed_certificate() {
    let sim = start(true).await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let pem = sim.ca_pem().expect("certificate PEM");
    assert!(pem.contains("BEGIN CERTIFICATE"));
    let api = Api::new(&sim).await;
    let body = api.ok("GET", "/config/setup/v1/folders", None).await;
    assert_eq!(body["total"], 6);
    // A client that does not trust the certificate fails.
    let untrusted = reqwest::Client::new();
    assert!(untrusted.get(sim.token_url()).send().await.is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn userinfo_names_the_service_account() {
    let sim = start(false).await;
    let http = client(&sim);
    let token = token(&sim, &http).await;
    let url = format!("{}/auth/v1/oauth2/userinfo", sim.base_url());
    let info: Value = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], DEFAULT_CLIENT_ID);
    let resp = http
        .post(&url)
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = http
        .post(&url)
        .form(&[("access_token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
}
