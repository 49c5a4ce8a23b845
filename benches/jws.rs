//! Signing a token: tobira's key ring (key pairs parsed once) against `jsonwebtoken::encode` with the
//! same PKCS#8 key (parsed again for every signature), single thread, for ES256 and EdDSA, and the
//! ring's verification with and without its verified-token cache.
//!
//! `cargo bench --bench jws -- [iterations]` (default 20,000).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly on a broken setup (production code may not)

use serde_json::json;
use std::time::Instant;
use tobira::crypto::jwt::{KeyRing, StoredKey};
use tobira::crypto::master_key::MasterKey;
use tobira::crypto::signing::{self, Alg, SEAL_PURPOSE};

fn per_second(n: usize, f: impl FnMut()) -> f64 {
    let mut f = f;
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let n: usize =
        std::env::args().filter(|a| !a.starts_with("--")).nth(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let master = MasterKey::from_bytes(&[9; 32]);
    let claims = json!({ "iss": "https://id.city.example", "aud": "zeimu", "sub": "client:zeimu-batch", "client_id": "zeimu-batch", "iat": 1_800_000_000, "exp": 1_800_000_600, "jti": "2kq8cV1oMZ0aL3nX9yTq5eR7uI4oP6aS8dF0gH2jK4l", "scope": "" });
    for (alg, jalg) in [(Alg::Es256, jsonwebtoken::Algorithm::ES256), (Alg::EdDsa, jsonwebtoken::Algorithm::EdDSA)] {
        let k = signing::generate(alg, &master).unwrap();
        let pkcs8 = master.open(SEAL_PURPOSE, &k.private_sealed).unwrap();
        let row = StoredKey {
            kid: k.kid.clone(),
            alg: alg.as_str().into(),
            private_sealed: k.private_sealed,
            public_b64: k.public_b64,
            created_at: 0,
            retired_at: None,
        };
        let ring = KeyRing::load(&[row], &master, 1, 1).unwrap();
        let ring_rate = per_second(n, || {
            ring.sign(alg, "at+jwt", &claims).unwrap();
        });
        let key = match alg {
            Alg::Es256 => jsonwebtoken::EncodingKey::from_ec_der(&pkcs8),
            _ => jsonwebtoken::EncodingKey::from_ed_der(&pkcs8),
        };
        let mut header = jsonwebtoken::Header::new(jalg);
        header.kid = Some(k.kid.clone());
        let jwt_rate = per_second(n, || {
            jsonwebtoken::encode(&header, &claims, &key).unwrap();
        });
        let token = ring.sign(alg, "at+jwt", &claims).unwrap();
        let cached = per_second(n, || {
            ring.verify(&token).unwrap();
        });
        let tokens: Vec<String> =
            (0..n.min(5_000)).map(|i| ring.sign(alg, "at+jwt", &json!({ "jti": i })).unwrap()).collect();
        let mut it = tokens.iter().cycle();
        let uncached = per_second(tokens.len(), || {
            ring.verify(it.next().unwrap()).unwrap();
        });
        println!(
            "{}: sign — key ring {:.0}/s, jsonwebtoken::encode {:.0}/s (ratio {:.2}); verify — first time {:.0}/s, again (cached) {:.0}/s",
            alg.as_str(),
            ring_rate,
            jwt_rate,
            ring_rate / jwt_rate,
            uncached,
            cached
        );
    }
}
