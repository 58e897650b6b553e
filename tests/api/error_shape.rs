//! Answers the router gives before a handler runs are in the API's error shape too, with a
//! JSON content type, as the document promises: a path segment that does not decode, a method
//! a path does not take, a path under `/api/v1` that is no endpoint.

use reqwest::Method;

use crate::support::TestApi;
use switchboard::store::testing;

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_a_json_400() {
    let api = TestApi::start(testing::sqlite().await).await;
    let account = api.account("Harbor Dental", "pro").await;
    let answer = api
        .send(api.request(Method::DELETE, "/keys/%FF", &account.key))
        .await;
    assert_eq!(answer.headers["content-type"], "application/json", "{answer:?}");
    let error = answer.error(400);
    assert_eq!(error["code"], "bad_request");
}

#[tokio::test]
async fn a_method_a_path_does_not_take_is_a_json_405_naming_the_allowed_ones() {
    let api = TestApi::start(testing::sqlite().await).await;
    let account = api.account("Harbor Dental", "pro").await;
    let answer = api.send(api.request(Method::PUT, "/keys", &account.key)).await;
    assert_eq!(answer.headers["content-type"], "application/json");
    let allow = answer.headers["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(answer.error(405)["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_path_under_the_api_that_is_no_endpoint_is_a_json_404() {
    let api = TestApi::start(testing::sqlite().await).await;
    let account = api.account("Harbor Dental", "pro").await;
    let answer = api.get("/no-such-endpoint", &account.key).await;
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.error(404)["code"], "not_found");
    // Without a key too: the endpoint does not exist for anyone.
    let answer = api.call(Method::POST, "/no/such/endpoint", None, None).await;
    assert_eq!(answer.error(404)["code"], "not_found");
}
