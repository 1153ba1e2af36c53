"""A real S3 API on 127.0.0.1: moto's standalone server in its own process.

Nothing to install outside pip (``moto[server]`` is a test dependency), so ``.ci/run`` needs no
service for it: the fixtures start it on a free port and stop it at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.server import free_port

REGION = "us-east-1"
ACCESS_KEY = "citygraph-test"
SECRET_KEY = "citygraph-test-secret"


class MotoServer:
    """``python -m moto.server`` on ``port`` (a free one by default); ``stop``/``start`` again
    to simulate an outage (moto keeps its state in memory: a restart forgets every bucket)."""

    def __init__(self, port: int | None = None, log_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        log = (self.log_dir / f"moto-{self.port}.log").open("ab") if self.log_dir else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        if log:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.process.returncode}")
            try:
                httpx.get(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def create_bucket(self, name: str, *, public_read: bool = False) -> None:
        """A bucket; with ``public_read`` a policy lets anyone GET its objects (as a bucket
        website or CDN origin would), so ``object_url`` works without signing."""
        httpx.put(f"{self.endpoint}/{name}", timeout=10).raise_for_status()
        if public_read:
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{name}/*",
                    }
                ],
            }
            httpx.put(
                f"{self.endpoint}/{name}?policy",
                content=json.dumps(policy),
                headers={"Content-Type": "application/json"},
                timeout=10,
            ).raise_for_status()

    def object_url(self, bucket: str, key: str) -> str:
        """The object's unsigned URL (readable when the bucket is ``public_read``)."""
        return f"{self.endpoint}/{bucket}/{key}"


def s3_settings(endpoint: str, storage_url: str, **extra: object) -> dict[str, object]:
    """Settings overrides for ``make_settings``: the media store at ``storage_url`` on moto."""
    return {
        "CITYGRAPH_MEDIA_STORAGE": storage_url,
        "CITYGRAPH_S3_ENDPOINT_URL": endpoint,
        "CITYGRAPH_S3_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        **extra,
    }
