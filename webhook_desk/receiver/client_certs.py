"""Client certificates (mTLS) on the receiver: asking for them in the TLS handshake, and what
each request presented, for its inbox row.

The handshake asks for a certificate without insisting (OpenSSL's "optional"): a certificate
from another authority still fails the handshake with a TLS alert, but a client that presents
none reaches the receiver and gets a 403 in the API's error shape, kept in the inbox, so a
tester sees the attempt and the sender reads a sentence instead of a broken connection.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from cryptography import x509

from webhook_desk.errors import UserError
from webhook_desk.local_tls import fingerprint, read_certificates

REFUSAL_STATUS = 403
SUBJECT_MAX = 500  # ReceivedRequest.client_cert_subject


@dataclass(frozen=True)
class ClientCertificateRule:
    """Requests must come with a client certificate issued by one in `ca_file`."""

    ca_file: Path

    def require_in(self, context: ssl.SSLContext) -> None:
        """Make a server context ask for a client certificate and trust only `ca_file`."""
        read_certificates(self.ca_file)  # a sentence for a file that is not one
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cafile=str(self.ca_file))

    @cached_property  # read once, not per refused request
    def authorities(self) -> str:
        """Who may issue the client certificates: the subjects of the CA file's certificates."""
        return ", ".join(c.subject.rfc4514_string() for c in read_certificates(self.ca_file))

    @property
    def refusal(self) -> str:
        """What a request without a client certificate is told."""
        return f"a client certificate is required, issued by {self.authorities}"


@dataclass(frozen=True)
class PresentedCertificate:
    subject: str
    fingerprint: str  # SHA-256, colon-separated hex as local_tls.fingerprint gives it


def presented(transport) -> PresentedCertificate | None:
    """The client certificate the connection's handshake verified, if any."""
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return _described(der) if der else None


@lru_cache(maxsize=256)  # a keep-alive client presents the same certificate request after request
def _described(der: bytes) -> PresentedCertificate:
    certificate = x509.load_der_x509_certificate(der)
    subject = certificate.subject.rfc4514_string()[:SUBJECT_MAX]
    return PresentedCertificate(subject, fingerprint(certificate))


def check_rule(required: bool, serving_tls: bool) -> None:
    if required and not serving_tls:
        raise UserError("A client certificate can be required only when the receiver serves HTTPS.")
