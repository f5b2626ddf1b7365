"""A kit `Destination` as the `Adapter` the deliver job and the tester call.

For each message: its mapping (compiled once, cached) is evaluated on the event, the payload
checked against the action's fields, then the action performs: `perform_batch` over
consecutive messages of one mapping, up to the action's batch size, or `perform` one by one.
A mapping that fails on an event, or a payload a field refuses, fails that event alone as
"Message Rejected" with the field named; a `KitError` becomes its outcome; anything else an
action raises is a bug, and the caller keeps the whole batch for later.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

import orjson
from pydantic import BaseModel

from switchboard.integrations.base import (
    Adapter,
    CallLimiter,
    Message,
    Outcome,
    OutcomeKind,
    Result,
    SendContext,
)
from switchboard.integrations.kit.context import ActionContext, TTLCache
from switchboard.integrations.kit.definition import Action, Destination
from switchboard.integrations.kit.errors import KitError, PayloadInvalid
from switchboard.integrations.kit.fields import check_payload
from switchboard.integrations.kit.mapping import CompiledMapping, MappingError, compile_mapping
from switchboard.integrations.kit.oauth import TokenCache
from switchboard.spec.calls import CALL_TYPES

#: A message ready to perform: its index, its action, its payload, its mapping's id.
_Ready = tuple[int, Action[Any], dict[str, Any], int]

#: Compiled mappings kept per process; a deployment has one per configured mapping.
MAPPING_CACHE_SIZE: Final = 1024


@lru_cache(maxsize=MAPPING_CACHE_SIZE)
def _compiled(text: str) -> CompiledMapping:
    return compile_mapping(orjson.loads(text))


def compiled(mapping: dict[str, Any]) -> CompiledMapping:
    """`mapping` compiled, from a cache keyed by its JSON text. Raises `MappingError`."""
    return _compiled(orjson.dumps(mapping, option=orjson.OPT_SORT_KEYS).decode())


def payload_for(
    action: Action[Any],
    mapping: dict[str, Any] | CompiledMapping,
    event: dict[str, Any],
) -> dict[str, Any]:
    """What `mapping` (or its compiled form) makes of `event`, checked against `action`'s
    fields.

    Raises `PayloadInvalid` naming where the mapping or a field failed."""
    try:
        program = mapping if isinstance(mapping, CompiledMapping) else compiled(mapping)
        produced = program.evaluate(event)
    except MappingError as exc:
        where = exc.errors[0].pointer if exc.errors else None
        raise PayloadInvalid(f"the mapping failed on this event: {exc}", field=where) from None
    if not isinstance(produced, dict):
        raise PayloadInvalid("the mapping did not produce an object")
    return check_payload(action.fields, produced)


class KitAdapter(Adapter):
    """Delivers to a kit destination; one per destination type per process."""

    supported_calls = frozenset(CALL_TYPES)  # the mappings' triggers decide

    def __init__(self, destination: Destination[Any]) -> None:
        self.destination = destination
        self.type = destination.type  # type: ignore[misc]
        self.display_name = destination.display_name  # type: ignore[misc]
        self.settings_model = destination.settings_model  # type: ignore[misc]
        # Shared by every send of this destination type in the process.
        self.tokens = TokenCache()
        self.cache: TTLCache[Any, Any] = TTLCache()

    def context(
        self,
        settings: BaseModel,
        http: Any,
        limiter: CallLimiter | None = None,
        scope: str = "",
    ) -> ActionContext:
        """A fresh `ActionContext` for one send with `settings`."""
        spec = self.destination
        limits = spec.limits(settings) if spec.limits is not None else None
        limit_key = (
            spec.limit_key(settings) if spec.limit_key is not None else f"{spec.type}:{scope}"
        )
        return ActionContext(
            http,
            settings,
            timeout=spec.timeout(settings),
            limiter=limiter,
            scope=scope,
            limits=limits,
            limit_key=limit_key,
            stop_codes=spec.stop_codes,
            cache=self.cache,
            tokens=self.tokens,
        )

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        if not isinstance(settings, self.settings_model):
            raise TypeError(
                f"expected {self.settings_model.__name__}, got {type(settings).__name__}"
            )
        ctx = self.context(settings, context.http, context.limiter, context.scope)
        results: dict[int, Result] = {}
        ready: list[_Ready] = []
        # Each mapping is looked up in the compile cache once per send, not once per event.
        programs: dict[int, CompiledMapping | dict[str, Any]] = {}
        for index, message in enumerate(messages):
            ref = message.mapping
            action = self.destination.action(ref.action) if ref is not None else None
            if ref is None or action is None:
                what = f"action {ref.action!r}" if ref is not None else "a mapping"
                outcome = Outcome.permanent(
                    f"{self.display_name} has no {what} for this delivery", "no_mapping"
                )
                results[index] = Result(message.delivery_id, outcome)
                continue
            try:
                if ref.id not in programs:
                    try:
                        programs[ref.id] = compiled(ref.mapping)
                    except MappingError:
                        programs[ref.id] = ref.mapping  # payload_for names the problem
                payload = payload_for(action, programs[ref.id], message.event)
            except PayloadInvalid as exc:
                results[index] = Result(message.delivery_id, exc.outcome)
                continue
            ready.append((index, action, payload, ref.id))

        for group in _runs(ready):
            index, action, payload, _ = group[0]
            size = max(1, min(action.max_batch, action.batch_size(settings, payload)))
            for start in range(0, len(group), size):
                chunk = group[start : start + size]
                if len(chunk) > 1 or (action.has_batch() and size > 1):
                    self._perform_batch(ctx, settings, action, chunk, messages, results)
                else:
                    self._perform_one(ctx, settings, action, chunk[0], messages, results)
        return [results[index] for index in range(len(messages))]

    def _perform_one(
        self,
        ctx: ActionContext,
        settings: BaseModel,
        action: Action[Any],
        item: _Ready,
        messages: Sequence[Message],
        results: dict[int, Result],
    ) -> None:
        index, _, payload, _ = item
        try:
            action.perform(ctx, settings, payload)
            outcome = Outcome.delivered()
        except KitError as exc:
            outcome = exc.outcome
            if ctx.is_stop_code(outcome.code):
                ctx.stop(outcome)
        results[index] = Result(messages[index].delivery_id, outcome, ctx.take_exchanges())

    def _perform_batch(
        self,
        ctx: ActionContext,
        settings: BaseModel,
        action: Action[Any],
        chunk: list[_Ready],
        messages: Sequence[Message],
        results: dict[int, Result],
    ) -> None:
        if not action.has_batch():
            for item in chunk:
                self._perform_one(ctx, settings, action, item, messages, results)
            return
        try:
            answered = action.perform_batch(ctx, settings, [payload for _, _, payload, _ in chunk])
            if len(answered) != len(chunk):
                raise RuntimeError(
                    f"{action.id}.perform_batch answered {len(answered)} results for {len(chunk)}"
                )
            outcomes = [(a.outcome, a.exchanges) for a in answered]
        except KitError as exc:
            outcome = exc.outcome
            if ctx.is_stop_code(outcome.code):
                ctx.stop(outcome)
            outcomes = [(outcome, None)] * len(chunk)
        shared = ctx.take_exchanges()
        for (index, _, _, _), (outcome, own) in zip(chunk, outcomes, strict=True):
            exchanges = list(own) if own is not None else list(shared)
            results[index] = Result(messages[index].delivery_id, outcome, exchanges)


def _runs(
    ready: list[_Ready],
) -> list[list[_Ready]]:
    """The ready items grouped by mapping, each group in the order the messages came."""
    groups: dict[int, list[_Ready]] = {}
    for item in ready:
        groups.setdefault(item[3], []).append(item)
    return list(groups.values())


def delivered(outcome: Outcome) -> bool:
    return outcome.kind is OutcomeKind.DELIVERED
