"""Time to create and to validate an RFC 3820 proxy chain of depth 3.

CA -> user -> proxy -> proxy -> proxy, all in a temporary directory (a CA made with
``gridware.security``, the trusted directory in the Globus layout).  Goal: < 20 ms
each (issue #4).  Reported, never asserted.

- create: three ``Credential.create_proxy()`` calls from the loaded user credential,
  each with a fresh RSA-2048 key (what ``gridware proxy init`` does), and the same
  split into key generation and the rest (pre-generated keys), and with EC P-256 keys;
- validate: ``Validator.validate()`` of the 5-certificate path with a warm trust
  store (a service's case), and with a new ``TrustStore`` per call (reads the files);
- peers, same run (when installed): ``grid-proxy-init`` making one proxy and
  ``openssl verify -allow_proxy_certs`` of the depth-3 chain, each a whole process.

    python bench/proxy_chain.py [--quick] [--rounds N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gridware.security import CertificateAuthority, Credential, TrustStore, Validator

GOAL_MS = 20.0


def timed(func: Callable[[], Any], rounds: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        func()
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "mean": statistics.fmean(samples),
        "p50": statistics.median(samples),
        "p99": p99,
        "min": ordered[0],
        "n": len(samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (10 rounds)")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 50)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    rounds = args.rounds or (10 if args.quick else 50)

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="gridware-bench-") as tmp:
        root = Path(tmp)
        ca = CertificateAuthority.create(root / "ca", bits=2048)
        ca.issue_user("Bench User").save(
            root / "usercert.pem", root / "userkey.pem", key_mode=0o600
        )
        user = Credential.load(root / "usercert.pem", root / "userkey.pem")

        def chain(keys: list[Any] | None = None) -> Credential:
            credential = user
            for i in range(3):
                credential = credential.create_proxy(key=keys[i] if keys else None)
            return credential

        results["create, fresh RSA-2048 keys"] = summary(timed(chain, rounds))
        results["  of which: 3 x RSA-2048 keygen"] = summary(
            timed(lambda: [rsa.generate_private_key(65537, 2048) for _ in range(3)], rounds)
        )
        rsa_keys = [rsa.generate_private_key(65537, 2048) for _ in range(3)]
        results["create, pre-generated RSA keys"] = summary(
            timed(lambda: chain(rsa_keys), rounds * 4)
        )
        results["create, fresh EC P-256 keys"] = summary(
            timed(
                lambda: chain([ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]),
                rounds * 4,
            )
        )

        deep = chain()
        certificates = deep.certificates
        trust = TrustStore(ca.trusted_directory)
        validator = Validator(trust)
        result = validator.validate(certificates)
        assert len(result.chain) == 5 and result.identity == "/O=Grid/OU=Test/CN=Bench User"
        results["validate, warm trust store"] = summary(
            timed(lambda: validator.validate(certificates), rounds * 4)
        )
        results["validate, new TrustStore per call"] = summary(
            timed(
                lambda: Validator(TrustStore(ca.trusted_directory)).validate(certificates),
                rounds * 4,
            )
        )

        peers = {}
        grid_proxy_init = shutil.which("grid-proxy-init")
        if grid_proxy_init:
            env = {**os.environ, "HOME": str(root), "X509_CERT_DIR": str(ca.trusted_directory)}
            cmd = [
                grid_proxy_init, "-q", "-cert", str(root / "usercert.pem"), "-key",
                str(root / "userkey.pem"), "-certdir", str(ca.trusted_directory),
                "-out", str(root / "gpi"),
            ]  # fmt: skip
            peers["grid-proxy-init, one proxy (process)"] = summary(
                timed(
                    lambda: subprocess.run(cmd, env=env, check=True, capture_output=True),
                    max(rounds // 5, 3),
                    1,
                )
            )
        openssl = shutil.which("openssl")
        if openssl:
            path = deep.save_proxy(root / "deep")
            cmd2 = [
                openssl, "verify", "-allow_proxy_certs", "-CApath", str(ca.trusted_directory),
                "-untrusted", str(path), str(path),
            ]  # fmt: skip
            peers["openssl verify depth 3 (process)"] = summary(
                timed(
                    lambda: subprocess.run(cmd2, check=True, capture_output=True),
                    max(rounds // 5, 3),
                    1,
                )
            )

    width = max(len(k) for k in [*results, *peers]) + 2
    print(f"proxy chain of depth 3 (CA -> user -> 3 proxies); {rounds} rounds; ms per chain")
    print(f"{'':<{width}}{'mean':>9}{'p50':>9}{'p99':>9}{'min':>9}")
    for name, s in [*results.items(), *peers.items()]:
        print(f"{name:<{width}}{s['mean']:9.2f}{s['p50']:9.2f}{s['p99']:9.2f}{s['min']:9.2f}")
    create = results["create, fresh RSA-2048 keys"]["mean"]
    validate = results["validate, warm trust store"]["mean"]
    print(
        f"goal < {GOAL_MS:.0f} ms each: create {create:.1f} ms "
        f"({'met' if create < GOAL_MS else 'missed: RSA-2048 key generation dominates'}), "
        f"validate {validate:.2f} ms ({'met' if validate < GOAL_MS else 'missed'})"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rounds": rounds, **results, **peers}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
