#!/usr/bin/env python3
"""Signs a file with sigstore-python through mock-sigstore.mjs.

An ephemeral P-256 key, a certificate from the mock CA for an OIDC identity
(sigstore-python checks the certificate's SCT against the trusted root), and
a hashedrekord entry in the mock's Rekor log. Writes a v0.3 bundle as JSON.

Usage: python sign_python.py <trust_config.json> <artifact> <bundle-out> [identity] [issuer]

<trust_config.json> is the file mock-sigstore.mjs wrote. The certificate's
SAN is a URI SAN equal to <identity> (default
https://editors.officine.test/alice) and its OIDC-issuer extensions carry
<issuer> (default https://issuer.officine.test).
"""

import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore.models import ClientTrustConfig
from sigstore.oidc import IdentityToken
from sigstore.sign import SigningContext

DEFAULT_IDENTITY = "https://editors.officine.test/alice"
DEFAULT_ISSUER = "https://issuer.officine.test"


def mint_token(subject: str, issuer: str) -> str:
    """An OIDC identity token as the mock CA wants it.

    The mock reads `sub` (the SAN) and `iss` without checking the signature;
    sigstore-python wants `aud` "sigstore" and a current validity window.
    """
    now = int(time.time())
    claims = {"iss": issuer, "sub": subject, "aud": "sigstore", "iat": now, "nbf": now, "exp": now + 600}
    return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")


def main() -> int:
    if len(sys.argv) not in (4, 5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    trust_config, artifact, out = sys.argv[1:4]
    identity = sys.argv[4] if len(sys.argv) > 4 else DEFAULT_IDENTITY
    issuer = sys.argv[5] if len(sys.argv) > 5 else DEFAULT_ISSUER

    with open(trust_config, encoding="utf-8") as f:
        config = ClientTrustConfig.from_json(f.read())
    context = SigningContext.from_trust_config(config)
    token = IdentityToken(mint_token(identity, issuer))
    with open(artifact, "rb") as f:
        data = f.read()
    with context.signer(token) as signer:
        bundle = signer.sign_artifact(data)
    with open(out, "w", encoding="utf-8") as f:
        f.write(bundle.to_json())
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
