//! The token endpoint's answer is read with the same 2 MiB cap as API answers: a larger one is refused with a
//! pt-BR message, and an endless one is not buffered (the client stops reading and drops the connection).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use balcao_core::ErrorCode;
use balcao_core::profile::Profile;
use balcao_gov::{Credentials, GovClient, MAX_BODY};
use balcao_sim::Fault;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn assert_too_large(e: &balcao_core::AppError) {
    assert_eq!(e.code, ErrorCode::Upstream, "{}", e.message);
    assert!(e.message.contains("token"), "names the token request: {}", e.message);
    assert!(e.message.contains("maior que 2 MiB"), "names the cap: {}", e.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_three_mib_token_answer_is_refused_as_too_large() {
    let sim = sim().await;
    sim.inject(Fault::huge_body(3 * 1024 * 1024).on_token_calls());
    let e = serpro(&sim).lookup_cpf(&cpf("40442820135")).await.unwrap_err();
    assert_too_large(&e.error);
    assert!(api_calls(&sim).is_empty(), "no API call without a token");
    sim.shutdown().await;
}

/// A token endpoint that streams a chunked 200 answer for ever (up to 256 MiB) and counts what it managed to send.
async fn endless_token_endpoint(sent: Arc<AtomicU64>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let sent = sent.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = conn.read(&mut buf).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if conn.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let frame = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk, b"\r\n".to_vec()].concat();
                for _ in 0..(256 * 16) {
                    if conn.write_all(&frame).await.is_err() {
                        return;
                    }
                    sent.fetch_add(64 * 1024, Ordering::Relaxed);
                }
                let _ = conn.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_token_answer_is_not_buffered() {
    let sent = Arc::new(AtomicU64::new(0));
    let base = endless_token_endpoint(sent.clone()).await;
    let mut profile = Profile { network: fast_network(), ..Profile::demo(&base) };
    profile.network.max_retries = 0;
    profile.network.total_timeout_ms = 60_000;
    let client = GovClient::new(profile, Credentials::demo()).unwrap();
    let e = client.lookup_cpf(&cpf("40442820135")).await.unwrap_err();
    assert_too_large(&e.error);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let sent = sent.load(Ordering::Relaxed);
    // What was sent is what was read (≤ the cap) plus the kernel's socket buffers; never the 256 MiB offered.
    assert!(sent < 8 * MAX_BODY as u64, "the client kept reading: {sent} bytes sent");
}
