#!/usr/bin/env node
// Signs a file with sigstore-js (npm `sigstore`) through mock-sigstore.mjs:
// an ephemeral P-256 key, a certificate from the mock CA for an OIDC
// identity, and a hashedrekord entry in the mock's Rekor log. Writes the
// bundle as JSON (sigstore-js writes a v0.2 bundle with a one-certificate
// x509CertificateChain).
//
// Usage: node sign-js.mjs <trust_config.json> <artifact> <bundle-out> [identity] [issuer]
//
// <trust_config.json> is the file mock-sigstore.mjs wrote (its service URLs
// are read from it). The certificate's SAN is a URI SAN equal to <identity>
// (default https://editors.officine.test/alice) and its OIDC-issuer
// extensions carry <issuer> (default https://issuer.officine.test).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sigstore = require('sigstore');

const [
  trustConfigPath,
  artifact,
  out,
  identity = 'https://editors.officine.test/alice',
  issuer = 'https://issuer.officine.test',
] = process.argv.slice(2);
if (!trustConfigPath || !artifact || !out) {
  process.stderr.write('usage: node sign-js.mjs <trust_config.json> <artifact> <bundle-out> [identity] [issuer]\n');
  process.exit(2);
}

// An OIDC identity token as the mock CA wants it: it reads `sub` (the SAN)
// and `iss` without checking the signature, which is made with a throwaway
// key so that the token has the usual form.
function mintToken(subject, tokenIssuer) {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${enc({ alg: 'ES256', typ: 'JWT' })}.${enc({
    iss: tokenIssuer,
    sub: subject,
    aud: 'sigstore',
    iat: now,
    nbf: now,
    exp: now + 600,
  })}`;
  const sig = crypto.sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${sig.toString('base64url')}`;
}

try {
  const { signingConfig } = JSON.parse(fs.readFileSync(trustConfigPath, 'utf8'));
  const bundle = await sigstore.sign(fs.readFileSync(artifact), {
    fulcioURL: signingConfig.caUrls[0].url,
    rekorURL: signingConfig.rekorTlogUrls[0].url,
    identityToken: mintToken(identity, issuer),
    timeout: 10_000,
    retry: 0,
  });
  fs.writeFileSync(out, JSON.stringify(bundle, null, 2) + '\n');
} catch (e) {
  process.stderr.write(`sign-js: ${e.stack || e}\n`);
  if (e.cause) process.stderr.write(`sign-js: caused by: ${e.cause.stack || e.cause}\n`);
  process.exit(1);
}
