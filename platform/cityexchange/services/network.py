"""The city network: contacts, partnerships' joint case studies, and "cities like mine"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cityexchange.extensions import db
from cityexchange.models import CaseStudy, CaseStudyVector, City, ContactPerson, Partnership
from cityexchange.thesaurus import get_thesaurus
from indexer.analysis import detect_language, fold
from indexer.embedding import from_bytes, mean_vector

# -- contacts ---------------------------------------------------------------------------


def visible_contacts(city: City, user) -> list[ContactPerson]:
    """Contact persons a reader may see: members only, and only with recorded consent."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [contact for contact in city.contacts if contact.may_be_shown]


def save_contact(city: City, data: dict) -> ContactPerson:
    """Create or update (same e-mail) a contact person from ContactInputSchema data."""
    contact = next((c for c in city.contacts if c.email.lower() == data["email"].lower()), None)
    if contact is None:
        contact = ContactPerson(email=data["email"])
        city.contacts.append(contact)
    contact.name, contact.role = data["name"], data.get("role") or ""
    contact.consent = bool(data.get("consent"))
    contact.consent_date = data.get("consent_date") if contact.consent else None
    return contact


# -- partnerships -----------------------------------------------------------------------


def find_partnership(slug: str) -> Partnership | None:
    return db.session.scalar(
        select(Partnership).where(Partnership.slug == slug)
        .options(selectinload(Partnership.cities)))


def joint_case_studies(partnership: Partnership, limit: int | None = None) -> list[CaseStudy]:
    """Published case studies of a member city with another member among their partners.

    The same rule as indexing._partnership_slugs, which fills the `partnership` facet.
    """
    members = [city.id for city in partnership.cities]
    if len(members) < 2:
        return []
    statement = (
        select(CaseStudy)
        .where(CaseStudy.status == "published", CaseStudy.city_id.in_(members),
               CaseStudy.partners.any((City.id.in_(members)) & (City.id != CaseStudy.city_id)))
        .options(selectinload(CaseStudy.city))
        .order_by(CaseStudy.year.desc().nulls_last(), CaseStudy.published_at.desc(),
                  CaseStudy.id.desc())
    )
    if limit:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def latest_case_studies(city_id: int, limit: int = 2) -> list[CaseStudy]:
    return list(db.session.scalars(
        select(CaseStudy)
        .where(CaseStudy.city_id == city_id, CaseStudy.status == "published")
        .order_by(CaseStudy.year.desc().nulls_last(), CaseStudy.published_at.desc(),
                  CaseStudy.id.desc()).limit(limit)))


# -- cities like mine -------------------------------------------------------------------

# Population bands: (upper bound exclusive, label).
SIZE_BANDS = ((100_000, "< 100k"), (500_000, "100k–500k"), (1_000_000, "500k–1M"),
              (None, "> 1M"))
WEIGHTS = {"size": 0.2, "legacy": 0.35, "themes": 0.25, "work": 0.2}
# "work": how close in meaning the two cities' case studies are (the cosine of the
# means of their stored vectors), 0 at WORK_FLOOR or below, 1 at WORK_FLOOR + WORK_SPAN.
# For language-centred vectors (indexer/embedding.py): on the relevance collection,
# 86 % of case-study pairs lie below 0.35 (as 86 % lay below 0.80 uncentred); of the
# pairs in different languages 1 % reach 0.47, the closest 0.76.
WORK_FLOOR, WORK_SPAN = 0.35, 0.40
# From this "work" score on, it is given as a reason.
WORK_REASON = 0.5

# Industrial legacies recognised in the (free) industrial_legacy text: word
# beginnings in the network's languages, matched on case- and accent-folded text.
LEGACY_PATTERNS = {
    "coal": r"coal|collier|coke works|kohle|steinkohle|braunkohle|zeche|wegl|wegiel|charbon"
            r"|houill|steenkool|carbone\b",
    "steel": r"steel|blast furnace|iron ?works|stahl|hochofen|hutte|stal[iy]?\b|hut[ay]\b|hutnic"
             r"|acier|siderur|staal|acero|acciai",
    "mining": r"mines?\b|mining|pits?\b|bergbau|bergwerk|gorni|kopal|mijnbouw|mineri|minier",
    "port": r"ports?\b|harbou?r|docks?\b|shipyard|shipbuild|transhipment|hafen|werft|haven\b"
            r"|scheepsbouw|puerto|astiller|porto\b|stocz",
    "oil": r"oil\b|petroleum|refin|petrochem|erdol|raffiner|aardolie",
    "textiles": r"textil|wool|silk|cotton|flax|weaving|wolle|seide|tessil|jedwab|wlokien",
    "automotive": r"car manufactur|automotive|automobil|assembly plant|autoindustr|motoryzac",
    "chemicals": r"chemi|chimi|quimic|pharma",
    "brewing": r"brewer|brauerei|brouwer|browar|cervec|birrific",
}
_LEGACY_RES = {key: re.compile(rf"\b(?:{pattern})") for key, pattern in LEGACY_PATTERNS.items()}
LEGACY_LABELS = {
    "en": {"coal": "coal", "steel": "steel", "mining": "mining", "port": "port and shipping",
           "oil": "oil", "textiles": "textiles", "automotive": "car industry",
           "chemicals": "chemicals", "brewing": "brewing"},
    "de": {"coal": "Kohle", "steel": "Stahl", "mining": "Bergbau", "port": "Hafen und Schifffahrt",
           "oil": "Öl", "textiles": "Textilindustrie", "automotive": "Autoindustrie",
           "chemicals": "Chemie", "brewing": "Brauereien"},
    "fr": {"coal": "charbon", "steel": "sidérurgie", "mining": "exploitation minière",
           "port": "port et transport maritime", "oil": "pétrole", "textiles": "textile",
           "automotive": "industrie automobile", "chemicals": "chimie", "brewing": "brasseries"},
    "nl": {"coal": "steenkool", "steel": "staal", "mining": "mijnbouw",
           "port": "haven en scheepvaart", "oil": "olie", "textiles": "textielindustrie",
           "automotive": "auto-industrie", "chemicals": "chemie", "brewing": "brouwerijen"},
    "pl": {"coal": "węgiel", "steel": "hutnictwo", "mining": "górnictwo",
           "port": "port i żegluga", "oil": "ropa naftowa", "textiles": "przemysł włókienniczy",
           "automotive": "przemysł motoryzacyjny", "chemicals": "chemia", "brewing": "browarnictwo"},
    "es": {"coal": "carbón", "steel": "siderurgia", "mining": "minería",
           "port": "puerto y navegación", "oil": "petróleo", "textiles": "industria textil",
           "automotive": "industria automovilística", "chemicals": "química",
           "brewing": "cervecerías"},
    "it": {"coal": "carbone", "steel": "siderurgia", "mining": "attività mineraria",
           "port": "porto e navigazione", "oil": "petrolio", "textiles": "industria tessile",
           "automotive": "industria automobilistica", "chemicals": "chimica",
           "brewing": "birrifici"},
}
# Thesaurus concepts that name one of the legacies above (so they count once).
CONCEPT_LEGACY = {"steel-industry": "steel", "green-steel": "steel", "coal-phase-out": "coal",
                  "mine-closure": "coal", "mining-heritage": "mining",
                  "post-mining-land-use": "mining", "mine-water": "mining",
                  "port-transformation": "port"}


# "Why similar" sentences in the UI languages (labels come in the same language).
REASON_TEXTS = {
    "en": {"legacy": "industrial legacy: {}", "themes": "shared focus themes: {}",
           "size": "similar size ({} inhabitants)", "work": "case studies on similar work"},
    "de": {"legacy": "industrielles Erbe: {}", "themes": "gemeinsame Schwerpunkte: {}",
           "size": "ähnliche Größe ({} Einwohner)", "work": "Fallstudien zu ähnlicher Arbeit"},
    "fr": {"legacy": "héritage industriel : {}", "themes": "thèmes prioritaires communs : {}",
           "size": "taille comparable ({} habitants)", "work": "études de cas sur un travail similaire"},
    "nl": {"legacy": "industrieel erfgoed: {}", "themes": "gedeelde speerpunten: {}",
           "size": "vergelijkbare omvang ({} inwoners)", "work": "casestudy's over vergelijkbaar werk"},
    "pl": {"legacy": "dziedzictwo przemysłowe: {}", "themes": "wspólne priorytety: {}",
           "size": "podobna wielkość ({} mieszkańców)", "work": "studia przypadków o podobnej pracy"},
    "es": {"legacy": "legado industrial: {}", "themes": "ejes temáticos comunes: {}",
           "size": "tamaño similar ({} habitantes)", "work": "casos de estudio sobre un trabajo similar"},
    "it": {"legacy": "eredità industriale: {}", "themes": "temi prioritari comuni: {}",
           "size": "dimensioni simili ({} abitanti)", "work": "casi di studio su un lavoro simile"},
}


@dataclass
class SimilarCity:
    city: City
    score: float
    size_band: str | None = None  # set when both are in the same population band
    legacy: list[str] = field(default_factory=list)  # shared legacies, labelled
    themes: list[str] = field(default_factory=list)  # shared focus themes, labelled
    latest: list[CaseStudy] = field(default_factory=list)
    language: str = "en"
    work: float = 0.0  # how alike their case studies are in meaning, 0..1

    @property
    def reasons(self) -> list[str]:
        texts = REASON_TEXTS.get(self.language, REASON_TEXTS["en"])
        reasons = []
        if self.legacy:
            reasons.append(texts["legacy"].format(", ".join(self.legacy)))
        if self.themes:
            reasons.append(texts["themes"].format(", ".join(self.themes)))
        if self.size_band:
            reasons.append(texts["size"].format(self.size_band))
        if self.work >= WORK_REASON:
            reasons.append(texts["work"])
        return reasons

    @property
    def explanation(self) -> str:
        return "; ".join(self.reasons)


def size_band(population: int | None) -> int | None:
    """Index of the population band, or None when the population is unknown."""
    if not population:
        return None
    return next(index for index, (upper, _) in enumerate(SIZE_BANDS)
                if upper is None or population < upper)


def legacy_signals(text: str) -> frozenset[str]:
    """Legacy keys (coal, steel, port, ...) and thesaurus concepts named in a legacy text."""
    cache = current_app.extensions.setdefault("network_legacy_cache", {})
    if text not in cache:
        cache[text] = _legacy_signals(text or "")
    return cache[text]


def _legacy_signals(text: str) -> frozenset[str]:
    folded = fold(text.casefold()).replace("ł", "l")  # NFKD keeps Polish ł
    found = {key for key, pattern in _LEGACY_RES.items() if pattern.search(folded)}
    if text.strip():
        thesaurus = get_thesaurus()
        for language in dict.fromkeys([detect_language(text), "en"]):
            found.update(CONCEPT_LEGACY.get(concept, concept)
                         for concept in thesaurus.find_concepts(text, language))
    return frozenset(found)


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _size_score(a: int | None, b: int | None) -> float:
    if a is None or b is None:
        return 0.0
    return {0: 1.0, 1: 0.5}.get(abs(a - b), 0.0)


def _legacy_label(signal: str, language: str) -> str:
    labels = LEGACY_LABELS.get(language, LEGACY_LABELS["en"])
    return labels.get(signal) or get_thesaurus().label(signal, language)


def compare(city: City, other: City, language: str = "en",
            profiles: dict[int, np.ndarray] | None = None) -> SimilarCity:
    """How much `other` resembles `city`, and why. `profiles`: city_profiles()."""
    band, other_band = size_band(city.population), size_band(other.population)
    legacy = legacy_signals(city.industrial_legacy) & legacy_signals(other.industrial_legacy)
    themes = set(city.focus_themes or ()) & set(other.focus_themes or ())
    score = (
        WEIGHTS["size"] * _size_score(band, other_band)
        + WEIGHTS["legacy"] * _jaccard(legacy_signals(city.industrial_legacy),
                                       legacy_signals(other.industrial_legacy))
        + WEIGHTS["themes"] * _jaccard(set(city.focus_themes or ()),
                                       set(other.focus_themes or ()))
    )
    work = _work_score(profiles or {}, city.id, other.id)
    score += WEIGHTS["work"] * work
    thesaurus = get_thesaurus()
    return SimilarCity(
        city=other,
        score=round(score, 4),
        size_band=SIZE_BANDS[band][1] if band is not None and band == other_band else None,
        legacy=sorted(_legacy_label(signal, language) for signal in legacy),
        themes=sorted(thesaurus.label(theme, language) for theme in themes),
        language=language,
        work=round(work, 4),
    )


def _work_score(profiles: dict[int, np.ndarray], city_id: int, other_id: int) -> float:
    if city_id not in profiles or other_id not in profiles:
        return 0.0
    cosine = float(profiles[city_id] @ profiles[other_id])
    return min(1.0, max(0.0, (cosine - WORK_FLOOR) / WORK_SPAN))


_profiles_cache: dict[tuple, dict[int, np.ndarray]] = {}


def city_profiles() -> dict[int, np.ndarray]:
    """city id -> the normalised mean of its published case studies' stored vectors.

    Kept until a vector changes (one aggregate query tells), since reading every
    vector is the costly part."""
    state = (current_app.config.get("EMBEDDER"), *db.session.execute(
        select(func.count(), func.max(CaseStudyVector.updated_at))
        .select_from(CaseStudyVector)).one())
    if state not in _profiles_cache:
        rows = db.session.execute(
            select(CaseStudy.city_id, CaseStudyVector.vector)
            .join(CaseStudyVector, CaseStudyVector.case_study_id == CaseStudy.id)
            .where(CaseStudy.status == "published"))
        by_city: dict[int, list[np.ndarray]] = {}
        for city_id, vector in rows:
            by_city.setdefault(city_id, []).append(from_bytes(vector))
        profiles = {city_id: mean_vector(np.stack(vectors))
                    for city_id, vectors in by_city.items()}
        _profiles_cache.clear()
        _profiles_cache[state] = {key: value for key, value in profiles.items()
                                  if value is not None}
    return _profiles_cache[state]


def similar_cities(city: City, limit: int = 5, language: str = "en", *,
                   with_case_studies: int = 0) -> list[SimilarCity]:
    """Other cities ranked by size band, shared industrial legacy, focus themes and how
    alike their case studies are in meaning (stored vectors).

    Cities with nothing in common (score 0) are left out.
    """
    others = db.session.scalars(select(City).where(City.id != city.id)).all()
    profiles = city_profiles()
    ranked = sorted(
        (found for found in (compare(city, other, language, profiles) for other in others)
         if found.score),
        key=lambda found: (-found.score, found.city.name),
    )[:limit]
    if with_case_studies:
        for found in ranked:
            found.latest = latest_case_studies(found.city.id, with_case_studies)
    return ranked


def find_city_by_slug(slug: str) -> City | None:
    return db.session.scalar(select(City).where(City.slug == slug))
