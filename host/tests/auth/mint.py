"""Mints (and verifies) JWTs with PyJWT, for the host's authentication tests.

    mint.py keygen DIR
        Writes DIR/ec.pem (P-256), DIR/ed.pem (Ed25519) and DIR/rsa.pem
        (RSA 2048), PKCS#8, and prints their public JWKS (kids py-ec, py-ed,
        py-rsa) on stdout.
    mint.py mint --alg ALG [--key PEM | --secret TEXT] [--kid KID]
                 [--header JSON] --claims JSON
        Prints one compact token. ALG "none" signs nothing.
    mint.py verify --jwks-url URL --issuer ISS --audience AUD TOKEN
        Verifies TOKEN with keys fetched from URL; prints its claims.
"""

import argparse
import json
import pathlib
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

KINDS = {
    "ec": ("py-ec", "ES256", lambda: ec.generate_private_key(ec.SECP256R1())),
    "ed": ("py-ed", "EdDSA", ed25519.Ed25519PrivateKey.generate),
    "rsa": ("py-rsa", "RS256", lambda: rsa.generate_private_key(65537, 2048)),
}


def keygen(directory):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    keys = []
    for name, (kid, alg, generate) in KINDS.items():
        private = generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (directory / f"{name}.pem").write_bytes(pem)
        jwk = json.loads(
            jwt.get_algorithm_by_name(alg).to_jwk(private.public_key())
        )
        jwk.update({"kid": kid, "alg": alg, "use": "sig"})
        keys.append(jwk)
    print(json.dumps({"keys": keys}))


def mint(args):
    if args.alg == "none":
        key = None
    elif args.secret is not None:
        key = args.secret
    else:
        key = serialization.load_pem_private_key(
            pathlib.Path(args.key).read_bytes(), password=None
        )
    headers = json.loads(args.header) if args.header else {}
    if args.kid:
        headers["kid"] = args.kid
    token = jwt.encode(
        json.loads(args.claims), key, algorithm=args.alg, headers=headers or None
    )
    print(token)


def verify(args):
    key = jwt.PyJWKClient(args.jwks_url).get_signing_key_from_jwt(args.token)
    claims = jwt.decode(
        args.token,
        key.key,
        algorithms=["ES256", "EdDSA", "RS256"],
        audience=args.audience,
        issuer=args.issuer,
        options={"require": ["exp", "iss", "aud"]},
    )
    print(json.dumps(claims))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    k = commands.add_parser("keygen")
    k.add_argument("dir")
    m = commands.add_parser("mint")
    m.add_argument("--alg", required=True)
    m.add_argument("--key")
    m.add_argument("--secret")
    m.add_argument("--kid")
    m.add_argument("--header")
    m.add_argument("--claims", required=True)
    v = commands.add_parser("verify")
    v.add_argument("--jwks-url", required=True)
    v.add_argument("--issuer", required=True)
    v.add_argument("--audience", required=True)
    v.add_argument("token")
    args = parser.parse_args()
    if args.command == "keygen":
        keygen(args.dir)
    elif args.command == "mint":
        mint(args)
    else:
        verify(args)


if __name__ == "__main__":
    sys.exit(main())
