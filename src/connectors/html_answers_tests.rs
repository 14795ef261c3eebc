//! Answers that are not what the API promises: a proxy's HTML error page before any work, a
//! 200 with a maintenance page, a JSON body cut in half after the work was done. None of them
//! is ever taken for success; a create that cannot be told apart from a lost answer is
//! ambiguous (looked up before any resend), and a read is simply retried.

use std::time::Duration;

use super::{Connector, Failure, Image, Outgoing, http_client};
use crate::sandbox::{self, Fault, Running};

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

fn out(nonce: &str) -> Outgoing {
    Outgoing {
        nonce: nonce.into(),
        title: format!("Tin {nonce}"),
        summary: "Tóm tắt".into(),
        body: format!("Nội dung {nonce} về công khai ngân sách."),
        link: None,
        hashtags: vec![],
        image: Some(Image {
            key: "blob-html".into(),
            remote_id: None,
            bytes: jpeg(),
            mime: "image/jpeg".into(),
            file_name: "bia.jpg".into(),
            public_url: Some("https://cdn.example.vn/bia.jpg".into()),
            alt: "Ảnh bìa".into(),
        }),
    }
}

async fn connectors() -> Vec<(Running, Box<dyn Connector>)> {
    let any = "127.0.0.1:0".parse().unwrap();
    let mut all = Vec::new();
    for running in [
        sandbox::facebook::spawn(any).await.unwrap(),
        sandbox::zalo::spawn(any).await.unwrap(),
        sandbox::mastodon::spawn(any).await.unwrap(),
        sandbox::telegram::spawn(any).await.unwrap(),
    ] {
        let creds = sandbox::accounts::credentials(&running);
        let c = super::connector(&http_client(Duration::from_secs(2)), &creds);
        all.push((running, c));
    }
    all
}

#[tokio::test]
async fn html_and_cut_answers_are_never_success() {
    for (running, connector) in connectors().await {
        let kind = running.kind;
        for (i, fault) in [Fault::HtmlError, Fault::HtmlOk, Fault::CommitThenTruncate]
            .into_iter()
            .enumerate()
        {
            running.sim.force_next(fault);
            let outcome = connector.publish(&out(&format!("{i}"))).await;
            match outcome {
                Err(Failure::Ambiguous { .. }) => {}
                // An upload step that fails before the post is made is provably harmless.
                Err(Failure::Retryable { ref reason, .. }) if reason.contains("upload") => {}
                other => panic!("{kind:?} {fault:?}: expected ambiguous, got {other:?}"),
            }
            if kind == super::Kind::Telegram {
                continue; // the Bot API has no listing to read
            }
            running.sim.force_next(fault);
            match connector.find(&out("read"), 0).await {
                Err(Failure::Retryable { .. }) => {}
                other => panic!("{kind:?} {fault:?} on a read: expected retryable, got {other:?}"),
            }
        }
    }
}
