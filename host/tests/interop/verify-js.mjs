#!/usr/bin/env node
// Verifies a managed-key Sigstore bundle with sigstore-js (@sigstore/verify),
// against a trusted root given as a file, and a public key given as PEM.
//
// Usage: node verify-js.mjs <artifact> <bundle.json> <trusted_root.json> <public-key.pem> [--hint HINT]
//
// Exit 0 when the bundle verifies; otherwise 1 with the reason on stderr
// (2 for a usage error).
//
// What is checked (all by @sigstore/verify): the bundle's form, the log
// entry's inclusion proof and signed checkpoint against the trusted root's
// transparency logs, that the entry's body matches the bundle's digest and
// signature, at least one log entry, and the signature over the artifact with
// the given key. The bundle's key hint is shown to sigstore-js's key lookup,
// which answers with the given key whatever the hint unless --hint is given,
// in which case any other hint is refused.
//
// No timestamp is required (timestampThreshold 0): a Rekor v2 entry carries
// no signed time, and a managed key has no validity window to check one
// against.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial, VerificationError } = require('@sigstore/verify');

const args = process.argv.slice(2);
let expectedHint;
const hintAt = args.indexOf('--hint');
if (hintAt >= 0) {
  expectedHint = args[hintAt + 1];
  args.splice(hintAt, 2);
}
const [artifactPath, bundlePath, rootPath, keyPath] = args;
if (!artifactPath || !bundlePath || !rootPath || !keyPath || args.length !== 4 || (hintAt >= 0 && !expectedHint)) {
  process.stderr.write('usage: node verify-js.mjs <artifact> <bundle.json> <trusted_root.json> <public-key.pem> [--hint HINT]\n');
  process.exit(2);
}

try {
  const artifact = fs.readFileSync(artifactPath);
  const bundleJSON = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
  const trustedRoot = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));

  const bundle = bundleFromJSON(bundleJSON);
  if (bundle.verificationMaterial.content?.$case !== 'publicKey') {
    throw new Error('not a managed-key bundle: verificationMaterial has no publicKey');
  }

  const keyFinder = (hint) => {
    if (expectedHint !== undefined && hint !== expectedHint) {
      throw new VerificationError({ code: 'PUBLIC_KEY_ERROR', message: `key not found: ${hint}` });
    }
    return { publicKey, validFor: () => true };
  };
  const verifier = new Verifier(toTrustMaterial(trustedRoot, keyFinder), {
    tlogThreshold: 1,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  verifier.verify(toSignedEntity(bundle, artifact));
  process.stdout.write(`verified: ${bundlePath} (key hint ${bundle.verificationMaterial.content.publicKey.hint})\n`);
} catch (e) {
  const code = e.code ? `${e.code}: ` : '';
  process.stderr.write(`verify-js: ${code}${e.message}\n`);
  if (e.fields) process.stderr.write(`verify-js: invalid fields: ${e.fields.join(', ')}\n`);
  process.exit(1);
}
