//! WebAuthn with webauthn-rs: security keys and passkeys, user verification always required
//! (R-AU-02). Ceremony state is returned to the caller to keep server-side (never in a cookie).
//!
//! A key's model (AAGUID) is taken at its word only when its attestation chains to a root of the
//! city's `signin.attestation_roots` (webauthn-rs's `AttestationCaList`, read from a local file:
//! no outbound calls, R-ZN-04); otherwise it is registered as unattested.
//!
//! Sign-in with a passkey is discoverable (the browser offers the person's keys, tobira learns who it
//! is from the key), so the page reveals nothing about which login IDs exist; a step-up lists the
//! signed-in person's own keys.

use super::CryptoError;
use webauthn_rs::prelude::*;

/// The relying party built from the public URL: its host is the RP ID and its origin the only one
/// accepted. On `localhost` (development and tests) any port is accepted.
pub fn relying_party(public_url: &str, name: &str) -> Result<Webauthn, CryptoError> {
    let url = Url::parse(public_url).map_err(|e| CryptoError::Key(format!("http.public_url `{public_url}`: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| CryptoError::Key(format!("http.public_url `{public_url}` has no host")))?
        .to_string();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err(CryptoError::Key(format!("http.public_url `{public_url}`: WebAuthn needs a host name, not an IP address (use e.g. http://localhost:8080 locally)")));
    }
    let localhost = host == "localhost";
    WebauthnBuilder::new(&host, &url)
        .and_then(|b| b.rp_name(name).allow_any_port(localhost).build())
        .map_err(|e| CryptoError::Key(format!("WebAuthn relying party: {e}")))
}

fn err(stage: &str, e: WebauthnError) -> CryptoError {
    CryptoError::Key(format!("WebAuthn {stage}: {e}"))
}

/// Options for registering a new key for `user`, excluding the keys they have. Discoverable keys are
/// preferred so the key can later sign in without a login ID.
pub fn start_registration(
    rp: &Webauthn,
    user: Uuid,
    login_id: &str,
    display_name: &str,
    exclude: Vec<CredentialID>,
    attest: bool,
) -> Result<(CreationChallengeResponse, PasskeyRegistration), CryptoError> {
    let exclude = (!exclude.is_empty()).then_some(exclude);
    let (mut ccr, state) =
        rp.start_passkey_registration(user, login_id, display_name, exclude).map_err(|e| err("registration", e))?;
    if let Some(sel) = ccr.public_key.authenticator_selection.as_mut() {
        sel.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Preferred);
    }
    if attest {
        // Ask for the authenticator's own attestation, to check against the city's roots.
        ccr.public_key.attestation = Some(webauthn_rs_proto::AttestationConveyancePreference::Direct);
    }
    Ok((ccr, state))
}

/// Reads the attestation roots (PEM certificates) the city ships with its policy.
pub fn load_roots(path: &std::path::Path) -> Result<AttestationCaList, CryptoError> {
    let bad = |why: String| CryptoError::Key(format!("signin.attestation_roots {}: {why}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let mut list = AttestationCaList::default();
    for block in text.split_inclusive("-----END CERTIFICATE-----").filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
    {
        let one = AttestationCaList::try_from(block.trim().as_bytes()).map_err(|e| bad(format!("{e}")))?;
        list.union(&one);
    }
    if list.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    Ok(list)
}

/// A registered key, the authenticator model it reported (AAGUID), if any, and whether its
/// attestation was verified against the roots.
pub struct Registered {
    pub passkey: Passkey,
    pub credential_id: String,
    pub aaguid: Option<String>,
    pub attested: bool,
}

/// Checks the browser's answer to [`start_registration`]; with `roots`, also whether the key's
/// attestation chains to one of them (the same answer and challenge, checked as an attested
/// registration by webauthn-rs).
pub fn finish_registration(
    rp: &Webauthn,
    answer: &RegisterPublicKeyCredential,
    state: &PasskeyRegistration,
    roots: Option<&AttestationCaList>,
) -> Result<Registered, CryptoError> {
    let passkey = rp.finish_passkey_registration(answer, state).map_err(|e| err("registration", e))?;
    let credential_id = credential_id_text(passkey.cred_id());
    let aaguid = aaguid_of(answer.response.attestation_object.as_ref());
    let attested = roots.is_some_and(|r| attestation_verifies(rp, answer, state, r));
    Ok(Registered { passkey, credential_id, aaguid, attested })
}

fn attestation_verifies(
    rp: &Webauthn,
    answer: &RegisterPublicKeyCredential,
    state: &PasskeyRegistration,
    roots: &AttestationCaList,
) -> bool {
    // The registration state is the same ceremony; only the CA list differs.
    let Ok(mut v) = serde_json::to_value(state) else { return false };
    let Ok(ca_list) = serde_json::to_value(roots) else { return false };
    v["ca_list"] = ca_list;
    serde_json::from_value::<AttestedPasskeyRegistration>(v)
        .is_ok_and(|attested| rp.finish_attested_passkey_registration(answer, &attested).is_ok())
}

/// The text form (base64url) tobira stores and looks credentials up by.
pub fn credential_id_text(id: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

/// Options for a discoverable sign-in (no login ID needed).
pub fn start_signin(rp: &Webauthn) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), CryptoError> {
    let (mut rcr, state) = rp.start_discoverable_authentication().map_err(|e| err("sign-in", e))?;
    // A plain modal request: the page asks when the person presses the button.
    rcr.mediation = None;
    Ok((rcr, state))
}

/// Which account (user handle) and credential a discoverable answer claims; checked by [`finish_signin`].
pub fn identify(rp: &Webauthn, answer: &PublicKeyCredential) -> Result<(Uuid, String), CryptoError> {
    let (user, cred) = rp.identify_discoverable_authentication(answer).map_err(|e| err("sign-in", e))?;
    Ok((user, credential_id_text(cred)))
}

pub fn finish_signin(
    rp: &Webauthn,
    answer: &PublicKeyCredential,
    state: DiscoverableAuthentication,
    key: &Passkey,
) -> Result<AuthenticationResult, CryptoError> {
    let key = DiscoverableKey::from(key);
    rp.finish_discoverable_authentication_v2(answer, state, &key).map_err(|e| err("sign-in", e))
}

/// Options for a step-up with one of `keys` (the signed-in person's).
pub fn start_stepup(
    rp: &Webauthn,
    keys: &[Passkey],
) -> Result<(RequestChallengeResponse, PasskeyAuthentication), CryptoError> {
    rp.start_passkey_authentication(keys).map_err(|e| err("step-up", e))
}

pub fn finish_stepup(
    rp: &Webauthn,
    answer: &PublicKeyCredential,
    state: &PasskeyAuthentication,
) -> Result<AuthenticationResult, CryptoError> {
    rp.finish_passkey_authentication(answer, state).map_err(|e| err("step-up", e))
}

/// The AAGUID in the attested credential data of a CBOR attestation object, as 8-4-4-4-12 hex.
/// `None` when absent or all zeros (the browser hid the model).
pub fn aaguid_of(attestation_object: &[u8]) -> Option<String> {
    // The object is a CBOR map; its "authData" key (text of 8 bytes: 0x68) is followed by a byte
    // string: rpIdHash (32) | flags (1) | signCount (4) | AAGUID (16) | …
    let key = b"\x68authData";
    let at = attestation_object.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = attestation_object.get(at..)?;
    let (len, skip) = match *rest.first()? {
        b @ 0x40..=0x57 => (usize::from(b - 0x40), 1),
        0x58 => (usize::from(*rest.get(1)?), 2),
        0x59 => (usize::from(u16::from_be_bytes([*rest.get(1)?, *rest.get(2)?])), 3),
        _ => return None,
    };
    let auth = rest.get(skip..skip + len)?;
    let flags = *auth.get(32)?;
    if flags & 0x40 == 0 {
        return None;
    }
    let g = auth.get(37..53)?;
    if g.iter().all(|b| *b == 0) {
        return None;
    }
    let h = hex::encode(g);
    Some(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attestation(flags: u8, aaguid: [u8; 16]) -> Vec<u8> {
        let mut auth = vec![7u8; 32];
        auth.push(flags);
        auth.extend([0, 0, 0, 1]);
        auth.extend(aaguid);
        auth.extend([0, 16]);
        let mut obj = vec![0xa3, 0x63];
        obj.extend(b"fmt");
        obj.extend([0x64]);
        obj.extend(b"none");
        obj.extend([0x67]);
        obj.extend(b"attStmt");
        obj.push(0xa0);
        obj.extend(b"\x68authData");
        obj.push(0x58);
        obj.push(auth.len() as u8);
        obj.extend(auth);
        obj
    }

    #[test]
    fn reads_the_aaguid_of_an_attestation_object() {
        let g = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(aaguid_of(&attestation(0x45, g)).as_deref(), Some("01020304-0506-0708-0102-030405060708"));
        assert_eq!(aaguid_of(&attestation(0x45, [0; 16])), None, "zeros mean hidden");
        assert_eq!(aaguid_of(&attestation(0x05, g)), None, "no attested credential data");
        assert_eq!(aaguid_of(b"garbage"), None);
    }

    #[test]
    fn r_au_02_roots_load_from_pem_and_registration_asks_for_attestation_only_with_them() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("none.pem");
        std::fs::write(&empty, "no certificate here").unwrap();
        assert!(load_roots(&empty).unwrap_err().to_string().contains("no certificate"));
        let rp = relying_party("http://localhost:8080", "t").unwrap();
        let (ccr, _) = start_registration(&rp, Uuid::new_v4(), "ichiro", "ichiro", vec![], false).unwrap();
        assert!(!matches!(
            ccr.public_key.attestation,
            Some(webauthn_rs_proto::AttestationConveyancePreference::Direct)
        ));
        let (ccr, state) = start_registration(&rp, Uuid::new_v4(), "ichiro", "ichiro", vec![], true).unwrap();
        assert!(matches!(ccr.public_key.attestation, Some(webauthn_rs_proto::AttestationConveyancePreference::Direct)));
        // The same ceremony's state, checked as an attested registration against the roots.
        let system_root = std::path::Path::new("/etc/ssl/certs/ISRG_Root_X1.pem");
        if system_root.exists() {
            let roots = load_roots(system_root).unwrap();
            let mut v = serde_json::to_value(&state).unwrap();
            v["ca_list"] = serde_json::to_value(&roots).unwrap();
            assert!(serde_json::from_value::<AttestedPasskeyRegistration>(v).is_ok());
        }
    }

    #[test]
    fn relying_party_needs_a_host_name() {
        assert!(relying_party("http://localhost:8080", "t").is_ok());
        assert!(relying_party("https://id.city.example.lg.jp", "t").is_ok());
        let e = relying_party("http://127.0.0.1:8080", "t").unwrap_err().to_string();
        assert!(e.contains("host name"), "{e}");
    }
}
