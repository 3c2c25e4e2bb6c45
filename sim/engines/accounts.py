"""The reference engine's accounts at the end of a replication: who is not yet out (for
the censored waits), and the replication's metrics and hourly series.

Mixed into :class:`sim.engines.des.Evacuation`, whose state it declares. The batch engine's
are :class:`sim.engines.batch_accounts.BatchAccounts`, after
:meth:`sim.engines.batch_books.BatchBooks.finish`.
"""

from __future__ import annotations

from abc import ABC

import numpy as np

from sim.engines.crossing import Crossing
from sim.engines.exchange import ExchangeSite
from sim.engines.ledger import Ledger
from sim.engines.private import PrivateVehicles
from sim.engines.trip import Trip
from sim.inputs.scenario import Scenario
from sim.outputs.records import hours_grid, metric_names, series_types


class Accounts(ABC):
    """What one replication of the reference engine reports once it has run."""

    # the state of sim.engines.des.Evacuation the accounts read
    scenario: Scenario
    books: Ledger
    queue: list[list[int]]  # people waiting at the pickup, by group and cohort
    cohort_times: list[list[float]]  # when each cohort reached the pickup, hours
    aboard: dict[int, Trip]  # convoys with people aboard, by number
    private: PrivateVehicles
    crossing: Crossing
    exchange: ExchangeSite | None

    def _not_yet_out(self) -> None:
        """Tell the books who is not evacuated at the end, for the censored waits: people at
        the pickup (queueing or aboard a convoy that has not left or turned back), and people
        on a convoy on its way, whose wait ended when it left."""
        unfinished = self.books.unfinished
        for g, cohorts in enumerate(self.queue):
            for k, n in enumerate(cohorts):
                if n:
                    unfinished.append((g, None, self.cohort_times[g][k], n))
        private = [(c.departed, c.manifest) for c in self.private.out.values()]
        convoys = [
            (None if t.turned_back else t.departed, t.manifest) for t in self.aboard.values()
        ]
        for left, manifest in convoys + private:
            for g, cohorts in enumerate(manifest):
                for k, n in enumerate(cohorts):
                    if n:
                        unfinished.append((g, left, self.cohort_times[g][k], n))

    def metrics(self) -> dict[str, float]:
        """Every metric of ``metric_names(scenario)``; call after :meth:`run`."""
        s, m = self.scenario, self.books.metrics()
        if s.crossers:
            end = min(self.books.cleared_at, s.horizon)
            m.update(self.crossing.metrics(end, s.crossers))
        if self.exchange is not None:
            m.update(self.exchange.metrics(min(self.books.cleared_at, s.horizon)))
        return {name: m[name] for name in metric_names(s)}

    def series(self) -> dict[str, np.ndarray]:
        """Every hourly series of ``series_types(scenario)``; call after :meth:`run`."""
        s, series = self.scenario, self.books.series()
        if s.crossers:
            series.update(self.crossing.series(hours_grid(s), s.crossers))
        return {name: series[name] for name in series_types(s)}
