// tobira: the WebAuthn ceremonies of the sign-in and account pages. No framework, no build step.
// Buttons carry data-options (where to get the ceremony's options) and data-finish (where to send
// the browser's answer). The server keeps the ceremony state; this script only carries bytes.
"use strict";
(function () {
  const b64u = {
    toBytes(s) {
      const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
      return Uint8Array.from(b, (c) => c.charCodeAt(0));
    },
    from(buf) {
      const bytes = new Uint8Array(buf);
      let s = "";
      for (const x of bytes) s += String.fromCharCode(x);
      return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
  };
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) throw new Error(data.message || res.statusText);
    return data;
  }
  function creationOptions(o) {
    const pk = o.publicKey;
    pk.challenge = b64u.toBytes(pk.challenge);
    pk.user.id = b64u.toBytes(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = b64u.toBytes(c.id); });
    return { publicKey: pk };
  }
  function requestOptions(o) {
    const pk = o.publicKey;
    pk.challenge = b64u.toBytes(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => { c.id = b64u.toBytes(c.id); });
    return { publicKey: pk };
  }
  function registration(c) {
    return {
      id: c.id, rawId: b64u.from(c.rawId), type: c.type, extensions: {},
      response: {
        attestationObject: b64u.from(c.response.attestationObject),
        clientDataJSON: b64u.from(c.response.clientDataJSON),
        transports: c.response.getTransports ? c.response.getTransports() : [],
      },
    };
  }
  function assertion(c) {
    return {
      id: c.id, rawId: b64u.from(c.rawId), type: c.type, extensions: {},
      response: {
        authenticatorData: b64u.from(c.response.authenticatorData),
        clientDataJSON: b64u.from(c.response.clientDataJSON),
        signature: b64u.from(c.response.signature),
        userHandle: c.response.userHandle ? b64u.from(c.response.userHandle) : null,
      },
    };
  }
  function showError(msg) {
    const el = document.getElementById("js-error");
    if (el) { el.textContent = msg; el.hidden = false; }
  }
  async function ceremony(button, create) {
    button.disabled = true;
    try {
      const start = await post(button.dataset.options);
      let answer;
      if (create) {
        answer = registration(await navigator.credentials.create(creationOptions(start.options)));
      } else {
        answer = assertion(await navigator.credentials.get(requestOptions(start.options)));
      }
      const nameInput = document.getElementById("key-name");
      const done = await post(button.dataset.finish, { handle: start.handle, credential: answer, name: nameInput ? nameInput.value : "" });
      window.location.assign(done.next || "/account");
    } catch (e) {
      showError(e && e.message ? e.message : String(e));
      button.disabled = false;
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    for (const [id, create] of [["passkey-signin", false], ["key-stepup", false], ["key-register", true]]) {
      const b = document.getElementById(id);
      if (b) b.addEventListener("click", () => ceremony(b, create));
    }
  });
})();
