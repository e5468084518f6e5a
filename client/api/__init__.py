"""The central-platform client (national interface, reference §1–§6). See docs/central-interface.md."""

from .client import CentralClient, Operator
from .envelope import ENVELOPE_FIELDS, Response, build_envelope, parse_response
from .errors import (
    ApiConfigError,
    ApiError,
    BundleMacError,
    BusinessError,
    MalformedResponse,
    TransportError,
)
from .evoucher import (
    EVoucherClient,
    EVoucherIdentity,
    query_person_by_card,
    query_person_by_certno,
    query_person_by_ecvoucher,
)
from .infnos import is_read_only, is_state_changing
from .msgid import MsgIdGenerator, parse_msgid
from .settings import ApiSettings
from .signin import SignInCache

__all__ = [
    "ENVELOPE_FIELDS", "ApiConfigError", "ApiError", "ApiSettings", "BundleMacError", "BusinessError",
    "CentralClient", "EVoucherClient", "EVoucherIdentity", "MalformedResponse", "MsgIdGenerator",
    "Operator", "Response", "SignInCache", "TransportError", "build_envelope", "is_read_only",
    "is_state_changing", "parse_msgid", "parse_response", "query_person_by_card",
    "query_person_by_certno", "query_person_by_ecvoucher",
]
