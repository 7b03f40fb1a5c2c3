"""A small store of testimony for counter-messaging tests: cases in English and French, people's
codes and one machine run, and cases that the stance gate must hold back."""

from __future__ import annotations

from dataclasses import dataclass, field

from defectio.model import (
    Annotation,
    AnnotationStatus,
    Case,
    CoderKind,
    Gender,
    Passage,
    Region,
    Source,
    Voice,
)
from defectio.store.repo import Store


@dataclass
class Said:
    text: str
    lang: str = "en"
    accepted: tuple[str, ...] = ()
    suggested: tuple[str, ...] = ()  # machine suggestions in the store's one run
    rejected: tuple[str, ...] = ()  # a person rejected these machine suggestions
    voice: Voice = Voice.FIRST


@dataclass
class Person:
    case_id: str
    gender: Gender = Gender.MALE
    region: Region = Region.WESTERN_EUROPE
    said: list[Said] = field(default_factory=list)


# The claim the French cases answer best: housing, a car, a salary, a wife.
FRENCH_CLAIM = (
    "Viens au califat : là-bas tu auras une maison, une voiture, un salaire et une épouse, "
    "au lieu du chômage."
)

HOUSE_PROMISE = (
    "They promised me a house, a car, a salary and a wife; I got a mattress on the floor, "
    "no pay for months and no electricity."
)

PEOPLE = [
    Person(
        "FR1",
        said=[
            Said(
                "On m'avait promis une maison et un salaire ; j'ai dormi par terre, sans "
                "électricité, et je n'ai jamais été payé.",
                lang="fr",
                accepted=("quality_of_life", "broken_promise"),
            )
        ],
    ),
    Person(
        "FR2",
        gender=Gender.FEMALE,
        said=[
            Said(
                "On nous avait parlé d'une vie confortable et d'un mari généreux ; nous "
                "n'avions ni eau ni nourriture, et les émirs gardaient tout pour eux.",
                lang="fr",
                accepted=("quality_of_life", "corruption"),
            )
        ],
    ),
    Person(
        "FR3",
        said=[
            Said(
                "La voiture et l'argent promis n'existaient pas ; les combattants étrangers "
                "recevaient tout et nous, rien.",
                lang="fr",
                accepted=("corruption",),
            )
        ],
    ),
    Person(
        "EN1",
        region=Region.MENA,
        said=[Said(HOUSE_PROMISE, accepted=("quality_of_life", "broken_promise"))],
    ),
    Person(
        "EN2",
        region=Region.MENA,
        said=[
            Said(
                "The recruiter said I would have money and a family; I cleaned toilets and "
                "was never paid.",
                accepted=("quality_of_life",),
            )
        ],
    ),
    Person(
        "EN3",
        said=[
            Said(
                "The emirs drove new cars while we went hungry, and foreigners were paid "
                "twice what locals got.",
                suggested=("corruption",),
            )
        ],
    ),
    # Held back: a person accepted the gate code on one of the case's passages.
    Person(
        "GATE1",
        said=[
            Said(HOUSE_PROMISE + " Every word of it was true.", accepted=("quality_of_life",)),
            Said(
                "I still believe the caliphate is right and that the fight must go on.",
                accepted=("retains_extremism",),
            ),
        ],
    ),
    # Held back: the machine suggested the gate code and nobody has reviewed it.
    Person(
        "GATE2",
        said=[
            Said(
                "We were promised a salary and a house and got hunger and cold instead.",
                accepted=("quality_of_life",),
            ),
            Said(
                "I left the group, not the cause; jihad remains a duty.",
                suggested=("retains_extremism",),
            ),
        ],
    ),
    # Not held back: a person rejected the machine's gate code.
    Person(
        "OPEN1",
        said=[
            Said(
                "There was no salary and no house, only bombs and hunger.",
                accepted=("quality_of_life",),
            ),
            Said(
                "I reject all of it now; do not believe their videos.",
                suggested=("retains_extremism",),
                rejected=("retains_extremism",),
            ),
        ],
    ),
]

GATED = {"GATE1", "GATE2"}


def fill(store: Store, people: list[Person] = PEOPLE) -> Store:
    """Write the people into the store: people's codes, one machine run, one rejection."""
    book = store.codebook()
    with store.unit_of_work("tester") as uow:
        run = uow.start_run("test", "v1", {}, book)
        for person in people:
            uow.upsert_case(
                Case(
                    case_id=person.case_id,
                    alias=f"alias of {person.case_id}",
                    gender=person.gender,
                    region=person.region,
                )
            )
            source = Source(url=f"https://example.org/{person.case_id}")
            uow.upsert_source(source)
            uow.flush()
            uow.link_source(person.case_id, source.source_id, 0)
            for position, said in enumerate(person.said):
                passage = Passage(
                    case_id=person.case_id,
                    text=said.text,
                    lang=said.lang,
                    voice=said.voice,
                    source_id=source.source_id,
                    position=position,
                )
                uow.upsert_passage(passage)
                uow.flush()
                pid = passage.passage_id
                for code in said.accepted:
                    uow.add_annotation(
                        Annotation(
                            passage_id=pid,
                            code=code,
                            coder="tester",
                            coder_kind=CoderKind.PERSON,
                            probability=1.0,
                            status=AnnotationStatus.ACCEPTED,
                        )
                    )
                for code in said.suggested:
                    uow.add_annotation(
                        Annotation(
                            passage_id=pid,
                            code=code,
                            coder="test.v1",
                            coder_kind=CoderKind.MACHINE,
                            probability=0.9,
                            status=AnnotationStatus.SUGGESTED,
                            run_id=run,
                        )
                    )
                for code in said.rejected:
                    uow.add_annotation(
                        Annotation(
                            passage_id=pid,
                            code=code,
                            coder="tester",
                            coder_kind=CoderKind.PERSON,
                            status=AnnotationStatus.REJECTED,
                        )
                    )
        uow.finish_run(run, 0)
    return store
