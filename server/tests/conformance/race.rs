//! Simultaneous redemptions of one token: exactly one wins.

use futures::future::join_all;

use crate::common::TestServer;

const TOKENS: usize = 50;
const VERIFIES_PER_TOKEN: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_verifies_redeem_once() {
    let server = TestServer::start().await;
    let (mut device, _) = server.signed_up("race@example.test").await;
    let sessions_before = server.count("session").await;

    for round in 0..TOKENS {
        let token = device.generate().await;
        let attempts = (0..VERIFIES_PER_TOKEN).map(|_| {
            let mut client = server.device();
            let token = token.clone();
            async move { client.verify(&token).await }
        });
        let replies = join_all(attempts).await;
        let successes = replies.iter().filter(|reply| reply.status == 200).count();
        assert_eq!(successes, 1, "round {round}: exactly one redemption wins");
        for reply in replies.iter().filter(|reply| reply.status != 200) {
            reply.assert_error(400, "INVALID_TOKEN", "Invalid token");
        }
    }
    assert_eq!(server.count("session").await, sessions_before + TOKENS as i64);
    assert_eq!(server.count("verification").await, 0);
}
