"""A business system that is not tobira's: a small Flask app signing its users in with Authlib's
stock OpenID Connect client, as a city's vendor would write it. The browser tests start it on
127.0.0.1 (another origin than tobira's http://localhost) and drive it in Chromium.

Configuration from the environment: RP_ISSUER, RP_CLIENT_ID, RP_CLIENT_SECRET, RP_PORT.

Routes:
  /login?scope=…&prompt=…&max_age=…&acr_values=…   starts the code flow (PKCE S256, nonce, state)
  /cb          the redirect URI: exchanges the code, validates the ID token (Authlib: signature,
               iss, aud, exp, nonce, at_hash) and shows what it received as JSON in #result
  /refresh     refreshes the token and shows the answer; /refresh-old replays the previous refresh
               token and shows the error
  /userinfo    calls the UserInfo endpoint with the access token
  /logout      RP-initiated logout with id_token_hint, post_logout_redirect_uri and state
  /bye         the post-logout redirect URI
  /backchannel the back-channel logout URI: verifies the logout token (signature against the JWKS,
               iss, aud, iat, events, no nonce) and keeps its claims
  /backchannel/log   the claims of every verified logout token, as JSON
"""

import json
import warnings
import os
import secrets
import sys
import threading

import requests
warnings.filterwarnings("ignore")  # Authlib announces its move to joserfc; the tests read their own output

from authlib.integrations.flask_client import OAuth
from authlib.jose import JsonWebKey, jwt
from flask import Flask, abort, redirect, request, session
from markupsafe import escape

ISSUER = os.environ["RP_ISSUER"]
PORT = int(os.environ["RP_PORT"])
BASE = f"http://127.0.0.1:{PORT}"
CLIENT_ID = os.environ["RP_CLIENT_ID"]

app = Flask(__name__)
app.secret_key = secrets.token_bytes(32)
oauth = OAuth(app)
oauth.register(
    "tobira",
    client_id=CLIENT_ID,
    client_secret=os.environ["RP_CLIENT_SECRET"],
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile email offline_access", "code_challenge_method": "S256"},
)

# Tokens by the browser session's id (kept server-side: a cookie would be too small).
TOKENS = {}
PREVIOUS_REFRESH = {}
BACKCHANNEL = []
LOCK = threading.Lock()


def page(result):
    body = escape(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>RP</title></head><body><pre id="result">{body}</pre></body></html>'


def sid():
    if "sid" not in session:
        session["sid"] = secrets.token_urlsafe(16)
    return session["sid"]


@app.route("/login")
def login():
    extra = {k: v for k, v in request.args.items() if k in ("prompt", "max_age", "acr_values", "scope")}
    return oauth.tobira.authorize_redirect(f"{BASE}/cb", **extra)


@app.route("/cb")
def callback():
    if "error" in request.args:
        return page({"error": request.args["error"], "error_description": request.args.get("error_description"), "state_ok": True})
    token = oauth.tobira.authorize_access_token()
    with LOCK:
        TOKENS[sid()] = token
    claims = dict(token["userinfo"])
    return page({"claims": claims, "scope": token.get("scope"), "has_refresh": "refresh_token" in token, "token_type": token.get("token_type")})


@app.route("/refresh")
def refresh():
    with LOCK:
        token = TOKENS.get(sid())
    if not token or "refresh_token" not in token:
        abort(400)
    new = oauth.tobira.fetch_access_token(grant_type="refresh_token", refresh_token=token["refresh_token"])
    with LOCK:
        PREVIOUS_REFRESH[sid()] = token["refresh_token"]
        merged = dict(token)
        merged.update(new)
        TOKENS[sid()] = merged
    return page({"rotated": new.get("refresh_token") not in (None, token["refresh_token"]), "has_id_token": "id_token" in new, "scope": new.get("scope")})


@app.route("/refresh-old")
def refresh_old():
    """Replays the refresh token that /refresh used: the OP must refuse it and end the family."""
    meta = oauth.tobira.load_server_metadata()
    with LOCK:
        old = PREVIOUS_REFRESH.get(sid())
    r = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": old}, auth=(CLIENT_ID, os.environ["RP_CLIENT_SECRET"]), timeout=10)
    return page({"status": r.status_code, "body": r.json()})


@app.route("/userinfo")
def userinfo():
    with LOCK:
        token = TOKENS.get(sid())
    meta = oauth.tobira.load_server_metadata()
    r = requests.get(meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    return page({"status": r.status_code, "body": r.json() if r.status_code == 200 else r.text})


@app.route("/logout")
def logout():
    with LOCK:
        token = TOKENS.get(sid())
    meta = oauth.tobira.load_server_metadata()
    params = {"post_logout_redirect_uri": f"{BASE}/bye", "state": "bye-1"}
    if token and request.args.get("hint", "1") == "1":
        params["id_token_hint"] = token["id_token"]
    else:
        params["client_id"] = CLIENT_ID
    return redirect(meta["end_session_endpoint"] + "?" + requests.compat.urlencode(params))


@app.route("/bye")
def bye():
    return page({"signed_out": True, "state": request.args.get("state")})


@app.route("/backchannel", methods=["POST"])
def backchannel():
    meta = oauth.tobira.load_server_metadata()
    keys = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(request.form["logout_token"], keys, claims_options={"iss": {"essential": True, "value": ISSUER}, "aud": {"essential": True, "value": CLIENT_ID}, "iat": {"essential": True}})
    claims.validate()
    if "http://schemas.openid.net/event/backchannel-logout" not in claims.get("events", {}) or "nonce" in claims or not (claims.get("sid") or claims.get("sub")):
        abort(400)
    with LOCK:
        BACKCHANNEL.append(dict(claims))
    return ""


@app.route("/backchannel/log")
def backchannel_log():
    with LOCK:
        return json.dumps(BACKCHANNEL)


if __name__ == "__main__":
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print("ready", flush=True)
    # The test reads one line and closes the pipe: nothing more may be written to it.
    sys.stdout = open(os.devnull, "w")
    os.dup2(sys.stdout.fileno(), 1)
    app.run(host="127.0.0.1", port=PORT, threaded=True)
