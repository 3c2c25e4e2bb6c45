"""The narration of a linked evacuation: the linked site, the lag rule and the exchange.

A part of :class:`sim.views.narrate.Narrator`, which tells every event of a trace by its
kind; these are the kinds only a scenario with a ``[linkage]`` or an ``[exchange]`` records:
the linked site's convoys and halts, this side pausing while it is ahead, convoys of both
sides waiting for each other at the meeting point, and the groups the deal's ``after_safe``
clause holds back. They are told in the narrator's words (:mod:`sim.views.wording`, and the
narrator's own phrases, declared here), from the trace and the scenario only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from sim.inputs.exchange import Exchange
from sim.inputs.scenario import Linkage, Scenario
from sim.outputs.records import SUSPENDED, WAITED_AT_BRIDGE, TraceEvent
from sim.views.wording import convoy_name, duration


class LinkedTelling(ABC):
    """How the narrator tells the events of the linked site, the lag rule and the exchange."""

    # the state of sim.views.narrate.Narrator these events read
    scenario: Scenario
    evacuated: int  # people out on this side so far
    held: dict[int, float]  # convoy -> since when it is held

    @abstractmethod
    def _people(self, groups: tuple[int, ...] | list[int]) -> str:
        """People by group in words, as every line of the narration says them."""

    def _init_linked(self) -> None:
        """Nothing of the linked site told yet."""
        self.paused = False  # the linkage rule holds this side back
        self.linked_evacuated = 0
        # an exchange: since when convoys wait at the meeting point, this side's and the
        # linked site's, by convoy; and the linked site's halt, if it is halted
        self.at_bridge: dict[int, float] = {}
        self.linked_at_bridge: dict[int, float] = {}
        self.linked_halt: str | None = None

    # -- the linked site ---------------------------------------------------------------------

    def _linked_departs(self, e: TraceEvent) -> str:
        return f"Linked convoy {e.convoy + 1} leaves {e.note} with {e.people:,} people."

    def _linked_arrives(self, e: TraceEvent) -> str:
        self.linked_evacuated += e.people
        if self.scenario.exchange is not None:
            total = self.scenario.exchange.people
            return (
                f"Linked convoy {e.convoy + 1} brings {e.people:,} people out of {e.note} "
                f"({self.linked_evacuated:,} of {total:,} so far)."
            )
        return (
            f"Linked convoy {e.convoy + 1} brings {e.people:,} people out of {e.note} "
            f"({self._shares()})."
        )

    def _linkage_pause(self, e: TraceEvent) -> str:
        self.paused = True
        linkage = self._linkage
        text = (
            f"Departures here pause: {self._shares()}, further apart than the deal allows "
            f"({100 * linkage.max_lag:.0f} points). They wait for the evacuation of {e.note} "
            "to catch up"
        )
        if linkage.lag_breach_rate > 0:
            return f"{text}; meanwhile breaches are {linkage.lag_breach_rate:g} an hour likelier."
        return f"{text}."

    def _linkage_resume(self, e: TraceEvent) -> str:
        self.paused = False
        return (
            f"The evacuation of {e.note} has caught up ({self._shares()}): convoys may form "
            "here again."
        )

    # -- the exchange ------------------------------------------------------------------------

    def _waits_at_bridge(self, e: TraceEvent) -> str:
        self.at_bridge[e.convoy] = e.time
        self.held.pop(e.convoy, None)  # released at the checkpoint, it now waits here
        deal = self._exchange
        text = f"{convoy_name(e.convoy)} reaches {deal.meeting_point} with {e.people:,} people "
        if e.note == SUSPENDED:
            return f"{text}aboard and waits there while the ceasefire is suspended."
        text += f"aboard and waits there for the {deal.site} {self._partners()}: {self._pairing()}"
        if self.linked_halt is not None:
            halt = f" ({self.linked_halt})" if self.linked_halt else ""
            return f"{text}; {deal.site} is halted{halt}."
        return f"{text}."

    def _linked_waits_at_bridge(self, e: TraceEvent) -> str:
        self.linked_at_bridge[e.convoy] = e.time
        deal = self._exchange
        text = (
            f"Linked convoy {e.convoy + 1} reaches {deal.meeting_point} with {e.people:,} "
            f"people from {deal.site} and waits there"
        )
        if e.note == SUSPENDED:
            return f"{text} while the ceasefire is suspended."
        return f"{text} for convoys from here: {self._pairing()}."

    def _linked_crosses(self, e: TraceEvent) -> str:
        deal = self._exchange
        if e.note == WAITED_AT_BRIDGE:
            waited = duration(e.time - self.linked_at_bridge.pop(e.convoy, e.time))
            return (
                f"Linked convoy {e.convoy + 1} crosses {deal.meeting_point} after {waited} there."
            )
        return f"Linked convoy {e.convoy + 1} crosses {deal.meeting_point}."

    def _linked_returns(self, e: TraceEvent) -> str:
        return f"Linked convoy {e.convoy + 1}'s vehicles are back at {e.note}."

    def _linked_halted(self, e: TraceEvent) -> str:
        self.linked_halt = e.note
        why = f" ({e.note})" if e.note else ""
        return f"{self._exchange.site} halts{why}: no convoy leaves it."

    def _linked_resumes(self, e: TraceEvent) -> str:
        self.linked_halt = None
        return f"{self._exchange.site}'s halt ends: its convoys may leave again."

    def _waits_for_linked(self, e: TraceEvent) -> str:
        return (
            f"{self._people(e.groups)} could board now but must wait: the deal lets "
            f"{self._held_groups()} leave only once {self._clause()} ({self.linked_evacuated:,} "
            "so far)."
        )

    def _deal_releases(self, e: TraceEvent) -> str:
        deal = self._exchange
        waiting = f"{self._people(e.groups)} wait" if e.people else "none of them waits yet"
        return (
            f"{self.linked_evacuated:,} of {deal.site}'s people are safe: as the deal says, "
            f"{self._held_groups()} may board from now on ({waiting})."
        )

    def _held_groups(self) -> str:
        """The groups the deal's after_safe clause holds back, in words: 'the fighters'."""
        clause = self._exchange.after_safe
        names = list(clause.groups) if clause is not None else []
        return "the " + (" and ".join(names) if len(names) < 3 else ", ".join(names))

    def _clause(self) -> str:
        """What the after_safe clause waits for, in words."""
        deal = self._exchange
        clause = deal.after_safe
        if clause is None or clause.batch is None:
            count = clause.people if clause is not None else 0
            return f"{count:,} of {deal.site}'s people are safe"
        if deal.pairing == "convoys":
            first = "convoy" if clause.batch == 1 else f"{clause.batch} convoys"
            return f"the people of {deal.site}'s first {first} are safe"
        return f"the people of {deal.site}'s batch {clause.batch} of the deal are safe"

    def _partners(self) -> str:
        return "convoy" if self._exchange.pairing == "convoys" else "convoys"

    def _pairing(self) -> str:
        """How the deal pairs the convoys, in words."""
        if self._exchange.pairing == "convoys":
            return "the deal pairs convoys one for one"
        return "the deal pairs convoys by batches"

    @property
    def _exchange(self) -> Exchange:
        """The scenario's exchange: exchange events happen only in scenarios that have one."""
        if self.scenario.exchange is None:
            raise RuntimeError("an exchange event in a scenario without an exchange")
        return self.scenario.exchange

    @property
    def _linkage(self) -> Linkage:
        """The scenario's linkage: linkage events happen only in scenarios that have one."""
        if self.scenario.linkage is None:
            raise RuntimeError("a linkage event in a scenario without a linkage")
        return self.scenario.linkage

    def _shares(self) -> str:
        """'26% out here, 50% there': the shares of people the linkage rule compares."""
        s, linkage = self.scenario, self._linkage
        here = self.evacuated / s.people if s.people else 1.0
        there = self.linked_evacuated / linkage.people if linkage.people else 1.0
        return f"{100 * here:.0f}% out here, {100 * there:.0f}% there"
