//! What the preview shows is what the channel shows: text with `<`, `>`, `&`, quotes and emoji
//! goes out through each connector and is read back the way the channel's readers see it
//! (HTML decoded by an independent decoder, `html-escape`), never as markup. WordPress has its
//! own tests against the simulator and a real WordPress.

use std::time::Duration;

use serde_json::Value;

use super::{Connector, Credentials, Image, Outgoing, http_client};
use crate::sandbox::{self, Running};

/// An author's text that is full of HTML's special characters, and a tag that must stay text.
const TRICKY: &str =
    "Hỏi & đáp: thủ tục <1 ngày, \"nhanh\" & 'gọn' > mọi khi 🚀 <img src=x onerror=alert(1)>";

fn tricky() -> Outgoing {
    Outgoing {
        nonce: "esc-1".into(),
        title: TRICKY.chars().take(120).collect(),
        summary: TRICKY.chars().take(200).collect(),
        body: TRICKY.into(),
        link: None,
        hashtags: vec![],
        image: None,
    }
}

fn client() -> reqwest::Client {
    http_client(Duration::from_secs(2))
}

fn creds(running: &Running) -> Credentials {
    sandbox::accounts::credentials(running)
}

/// The text a reader sees of an HTML fragment: tags dropped, entities decoded.
fn seen(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    html_escape::decode_html_entities(&text).trim().to_string()
}

async fn get_json(url: String) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn facebook_shows_the_text_as_written() {
    let running = sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let fb = super::facebook::Facebook::new(client(), creds(&running));
    let published = fb.publish(&tricky()).await.unwrap();
    let token = running.account["page_token"].as_str().unwrap();
    let proof =
        super::facebook::appsecret_proof(running.account["app_secret"].as_str().unwrap(), token);
    let post = get_json(format!(
        "{}/{}?fields=message&access_token={token}&appsecret_proof={proof}",
        running.account["base_url"].as_str().unwrap(),
        published.remote_id
    ))
    .await;
    // Graph takes plain text: nothing to escape, nothing escaped.
    assert_eq!(post["message"].as_str(), Some(TRICKY));
}

#[tokio::test]
async fn mastodon_shows_the_text_as_written() {
    let running = sandbox::mastodon::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mastodon = super::mastodon::Mastodon::new(client(), creds(&running));
    let published = mastodon.publish(&tricky()).await.unwrap();
    let status: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/statuses/{}",
            running.base_url(),
            published.remote_id
        ))
        .bearer_auth(running.account["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let content = status["content"].as_str().unwrap();
    assert!(!content.contains("<img"), "{content}");
    assert_eq!(seen(content), TRICKY);
}

#[tokio::test]
async fn telegram_shows_the_text_as_written() {
    let running = sandbox::telegram::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let telegram = super::telegram::Telegram::new(client(), creds(&running));
    telegram.publish(&tricky()).await.unwrap();
    let shown = get_json(format!("{}/_sim/telegram/messages", running.base_url())).await;
    // Loa sends `parse_mode: HTML`; Telegram's reader sees the parsed text.
    assert_eq!(shown[0]["text"].as_str(), Some(TRICKY));
}

#[tokio::test]
async fn zalo_shows_the_title_and_text_as_written() {
    let running = sandbox::zalo::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let zalo = super::zalo::Zalo::new(client(), creds(&running));
    let mut out = tricky();
    out.image = Some(Image {
        key: "blob-esc".into(),
        remote_id: None,
        bytes: vec![1, 2, 3],
        mime: "image/jpeg".into(),
        file_name: "bia.jpg".into(),
        public_url: Some("https://cdn.example.vn/bia.jpg".into()),
        alt: "Ảnh bìa".into(),
    });
    let published = zalo.publish(&out).await.unwrap();
    let token = running.account["access_token"].as_str().unwrap();
    let detail: Value = reqwest::Client::new()
        .get(format!(
            "{}/v2.0/article/getdetail?id={}",
            running.base_url(),
            published.remote_id
        ))
        .header("access_token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = &detail["data"];
    // Zalo shows titles and descriptions as text, the body as HTML.
    assert_eq!(data["title"].as_str(), Some(out.title.as_str()));
    assert_eq!(data["description"].as_str(), Some(out.summary.as_str()));
    let body = data["body"][0]["content"].as_str().unwrap();
    assert!(!body.contains("<img"), "{body}");
    assert_eq!(seen(body), TRICKY);
}
