"""deploy/nginx/leadbridge.conf: `nginx -t`, then nginx itself in front of an app trusting it
exactly as leadbridge does (`web.trusted_proxies` of the example settings): what reaches the app,
what is refused, what the access log keeps."""

from __future__ import annotations

import datetime
import re
import socket
import subprocess
import time
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from leadbridge.config import Settings
from leadbridge.web.server import serve
from tests.deploy.files import EXAMPLE_TOML, NGINX_SITE, tool

HOST_NAME = "bridge.example.com"
TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
STRANGER = "127.0.0.2"  # an address on this machine that nginx does not allow for /metrics


@dataclass(frozen=True)
class Nginx:
    prefix: Path
    http_port: int
    https_port: int

    @property
    def access_log(self) -> str:
        return (self.prefix / "logs" / "leadbridge.access.log").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def self_signed(into: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST_NAME)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = into / "fullchain.pem", into / "privkey.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the site no longer has {old!r}: update this test"
    return text.replace(old, new)


def configured(prefix: Path, upstream_port: int) -> Nginx:
    """The site as shipped, with what only this machine can have changed: certificate, log
    directory, ports on 127.0.0.1 (no IPv6), and a main nginx.conf of its own."""
    (prefix / "logs").mkdir(parents=True)
    cert, key = self_signed(prefix)
    nginx = Nginx(prefix, free_port(), free_port())
    site = NGINX_SITE.read_text(encoding="utf-8")
    site = replace(site, f"/etc/letsencrypt/live/{HOST_NAME}/fullchain.pem", str(cert))
    site = replace(site, f"/etc/letsencrypt/live/{HOST_NAME}/privkey.pem", str(key))
    site = replace(site, "/var/log/nginx/", f"{prefix}/logs/")
    site = replace(site, "root /var/www/html;", f"root {prefix / 'acme'};")
    site = replace(site, "server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream_port};")
    site = replace(site, "    listen [::]:80;\n", "")
    site = replace(site, "    listen [::]:443 ssl http2;\n", "")
    site = replace(site, "listen 80;", f"listen 127.0.0.1:{nginx.http_port};")
    site = replace(site, "listen 443 ssl http2;", f"listen 127.0.0.1:{nginx.https_port} ssl http2;")
    (prefix / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(
        f"  {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/logs/error.log;\nevents {{}}\n"
        f"http {{\n{temp}\n  include {prefix}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return nginx


def nginx_command(prefix: Path, *args: str) -> list[str]:
    return [
        tool("nginx"),
        "-p",
        str(prefix),
        "-c",
        str(prefix / "nginx.conf"),
        "-e",
        str(prefix / "logs" / "error.log"),
        *args,
    ]


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    configured(tmp_path, upstream_port=8080)

    tested = subprocess.run(
        nginx_command(tmp_path, "-t"), capture_output=True, text=True, check=False, timeout=60
    )

    assert tested.returncode == 0, tested.stderr
    assert "test is successful" in tested.stderr


def echo_app() -> Any:
    """What the app behind nginx was asked and by whom, wrapped as leadbridge's app wraps itself
    (web/app.py) with the example's trusted proxies."""
    example = tomllib.loads(EXAMPLE_TOML.read_text(encoding="utf-8"))
    proxies = Settings.model_validate({"web": example["web"]}).web.trusted_proxies
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, Any]:
        client = request.client.host if request.client else None
        return {
            "path": request.url.path,
            "client": client,
            "scheme": request.url.scheme,
            "headers": dict(request.headers),
        }

    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    return app


@pytest.fixture
async def upstream() -> AsyncIterator[int]:
    port = free_port()
    async with serve(echo_app(), host="127.0.0.1", port=port):
        yield port


@pytest.fixture
def running_nginx(tmp_path: Path, upstream: int) -> Iterator[Nginx]:
    nginx = configured(tmp_path, upstream)
    process = subprocess.Popen(
        nginx_command(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", nginx.https_port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.1)
        yield nginx
    finally:
        process.terminate()
        process.wait(timeout=30)


def client(address: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address, verify=False)
    return httpx.AsyncClient(transport=transport, headers={"Host": HOST_NAME}, timeout=10)


@pytest.mark.anyio
async def test_nginx_passes_webhooks_and_the_dashboard_and_keeps_metrics_private(
    running_nginx: Nginx,
) -> None:
    https = f"https://127.0.0.1:{running_nginx.https_port}"
    http = f"http://127.0.0.1:{running_nginx.http_port}"
    challenge = running_nginx.prefix / "acme" / ".well-known" / "acme-challenge" / "t0k3n"
    challenge.parent.mkdir(parents=True)
    challenge.write_text("t0k3n.proof", encoding="utf-8")
    async with client(STRANGER) as stranger, client("127.0.0.1") as local:
        webhook = await stranger.post(
            f"{https}/webhooks/avito/{TOKEN}",
            json={},
            headers={"X-Forwarded-For": "203.0.113.9", "X-Avito-Webhook-Secret": "s3cret"},
        )
        dashboard = await stranger.get(f"{https}/login")
        refused = {path: await stranger.get(f"{https}{path}") for path in ("/metrics", "/readyz")}
        metrics = await local.get(f"{https}/metrics")
        plain = await stranger.get(f"{http}/login")
        acme = await stranger.get(f"{http}/.well-known/acme-challenge/t0k3n")
        too_large = await stranger.post(
            f"{https}/webhooks/amocrm/{TOKEN}", content=b"x" * (256 * 1024 + 1)
        )

    assert webhook.status_code == 200
    seen = webhook.json()
    assert seen["path"] == f"/webhooks/avito/{TOKEN}"
    # The app sees the real client and https, not nginx and not what the client claimed.
    assert (seen["client"], seen["scheme"]) == (STRANGER, "https")
    assert seen["headers"]["x-forwarded-for"] == STRANGER
    assert seen["headers"]["x-avito-webhook-secret"] == "s3cret"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["headers"]["x-request-id"])
    assert webhook.headers["strict-transport-security"].startswith("max-age=")
    assert dashboard.json()["path"] == "/login"
    assert {path: answer.status_code for path, answer in refused.items()} == {
        "/metrics": 403,
        "/readyz": 403,
    }
    assert metrics.status_code == 200
    assert metrics.json()["path"] == "/metrics"
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://{HOST_NAME}/login"
    assert (acme.status_code, acme.text) == (200, "t0k3n.proof")  # certbot's renewals
    assert too_large.status_code == 413
    log = running_nginx.access_log
    assert "/webhooks/avito/<token>" in log
    assert TOKEN not in log
