"""Elasticsearch's errors in the engine's terms: unavailable (retry later), misconfigured
(a refusal an operator must fix), and the one-line reasons operators read."""

from __future__ import annotations

from elasticsearch import ApiError, TransportError
from elasticsearch import ConnectionError as ESConnectionError

from indexer.engine import EngineMisconfigured, EngineUnavailable


def retryable(status: int) -> bool:
    """A status after which a retry can succeed: the engine is busy (429) or failing (5xx)."""
    return status == 429 or status >= 500


def bulk_item_reason(status: int, error) -> str:
    """One line from a bulk item's error: '400 strict_dynamic_mapping_exception: ...'."""
    if isinstance(error, dict):
        return f"{status} {error.get('type', 'error')}: {error.get('reason', '')}"[:1000]
    return f"{status}: {error}"[:1000]


class Unavailable:
    """Turn connection failures and retryable statuses into EngineUnavailable, and a
    refusal (4xx other than 404/409, which callers handle) into EngineMisconfigured."""

    def __init__(self, action: str, engine):
        self.action = action
        self.engine = engine

    def __enter__(self):
        return self

    def __exit__(self, exc_type, error, _traceback):
        if error is None or isinstance(error, EngineUnavailable):
            return False
        if isinstance(error, (ESConnectionError, TransportError)):
            raise EngineUnavailable(f"cannot {self.action}: Elasticsearch is unreachable ({transport_detail(error)})") from error
        if isinstance(error, ApiError) and retryable(error.meta.status):
            raise EngineUnavailable(f"cannot {self.action}: Elasticsearch answered {error.meta.status}") from error
        if isinstance(error, ApiError) and error.meta.status not in (404, 409):
            message = (f"cannot {self.action}: Elasticsearch refused it ({error.meta.status} "
                       f"{error.error}: {_api_reason(error)}); check the index and the cluster "
                       f"settings, then run `cityex index rebuild`")
            self.engine.last_refusal = message
            raise EngineMisconfigured(message) from error
        return False


def transport_detail(error: Exception) -> str:
    """A transport error's own words (its str() is only 'TLS error' or 'Connection error')."""
    if isinstance(error, TransportError) and error.message:
        return f"{type(error).__name__}: {error.message}"
    return str(error)


def _api_reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    cause = body.get("error", {})
    if isinstance(cause, dict):
        return str(cause.get("reason", error.message))[:300]
    return str(cause or error.message)[:300]
