// Reference provider for the token-issuance benchmark: panva's oidc-provider 9 as a 2-worker
// node:cluster on 127.0.0.1:$PORT (default 3900), issuer http://127.0.0.1:$PORT.
//
//   PORT=3900 FORMAT=jwt node reference.mjs      # FORMAT=jwt (default) or opaque
//
// One client, `bench` (secret $CLIENT_SECRET, default below), grant client_credentials, auth
// client_secret_basic. Token endpoint POST /token, introspection POST /token/introspection.
//
// FORMAT=jwt: every client_credentials token is bound to the default resource urn:tobira:bench and
// issued as an ES256-signed JWT (`at+jwt`). oidc-provider does not store JWT access tokens, so its
// introspection answers {"active":false} for them: benchmark introspection with FORMAT=opaque.
// FORMAT=opaque: no resource, opaque 43-character tokens kept in the store below.
//
// The primary generates the ES256 key once and hands it to both workers (env), so both sign with
// the same key. Opaque tokens live in a store replicated across the workers: each worker keeps the
// whole store in memory and sends every write to the primary, which relays it to the other workers
// (one IPC message per stored token, none per lookup), so a token issued by one worker can be
// introspected by the other. Replication is asynchronous (sub-millisecond here); a lookup never
// leaves its worker. WORKERS (default 2) sets the number of workers.
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import http from 'node:http';

const PORT = Number(process.env.PORT || 3900);
const HOST = '127.0.0.1';
const WORKERS = Number(process.env.WORKERS || 2);
const FORMAT = process.env.FORMAT || 'jwt';
const CLIENT_ID = process.env.CLIENT_ID || 'bench';
const CLIENT_SECRET = process.env.CLIENT_SECRET || 'bench-secret-5f0c1e2a9b7d4c3e8a6f1b2d0c9e7a4b';
const RESOURCE = 'urn:tobira:bench';
const STORE_MAX = 200_000; // entries each worker keeps (oldest dropped first)

if (!['jwt', 'opaque'].includes(FORMAT)) {
  console.error(`reference: FORMAT must be jwt or opaque, not ${FORMAT}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------- primary
if (cluster.isPrimary) {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
  const cookieKey = crypto.randomBytes(32).toString('base64url');

  let ready = 0;
  let stopping = false;
  for (let i = 0; i < WORKERS; i += 1) {
    const w = cluster.fork({ BENCH_JWK: JSON.stringify(jwk), BENCH_COOKIE_KEY: cookieKey });
    w.on('message', (m) => {
      switch (m.t) {
        case 'ready':
          ready += 1;
          if (ready === WORKERS) {
            console.log(`reference: oidc-provider ${m.version}, ${WORKERS} workers, FORMAT=${FORMAT}, listening on http://${HOST}:${PORT}`);
          }
          break;
        case 'set':
        case 'del':
          for (const o of Object.values(cluster.workers)) if (o !== w) o.send(m);
          break;
        default: break;
      }
    });
  }
  cluster.on('exit', (w, code, signal) => {
    if (!stopping) {
      console.error(`reference: worker ${w.process.pid} died (${signal || code}); stopping`);
      shutdown(1);
    }
  });
  const shutdown = (code = 0) => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    setTimeout(() => process.exit(code), 300).unref();
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
} else {
// ----------------------------------------------------------------------------------------- worker
  const { default: Provider } = await import('oidc-provider');
  const { createRequire } = await import('node:module');
  const { version } = createRequire(import.meta.url)('oidc-provider/package.json');

  const store = new Map(); // key -> { payload, exp (ms epoch, or Infinity) }
  const put = (k, payload, exp) => {
    store.delete(k);
    store.set(k, { payload, exp: exp ?? Infinity });
    if (store.size > STORE_MAX) store.delete(store.keys().next().value);
  };
  const get = (k) => {
    const e = store.get(k);
    if (!e) return undefined;
    if (e.exp <= Date.now()) { store.delete(k); return undefined; }
    return e.payload;
  };
  process.on('message', (m) => {
    if (m.t === 'set') put(m.k, m.p, m.e);
    else if (m.t === 'del') store.delete(m.k);
  });

  // The oidc-provider adapter interface over the replicated store. client_credentials and
  // introspection use upsert and find; the rest is here for completeness.
  class ReplicatedAdapter {
    constructor(model) { this.model = model; }

    key(id) { return `${this.model}:${id}`; }

    async upsert(id, payload, expiresIn) {
      const m = { t: 'set', k: this.key(id), p: payload, e: expiresIn ? Date.now() + expiresIn * 1000 : undefined };
      put(m.k, m.p, m.e);
      process.send(m);
    }

    async find(id) { return get(this.key(id)); }

    async findByUserCode() { return undefined; } // device flow only

    async findByUid() { return undefined; } // sessions only

    async consume(id) {
      const k = this.key(id);
      const e = store.get(k);
      if (!e) return;
      const m = { t: 'set', k, p: { ...e.payload, consumed: Math.floor(Date.now() / 1000) }, e: e.exp === Infinity ? undefined : e.exp };
      put(m.k, m.p, m.e);
      process.send(m);
    }

    async destroy(id) {
      const m = { t: 'del', k: this.key(id) };
      store.delete(m.k);
      process.send(m);
    }

    async revokeByGrantId() {} // no grants in client_credentials
  }

  const jwk = JSON.parse(process.env.BENCH_JWK);
  const issuer = `http://${HOST}:${PORT}`;
  const provider = new Provider(issuer, {
    adapter: ReplicatedAdapter,
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [process.env.BENCH_COOKIE_KEY] },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A confidential client may introspect the tokens issued to it.
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf || (FORMAT === 'jwt' ? RESOURCE : undefined),
        useGrantedResource: async () => false,
        getResourceServerInfo: async (ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
          return {
            scope: '',
            audience: RESOURCE,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: { ClientCredentials: 600 },
  });

  // Quiet: nothing per request; server errors are counted and the first few printed.
  let errors = 0;
  provider.on('server_error', (ctx, err) => {
    errors += 1;
    if (errors <= 5) console.error(`reference[${process.pid}] server_error: ${err?.stack || err}`);
  });

  const server = http.createServer(provider.callback());
  server.keepAliveTimeout = 65_000;
  server.listen(PORT, HOST, () => process.send({ t: 'ready', version }));
  process.on('SIGTERM', () => {
    if (errors > 5) console.error(`reference[${process.pid}] ${errors} server errors in all`);
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  });
}
