//! The browser driver on its own, against a tiny HTTP server: a GET form round trip with a cookie,
//! and a virtual authenticator creating and using a passkey, refusing when the user is not verified.

use crate::browser::{AuthenticatorOptions, Browser};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const FORM: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>form</title></head><body>
<form method="get" action="/echo"><input id="x" name="x"><button id="go" type="submit">Go</button></form>
</body></html>"#;

/// Serves `FORM` at `/` and echoes `x` at `/echo` (setting a cookie) on a background thread; the base
/// URL uses the host name `localhost`, a secure context for WebAuthn.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // A thread each: chromium opens speculative connections that may never send a request.
            std::thread::spawn(move || answer(stream));
        }
    });
    format!("http://localhost:{port}")
}

fn answer(mut stream: TcpStream) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let target = request_line.split(' ').nth(1).unwrap_or("/");
    let (status, extra, body) = match target.split_once('?') {
        None if target == "/" => ("200 OK", "", FORM.to_string()),
        Some(("/echo", query)) => {
            let x = query.split('&').find_map(|p| p.strip_prefix("x=")).unwrap_or("");
            let x = x.replace('+', " ").replace('<', "&lt;");
            (
                "200 OK",
                "Set-Cookie: t=1; Path=/; HttpOnly; SameSite=Strict\r\n",
                format!("<!doctype html><body><p id=\"echo\">echo: {x}</p></body>"),
            )
        }
        _ => ("404 Not Found", "", String::new()),
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n", body.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
}

#[test]
fn browser_drives_a_form() {
    let started = Instant::now();
    let base = serve();
    let browser = Browser::start();
    let page = browser.new_page();
    page.goto(&format!("{base}/"));
    assert_eq!(page.eval("document.title"), "form");
    page.fill("#x", "hello world");
    page.submit_and_wait("#go");
    assert_eq!(page.url(), format!("{base}/echo?x=hello+world"));
    assert_eq!(page.text(), "echo: hello world");
    let cookies = page.cookies();
    let t = cookies.iter().find(|c| c["name"] == "t").expect("cookie t");
    assert_eq!((t["httpOnly"].as_bool(), t["sameSite"].as_str()), (Some(true), Some("Strict")));
    // Back to the form by navigation, and a script error is reported, not swallowed.
    page.goto(&format!("{base}/"));
    assert_eq!(page.path(), "/");
    assert!(page.try_eval("nope()").unwrap_err().contains("ReferenceError"));
    eprintln!("browser_drives_a_form: {:?}", started.elapsed());
}

const CREATE: &str = "navigator.credentials.create({ publicKey: {
    rp: { id: 'localhost', name: 't' }, user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'u' },
    challenge: new Uint8Array(32), pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' } } })
  .then(c => ({ id: c.id, type: c.type, uv: (new Uint8Array(c.response.getAuthenticatorData())[32] & 4) !== 0 }))";

const GET: &str = "navigator.credentials.get({ publicKey: {
    rpId: 'localhost', challenge: new Uint8Array(32), userVerification: 'required', timeout: 5000 } })
  .then(c => ({ id: c.id, uv: (new Uint8Array(c.response.authenticatorData)[32] & 4) !== 0 }), e => e.name)";

#[test]
fn browser_virtual_authenticator_creates_and_uses_a_passkey() {
    let started = Instant::now();
    let base = serve();
    let browser = Browser::start();
    let page = browser.new_page();
    page.goto(&format!("{base}/"));
    let key = page.add_virtual_authenticator(AuthenticatorOptions::default());

    let created = page.eval(CREATE);
    assert_eq!(created["type"], "public-key", "{created}");
    assert_eq!(created["uv"], true, "the authenticator verified the user: {created}");
    let stored = page.credentials(&key);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0]["isResidentCredential"], true);

    let got = page.eval(GET);
    assert_eq!((got["id"].clone(), got["uv"].clone()), (created["id"].clone(), true.into()), "{got}");

    page.set_user_verified(&key, false);
    assert_eq!(page.eval(GET), "NotAllowedError", "user verification is required and fails");

    page.remove_virtual_authenticator(&key);
    eprintln!("browser_virtual_authenticator_creates_and_uses_a_passkey: {:?}", started.elapsed());
}
