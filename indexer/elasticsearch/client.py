"""Connection settings for the Elasticsearch client: nodes, authentication, TLS, and the
JSON library it encodes with."""

from __future__ import annotations

import orjson
from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer


class OrjsonNdjsonSerializer(NdjsonSerializer):
    """_msearch bodies (one JSON document per line) encoded with orjson, as the client's
    OrjsonSerializer encodes the others: the standard library spends ~0.3 ms on each
    384-float query vector, and a search sends up to four (docs/benchmarks.md)."""

    def json_dumps(self, data) -> bytes:
        return orjson.dumps(data, default=self.default, option=orjson.OPT_SERIALIZE_NUMPY)

    def json_loads(self, data: bytes):
        return orjson.loads(data)


SERIALIZERS = {OrjsonSerializer.mimetype: OrjsonSerializer(),
               OrjsonNdjsonSerializer.mimetype: OrjsonNdjsonSerializer()}


def client_options(url: str | list[str], *, request_timeout: float, api_key: str | None = None,
                   username: str | None = None, password: str | None = None,
                   ca_certs: str | None = None) -> dict:
    """Elasticsearch(...) keyword arguments: one or several nodes, API key or user and
    password, a CA certificate for https. With several nodes a request that cannot
    reach one goes to the next (one retry per other node); a timeout is not retried
    (the request may have been applied)."""
    hosts = [part.strip() for part in url.split(",")] if isinstance(url, str) else list(url)
    hosts = [host for host in hosts if host]
    options = {"hosts": hosts, "request_timeout": request_timeout, "retry_on_timeout": False,
               "max_retries": len(hosts) - 1, "serializers": SERIALIZERS}
    if api_key:
        options["api_key"] = api_key
    elif username:
        options["basic_auth"] = (username, password or "")
    if ca_certs:
        options["ca_certs"] = ca_certs
    return options
