"""How the search page presents facets: topics under their broader concept, the year
histogram. Pure functions over FacetOptions."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.thesaurus import Thesaurus

# A facet shows this many values; the rest sit behind "show more".
VISIBLE_VALUES = 8
# Topic groups shown before "show more".
VISIBLE_GROUPS = 4


def top_concept(thesaurus: Thesaurus, concept_id: str) -> str | None:
    """The top of a concept's first broader chain (itself for a top concept);
    None for a free word that is not in the thesaurus."""
    concept = thesaurus.get(concept_id)
    seen = set()
    while concept is not None and concept.broader and concept.id not in seen:
        seen.add(concept.id)
        parent = thesaurus.get(concept.broader[0])
        if parent is None:
            break
        concept = parent
    return concept.id if concept is not None else None


@dataclass
class TopicGroup:
    id: str  # the broader concept's id; "" for free words
    label: str
    options: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(option.count for option in self.options)

    @property
    def selected(self) -> bool:
        return any(option.selected for option in self.options)


def topic_groups(options, thesaurus: Thesaurus, ui_lang: str, other_label: str) -> list[TopicGroup]:
    """Topic options grouped under their top concept; groups with a selection or the most
    case studies first, free words last."""
    groups: dict[str, TopicGroup] = {}
    for option in options:
        top = top_concept(thesaurus, option.value) or ""
        if top not in groups:
            label = thesaurus.label(top, ui_lang) if top else other_label
            groups[top] = TopicGroup(top, label)
        groups[top].options.append(option)
    return sorted(groups.values(),
                  key=lambda g: (not g.id, not g.selected, -g.count, g.label.casefold()))


@dataclass(frozen=True)
class Bar:
    year: int
    count: int
    selected: bool
    x: float
    height: float


def year_histogram(options, width: float = 220, height: float = 48) -> list[Bar]:
    """One bar per year with case studies, oldest first, scaled to the largest count;
    the bars' geometry is for an SVG viewBox of width × height."""
    years = sorted((int(o.value), o.count, o.selected) for o in options if o.value.isdigit())
    if not years:
        return []
    first, last = years[0][0], years[-1][0]
    slots = last - first + 1
    step = width / slots
    peak = max(count for _year, count, _selected in years) or 1
    return [Bar(year, count, selected, round((year - first) * step, 2),
                round(max(2.0, height * count / peak), 2))
            for year, count, selected in years]


def bar_width(bars: list[Bar], width: float = 220) -> float:
    if not bars:
        return 0
    slots = bars[-1].year - bars[0].year + 1
    return round(max(1.0, width / slots - 2), 2)


@dataclass(frozen=True)
class AlsoSearching:
    """A concept the query named, and some of its labels in the other languages."""

    id: str
    label: str
    others: tuple[str, ...]
    more: bool


def also_searching(concepts, thesaurus: Thesaurus, ui_lang: str, typed: str = "",
                   limit: int = 4) -> list[AlsoSearching]:
    """For "Also searching: Wasserstoff, hydrogène, wodór… (concept hydrogen)"; labels that
    are what the reader typed are left out."""
    typed = typed.casefold()
    found = []
    for ref in concepts:
        concept = thesaurus.get(ref.id)
        if concept is None:
            continue
        shown = concept.label(ui_lang).casefold()
        others = list(dict.fromkeys(label for language, label in concept.pref.items()
                                    if language != ui_lang and label.casefold() != shown
                                    and label.casefold() not in typed))
        found.append(AlsoSearching(ref.id, ref.label, tuple(others[:limit]), len(others) > limit))
    return found
