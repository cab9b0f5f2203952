#!/usr/bin/env node
// Serves @sigstore/mock's certificate authority (Fulcio API), its CT log and
// its transparency log (Rekor API) on 127.0.0.1, on an ephemeral port.
//
// Usage: node mock-sigstore.mjs <path/to/trusted_root.json>
//
// Writes the trusted root (the CA's root certificate, the CT log key, the
// Rekor log key) to the given path and, beside it in the same directory:
//   signing_config.json  the service URLs (Sigstore signing config v0.2)
//   trust_config.json    both together (sigstore-python's client trust config)
// then prints one JSON line on stdout when it is ready:
//   {"url":"http://127.0.0.1:PORT","port":PORT,"trustedRoot":"...",
//    "signingConfig":"...","trustConfig":"..."}
// and serves until its standard input closes (or on SIGTERM/SIGINT): start
// it with stdin as a pipe and close the pipe to stop it. With stdin at
// /dev/null it stops at once.
//
// Endpoints: POST /api/v2/signingCert (Fulcio), POST /api/v1/log/entries
// (Rekor v1: hashedrekord, dsse, intoto as the mock accepts them).
//
// Fixes over the bare mock, so that real clients work with it as with the
// real services:
//   - Fulcio: the OIDC token may come as "Authorization: Bearer" (as
//     sigstore-python sends it) instead of in the body;
//   - Fulcio: a CSR may come base64-encoded (protobuf JSON bytes, as
//     sigstore-python sends it) instead of as PEM text;
//   - Fulcio: returned certificates are PEM with 64-column lines and LF
//     endings (the mock returns one long line; sigstore-js copies that PEM
//     into its Rekor entry, and sigstore-python then refuses the bundle
//     because the logged PEM differs from the canonical PEM of the
//     bundle's certificate);
//   - Rekor: the PEM inside a hashedrekord entry is re-encoded in that same
//     canonical form;
//   - Rekor: entries go into a real RFC 6962 Merkle tree (seeded with a few
//     filler leaves), so each entry's logIndex is its place in the tree and
//     its inclusion proof has real hashes under a checkpoint of the whole
//     tree (the bare mock proves every entry as index 0 of a one-leaf tree).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mock = require('@sigstore/mock');
// RFC 8785 JSON canonicalization: the mock's own dependency, same version.
const canonicalize = require('canonicalize');

const rootPath = process.argv[2];
if (!rootPath || process.argv.length !== 3) {
  process.stderr.write('usage: node mock-sigstore.mjs <path/to/trusted_root.json>\n');
  process.exit(2);
}
const outDir = path.dirname(path.resolve(rootPath));
fs.mkdirSync(outDir, { recursive: true });

// ---------------------------------------------------------------- helpers

const b64 = (buf) => Buffer.from(buf).toString('base64');

function pemWrap(der, label = 'CERTIFICATE') {
  const body = b64(der).match(/.{1,64}/g).join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function pemToDer(pem) {
  return Buffer.from(
    pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, ''),
    'base64'
  );
}

// Re-encodes every PEM block of a text in the canonical form.
function canonicalPem(text) {
  return text.replace(
    /-----BEGIN ([^-]+)-----([\s\S]*?)-----END \1-----\s*/g,
    (_m, label, body) => pemWrap(Buffer.from(body.replace(/\s+/g, ''), 'base64'), label)
  );
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------- request fixes

function fixFulcioRequest(body, headers) {
  const json = JSON.parse(body);
  const auth = headers['authorization'];
  if (!json.credentials?.oidcIdentityToken && auth?.startsWith('Bearer ')) {
    json.credentials = { oidcIdentityToken: auth.slice('Bearer '.length).trim() };
  }
  const csr = json.certificateSigningRequest;
  if (typeof csr === 'string' && !csr.trimStart().startsWith('-----')) {
    json.certificateSigningRequest = Buffer.from(csr, 'base64').toString('utf8');
  }
  return JSON.stringify(json);
}

function fixFulcioResponse(response) {
  const json = JSON.parse(response);
  const chain = json.signedCertificateEmbeddedSct?.chain;
  if (chain) {
    chain.certificates = chain.certificates.map((pem) => pemWrap(pemToDer(pem)));
  }
  return JSON.stringify(json);
}

function fixRekorRequest(body) {
  const json = JSON.parse(body);
  if (json.kind === 'hashedrekord' && json.spec?.signature?.publicKey?.content) {
    const pem = Buffer.from(json.spec.signature.publicKey.content, 'base64').toString('utf8');
    json.spec.signature.publicKey.content = b64(canonicalPem(pem));
  }
  return JSON.stringify(json);
}

// ---------------------------------------------------------------- services

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const url = `http://127.0.0.1:${port}`;

// Trust material starts a minute in the past so that clock granularity
// never puts a fresh signature before it.
const validFrom = new Date(Date.now() - 60_000);

const caKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ctKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rekorKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });

const ctlog = await mock.initializeCTLog(ctKey);
const ca = await mock.initializeCA(caKey, ctlog);
// The log names itself (checkpoint origin and signature name) after the
// host:port of this URL.
const tlog = await mock.initializeTLog(url, rekorKey);

// ---------------------------------------------------------------- Merkle log

const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const leafHash = (body) => sha256(Buffer.from([0]), body);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const split = (n) => 2 ** Math.floor(Math.log2(n - 1)); // largest power of 2 < n

function treeHash(leaves) {
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

function inclusionPath(m, leaves) {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...inclusionPath(m, leaves.slice(0, k)), treeHash(leaves.slice(k))]
    : [...inclusionPath(m - k, leaves.slice(k)), treeHash(leaves.slice(0, k))];
}

const SEED_LEAVES = 5;
const leaves = Array.from({ length: SEED_LEAVES }, () => leafHash(crypto.randomBytes(32)));
const treeID = crypto.randomInt(2 ** 47);
const logHost = new URL(url).host;
const rekorLogID = sha256(rekorKey.publicKey.export({ format: 'der', type: 'spki' }));

// Same response shape as the mock's TLogImpl.log (Rekor v1 LogEntry).
tlog.log = async function log(proposedEntry) {
  const body = Buffer.from(canonicalize(proposedEntry));
  const logIndex = leaves.length;
  leaves.push(leafHash(body));
  const treeSize = leaves.length;
  const rootHash = treeHash(leaves);
  const timestamp = Math.floor(Date.now() / 1000);
  const set = tlog.calculateSET({ body, timestamp, logIndex, logID: rekorLogID });
  const note = `${logHost} - ${treeID}\n${treeSize}\n${rootHash.toString('base64')}\n`;
  const sig = crypto.sign('sha256', Buffer.from(note), rekorKey.privateKey);
  const hintAndSig = Buffer.concat([rekorLogID.subarray(0, 4), sig]);
  const checkpoint = `${note}\n\u2014 ${logHost} ${hintAndSig.toString('base64')}\n`;
  return {
    [crypto.randomBytes(32).toString('hex')]: {
      body: body.toString('base64'),
      integratedTime: timestamp,
      logID: rekorLogID.toString('hex'),
      logIndex,
      verification: {
        inclusionProof: {
          logIndex,
          treeSize,
          rootHash: rootHash.toString('hex'),
          hashes: inclusionPath(logIndex, leaves).map((h) => h.toString('hex')),
          checkpoint,
        },
        signedEntryTimestamp: set.toString('base64'),
      },
    },
  };
};

const routes = {
  '/api/v2/signingCert': {
    handler: mock.fulcioHandler(ca),
    fixRequest: fixFulcioRequest,
    fixResponse: fixFulcioResponse,
  },
  '/api/v1/log/entries': {
    handler: mock.rekorHandler(tlog),
    fixRequest: fixRekorRequest,
  },
};

server.on('request', async (req, res) => {
  const route = routes[req.url];
  if (req.method !== 'POST' || !route) {
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: 404, message: `no route: ${req.method} ${req.url}` }));
    return;
  }
  try {
    let body = await readBody(req);
    if (route.fixRequest) body = route.fixRequest(body, req.headers);
    const { statusCode, response, contentType } = await route.handler.fn(body);
    const out = statusCode < 300 && route.fixResponse ? route.fixResponse(response) : response;
    if (statusCode >= 300) process.stderr.write(`mock-sigstore: ${req.url}: ${statusCode} ${response}\n`);
    res.writeHead(statusCode, { 'Content-Type': contentType || 'text/plain' });
    res.end(statusCode >= 300 ? JSON.stringify({ code: statusCode, message: String(response) }) : out);
  } catch (e) {
    process.stderr.write(`mock-sigstore: ${req.url}: ${e.stack || e}\n`);
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: 400, message: String(e.message || e) }));
  }
});

// ---------------------------------------------------------------- trust files

const rekorDer = rekorKey.publicKey.export({ format: 'der', type: 'spki' });
const ctDer = ctKey.publicKey.export({ format: 'der', type: 'spki' });
const validFor = { start: validFrom.toISOString() };

const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [
    {
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(rekorDer), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
      logId: { keyId: b64(sha256(rekorDer)) },
    },
  ],
  certificateAuthorities: [
    {
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: url,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
      validFor,
    },
  ],
  ctlogs: [
    {
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(ctDer), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor },
      logId: { keyId: b64(sha256(ctDer)) },
    },
  ],
  timestampAuthorities: [],
};

const service = { url, majorApiVersion: 1, validFor, operator: 'mock-sigstore' };
const signingConfig = {
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: [service],
  oidcUrls: [],
  rekorTlogUrls: [service],
  rekorTlogConfig: { selector: 'ANY' },
  tsaUrls: [],
  tsaConfig: { selector: 'ANY' },
};

const trustConfig = {
  mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
  trustedRoot,
  signingConfig,
};

const files = {
  trustedRoot: path.resolve(rootPath),
  signingConfig: path.resolve(outDir, 'signing_config.json'),
  trustConfig: path.resolve(outDir, 'trust_config.json'),
};
fs.writeFileSync(files.trustedRoot, JSON.stringify(trustedRoot, null, 2) + '\n');
fs.writeFileSync(files.signingConfig, JSON.stringify(signingConfig, null, 2) + '\n');
fs.writeFileSync(files.trustConfig, JSON.stringify(trustConfig, null, 2) + '\n');

// ---------------------------------------------------------------- lifetime

function shutdown() {
  server.close();
  process.exit(0);
}
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

process.stdout.write(JSON.stringify({ url, port, ...files }) + '\n');
