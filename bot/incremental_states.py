"""A conversation's applied events and dialogue states, worked out once per event, not on every call.

Rasa's policies see a conversation as one "state" per action taken (the intent, the slots, the
previous action...). `DialogueStateTracker.past_states` makes that list by replaying the whole
conversation from its first event, and Rasa calls it for every prediction: three or more times per
message. So each message costs more than the one before, and in a long conversation this replay is
the largest part of Rasa's time (README, "Benchmarks").

`past_states` below gives the same list, but keeps, on the tracker, the replay it has done so far:
the events it has replayed, the tracker after them and the states found. On the next call, while the
events Rasa applies still begin with exactly those event objects, it replays only the new ones. When
history was rewritten (a revert, a restart, a loop undone), the domain changed (a new model) or the
rule-only data differ, it starts again from the first event, as Rasa does. The loop body is Rasa
3.6's `Domain.states_for_tracker_history`, step for step. The states are copied on the way out,
because Rasa's featurizers edit them in place.

`applied_events` below does the same for the list it starts from: the events that count, with
reverted ones taken out. Rasa makes it from the first event on each of its many calls per message.
Here the walk over the events is kept and goes on over the new ones only, while the events seen so
far are still the tracker's first events and no new loop has appeared (a new loop's name changes how
the earlier events of that loop count, so the walk starts again, as Rasa's does).

bot.rasa_speedups installs both in the Rasa server only; training does not use them.
"""
from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

_REPLAYS = "_borgerhjaelp_replays"
_APPLIED = "_borgerhjaelp_applied"


@dataclass
class _AppliedSoFar:
    seen: int  # how many of tracker.events the walk has gone over
    last_seen: Event | None
    loop_names: set[str]
    applied: list[Event]


def applied_events(self: DialogueStateTracker) -> list[Event]:
    """DialogueStateTracker.applied_events, walking only the events that are new since the last call."""
    events = self.events
    so_far: _AppliedSoFar | None = self.__dict__.get(_APPLIED)
    if so_far is not None and (
        len(events) < so_far.seen or (so_far.seen and events[so_far.seen - 1] is not so_far.last_seen)
    ):
        so_far = None
    new = list(itertools.islice(events, so_far.seen if so_far else 0, None))
    new_loops = {event.name for event in new if isinstance(event, ActiveLoop) and event.name}
    if so_far is None or not new_loops <= so_far.loop_names:
        so_far = _AppliedSoFar(0, None, {e.name for e in events if isinstance(e, ActiveLoop) and e.name}, [])
        new = list(events)
    for event in new:  # the loop of Rasa 3.6's DialogueStateTracker.applied_events
        applied = so_far.applied
        if isinstance(event, (Restarted, SessionStarted)):
            so_far.applied = []
        elif isinstance(event, ActionReverted):
            self._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            self._undo_till_previous(UserUttered, applied)
            self._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in so_far.loop_names
            and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            self._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    if new:
        so_far.seen += len(new)
        so_far.last_seen = new[-1]
    self.__dict__[_APPLIED] = so_far
    return list(so_far.applied)  # a copy: callers may edit theirs


@dataclass(frozen=True)
class _Walk:
    """What Rasa's loop carries from one prior tracker to the next when rule-only turns are ignored."""

    last_ml_action_sub_state: SubState | None = None
    turn_was_hidden: bool = False


@dataclass
class _Replay:
    domain: Domain
    rule_only_data: dict[str, Any] | None
    replayed: list[Event]
    tracker: DialogueStateTracker  # the tracker after `replayed`
    states: list[State] = field(default_factory=list)  # one per ActionExecuted in `replayed`, hidden ones left out
    walk: _Walk = _Walk()


def _state_before_action(
    domain: Domain,
    tracker: DialogueStateTracker,
    hide_rule_turn: bool,
    states: list[State],
    walk: _Walk,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> tuple[State | None, _Walk]:
    """One pass of the loop in Rasa 3.6's Domain.states_for_tracker_history: the state, or None if hidden."""
    if ignore_rule_only_turns:
        last_ml_action_sub_state = walk.last_ml_action_sub_state
        turn_was_hidden = walk.turn_was_hidden
        if not turn_was_hidden:
            last_ml_action_sub_state = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
            turn_was_hidden = hide_rule_turn
        walk = _Walk(last_ml_action_sub_state, turn_was_hidden)
        if turn_was_hidden:
            return None, walk

    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if walk.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = walk.last_ml_action_sub_state
    return domain._clean_state(state), walk


def _copy(state: State) -> State:
    # Two levels: the featurizers delete keys from the sub-states; the values themselves are not edited.
    return {kind: dict(sub_state) for kind, sub_state in state.items()}


def past_states(
    self: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """DialogueStateTracker.past_states, replaying only the events that are new since the last call."""
    applied = self.applied_events()
    replays: dict[tuple[bool, bool], _Replay] = self.__dict__.setdefault(_REPLAYS, {})
    key = (omit_unset_slots, ignore_rule_only_turns)
    replay = replays.get(key)
    if (
        replay is None
        or replay.domain is not domain
        or replay.rule_only_data != rule_only_data
        or len(replay.replayed) > len(applied)
        or not all(map(operator.is_, replay.replayed, applied))
    ):
        replay = _Replay(domain, rule_only_data, [], self.init_copy())
        replays[key] = replay

    flags = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(replay.replayed) :]:
        if isinstance(event, ActionExecuted):
            state, replay.walk = _state_before_action(
                domain, replay.tracker, event.hide_rule_turn, replay.states, replay.walk, *flags
            )
            if state is not None:
                replay.states.append(state)
        replay.tracker.update(event)
    replay.replayed = applied

    # The state after the last event, as Rasa's generator yields it last: not kept, the next event changes it.
    last, _ = _state_before_action(domain, replay.tracker, False, replay.states, replay.walk, *flags)
    states = replay.states if last is None else [*replay.states, last]
    return [_copy(state) for state in states]


def install() -> None:
    DialogueStateTracker.applied_events = applied_events
    DialogueStateTracker.past_states = past_states
