"""Checks that a node started by es-node does what CityExchange needs from Elasticsearch.

Usage: python check_node.py [URL]   (default http://127.0.0.1:9200; needs `elasticsearch>=8.14,<9`)
Creates and deletes indices named cityex-check-*. Not a pytest module on purpose (no test_ prefix).
"""

import sys

from elasticsearch import ConflictError, Elasticsearch, helpers

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9200"
es = Elasticsearch(url, request_timeout=30)


def check(what, ok):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        raise SystemExit(1)


info = es.info()
check(f"info(): version {info['version']['number']}, lucene {info['version']['lucene_version']}", True)
check("ping()", es.ping())

es.indices.delete(index="cityex-check-*", ignore_unavailable=True)
settings = {
    "analysis": {
        "filter": {
            "german_snowball": {"type": "snowball", "language": "German2"},
            "bus_override": {"type": "stemmer_override", "rules": ["busse, bussen => bus"]},
            "german_light": {"type": "stemmer", "language": "light_german"},
        },
        "normalizer": {"folded": {"type": "custom", "filter": ["lowercase", "asciifolding"]}},
        "analyzer": {
            "de_no_stop": {"type": "german", "stopwords": "_none_"},
            "de_snowball": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "german_snowball"]},
            "de_folded": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding", "bus_override", "german_light"],
            },
        },
    }
}
mappings = {
    "properties": {
        "title_de": {
            "type": "text",
            "analyzer": "german",
            "fields": {"snowball": {"type": "text", "analyzer": "de_snowball"}, "folded": {"type": "text", "analyzer": "de_folded"}},
        },
        "title_en": {"type": "text", "analyzer": "english"},
        "city": {"type": "keyword", "fields": {"folded": {"type": "keyword", "normalizer": "folded"}}},
    }
}
for name in ("cityex-check-a", "cityex-check-b"):
    es.indices.create(index=name, settings=settings, mappings=mappings)
check("create indices with german/english/custom analyzers", True)

docs = [
    {"_id": "1", "title_de": "Der Bus fährt zum Rathaus", "title_en": "The bus goes to the town hall", "city": "Berlin"},
    {"_id": "2", "title_de": "Die Häuser am Marktplatz", "title_en": "Houses on the market square", "city": "Köln"},
]
ok, errors = helpers.bulk(es, docs, index="cityex-check-a", refresh=True)
check(f"bulk: {ok} docs", ok == 2 and not errors)


def ids(**search):
    return sorted(hit["_id"] for hit in es.search(index="cityex-check-a", **search)["hits"]["hits"])


check("german: 'Haus' finds 'Häuser'", ids(query={"match": {"title_de": "Haus"}}) == ["2"])
check("english: 'house' finds 'Houses'", ids(query={"match": {"title_en": "house"}}) == ["2"])
check("snowball German2: 'Häusern' finds 'Häuser'", ids(query={"match": {"title_de.snowball": "Häusern"}}) == ["2"])
busse = ids(query={"match": {"title_de": "Busse"}})
print(f"note  german analyzer: 'Busse' finds {busse or 'nothing'} (stems buss vs bus, as in any ES)")
check("stemmer_override: 'Busse' finds 'Bus'", ids(query={"match": {"title_de.folded": "Busse"}}) == ["1"])

check("normalizer lowercase+asciifolding: 'koln' finds 'Köln'", ids(query={"term": {"city.folded": "koln"}}) == ["2"])
tokens = es.indices.analyze(index="cityex-check-a", analyzer="de_no_stop", text="Die Häuser")["tokens"]
check("german analyzer with stopwords _none_: " + str([t["token"] for t in tokens]), [t["token"] for t in tokens] == ["die", "haus"])

tokens = es.indices.analyze(analyzer="polish", text="Autobusy wodorowe w miastach")["tokens"]
check("polish analyzer (stempel): " + str([t["token"] for t in tokens]), [t["token"] for t in tokens] == ["autobus", "wodorowy", "miasto"])
tokens = es.indices.analyze(tokenizer="standard", filter=["lowercase", "polish_stem", "asciifolding"], text="Żłobki miejskie")["tokens"]
check("polish_stem filter: " + str([t["token"] for t in tokens]), [t["token"] for t in tokens] == ["zlobki", "miejski"])

tokens = es.indices.analyze(tokenizer="standard", char_filter=[{"type": "mapping", "mappings": [": => \\u0020"]}],
                            text="title:hydrogen")["tokens"]
check("mapping char filter: " + str([t["token"] for t in tokens]), [t["token"] for t in tokens] == ["title", "hydrogen"])

aggs = es.search(index="cityex-check-a", size=0, aggs={"cities": {"terms": {"field": "city"}}})["aggregations"]
check("terms aggregation", sorted(b["key"] for b in aggs["cities"]["buckets"]) == ["Berlin", "Köln"])

hit = es.search(index="cityex-check-a", query={"match": {"title_de": "Rathaus"}}, highlight={"fields": {"title_de": {}}})
check("highlight: " + hit["hits"]["hits"][0]["highlight"]["title_de"][0], "<em>Rathaus</em>" in hit["hits"]["hits"][0]["highlight"]["title_de"][0])

res = es.search(
    index="cityex-check-a",
    query={"match_all": {}},
    aggs={"cities": {"terms": {"field": "city"}}},
    post_filter={"term": {"city": "Berlin"}},
)
check("post_filter: hits filtered, aggregation not", [h["_id"] for h in res["hits"]["hits"]] == ["1"] and len(res["aggregations"]["cities"]["buckets"]) == 2)

es.index(index="cityex-check-a", id="3", document={"city": "Bonn"}, version=5, version_type="external")
try:
    es.index(index="cityex-check-a", id="3", document={"city": "Old"}, version=4, version_type="external")
    stale_rejected = False
except ConflictError:
    stale_rejected = True
check("external versioning: older version rejected", stale_rejected and es.get(index="cityex-check-a", id="3")["_version"] == 5)

es.indices.put_alias(index="cityex-check-a", name="cityex-check")
es.indices.update_aliases(
    actions=[
        {"remove": {"index": "cityex-check-a", "alias": "cityex-check"}},
        {"add": {"index": "cityex-check-b", "alias": "cityex-check"}},
    ]
)
check("alias swap (update_aliases)", list(es.indices.get_alias(name="cityex-check")) == ["cityex-check-b"])

es.indices.delete(index="cityex-check-*")
print("all checks passed")
