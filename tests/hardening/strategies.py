"""Hypothesis strategies for tracking-API requests: valid Spec calls, then broken ones.

A strategy draws a `Plan`, not bytes: the document (or a raw body), the route, the auth and
what to do to the bytes. The test turns a plan into a request at run time (`build`), giving
every messageId a fresh random value first, so that no two cases can collide on
(source, messageId) and every stored row can be counted against the request that sent it.

When a plan breaks a request in exactly one known way, it carries the answer that break
must get (`expect`): that is how "each 4xx names the problem" is checked.
"""

from __future__ import annotations

import base64
import copy
import gzip
import reprlib
import uuid
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

import orjson
from hypothesis import strategies as st

from switchboard.spec.calls import CALL_TYPES, SHORT_ROUTES

SINGLE_PATHS: Final = [f"/v1/{name}" for name in CALL_TYPES] + [
    f"/v1/{letter}" for letter in SHORT_ROUTES
]
BATCH_PATHS: Final = ["/v1/batch", "/v1/b", "/v1/import"]
ROUTE_TYPES: Final = {f"/v1/{name}": name for name in CALL_TYPES} | {
    f"/v1/{letter}": name for letter, name in SHORT_ROUTES.items()
}

#: Every error code the tracking API may answer with; anything else is a defect.
KNOWN_CODES: Final = {
    "invalid_json",
    "invalid_batch",
    "invalid_event",
    "invalid_encoding",
    "bad_request",
    "client_disconnected",
    "missing_write_key",
    "invalid_write_key",
    "invalid_authorization",
    "source_disabled",
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "too_many_events",
    "unsupported_encoding",
    "rate_limited",
    "request_timeout",
}

# -- JSON values ------------------------------------------------------------------------------

#: Characters that have broken JSON handling somewhere: quotes, escapes, NUL and other
#: controls, the line separators JavaScript chokes on, a BOM, non-characters, astral planes.
CHARS: Final = (
    'aZ09 _-.:"\\/\x00\x01\x1f\x7f\u00e9\u2028\u2029\ufeff\uffff\U0001f600\U0010ffff\u6f22'
)
short_text = st.text(alphabet=CHARS, max_size=10)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    short_text,
)


@st.composite
def _json(draw: st.DrawFn, depth: int) -> Any:
    # Hand-rolled instead of st.recursive, which costs several times more per value.
    kind = draw(st.integers(0, 9))
    if depth == 0 or kind < 6:
        return draw(leaves)
    size = draw(st.integers(0, 3))
    inner = _JSON[depth - 1]
    if kind < 8:
        return [draw(inner) for _ in range(size)]
    return {draw(short_text): draw(inner) for _ in range(size)}


# Built once: a strategy object made per draw costs more than the draw.
_JSON: Final = {depth: _json(depth) for depth in range(4)}
json_values = _JSON[3]


@st.composite
def _json_object(draw: st.DrawFn) -> dict[str, Any]:
    return {draw(short_text): draw(_JSON[2]) for _ in range(draw(st.integers(0, 4)))}


json_objects = _json_object()

# -- valid Spec calls -------------------------------------------------------------------------

ids = st.one_of(
    st.text(alphabet=CHARS, min_size=1, max_size=40).map(lambda s: "i" + s),
    st.integers(min_value=0, max_value=2**53),
)
names = st.text(alphabet=CHARS, max_size=60).map(lambda s: "n" + s)

_iso_times = st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2090, 1, 1))
timestamps = st.one_of(
    _iso_times.map(lambda d: d.isoformat() + "Z"),
    _iso_times.map(lambda d: d.isoformat(timespec="milliseconds") + "+05:30"),
    _iso_times.map(lambda d: d.isoformat()),  # naive: read as UTC
    _iso_times.map(lambda d: d.date().isoformat()),
    st.integers(min_value=315_532_800, max_value=3_786_825_600),  # epoch seconds
    st.integers(min_value=315_532_800_000, max_value=3_786_825_600_000),  # epoch ms
)


@st.composite
def valid_message(draw: st.DrawFn, call_type: str) -> dict[str, Any]:
    """A message that breaks no rule for `call_type` (without its `type`)."""
    message: dict[str, Any] = {}
    who = draw(st.sampled_from(["user", "anonymous", "both"]))
    if who in ("user", "both"):
        message["userId"] = draw(ids)
    if who in ("anonymous", "both"):
        message["anonymousId"] = draw(ids)
    if call_type == "track":
        message["event"] = draw(names)
    elif call_type == "group":
        message["groupId"] = draw(ids)
    elif call_type == "alias":
        message["previousId"] = draw(ids)
    elif call_type in ("page", "screen") and draw(st.booleans()):
        message["name"] = draw(names)
    for optional in ("properties", "traits", "context", "integrations"):
        if draw(st.integers(0, 3)) == 0:
            message[optional] = draw(json_objects)
    if draw(st.booleans()):
        message["timestamp"] = draw(timestamps)
        if draw(st.booleans()):
            message["sentAt"] = draw(timestamps)
    if draw(st.booleans()):
        message["messageId"] = "fresh"  # replaced by a random id when the case runs
    return message


# -- how a message can be broken --------------------------------------------------------------

_FIELDS: Final = [
    "userId",
    "anonymousId",
    "event",
    "name",
    "groupId",
    "previousId",
    "properties",
    "traits",
    "context",
    "integrations",
    "timestamp",
    "sentAt",
    "originalTimestamp",
    "messageId",
    "type",
    "writeKey",
]


def nested(depth: int) -> str:
    """A marker that `build` replaces with JSON nested `depth` levels deep (orjson writes at
    most 255 levels, and the stdlib recurses, so the text is made by hand)."""
    return f"@@deep:{depth}@@"


def _nested_text(depth: int) -> bytes:
    opening = b"".join(b"[" if level % 2 else b'{"n":' for level in range(depth))
    closing = b"".join(b"]" if level % 2 else b"}" for level in reversed(range(depth)))
    return opening + b'"bottom"' + closing


def _expand_nesting(body: bytes) -> bytes:
    while b'"@@deep:' in body:
        start = body.index(b'"@@deep:')
        end = body.index(b'@@"', start + 8)
        depth = int(body[start + 8 : end])
        body = body[:start] + _nested_text(depth) + body[end + 3 :]
    return body


@st.composite
def broken_message(draw: st.DrawFn, call_type: str) -> dict[str, Any]:
    """A valid message with one to three fields broken: removed, retyped, nested or huge."""
    message = draw(valid_message(call_type))
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*_FIELDS, "extra"]))
        how = draw(st.sampled_from(["drop", "retype", "deep", "huge", "nul", "time"]))
        if how == "drop":
            message.pop(name, None)
        elif how == "retype":
            message[name] = draw(json_values)
        elif how == "deep":
            message[name] = nested(draw(st.sampled_from([20, 127, 253, 254, 255, 256, 400, 1000])))
        elif how == "huge":
            size = draw(st.sampled_from([101, 256, 4097, 20_000, 33_000, 40_000]))
            message[name] = "x" * size
        elif how == "nul":
            message[name] = draw(st.sampled_from(["\x00", "a\x00b", "\x00" * 3]))
        else:
            message[name] = draw(
                st.sampled_from(
                    [
                        "0001-01-01T00:00:00+14:00",
                        "9999-12-31T23:59:59-14:00",
                        "9999-12-31T23:59:59Z",
                        "0001-01-01",
                        "2024-02-30T00:00:00Z",
                        "last tuesday",
                        "",
                        1e300,
                        -1e300,
                        -62135596800,
                        253402300799999,
                        2**63,
                    ]
                )
            )
    return message


# -- plans ------------------------------------------------------------------------------------


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlevel = 60, 60, 8
_SHORT.maxdict = _SHORT.maxlist = 8


@dataclass(repr=False)
class Plan:
    """One request to make, before its ids are filled in and its bytes built."""

    method: str
    path: str
    kind: str  # single | batch | metrics | other
    document: Any = None  # the JSON to send, when the body is JSON
    raw: bytes | None = None  # a fixed body instead of `document`
    auth: str = "basic"  # basic | body | none | unknown | disabled | bad-base64 | bearer
    byte_mutation: tuple[str, float, int] | None = None
    encoding: str = "identity"  # identity | gzip | deflate | gzip-truncated | gzip-corrupt
    # | gzip-lie | unknown
    length_header: str = "none"  # none | true | huge | junk
    chunk_cuts: list[float] = field(default_factory=list)
    at: float = 0.5  # where in the body a byte break happens, as a fraction of its length
    byte: int = 0  # the byte a break uses, and which break of a family `variants` picks
    expect: tuple[int, str | None] | None = None  # (status, code) the server must answer
    valid: bool = False  # every event in it is valid: all must be stored

    def __repr__(self) -> str:  # short: huge strings are the point of some plans
        fields = ", ".join(f"{k}={_SHORT.repr(v)}" for k, v in vars(self).items())
        return f"Plan({fields})"


_message_types = st.sampled_from(CALL_TYPES)


@st.composite
def single_plans(draw: st.DrawFn) -> Plan:
    path = draw(st.sampled_from(SINGLE_PATHS))
    call_type = ROUTE_TYPES[path]
    if draw(st.integers(0, 2)) == 0:
        document = draw(valid_message(call_type))
        plan = Plan("POST", path, "single", document, valid=True, expect=(200, None))
    else:
        plan = Plan("POST", path, "single", draw(broken_message(call_type)))
    return _finish(draw, plan)


@st.composite
def batch_items(draw: st.DrawFn) -> tuple[list[Any], bool]:
    items: list[Any] = []
    valid = True
    for _ in range(draw(st.integers(0, 6))):
        call_type = draw(_message_types)
        choice = draw(st.integers(0, 9))
        if choice < 6:
            item = draw(valid_message(call_type))
            item["type"] = draw(st.sampled_from([call_type, call_type.upper()]))
        elif choice < 9:
            item = draw(broken_message(call_type))
            item.setdefault("type", call_type)
            valid = False
        else:
            items.append(draw(json_values))  # not even an object
            valid = False
            continue
        items.append(item)
    return items, valid


@st.composite
def batch_plans(draw: st.DrawFn) -> Plan:
    items, valid = draw(batch_items())
    document: dict[str, Any] = {"batch": items}
    if draw(st.booleans()):
        document["context"] = draw(st.one_of(json_objects, json_values))
    if draw(st.integers(0, 3)) == 0:
        document["sentAt"] = draw(timestamps)
    elif draw(st.integers(0, 5)) == 0:
        # A broken batch-level sentAt is every item's sentAt: items without their own are
        # rejected for it.
        document["sentAt"] = draw(json_values)
        valid = valid and document["sentAt"] in (None, "")
    if draw(st.integers(0, 3)) == 0:
        document["integrations"] = draw(st.one_of(json_objects, json_values))
    if draw(st.integers(0, 5)) == 0:  # the batch itself broken
        document["batch"] = draw(st.one_of(json_objects, leaves))
        plan = Plan("POST", draw(st.sampled_from(BATCH_PATHS)), "batch", document)
        plan.expect = (400, "invalid_batch")
        return _finish(draw, plan)
    plan = Plan("POST", draw(st.sampled_from(BATCH_PATHS)), "batch", document, valid=valid)
    if valid:
        plan.expect = (200, None)
    return _finish(draw, plan)


#: The breaks outside the events that each plan is also sent with, one at a time.
AUTH_BREAKS: Final = ("body", "none", "unknown", "disabled", "bad-base64")
BYTE_BREAKS: Final = ("utf8", "cut", "nan", "flip", "notobject", "empty")
ENCODINGS: Final = ("gzip", "deflate")
BAD_ENCODINGS: Final = ("gzip-truncated", "gzip-corrupt", "gzip-lie", "unknown")
LENGTHS: Final = ("true", "huge", "junk")


def _finish(draw: st.DrawFn, plan: Plan) -> Plan:
    """Draw where and how `variants` will break the request, and how to cut it in chunks."""
    plan.at = draw(st.floats(0, 1))
    plan.byte = draw(st.integers(0, 255))
    plan.chunk_cuts = sorted(draw(st.lists(st.floats(0, 1), max_size=3)))
    return plan


def _auth(plan: Plan, auth: str) -> Plan:
    bad_batch = plan.expect == (400, "invalid_batch")
    expect = {
        "body": plan.expect,
        "none": (401, "missing_write_key"),
        "unknown": (401, "invalid_write_key"),
        "disabled": (403, "source_disabled"),
        "bad-base64": (401, "invalid_authorization"),
    }[auth]
    if auth == "none" and plan.kind == "batch" and not plan.document["batch"]:
        expect = None  # an empty batch with no key at all stores nothing either way
    if bad_batch and auth != "bad-base64":
        expect = (400, "invalid_batch")  # the batch is checked before the key
    return replace(plan, auth=auth, expect=expect, valid=plan.valid and auth == "body")


def _bytes(plan: Plan, how: str) -> Plan:
    mutation = (how, plan.at, plan.byte)
    if how == "dupkeys":  # the last of duplicate keys wins: the answer is the original's
        return replace(plan, byte_mutation=mutation)
    if how == "flip":  # anything may come of it; the invariants still hold
        return replace(plan, byte_mutation=mutation, expect=None, valid=False)
    return replace(plan, byte_mutation=mutation, expect=(400, "invalid_json"), valid=False)


def _encoding(plan: Plan, encoding: str) -> Plan:
    if encoding in ("gzip-truncated", "gzip-corrupt", "gzip-lie"):
        return replace(plan, encoding=encoding, expect=(400, "invalid_encoding"), valid=False)
    if encoding == "unknown":
        return replace(plan, encoding=encoding, expect=(415, "unsupported_encoding"), valid=False)
    return replace(plan, encoding=encoding)


def _length(plan: Plan, header: str) -> Plan:
    if header == "huge":
        return replace(plan, length_header=header, expect=(413, "payload_too_large"), valid=False)
    if header == "junk":
        return replace(plan, length_header=header, expect=(400, "bad_request"), valid=False)
    return replace(plan, length_header=header)


def variants(plan: Plan) -> list[Plan]:
    """`plan` as drawn, then broken in one more way per copy: 8 requests from one draw.

    Drawing is what costs in Hypothesis (milliseconds a plan); sending is cheap, so each
    drawn plan is sent several ways. Which break of each family is picked by the drawn byte.
    """
    if plan.kind not in ("single", "batch") or plan.raw is not None:
        return [plan]
    pick = plan.byte
    return [
        plan,
        _auth(plan, AUTH_BREAKS[pick % len(AUTH_BREAKS)]),
        _bytes(plan, BYTE_BREAKS[pick % len(BYTE_BREAKS)]),
        _bytes(plan, BYTE_BREAKS[(pick // 7) % len(BYTE_BREAKS)]),
        _bytes(plan, "dupkeys"),
        _encoding(plan, ENCODINGS[pick % 2]),
        _encoding(plan, BAD_ENCODINGS[pick % len(BAD_ENCODINGS)]),
        _length(plan, LENGTHS[pick % len(LENGTHS)]),
    ]


@st.composite
def odd_plans(draw: st.DrawFn) -> Plan:
    """Wrong paths and methods, telemetry, oversized bodies and gzip bombs."""
    what = draw(
        st.sampled_from(["path", "method", "metrics", "too-big", "bomb", "too-many", "raw"])
    )
    if what == "path":
        path = "/v1/" + draw(st.text(alphabet="abcxyz/._-%", min_size=1, max_size=12))
        if path.rstrip("/") in (*SINGLE_PATHS, *BATCH_PATHS, "/v1/m") or "/settings" in path:
            path = "/v1/nowhere"
        return Plan("POST", path, "other", {"x": 1}, expect=(404, "not_found"))
    if what == "method":
        path = draw(st.sampled_from([*SINGLE_PATHS, *BATCH_PATHS]))
        method = draw(st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "HEAD"]))
        return Plan(method, path, "other", {"x": 1}, expect=(405, "method_not_allowed"))
    if what == "metrics":
        plan = _finish(draw, Plan("POST", "/v1/m", "metrics", draw(json_values)))
        plan.expect = (200, None)  # telemetry is read and thrown away, whatever it is
        return plan
    if what == "too-big":
        path = draw(st.sampled_from(["/v1/track", "/v1/batch"]))
        size = (32 * 1024 if path == "/v1/track" else 512 * 1024) + draw(st.integers(1, 5000))
        plan = Plan("POST", path, "other", raw=b" " * size, expect=(413, "payload_too_large"))
        plan.chunk_cuts = sorted(draw(st.lists(st.floats(0, 1), max_size=3)))
        return plan
    if what == "bomb":
        plan = Plan("POST", draw(st.sampled_from(["/v1/track", "/v1/batch"])), "other")
        plan.raw, plan.encoding = gzip_bomb(), "precompressed"
        plan.expect = (413, "payload_too_large")
        return plan
    if what == "too-many":
        items = [{"type": "track", "userId": "u", "event": "e"}] * 2501
        return Plan("POST", "/v1/batch", "batch", {"batch": items}, expect=(413, "too_many_events"))
    raw = draw(st.binary(max_size=200))
    plan = _finish(draw, Plan("POST", draw(st.sampled_from(SINGLE_PATHS)), "single", raw=raw))
    plan.expect, plan.valid = None, False  # random bytes: only the invariants are checked
    return plan


_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """50 MB of zeros in ~50 KB of gzip: must be refused after reading ~512 KiB of output."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b"\x00" * 50_000_000, compresslevel=9))
    return _BOMB[0]


plans = st.one_of(single_plans(), batch_plans(), odd_plans())


# -- building the request ---------------------------------------------------------------------


def fresh_ids(document: Any) -> None:
    """Give every messageId that could be stored a new random value, in place."""
    messages = document.get("batch") if isinstance(document, dict) else None
    if not isinstance(messages, list):
        messages = [document]
    for message in messages:
        if not isinstance(message, dict) or "messageId" not in message:
            continue
        current = message["messageId"]
        token = uuid.uuid4()
        if isinstance(current, bool):
            continue
        if isinstance(current, str) and current:
            suffix = "-" + "x" * max(0, len(current) - 33) if len(current) > 32 else ""
            message["messageId"] = token.hex + suffix
        elif isinstance(current, int):
            message["messageId"] = token.int >> 66
        elif isinstance(current, float):
            message["messageId"] = (token.int >> 76) + 0.5


@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[bytes, bytes]]
    chunks: list[bytes]
    sent: Any  # the document as the server should read it (None: not JSON)
    plain_size: int  # the body's length before any Content-Encoding


def _mutate(body: bytes, how: str, at: float, byte: int, document: Any) -> bytes:
    cut = int(at * len(body))
    if how == "utf8":
        bad = bytes([0x80 | (byte & 0x3F)]) if byte % 2 else b"\xc3\x28"
        return body[:cut] + bad + body[cut:]
    if how == "cut":
        return body[: min(cut, len(body) - 1)]
    if how == "nan":
        literal = [b"NaN", b"Infinity", b"-Infinity"][byte % 3]
        return b'{"nan":' + literal + b"," + body[1:] if body.startswith(b"{") else literal
    if how == "dupkeys":
        # An earlier copy of each key with a junk value; the document's own values come last.
        if not isinstance(document, dict) or not document:
            return body
        junk = b"".join(orjson.dumps(key) + b':[0,{"junk":null}],' for key in document)
        return b"{" + junk + body[1:]
    if how == "flip":
        if not body:
            return bytes([byte])
        position = min(cut, len(body) - 1)
        return body[:position] + bytes([byte]) + body[position + 1 :]
    if how == "notobject":
        return [b"[1,2]", b'"text"', b"42", b"null", b"true"][byte % 5]
    return [b"", b"   ", b"\n"][byte % 3]


def _encode(body: bytes, encoding: str, at: float) -> tuple[bytes, bytes | None]:
    if encoding in ("identity", "precompressed"):
        return body, b"gzip" if encoding == "precompressed" else None
    if encoding == "gzip":
        return gzip.compress(body), b"gzip"
    if encoding == "deflate":
        return zlib.compress(body), b"deflate"
    if encoding == "gzip-truncated":
        packed = gzip.compress(body)
        return packed[: int(at * (len(packed) - 1))], b"gzip"
    if encoding == "gzip-corrupt":
        broken = bytearray(gzip.compress(body))
        # Past the 10-byte header (whose mtime and OS fields are never checked).
        position = 10 + int(at * (len(broken) - 11))
        broken[position] ^= 0xFF
        return bytes(broken), b"x-gzip"
    if encoding == "gzip-lie":
        return b"{" + body[1:] if body else b"{}", b"gzip"  # never starts with gzip's magic
    return body, [b"br", b"compress", b"gzip, br", b"zstd"][int(at * 3.99)]


def build(plan: Plan, write_key: str, disabled_key: str) -> Request:
    """The request for `plan`: fresh ids, the body's bytes, encoding, headers and chunks."""
    sent: Any = None
    document = copy.deepcopy(plan.document)  # each variant of a plan gets its own ids
    if plan.raw is not None:
        body = plan.raw
    else:
        fresh_ids(document)
        if isinstance(document, dict):
            # The request's key is where the plan says, and only there.
            document.pop("writeKey", None)
            if plan.auth == "body":
                document["writeKey"] = write_key
        body = _expand_nesting(orjson.dumps(document))
        sent = document
    if plan.byte_mutation is not None:
        how, at, byte = plan.byte_mutation
        body = _mutate(body, how, at, byte, document)
        if how != "dupkeys":
            sent = None
    wire, encoding = _encode(body, plan.encoding, plan.at)
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain")]
    if encoding is not None:
        headers.append((b"content-encoding", encoding))
    key = {"basic": write_key, "disabled": disabled_key, "unknown": "no-such-key"}.get(plan.auth)
    if key is not None:
        token = base64.b64encode(f"{key}:".encode())
        headers.append((b"authorization", b"Basic " + token))
    elif plan.auth == "bad-base64":
        headers.append((b"authorization", b"Basic %%%not-base64"))
    if plan.length_header == "true":
        headers.append((b"content-length", str(len(wire)).encode()))
    elif plan.length_header == "huge":
        headers.append((b"content-length", b"99999999"))
    elif plan.length_header == "junk":
        headers.append((b"content-length", b"12abc"))
    points = sorted({int(cut * len(wire)) for cut in plan.chunk_cuts})
    chunks, start = [], 0
    for point in points:
        chunks.append(wire[start:point])
        start = point
    chunks.append(wire[start:])
    return Request(plan.method, plan.path, headers, chunks, sent, len(body))
